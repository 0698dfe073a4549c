"""A contract's terms as plain values: snapshots for versions, and what an amendment changes.

Terms are the contract's `TERM_FIELDS` and three tables (scope, KPIs, the quality responsibility
matrix), each a list of rows that keep their ids so applying an amendment updates rows in place
(a KPI keeps its recorded results). Values are JSON-ready: decimals and dates as strings, related
records by id, the covered sites as a sorted list of ids.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import models

from contracts.models import Contract, Kpi, ResponsibilityItem, ScopeItem
from vendors.models import Capability, Site

# table → (model, related name on Contract, the fields a row's terms are, heading, row label)
TABLES = {
    "scope": (
        ScopeItem,
        "scope_items",
        ("product", "capability", "service_detail", "site", "annual_volume", "volume_unit"),
        "Scope of work",
        "product",
    ),
    "kpis": (Kpi, "kpis", ("kind", "name", "target", "unit"), "Service levels (KPIs)", "kind"),
    "matrix": (
        ResponsibilityItem,
        "responsibilities",
        ("activity", "responsible", "notes", "position"),
        "Quality responsibility matrix",
        "activity",
    ),
}


def plain(model_field: models.Field, value) -> object:
    """`value` of `model_field` as the JSON-ready value terms are kept and compared in."""
    if value is None or (value == "" and model_field.null):
        return None
    if model_field.many_to_many:
        return sorted(getattr(v, "pk", v) for v in value)
    if model_field.is_relation:
        return getattr(value, "pk", value)
    if isinstance(model_field, models.DecimalField):
        quantum = Decimal(1).scaleb(-model_field.decimal_places)
        return str(Decimal(str(value)).quantize(quantum))
    if isinstance(model_field, models.DateField):
        return value.isoformat() if isinstance(value, date) else str(value)
    return value


def python(model_field: models.Field, value) -> object:
    """A kept plain value back as the Python value the model takes (a related record's id)."""
    if value is None or model_field.is_relation:
        return value
    return model_field.to_python(value)


def contract_field(name: str) -> models.Field:
    return Contract._meta.get_field(name)


def contract_fields(contract: Contract) -> dict[str, object]:
    values = {}
    for name in Contract.TERM_FIELDS:
        model_field = contract_field(name)
        if model_field.many_to_many:
            values[name] = sorted(contract.sites.values_list("pk", flat=True))
        else:
            values[name] = plain(model_field, getattr(contract, model_field.attname))
    return values


def table_rows(contract: Contract, table: str) -> list[dict]:
    model, related, names, _, _ = TABLES[table]
    rows = []
    for item in getattr(contract, related).order_by(*model._meta.ordering[1:]):
        row = {"id": item.pk}
        for name in names:
            model_field = model._meta.get_field(name)
            row[name] = plain(model_field, getattr(item, model_field.attname))
        rows.append(row)
    return rows


def plain_row(table: str, values: dict, *, row_id: int | None) -> dict:
    """A proposed row (from a form's or serializer's cleaned data) as terms keep it."""
    model, _, names, _, _ = TABLES[table]
    row = {"id": row_id}
    for name in names:
        model_field = model._meta.get_field(name)
        default = model_field.get_default()
        row[name] = plain(model_field, values.get(name, default))
    return row


def contract_terms(contract: Contract) -> dict:
    """Every term of `contract` as it stands: its fields and its three tables."""
    return {
        "fields": contract_fields(contract),
        "tables": {table: table_rows(contract, table) for table in TABLES},
    }


@dataclass
class TableChange:
    heading: str
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    # (row label, [(field label, before, after)])
    changed: list[tuple[str, list[tuple[str, str, str]]]] = field(default_factory=list)


@dataclass
class TermsDisplay:
    """Terms (or a change of terms) in words, for the amendment and version pages."""

    fields: list[tuple[str, str, str]]  # (label, before, after); before is "" for a snapshot
    tables: list[TableChange]


class _Names:
    """Display names of the related records a set of terms points to, read in a few queries."""

    def __init__(self, *term_sets: dict) -> None:
        contract_ids, site_ids, capability_ids = set(), set(), set()
        for terms in term_sets:
            values = terms.get("fields", {})
            if values.get("parent"):
                contract_ids.add(values["parent"])
            site_ids.update(values.get("sites") or [])
            for rows in terms.get("tables", {}).values():
                for row in rows:
                    if row.get("site"):
                        site_ids.add(row["site"])
                    if row.get("capability"):
                        capability_ids.add(row["capability"])
        self.contracts = Contract.objects.in_bulk(contract_ids)
        self.sites = Site.objects.in_bulk(site_ids)
        self.capabilities = Capability.objects.in_bulk(capability_ids)

    def show(self, model_field: models.Field, value) -> str:
        if value is None or value == "" or value == []:
            return "—"
        if model_field.choices:
            return str(dict(model_field.flatchoices).get(value, value))
        if isinstance(model_field, models.BooleanField):
            return "Yes" if value else "No"
        if model_field.is_relation:
            lookup = {Contract: self.contracts, Site: self.sites, Capability: self.capabilities}[
                model_field.related_model
            ]
            if model_field.many_to_many:
                return ", ".join(sorted(str(lookup.get(pk, f"#{pk}")) for pk in value))
            return str(lookup.get(value, f"#{value}"))
        return str(value)


def _row_label(table: str, row: dict) -> str:
    model, _, _, _, label_field = TABLES[table]
    if table == "kpis" and row.get("kind") == Kpi.Kind.OTHER:
        return row.get("name") or "Other"
    model_field = model._meta.get_field(label_field)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(row[label_field], row[label_field]))
    return str(row[label_field])


