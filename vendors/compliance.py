"""A site's or CMO's regulatory record in one summary: flags, counts and a 0–100 signal.

The compliance signal starts at 100 and loses points for each adverse event, weighted by how
recent it is:

    signal = max(0, round(100 − Σ points(event) × weight(age)))
    weight(age) = 1 within a year; falling linearly to 0 at five years; 0 after that
                  (an open import alert always weighs 1)

Points per event: OAI inspection or non-compliant (non-FDA) inspection 30, VAI inspection 8,
NAI / compliant 0; warning letter 30, injunction 40, seizure 30; recall class I 15, class II 5,
class III 1; published Form 483 3; import alert 25; GMP non-compliance statement 30;
GMP certificate 0. An inspection exported once per project area counts once, with its worst
classification; a recall event with several products counts once, with its worst class.
Events dated after today are left out (and named in the breakdown): the event forms and the API
refuse such dates, so one can only be a mistake, and it would otherwise weigh fully for years.
With no regulatory data at all the signal is None: no record is not a clean record.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from vendors.models import Agency, Classification, Establishment, EventKind, RegulatoryEvent, Site

C = Classification
K = EventKind
YEAR = 365.25
FULL_WEIGHT_YEARS = 1
HORIZON_YEARS = 5

# (kind, classification or None for any) → (points, label for the breakdown)
POINTS = {
    (K.INSPECTION, C.OAI): (30, "OAI inspection"),
    (K.INSPECTION, C.NON_COMPLIANT): (30, "Non-compliant inspection"),
    (K.INSPECTION, C.VAI): (8, "VAI inspection"),
    (K.WARNING_LETTER, None): (30, "Warning letter"),
    (K.INJUNCTION, None): (40, "Injunction"),
    (K.SEIZURE, None): (30, "Seizure"),
    (K.RECALL, C.CLASS_1): (15, "Class I recall"),
    (K.RECALL, C.CLASS_2): (5, "Class II recall"),
    (K.RECALL, C.CLASS_3): (1, "Class III recall"),
    (K.FORM_483, None): (3, "Published Form 483"),
    (K.IMPORT_ALERT, None): (25, "Import alert"),
    (K.NON_COMPLIANCE, None): (30, "GMP non-compliance statement"),
}
# Worst first, to keep the worst classification of an inspection or recall exported many times.
SEVERITY = [C.OAI, C.NON_COMPLIANT, C.VAI, C.NAI, C.COMPLIANT, C.CLASS_1, C.CLASS_2, C.CLASS_3, ""]
SHORT_CLASS = {C.NAI: "NAI", C.VAI: "VAI", C.OAI: "OAI"}
CLOSED_ALERT_STATUSES = {"removed", "inactive", "closed"}


@dataclass(frozen=True)
class ComplianceSummary:
    signal: int | None
    flags: tuple[str, ...]
    breakdown: tuple[tuple[str, float], ...]
    event_count: int
    last_fda_inspection: tuple[date, str] | None
    latest_warning_letter: date | None
    open_warning_letter: bool
    counts_5y: tuple[tuple[str, int], ...] = field(default=())


EMPTY = ComplianceSummary(
    signal=None,
    flags=(),
    breakdown=(),
    event_count=0,
    last_fda_inspection=None,
    latest_warning_letter=None,
    open_warning_letter=False,
)
FIELDS = ("kind", "agency", "classification", "event_date", "closed_on", "status", "reference")


def weight(event_date: date, today: date) -> float:
    """1 within a year, falling linearly to 0 at five years."""
    age = (today - event_date).days / YEAR
    if age <= FULL_WEIGHT_YEARS:
        return 1.0
    if age >= HORIZON_YEARS:
        return 0.0
    return (HORIZON_YEARS - age) / (HORIZON_YEARS - FULL_WEIGHT_YEARS)


def _within(event_date: date, today: date, years: int) -> bool:
    return (today - event_date).days <= years * YEAR


def _dedupe(events: list[dict]) -> list[dict]:
    """One entry per inspection (any project area) and per recall event (any product)."""
    kept: dict = {}
    rank = {c: i for i, c in enumerate(SEVERITY)}
    for e in events:
        if e["kind"] in (K.INSPECTION, K.RECALL) and e["reference"]:
            key = (e["site_id"], e["kind"], e["agency"], e["reference"])
        else:
            key = ("row", e["pk"])
        best = kept.get(key)
        if best is None or rank.get(e["classification"], 99) < rank.get(best["classification"], 99):
            kept[key] = e
    return list(kept.values())


def summarise(events: list[dict], today: date) -> ComplianceSummary:
    """The summary of one site's or CMO's events (dicts with FIELDS, site_id and pk)."""
    dated_later = sum(1 for e in events if e["event_date"] > today)
    if dated_later:
        events = [e for e in events if e["event_date"] <= today]
    if not events:
        return EMPTY
    distinct = _dedupe(events)
    penalties: dict[str, list[float]] = defaultdict(list)
    flags: list[str] = []
    counts: dict[str, int] = defaultdict(int)
    for e in sorted(distinct, key=lambda e: e["event_date"], reverse=True):
        kind, cls, when = e["kind"], e["classification"], e["event_date"]
        rule = POINTS.get((kind, cls)) or POINTS.get((kind, None))
        open_alert = (
            kind == K.IMPORT_ALERT
            and e["closed_on"] is None
            and e["status"].casefold() not in CLOSED_ALERT_STATUSES
        )
        if rule:
            points, label = rule
            w = 1.0 if open_alert else weight(when, today)
            if w > 0:
                penalties[label].append(points * w)
        if _within(when, today, HORIZON_YEARS):
            counts[K(kind).label] += 1
        if kind == K.INSPECTION and cls == C.OAI and _within(when, today, 5):
            flags.append("OAI inspection within 5 years")
        if kind == K.WARNING_LETTER and _within(when, today, 5):
            flags.append("Warning letter within 5 years")
        if kind == K.RECALL and cls == C.CLASS_1 and _within(when, today, 3):
            flags.append("Class I recall within 3 years")
        if open_alert:
            flags.append("Open import alert")
        if kind == K.NON_COMPLIANCE and _within(when, today, 5):
            flags.append("GMP non-compliance statement within 5 years")
    breakdown = [("Starting score", 100.0)]
    for label, values in sorted(penalties.items(), key=lambda item: -sum(item[1])):
        breakdown.append((f"{label} ×{len(values)}", -round(sum(values), 1)))
    if dated_later:
        breakdown.append((f"Dated after today, not counted ×{dated_later}", 0.0))
    total = sum(points for _, points in breakdown)
    fda_inspections = [
        e for e in distinct if e["kind"] == K.INSPECTION and e["agency"] == Agency.FDA
    ]
    last = max(fda_inspections, key=lambda e: e["event_date"], default=None)
    letters = [e for e in distinct if e["kind"] == K.WARNING_LETTER]
    latest_letter = max(letters, key=lambda e: e["event_date"], default=None)
    return ComplianceSummary(
        signal=max(0, round(total)),
        flags=tuple(dict.fromkeys(flags)),
        breakdown=tuple(breakdown),
        event_count=len(events),
        last_fda_inspection=(
            (last["event_date"], SHORT_CLASS.get(last["classification"], "unclassified"))
            if last
            else None
        ),
        latest_warning_letter=latest_letter["event_date"] if latest_letter else None,
        open_warning_letter=bool(
            latest_letter
            and latest_letter["closed_on"] is None
            and _within(latest_letter["event_date"], today, HORIZON_YEARS)
        ),
        counts_5y=tuple(sorted(counts.items())),
    )


def _group(rows: Iterable[dict], key: str) -> dict[int, list[dict]]:
    grouped: dict[int, list[dict]] = defaultdict(list)
    for row in rows:
        grouped[row[key]].append(row)
    return grouped


def _site_events(sites: QuerySet) -> list[dict]:
    """The events of these sites, in one query, each once per site it belongs to: the site's
    own, and those of the site's registry establishment (linked by FEI), however they arrived.
    Each row's `site_id` is its site, `cmo_id` that site's CMO."""
    chosen = sites.order_by()
    linked = Site.objects.filter(fei_number=OuterRef("establishment__fei")).order_by()
    events = (
        RegulatoryEvent.objects.filter(
            Q(site__in=chosen.values("pk"))
            | Q(establishment__fei__in=chosen.exclude(fei_number="").values("fei_number"))
        )
        .annotate(
            linked_site=Subquery(linked.values("pk")[:1]),
            linked_cmo=Subquery(linked.values("cmo_id")[:1]),
        )
        .values("pk", "site_id", "site__cmo_id", "linked_site", "linked_cmo", *FIELDS)
    )
    rows = []
    for event in events:
        subjects = {(event["site_id"], event["site__cmo_id"])}
        if event["linked_site"]:
            subjects.add((event["linked_site"], event["linked_cmo"]))
        for site_id, cmo_id in subjects:
            if site_id is not None:
                rows.append({**event, "site_id": site_id, "cmo_id": cmo_id})
    return rows


def events_for_sites(site_ids: Iterable[int]) -> list[dict]:
    """The regulatory events of these sites as rows (one per event and site), in one query."""
    return _site_events(Site.objects.filter(pk__in=list(site_ids)))


def compliance_for_sites(site_ids, *, today: date | None = None) -> dict[int, ComplianceSummary]:
    """Each site's summary (with its establishment's events), in one query."""
    today = today or timezone.localdate()
    ids = list(site_ids)
    grouped = _group(_site_events(Site.objects.filter(pk__in=ids)), "site_id")
    return {site_id: summarise(grouped.get(site_id, []), today) for site_id in ids}


def compliance_for_cmos(cmo_ids, *, today: date | None = None) -> dict[int, ComplianceSummary]:
    """Each CMO's summary over all its sites, in one query."""
    today = today or timezone.localdate()
    ids = list(cmo_ids)
    grouped = _group(_site_events(Site.objects.filter(cmo_id__in=ids)), "cmo_id")
    return {cmo_id: summarise(grouped.get(cmo_id, []), today) for cmo_id in ids}


