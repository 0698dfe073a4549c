"""A site's risk class (high / medium / low) from documented factors, after ICH Q9(R1).

Every factor is one small function of the site's facts, listed in FACTORS; each gives points
(and a line of the breakdown) or nothing. The points add up to the class:

    high    8 points or more, or any factor that forces it (a serious event since the last audit)
    medium  4 to 7 points
    low     0 to 3 points

The facts of many sites are read together (`site_facts`, a fixed number of queries), so the
nightly reassessment of every site costs the same queries per chunk whatever its size. To add a
factor: give `SiteFacts` the field it needs, fill it in `site_facts`, write the function and
append it to FACTORS; the README's table of factors lists them all.
"""

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from django.db.models import Count
from django.utils import timezone

from audits.models import Audit, Capa, Finding, Severity
from qualification.models import NotifiedChange
from vendors.compliance import EMPTY, ComplianceSummary, compliance_for_sites, events_for_sites
from vendors.models import Certificate, Classification, EventKind, GmpStatus, SiteCapability

HIGH_AT = 8
MEDIUM_AT = 4

# What is outsourced, by capability code: sterile, biologic, highly potent and API work weighs
# most; other dosage-form manufacturing some; testing, packaging and labelling nothing.
CRITICAL_CODES = {
    "dosage-forms-sterile-liquid-vials": "sterile",
    "dosage-forms-prefilled-syringes": "sterile",
    "dosage-forms-lyophilized-products": "sterile",
    "technologies-isolator-aseptic-filling": "sterile",
    "services-sterilization": "sterile",
    "modalities-monoclonal-antibodies-and-recombinant-proteins": "biologics",
    "modalities-vaccines": "biologics",
    "modalities-cell-and-gene-therapy": "biologics",
    "technologies-single-use-bioreactors": "biologics",
    "modalities-highly-potent-api": "potent",
    "modalities-antibody-drug-conjugates": "potent",
    "technologies-high-containment-oeb-5": "potent",
    "modalities-small-molecule-api": "API",
    "modalities-peptides": "API",
    "modalities-oligonucleotides": "API",
    "modalities-radiopharmaceuticals": "API",
}
MANUFACTURING_CODES = {
    "services-commercial-manufacturing",
    "services-clinical-trial-material",
    "services-formulation-development",
    "dosage-forms-tablets",
    "dosage-forms-capsules",
    "dosage-forms-oral-liquids",
    "dosage-forms-topicals",
    "dosage-forms-inhalation",
    "dosage-forms-transdermal",
    "technologies-continuous-manufacturing",
    "technologies-spray-drying",
    "technologies-hot-melt-extrusion",
}
SERIOUS = "serious"


@dataclass(frozen=True)
class Contribution:
    """One line of the breakdown: a factor, its points and what was found."""

    factor: str
    points: int
    detail: str
    forces_high: bool = False


@dataclass
class SiteFacts:
    """What the factors read about one site."""

    site_id: int
    today: date
    compliance: ComplianceSummary = EMPTY
    scope_codes: set[str] = field(default_factory=set)
    scope_is_approved: bool = False  # the ASL scope, rather than what the site can do
    last_decision: tuple[str, date] | None = None  # (audit status, end) of the latest decision
    last_approved_end: date | None = None
    open_findings: Counter = field(default_factory=Counter)  # severity → count
    overdue_capas: int = 0
    recalls_3y: Counter = field(default_factory=Counter)  # classification → count
    # (event id, what it was, its date): OAI inspections, warning letters and class I recalls
    # dated after the end of the last approved audit, latest first.
    serious_events: list[tuple[int, str, date]] = field(default_factory=list)
    gmp_certificate: GmpStatus = GmpStatus.MISSING  # from the site's certificate register
    # Changes the CMO notified since the end of the last approved audit (every one, without an
    # approved audit): significance → count.
    notified_changes: Counter = field(default_factory=Counter)


