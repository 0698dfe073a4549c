"""The QA gate on qualification: what a site needs before a sign-off may approve it.

A site may be approved only with an approved audit (not one approved with conditions) still
within the requalification interval (until the risk-based due date the caller passes for a site
on the approved supplier list, else REQUALIFICATION_MONTHS from its decision) and no open
critical or major finding from any of its audits. Without that, a sign-off may move it to conditionally approved
at most. The rule lives here so every sign-off, page and API reads it the same way.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from audits.models import Audit, Finding, Severity
from vendors.models import Site


@dataclass(frozen=True)
class SiteGate:
    """One site's standing at the gate: the conditions that keep it from Approved, if any."""

    site_id: int
    site_name: str
    url: str
    blockers: tuple[str, ...]

    @property
    def passes(self) -> bool:
        return not self.blockers


def requalification_cutoff(*, now: datetime | None = None) -> datetime:
    """The oldest decision time an approval may have and still qualify a site today."""
    return (now or timezone.now()) - relativedelta(months=settings.REQUALIFICATION_MONTHS)


def sites_gate(
    site_ids: Iterable[int],
    *,
    now: datetime | None = None,
    due_dates: Mapping[int, date | None] | None = None,
) -> list[SiteGate]:
    """Each site's standing at the QA gate, by site name (three queries, whatever the count).

    `due_dates` gives the risk-based requalification due date of the sites the approved
    supplier list holds (the qualification app reads them); those sites pass the interval
    test until that date, the others by REQUALIFICATION_MONTHS.
    """
    ids = list(site_ids)
    due_dates = due_dates or {}
    if not ids:
        return []
    cutoff = requalification_cutoff(now=now)
    latest: dict[int, tuple[int, datetime]] = {}
    approved = (
        Audit.objects.filter(site_id__in=ids, status=Audit.Status.APPROVED)
        .order_by("site_id", "-decided_at", "-pk")
        .values_list("site_id", "pk", "decided_at")
    )
    for site_id, audit_id, decided_at in approved:
        latest.setdefault(site_id, (audit_id, decided_at))
    open_findings: dict[int, list[str]] = defaultdict(list)
    findings = (
        Finding.objects.open()
        .filter(audit__site_id__in=ids, severity__in=(Severity.CRITICAL, Severity.MAJOR))
        .order_by("audit_id", "number")
        .values_list("audit__site_id", "audit_id", "number", "severity")
    )
    for site_id, audit_id, number, severity in findings:
        reference = f"AUD-{audit_id:05d} F{number:02d}"
        open_findings[site_id].append(
            f"open {Severity(severity).label.lower()} finding {reference}"
        )
    months = settings.REQUALIFICATION_MONTHS
    gates = []
    for site_id, name in Site.objects.filter(pk__in=ids).order_by("name").values_list("pk", "name"):
        blockers = []
        audit = latest.get(site_id)
        if audit is None:
            blockers.append("no approved audit")
        elif site_id in due_dates:
            due = due_dates[site_id]
            if due is None or due < (now or timezone.now()).date():
                when = f"{due:%Y-%m-%d}" if due else "an unknown date"
                blockers.append(
                    f"its requalification was due on {when} (AUD-{audit[0]:05d} is its last "
                    "approved audit)"
                )
        elif audit[1] is None or audit[1] < cutoff:
            when = f"{audit[1]:%Y-%m-%d}" if audit[1] else "an unknown date"
            blockers.append(
                f"its last approved audit, AUD-{audit[0]:05d} ({when}), is older than the "
                f"{months}-month requalification interval"
            )
        blockers.extend(open_findings.get(site_id, []))
        url = reverse("vendors:site_detail", args=[site_id])
        gates.append(SiteGate(site_id, name, url, tuple(blockers)))
    return gates


def gate_refusal(gates: Iterable[SiteGate]) -> list[str]:
    """Why Approved is refused, one sentence per blocked site; empty when every site passes."""
    return [
        f"Site {gate.site_name} cannot be approved: {'; '.join(gate.blockers)}. "
        "Conditionally approved is the most this sign-off can give."
        for gate in gates
        if gate.blockers
    ]
