"""The audit trail across regulated records, for review (EU GMP Annex 11 §9).

Every history table django-simple-history keeps (found through the app registry, so a model that
gains history is listed without a change here), and the records that are themselves entries of
the trail: qualification status changes, audit signatures and evaluation decisions.

A page costs the same number of queries whatever the number of entries: one query picks the
page's (time, type, id) keys from a UNION of every table, filtered, newest first; then one or
two queries per record type present on the page fetch its rows (and the versions before them,
for the field changes). Nothing is counted: the page knows only whether there is an older one.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.apps import apps
from django.core.exceptions import ObjectDoesNotExist
from django.db import connection, models
from django.db.models import F, OuterRef, Q, Subquery, Value
from django.urls import NoReverseMatch
from django.utils import timezone
from django.utils.text import capfirst

from cmoselect.history import display_name, field_changes

PAGE_SIZE = 50
# Record types whose model name reads badly as a label.
LABELS = {"vendors.cmo": "CMO"}
_KINDS = {"+": "Created", "~": "Changed", "-": "Deleted"}


@dataclass(frozen=True)
class TrailFilters:
    user_id: int | None = None
    record_type: str = ""
    date_from: date | None = None
    date_to: date | None = None
    reason: str = ""


@dataclass
class TrailEntry:
    when: datetime
    who: str
    record_type: str
    action: str
    record: str
    url: str
    reason: str
    changes: list[tuple[str, object, object]] = field(default_factory=list)


class _QueryMade(Exception):
    pass


def _refuse_queries(execute, sql, params, many, context):
    raise _QueryMade


def _without_queries(compute: Callable[[], str]) -> str | None:
    """`compute()`, or None if it needs the database: a label or link must cost no query."""
    try:
        with connection.execute_wrapper(_refuse_queries):
            return compute()
    except (_QueryMade, ObjectDoesNotExist, AttributeError, NoReverseMatch, TypeError):
        return None


class _Describer:
    """Names and links the records of one type with no query.

    A record's own str() or page may need a related row (a site is named with its CMO's name, a
    CAPA's page is its finding's): tried once per type, then the next way is used for the rest,
    so the cost never grows with the rows. A link falls back to the nearest parent with a page.
    """

    def __init__(self):
        self.label_needs_query = False
        self.url_needs_query: set[tuple[str, ...]] = set()  # field paths: () is the record

    def label(self, instance: models.Model) -> str:
        if not self.label_needs_query:
            label = _without_queries(lambda: str(instance))
            if label:
                return label
            self.label_needs_query = True
        kind = f"{capfirst(instance._meta.verbose_name)} #{instance.pk}"
        for name in ("legal_name", "name", "title"):
            value = getattr(instance, name, None)
            if isinstance(value, str) and value:
                return f"{kind}: {value}"
        return kind

    def url(self, instance: models.Model) -> str:
        for path, candidate in _self_and_parents(instance):
            if path in self.url_needs_query or not hasattr(candidate, "get_absolute_url"):
                continue
            url = _without_queries(candidate.get_absolute_url)
            if url:
                return url
            self.url_needs_query.add(path)
        return ""


def _self_and_parents(
    instance: models.Model, path: tuple[str, ...] = (), depth: int = 2
) -> Iterator[tuple[tuple[str, ...], models.Model]]:
    """The record, then the records its foreign keys point to (two levels up), by field path."""
    yield path, instance
    if depth == 0:
        return
    for model_field in instance._meta.concrete_fields:
        if model_field.is_relation and (model_field.many_to_one or model_field.one_to_one):
            pk = getattr(instance, model_field.attname, None)
            if pk is not None and model_field.related_model is not None:
                parent = model_field.related_model(pk=pk)
                yield from _self_and_parents(parent, (*path, model_field.name), depth - 1)


class Source:
    """One table of the trail: how to filter and order its entries, and how to show them."""

    key: str
    label: str
    model: type[models.Model]
    date_field: str
    user_field: str
    reason_fields: tuple[str, ...]
    pk_field = "pk"

    def keys(self, filters: TrailFilters) -> models.QuerySet:
        rows = self.model._default_manager.order_by()
        if filters.user_id:
            rows = rows.filter(**{f"{self.user_field}_id": filters.user_id})
        if filters.date_from:
            rows = rows.filter(**{f"{self.date_field}__gte": _start_of(filters.date_from)})
        if filters.date_to:
            end = _start_of(filters.date_to + timedelta(days=1))
            rows = rows.filter(**{f"{self.date_field}__lt": end})
        if filters.reason:
            match = Q()
            for name in self.reason_fields:
                match |= Q(**{f"{name}__icontains": filters.reason})
            rows = rows.filter(match)
        return rows.annotate(
            w=F(self.date_field),
            t=Value(self.key, output_field=models.CharField()),
            k=F(self.pk_field),
        ).values_list("w", "t", "k")

    def entries(self, pks: list[int]) -> dict[int, TrailEntry]:
        raise NotImplementedError


class HistorySource(Source):
    """A django-simple-history table: every save and removal of one kind of record."""

    date_field, user_field = "history_date", "history_user"
    reason_fields = ("history_change_reason",)
    pk_field = "history_id"

    def __init__(self, model: type[models.Model]):
        self.record_model = model
        self.model = getattr(model, model._meta.simple_history_manager_attribute).model
        self.key = model._meta.label_lower
        self.label = LABELS.get(self.key, capfirst(model._meta.verbose_name))
        self.excluded = [m2m.name for m2m in getattr(self.model, "_history_m2m_fields", [])]

    def entries(self, pks: list[int]) -> dict[int, TrailEntry]:
        history = self.model._default_manager
        before = history.filter(id=OuterRef("id")).filter(
            Q(history_date__lt=OuterRef("history_date"))
            | Q(history_date=OuterRef("history_date"), history_id__lt=OuterRef("history_id"))
        )
        rows = list(
            history.filter(history_id__in=pks)
            .select_related("history_user")
            .annotate(
                previous_id=Subquery(
                    before.order_by("-history_date", "-history_id").values("history_id")[:1]
                )
            )
        )
        wanted = [row.previous_id for row in rows if row.previous_id]
        previous = history.in_bulk(wanted) if wanted else {}
        result, describe = {}, _Describer()
        for row in rows:
            # Not row.instance: that reads the fields the history leaves out, a query a row.
            instance = self.record_model(
                **{f.attname: getattr(row, f.attname) for f in self.model.tracked_fields}
            )
            older = previous.get(row.previous_id)
            result[row.history_id] = TrailEntry(
                when=row.history_date,
                who=display_name(row.history_user),
                record_type=self.label,
                action=_KINDS.get(row.history_type, row.history_type),
                record=describe.label(instance),
                url=describe.url(instance),
                reason=row.history_change_reason or "",
                changes=field_changes(row, older, model=self.record_model, excluded=self.excluded),
            )
        return result


class StatusChangeSource(Source):
    key, label = "vendors.statuschange", "Qualification status change"
    date_field, user_field, reason_fields = "changed_at", "changed_by", ("reason",)

    def __init__(self):
        self.model = apps.get_model("vendors", "StatusChange")

    def entries(self, pks: list[int]) -> dict[int, TrailEntry]:
        rows = self.model.objects.filter(pk__in=pks).select_related(
            "cmo", "site__cmo", "changed_by"
        )
        result = {}
        for change in rows:
            subject = change.site or change.cmo
            status = (change.get_from_status_display(), change.get_to_status_display())
            result[change.pk] = TrailEntry(
                when=change.changed_at,
                who=display_name(change.changed_by),
                record_type=self.label,
                action="Status changed" + (" under e-signature" if _signed(change) else ""),
                record=str(subject),
                url=subject.get_absolute_url(),
                reason=change.reason,
                changes=[("qualification status", *status)],
            )
        return result


def _signed(change) -> bool:
    return bool(change.decision_id or change.audit_signature_id)


class AuditSignatureSource(Source):
    key, label = "audits.signature", "Audit signature"
    date_field, user_field, reason_fields = "signed_at", "signer", ("comment", "conditions")

    def __init__(self):
        self.model = apps.get_model("audits", "Signature")

    def entries(self, pks: list[int]) -> dict[int, TrailEntry]:
        rows = self.model.objects.filter(pk__in=pks).select_related("signer", "audit")
        result = {}
        for signature in rows:
            result[signature.pk] = TrailEntry(
                when=signature.signed_at,
                who=display_name(signature.signer),
                record_type=self.label,
                action="Signed",
                record=f"{signature.audit.reference} (revision {signature.revision})",
                url=signature.audit.get_absolute_url(),
                reason=signature.comment or signature.conditions,
                changes=[
                    ("decision", "", signature.get_decision_display()),
                    ("meaning", "", signature.get_meaning_display()),
                ],
            )
        return result


class DecisionSource(Source):
    key, label = "scoring.decision", "Evaluation decision"
    date_field, user_field, reason_fields = "signed_at", "signed_by", ("rationale",)

    def __init__(self):
        self.model = apps.get_model("scoring", "Decision")

    def entries(self, pks: list[int]) -> dict[int, TrailEntry]:
        rows = self.model.objects.filter(pk__in=pks).select_related(
            "signed_by", "evaluation", "candidate__cmo"
        )
        result = {}
        for decision in rows:
            changes = [
                ("selected CMO", "", decision.candidate.cmo.legal_name),
                ("meaning", "", decision.get_meaning_display()),
            ]
            if decision.new_status:
                label = decision.new_status.replace("_", " ").capitalize()
                changes.append(("qualification status moved to", "", label))
            result[decision.pk] = TrailEntry(
                when=decision.signed_at,
                who=display_name(decision.signed_by),
                record_type=self.label,
                action="Signed",
                record=decision.evaluation.name,
                url=decision.evaluation.get_absolute_url() + "#decision",
                reason=decision.rationale,
                changes=changes,
            )
        return result


def sources() -> list[Source]:
    """Every table of the trail, history tables by app and model, then the signed records."""
    found: list[Source] = [
        HistorySource(model)
        for model in apps.get_models()
        if getattr(model._meta, "simple_history_manager_attribute", None)
    ]
    found += [StatusChangeSource(), AuditSignatureSource(), DecisionSource()]
    return found


def record_types() -> list[tuple[str, str]]:
    """The record types the trail can be filtered by: (key, label), by label."""
    return sorted(((s.key, s.label) for s in sources()), key=lambda pair: pair[1])


def trail_page(
    filters: TrailFilters, *, page: int = 1, size: int = PAGE_SIZE
) -> tuple[list[TrailEntry], bool]:
    """The entries of page `page` (1-based), newest first, and whether an older page exists."""
    chosen = [s for s in sources() if not filters.record_type or s.key == filters.record_type]
    if not chosen:
        return [], False
    start, stop = (page - 1) * size, page * size + 1
    branches = [source.keys(filters) for source in chosen]
    if len(branches) == 1:
        union = branches[0]
    else:
        if connection.features.supports_slicing_ordering_in_compound:
            # Each table gives at most the rows this page could hold (an index walk, not a sort).
            branches = [b.order_by("-w", "-k")[:stop] for b in branches]
        union = branches[0].union(*branches[1:], all=True)
    keys = list(union.order_by("-w", "t", "-k")[start:stop])
    has_older = len(keys) > size
    keys = keys[:size]
    by_type: dict[str, list[int]] = defaultdict(list)
    for _, key, pk in keys:
        by_type[key].append(pk)
    found = {
        (s.key, pk): entry
        for s in chosen
        if s.key in by_type
        for pk, entry in s.entries(by_type[s.key]).items()
    }
    return [found[(key, pk)] for _, key, pk in keys if (key, pk) in found], has_older


def trail_entries(filters: TrailFilters, *, chunk: int = 500) -> Iterable[TrailEntry]:
    """Every entry the filters select, newest first, read a chunk at a time (for the export)."""
    page = 1
    while True:
        entries, more = trail_page(filters, page=page, size=chunk)
        yield from entries
        if not more:
            return
        page += 1


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))