@dataclass(frozen=True)
class RiskAssessment:
    site_id: int
    risk_class: str
    points: int
    contributions: tuple[Contribution, ...]
    cause_event_id: int | None
    cause: str
    cause_date: date | None = None
    last_approved_end: date | None = None

    @property
    def breakdown(self) -> tuple[Contribution, ...]:
        return tuple(c for c in self.contributions if c.points or c.forces_high)


# ---------------------------------------------------------------- the factors


def compliance_signal(facts: SiteFacts) -> Contribution | None:
    """The public record: a poor signal (below 50) 4 points, a fair one (50–79) 2, none 1."""
    signal = facts.compliance.signal
    if signal is None:
        return Contribution("Compliance signal", 1, "no regulatory data (no record is not clean)")
    if signal < 50:
        return Contribution("Compliance signal", 4, f"{signal}/100, poor")
    if signal < 80:
        return Contribution("Compliance signal", 2, f"{signal}/100, fair")
    return Contribution("Compliance signal", 0, f"{signal}/100, good")


def compliance_flags(facts: SiteFacts) -> Contribution | None:
    """1 point per flag of the record (the class I recall flag is counted under recalls)."""
    flags = [f for f in facts.compliance.flags if not f.startswith("Class I recall")]
    if not flags:
        return None
    return Contribution("Compliance flags", len(flags), "; ".join(flags))


def outsourced_activity(facts: SiteFacts) -> Contribution | None:
    """Sterile, biologics, potent or API work 4 points; other manufacturing 2; the rest 0."""
    where = "approved scope" if facts.scope_is_approved else "site capabilities"
    kinds = sorted({CRITICAL_CODES[c] for c in facts.scope_codes if c in CRITICAL_CODES})
    if kinds:
        return Contribution(
            "Criticality of the outsourced activity", 4, f"{', '.join(kinds)} ({where})"
        )
    if facts.scope_codes & MANUFACTURING_CODES:
        return Contribution("Criticality of the outsourced activity", 2, f"manufacturing ({where})")
    return Contribution(
        "Criticality of the outsourced activity", 0, f"testing, packaging or labelling ({where})"
    )


def last_audit(facts: SiteFacts) -> Contribution | None:
    """No approved audit 3; last decision rejected 4, with conditions 2; older than 2 years +1,
    than 3 years +2 (counted from the end of the last approved audit)."""
    if facts.last_approved_end is None:
        return Contribution("Last audit", 3, "no approved audit")
    points, parts = 0, []
    if facts.last_decision is not None:
        status, _ = facts.last_decision
        if status == Audit.Status.REJECTED:
            points, parts = 4, ["last audit rejected"]
        elif status == Audit.Status.CONDITIONALLY_APPROVED:
            points, parts = 2, ["last audit approved with conditions"]
        else:
            parts = ["last audit approved"]
    age = relativedelta(facts.today, facts.last_approved_end)
    months = age.years * 12 + age.months
    if months >= 36:
        points += 2
    elif months >= 24:
        points += 1
    parts.append(f"ended {facts.last_approved_end:%Y-%m-%d} ({months} months ago)")
    return Contribution("Last audit", points, ", ".join(parts))


def open_findings(facts: SiteFacts) -> Contribution | None:
    """Open findings: 4 points per critical one, 2 per major one (8 at most)."""
    critical = facts.open_findings[Severity.CRITICAL]
    major = facts.open_findings[Severity.MAJOR]
    if not critical and not major:
        return None
    points = min(8, 4 * critical + 2 * major)
    return Contribution(
        "Open critical and major findings", points, f"{critical} critical, {major} major"
    )


def overdue_capas(facts: SiteFacts) -> Contribution | None:
    """1 point per CAPA past its due date and not closed (3 at most)."""
    if not facts.overdue_capas:
        return None
    n = facts.overdue_capas
    return Contribution("Overdue CAPAs", min(3, n), f"{n} overdue CAPA{'s' if n != 1 else ''}")


