"""Merging two directory records (CMOs, or sites of one CMO) that turned out to be the same firm.

Everything that references the merged-away record moves to the kept one: the rows are found
through the model's reverse relations (`_meta`), so every app's foreign keys and many-to-many
fields to a CMO or site are covered without this base app importing them (audits, contracts,
evaluation candidates, ...). The merged-away record is never deleted: it is marked
`merged_into` the kept one, hidden from lists and pickers, and its page links to the kept one.

A row that cannot move because the kept record already has its like (a unique constraint: one
candidate per evaluation and CMO, one matrix cell per site and capability) stays with the
merged-away record, unless its model says how to settle it (`merge_conflict`, e.g. the matrix
cell keeps the stronger evidence); either way the result says so. Rows derived from the others
(a model with `recomputed_after_merge = True`, such as a CMO's score) are left alone.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q, UniqueConstraint
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from cmoselect.events import scoring_inputs_changed
from cmoselect.history import require_reason, save_with_history, stamp
from cmoselect.roles import Perm, check_perm
from vendors.models import Cmo, Site

MERGE_REASON_REQUIRED = "Say why these records are the same."
# Profile fields the kept record takes from the merged one when its own are empty.
FILLED_FROM_MERGED = {
    Cmo: ["duns_number", "website", "ownership_type", "parent_company", "description"],
    Site: [
        "fei_number",
        "duns_number",
        "address_line1",
        "address_line2",
        "city",
        "state",
        "postal_code",
        "fda_operations",
        "fda_registration_expires",
        "headcount",
    ],
}


@dataclass
class RelationPlan:
    """The rows of one kind that reference the merged-away record, and those that clash."""

    relation: object
    label: str
    count: int
    conflicts: list[tuple[models.Model, models.Model]] = field(default_factory=list)

    @property
    def moving(self) -> int:
        return self.count - len(self.conflicts)


@dataclass
class MergeResult:
    kept: models.Model
    merged: models.Model
    moved: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    filled: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        moved = ", ".join(f"{label} ({n})" for label, n in self.moved.items() if n) or "nothing"
        return f"{self.merged} was merged into {self.kept}; moved: {moved}."


def _relations(model: type[models.Model]) -> list:
    """Every reverse relation to `model` from any app, but for history tables and the
    automatic tables behind many-to-many fields (those move through their field)."""
    found = []
    for rel in model._meta.get_fields(include_hidden=True):
        if not (rel.is_relation and rel.auto_created and not rel.concrete):
            continue
        related = rel.related_model
        if hasattr(related, "instance_type") or related._meta.auto_created:
            continue
        if getattr(related, "recomputed_after_merge", False):
            continue  # derived rows (a CMO's score): recomputed from what moved, not moved
        found.append(rel)
    return found


def _label(rel) -> str:
    meta = rel.related_model._meta
    if rel.field.name == "merged_into":
        return f"{meta.verbose_name_plural} merged into it before"
    return str(meta.verbose_name_plural)


def _unique_sets(rel) -> list[tuple[tuple[str, ...], Q]]:
    """The other fields of each unique rule on the referencing field, with its condition."""
    model, name = rel.related_model, rel.field.name
    sets: list[tuple[tuple[str, ...], Q]] = []
    if rel.field.unique:
        sets.append(((), Q()))
    for constraint in model._meta.constraints:
        if isinstance(constraint, UniqueConstraint) and name in (constraint.fields or ()):
            others = tuple(f for f in constraint.fields if f != name)
            sets.append((others, constraint.condition or Q()))
    for together in model._meta.unique_together:
        if name in together:
            sets.append((tuple(f for f in together if f != name), Q()))
    return sets


def _conflicts(rel, *, kept, merged) -> list[tuple[models.Model, models.Model]]:
    """(kept's row, merged's row) pairs that one unique rule forbids on the same record."""
    if rel.many_to_many:
        through = rel.through
        owner = rel.field.m2m_field_name()
        target = rel.field.m2m_reverse_field_name()
        held = set(through.objects.filter(**{target: kept}).values_list(f"{owner}_id", flat=True))
        both = rel.related_model.objects.filter(
            pk__in=held, **{f"{rel.field.name}": merged}
        ).order_by("pk")
        return [(row, row) for row in both]
    model, name = rel.related_model, rel.field.name
    pairs: dict[int, tuple] = {}
    for others, condition in _unique_sets(rel):
        kept_rows = {
            tuple(getattr(row, model._meta.get_field(f).attname) for f in others): row
            for row in model._default_manager.filter(condition, **{name: kept})
        }
        if not kept_rows:
            continue
        for row in model._default_manager.filter(condition, **{name: merged}).order_by("pk"):
            key = tuple(getattr(row, model._meta.get_field(f).attname) for f in others)
            if key in kept_rows and row.pk not in pairs:
                pairs[row.pk] = (kept_rows[key], row)
    return list(pairs.values())


def merge_plan(*, kept: models.Model, merged: models.Model) -> list[RelationPlan]:
    """What a merge would move, by kind of row, and what would clash; writes nothing."""
    plans = []
    for rel in _relations(type(merged)):
        count = rel.related_model._default_manager.filter(**{rel.field.name: merged}).count()
        conflicts = _conflicts(rel, kept=kept, merged=merged) if count else []
        plans.append(RelationPlan(rel, _label(rel), count, conflicts))
    return plans


def check_mergeable(kept: models.Model, merged: models.Model) -> None:
    """Refuse (ValidationError) a merge into itself, of or into a merged record, or of two
    sites of different CMOs (their CMOs are merged first)."""
    noun = type(merged)._meta.verbose_name
    if kept.pk == merged.pk:
        raise ValidationError({"kept": f"A {noun} cannot be merged into itself."})
    if merged.merged_into_id:
        raise ValidationError({"merged": f"{merged} was already merged into {merged.merged_into}."})
    if kept.merged_into_id:
        raise ValidationError(
            {"kept": f"{kept} was merged into {kept.merged_into}: merge into that one instead."}
        )
    if isinstance(kept, Site) and kept.cmo_id != merged.cmo_id:
        raise ValidationError(
            {
                "kept": f"These sites belong to different CMOs ({kept.cmo}, {merged.cmo}): "
                "merge the CMOs first, then their sites."
            }
        )


def _move(plan: RelationPlan, *, kept, merged, user, reason: str, result: MergeResult) -> None:
    rel = plan.relation
    model, name = rel.related_model, rel.field.name
    clashing = {moved.pk for _, moved in plan.conflicts}
    for kept_row, moved_row in plan.conflicts:
        settle = getattr(model, "merge_conflict", None)
        if settle is not None and not rel.many_to_many:
            note = settle(kept_row=kept_row, moved_row=moved_row, user=user, reason=reason)
        elif rel.many_to_many:
            stamp(moved_row, user=user, reason=reason)
            getattr(moved_row, name).remove(merged)
            note = f"{moved_row}: already linked to {kept}; its link to {merged} was removed."
        else:
            note = (
                f"{model._meta.verbose_name} {moved_row}: {kept} already has one, "
                f"so it stays with {merged}."
            )
        result.notes.append(note)
    rows = list(model._default_manager.filter(**{name: merged}).exclude(pk__in=clashing))
    if rel.many_to_many:
        for row in rows:
            stamp(row, user=user, reason=reason)
            getattr(row, name).remove(merged)
            getattr(row, name).add(kept)
    elif getattr(model._meta, "simple_history_manager_attribute", None):
        for row in rows:
            setattr(row, name, kept)
        bulk_update_with_history(
            rows, model, fields=[name], default_user=user, default_change_reason=reason
        )
    else:
        model._default_manager.filter(pk__in=[row.pk for row in rows]).update(**{name: kept})
    result.moved[plan.label] = result.moved.get(plan.label, 0) + len(rows)


def _fill(kept: models.Model, merged: models.Model) -> list[str]:
    filled = []
    for name in FILLED_FROM_MERGED[type(kept)]:
        if getattr(kept, name) in ("", None) and getattr(merged, name) not in ("", None):
            setattr(kept, name, getattr(merged, name))
            filled.append(str(type(kept)._meta.get_field(name).verbose_name))
    if isinstance(kept, Cmo):
        names = kept.alias_list + [merged.legal_name, *merged.alias_list]
        aliases = [n for n in dict.fromkeys(names) if n != kept.legal_name]
        kept.aliases = "\n".join(aliases)
    return filled


def _merge(kept, merged, *, user, reason: str) -> MergeResult:
    check_perm(user, Perm.EDIT_DIRECTORY)
    reason = require_reason(reason, field_name="reason", message=MERGE_REASON_REQUIRED)
    model = type(kept)
    with transaction.atomic():
        locked = model._default_manager.select_for_update().in_bulk([kept.pk, merged.pk])
        kept, merged = locked.get(kept.pk, kept), locked.get(merged.pk, merged)
        check_mergeable(kept, merged)
        result = MergeResult(kept=kept, merged=merged)
        for plan in merge_plan(kept=kept, merged=merged):
            if plan.count:
                _move(plan, kept=kept, merged=merged, user=user, reason=reason, result=result)
        result.filled = _fill(kept, merged)
        if isinstance(kept, Site):
            stamp(kept, user=user, reason=reason)
            kept.site_types.add(*merged.site_types.all())
        if isinstance(kept, Site) and kept.fei_number == merged.fei_number and merged.fei_number:
            # One site per FEI: the merged-away site gives its FEI up to the kept one.
            merged.fei_number = ""
        merged.merged_into = kept
        merged.merged_at = timezone.now()
        save_with_history(merged, user=user, reason=f"Merged into {kept}: {reason}")
        save_with_history(kept, user=user, reason=f"{merged} merged into this: {reason}")
        cmo_ids = {kept.pk, merged.pk} if isinstance(kept, Cmo) else {kept.cmo_id}
        scoring_inputs_changed(cmo_ids=cmo_ids, reason="merge")
    return result


def cmo_merge(*, kept: Cmo, merged: Cmo, user, reason: str) -> MergeResult:
    """Merge `merged` into `kept`: move its sites, contacts, contracts, candidates, everything
    that references it, and mark it merged; recorded with who and why in both histories."""
    return _merge(kept, merged, user=user, reason=reason)


def site_merge(*, kept: Site, merged: Site, user, reason: str) -> MergeResult:
    """Merge `merged` into `kept` (sites of one CMO): move its capabilities, events, audits,
    contracts and contacts, and mark it merged; recorded with who and why in both histories."""
    return _merge(kept, merged, user=user, reason=reason)
