"""Cards the vendors app's pages show about audits, without vendors importing audits.

The site and CMO pages load these tags; the queries live here, beside the audit models.
"""

from django import template
from django.db.models import Prefetch, QuerySet

from audits.models import Audit, AuditReport
from audits.outcomes import Outcome

register = template.Library()

# The audits a card lists; the audit list (filtered by the site's name) has the rest.
CARD_LENGTH = 50
# A site audited and approved before is due a requalification; one never approved, a qualification.
APPROVED = (Audit.Status.APPROVED, Audit.Status.CONDITIONALLY_APPROVED)


def audits_for_card(audits: QuerySet[Audit]) -> list[Audit]:
    """The newest audits with their lead auditor and latest ready report, in two queries."""
    ready = AuditReport.objects.filter(status=AuditReport.Status.READY).exclude(file="")
    rows = list(
        audits.select_related("site", "lead_auditor")
        .prefetch_related(
            Prefetch("reports", queryset=ready.order_by("-pk"), to_attr="ready_reports")
        )
        .order_by("-planned_start", "-pk")[:CARD_LENGTH]
    )
    for audit in rows:
        audit.report = audit.ready_reports[0] if audit.ready_reports else None
        audit.outcome_label = Outcome.LABELS.get(audit.recommended_outcome, "")
    return rows


@register.inclusion_tag("audits/_site_audits_card.html", takes_context=True)
def site_audits_card(context, site) -> dict:
    """The site page's card: its audits, and "Plan an audit" for those who may."""
    audits = audits_for_card(Audit.objects.filter(site=site))
    approved = any(a.status in APPROVED for a in audits)
    return {
        "site": site,
        "audits": audits,
        "plan_type": Audit.Type.REQUALIFICATION if approved else Audit.Type.QUALIFICATION,
        "show_site": False,
        "search": site.name,
        "card_length": CARD_LENGTH,
        "can": context.get("can"),
    }


@register.inclusion_tag("audits/_site_audits_card.html", takes_context=True)
def cmo_audits_card(context, cmo) -> dict:
    """The CMO page's card: the audits of all its sites."""
    audits = audits_for_card(Audit.objects.filter(site__cmo=cmo))
    return {
        "cmo": cmo,
        "audits": audits,
        "sites": context.get("sites", []),
        "audited_site_ids": {a.site_id for a in audits if a.status in APPROVED},
        "show_site": True,
        "search": cmo.legal_name,
        "card_length": CARD_LENGTH,
        "can": context.get("can"),
    }