def recalls(facts: SiteFacts) -> Contribution | None:
    """Recalls in the last three years: class I 3 points each, class II 1 (4 at most)."""
    class_1 = facts.recalls_3y[Classification.CLASS_1]
    class_2 = facts.recalls_3y[Classification.CLASS_2]
    if not class_1 and not class_2:
        return None
    points = min(4, 3 * class_1 + class_2)
    return Contribution(
        "Recalls in the last 3 years", points, f"{class_1} class I, {class_2} class II"
    )


def serious_event_since_audit(facts: SiteFacts) -> Contribution | None:
    """An OAI inspection, warning letter or class I recall after the last approved audit: 4
    points and the class is high, whatever the rest (a for-cause audit is proposed)."""
    if not facts.serious_events:
        return None
    _, what, when = facts.serious_events[0]
    more = len(facts.serious_events) - 1
    detail = f"{what} on {when:%Y-%m-%d}" + (f" and {more} more" if more else "")
    return Contribution("New serious event since the last audit", 4, detail, forces_high=True)


def gmp_certificate(facts: SiteFacts) -> Contribution | None:
    """The certificate register: every GMP certificate expired 3 points; none on file 1 (an
    FDA-only site may have none, so a missing one weighs less than a lapsed one)."""
    if facts.gmp_certificate == GmpStatus.EXPIRED:
        return Contribution("GMP certificate", 3, "expired, and no current one in force")
    if facts.gmp_certificate == GmpStatus.MISSING:
        return Contribution("GMP certificate", 1, "none in the certificate register")
    return Contribution("GMP certificate", 0, "a current one in force")


def notified_changes(facts: SiteFacts) -> Contribution | None:
    """Changes the CMO notified since the last approved audit: any major one 3 points, any
    minor ones 1 (the next approved audit covers them)."""
    major = facts.notified_changes[NotifiedChange.Significance.MAJOR]
    minor = facts.notified_changes[NotifiedChange.Significance.MINOR]
    if not major and not minor:
        return None
    since = "since the last audit" if facts.last_approved_end else "with no approved audit"
    return Contribution(
        "Changes the CMO notified",
        (3 if major else 0) + (1 if minor else 0),
        f"{major} major, {minor} minor {since}",
    )


Factor = Callable[[SiteFacts], Contribution | None]
FACTORS: list[Factor] = [
    compliance_signal,
    compliance_flags,
    outsourced_activity,
    last_audit,
    open_findings,
    overdue_capas,
    recalls,
    serious_event_since_audit,
    gmp_certificate,
    notified_changes,
]


def classify(points: int, *, forced_high: bool = False) -> str:
    if forced_high or points >= HIGH_AT:
        return "high"
    return "medium" if points >= MEDIUM_AT else "low"


def assess(facts: SiteFacts) -> RiskAssessment:
    """Apply every factor to one site's facts."""
    contributions = tuple(c for factor in FACTORS if (c := factor(facts)) is not None)
    points = sum(c.points for c in contributions)
    forced = any(c.forces_high for c in contributions)
    cause_id, cause, cause_date = None, "", None
    if facts.serious_events:
        cause_id, what, cause_date = facts.serious_events[0]
        cause = f"{what} on {cause_date:%Y-%m-%d}"
    return RiskAssessment(
        site_id=facts.site_id,
        risk_class=classify(points, forced_high=forced),
        points=points,
        contributions=contributions,
        cause_event_id=cause_id,
        cause=cause,
        cause_date=cause_date,
        last_approved_end=facts.last_approved_end,
    )


# ---------------------------------------------------------------- reading the facts


def _serious_label(kind: str, classification: str) -> str | None:
    if kind == EventKind.INSPECTION and classification == Classification.OAI:
        return "OAI inspection"
    if kind == EventKind.WARNING_LETTER:
        return "Warning letter"
    if kind == EventKind.RECALL and classification == Classification.CLASS_1:
        return "Class I recall"
    return None