def _row_text(table: str, row: dict, names: _Names) -> str:
    model, _, field_names, _, _ = TABLES[table]
    parts = []
    for name in field_names:
        if row.get(name) in (None, "") or name == "position":
            continue
        parts.append(names.show(model._meta.get_field(name), row[name]))
    return " · ".join(parts)


def describe_change(base: dict, changes: dict) -> TermsDisplay:
    """What an amendment changes, field by field and row by row, before → after."""
    names = _Names(base, changes)
    fields = [
        (
            str(contract_field(name).verbose_name).capitalize(),
            names.show(contract_field(name), base["fields"].get(name)),
            names.show(contract_field(name), value),
        )
        for name, value in changes.get("fields", {}).items()
    ]
    tables = []
    for table, rows in changes.get("tables", {}).items():
        model, _, field_names, heading, _ = TABLES[table]
        before = {row["id"]: row for row in base["tables"].get(table, [])}
        proposed_ids = {row["id"] for row in rows if row["id"] is not None}
        change = TableChange(heading=heading)
        for row in rows:
            old = before.get(row["id"])
            if old is None:
                change.added.append(_row_text(table, row, names))
                continue
            diffs = [
                (
                    str(model._meta.get_field(name).verbose_name).capitalize(),
                    names.show(model._meta.get_field(name), old.get(name)),
                    names.show(model._meta.get_field(name), row.get(name)),
                )
                for name in field_names
                if old.get(name) != row.get(name)
            ]
            if diffs:
                change.changed.append((_row_label(table, old), diffs))
        change.removed = [
            _row_text(table, row, names) for pk, row in before.items() if pk not in proposed_ids
        ]
        tables.append(change)
    return TermsDisplay(fields=fields, tables=tables)


def describe_terms(terms: dict, *, quality: bool) -> TermsDisplay:
    """A whole snapshot of terms in words, for "terms as of version N"."""
    names = _Names(terms)
    fields = [
        (
            str(contract_field(name).verbose_name).capitalize(),
            "",
            names.show(contract_field(name), terms["fields"].get(name)),
        )
        for name in Contract.TERM_FIELDS
    ]
    tables = []
    for table, rows in terms["tables"].items():
        if table == "matrix" and not quality:
            continue
        change = TableChange(heading=TABLES[table][3])
        change.added = [_row_text(table, row, names) for row in rows]
        tables.append(change)
    return TermsDisplay(fields=fields, tables=tables)