def compliance_for_establishments(
    establishment_ids, *, today: date | None = None
) -> dict[int, ComplianceSummary]:
    """Each registry entry's summary, over the events attached to it, in one query."""
    today = today or timezone.localdate()
    ids = list(establishment_ids)
    rows = RegulatoryEvent.objects.filter(establishment_id__in=ids).values(
        "pk", "establishment_id", *FIELDS
    )
    # Deduplication keys events on `site_id`: here the establishment is the subject.
    grouped = _group(({**row, "site_id": row["establishment_id"]} for row in rows), "site_id")
    return {pk: summarise(grouped.get(pk, []), today) for pk in ids}


RECENT_FLAGS = frozenset({"OAI inspection within 5 years", "Warning letter within 5 years"})


def establishments_refresh_signal(queryset, *, today: date | None = None) -> int:
    """Store the signal and the recent OAI / warning letter flag of these registry entries,
    which the registry search filters on; returns how many changed."""
    today = today or timezone.localdate()
    changed = []
    for chunk in _chunks(list(queryset.values_list("pk", "signal", "recent_oai_or_warning"))):
        summaries = compliance_for_establishments([pk for pk, _, _ in chunk], today=today)
        for pk, signal, recent in chunk:
            summary = summaries[pk]
            now = (summary.signal, bool(RECENT_FLAGS & set(summary.flags)))
            if now != (signal, recent):
                changed.append(Establishment(pk=pk, signal=now[0], recent_oai_or_warning=now[1]))
    Establishment.objects.bulk_update(changed, ["signal", "recent_oai_or_warning"], batch_size=500)
    return len(changed)


def _chunks(items: list, size: int = 500):
    for start in range(0, len(items), size):
        yield items[start : start + size]