def site_facts(
    site_ids: Iterable[int], *, scopes: dict[int, set[str]] | None = None, today: date | None = None
) -> dict[int, SiteFacts]:
    """The facts of these sites, in a fixed number of queries.

    `scopes` gives the capability codes a site is approved for (its ASL scope); a site without
    one is judged by what it can do (its capability cells).
    """
    today = today or timezone.localdate()
    ids = list(site_ids)
    facts = {pk: SiteFacts(site_id=pk, today=today) for pk in ids}
    if not ids:
        return facts
    scopes = scopes or {}
    for pk, summary in compliance_for_sites(ids, today=today).items():
        facts[pk].compliance = summary
    for pk, codes in scopes.items():
        if pk in facts and codes:
            facts[pk].scope_codes, facts[pk].scope_is_approved = set(codes), True
    unscoped = [pk for pk in ids if not facts[pk].scope_is_approved]
    cells = SiteCapability.objects.filter(site_id__in=unscoped).values_list(
        "site_id", "capability__code"
    )
    for pk, code in cells:
        facts[pk].scope_codes.add(code)
    decided = (
        Audit.objects.filter(site_id__in=ids, status__in=Audit.DECIDED_STATUSES)
        .order_by("site_id", "-decided_at", "-pk")
        .values_list("site_id", "status", "planned_end")
    )
    for pk, status, end in decided:
        fact = facts[pk]
        if fact.last_decision is None:
            fact.last_decision = (status, end)
        if status != Audit.Status.REJECTED and (
            fact.last_approved_end is None or end > fact.last_approved_end
        ):
            fact.last_approved_end = end
    findings = (
        Finding.objects.open()
        .filter(audit__site_id__in=ids, severity__in=(Severity.CRITICAL, Severity.MAJOR))
        .values_list("audit__site_id", "severity")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for pk, severity, n in findings:
        facts[pk].open_findings[severity] += n
    capas = (
        Capa.objects.overdue(today)
        .filter(finding__audit__site_id__in=ids)
        .values_list("finding__audit__site_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for pk, n in capas:
        facts[pk].overdue_capas = n
    for pk, status in Certificate.objects.gmp_status_by_site(ids, on=today).items():
        facts[pk].gmp_certificate = status
    changes = (
        NotifiedChange.objects.filter(site_id__in=ids, notified_on__lte=today)
        .values_list("site_id", "significance", "notified_on")
        .order_by()
    )
    for pk, significance, notified_on in changes:
        fact = facts[pk]
        if fact.last_approved_end is None or notified_on > fact.last_approved_end:
            fact.notified_changes[significance] += 1
    _event_facts(facts, today)
    return facts


def _event_facts(facts: dict[int, SiteFacts], today: date) -> None:
    three_years = today - timedelta(days=3 * 365)
    seen_recalls: dict[int, set] = defaultdict(set)
    serious: dict[int, list] = defaultdict(list)
    for row in events_for_sites(facts):
        fact = facts.get(row["site_id"])
        when = row["event_date"]
        if fact is None or when is None or when > today:
            continue
        kind, cls = row["kind"], row["classification"]
        if kind == EventKind.RECALL and when >= three_years:
            key = row["reference"] or row["pk"]  # a recall of several products counts once
            if key not in seen_recalls[fact.site_id]:
                seen_recalls[fact.site_id].add(key)
                fact.recalls_3y[cls] += 1
        label = _serious_label(kind, cls)
        if label and fact.last_approved_end is not None and when > fact.last_approved_end:
            serious[fact.site_id].append((row["pk"], label, when))
    for pk, events in serious.items():
        facts[pk].serious_events = sorted(events, key=lambda e: (e[2], e[0]), reverse=True)


def assess_sites(
    site_ids: Iterable[int], *, scopes: dict[int, set[str]] | None = None, today: date | None = None
) -> dict[int, RiskAssessment]:
    """The risk of each of these sites, read together."""
    return {pk: assess(f) for pk, f in site_facts(site_ids, scopes=scopes, today=today).items()}
