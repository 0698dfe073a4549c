from django import template

from qualification.checks import scope_gaps
from qualification.models import SiteQualification

register = template.Library()

CHANGES_SHOWN = 20  # the latest changes the site page lists


@register.simple_tag
def asl_scope_gaps(items) -> list[str]:
    """The scope lines' gaps against the approved supplier list (for the contract page)."""
    return scope_gaps(items)


@register.inclusion_tag("qualification/_notified_changes.html", takes_context=True)
def notified_changes_card(context, site) -> dict:
    """The site page's card: the changes the CMO notified, and which count in its risk class."""
    changes = list(site.notified_changes.all()[:CHANGES_SHOWN])
    # On the approved supplier list, the changes since the last approved audit weigh in the risk.
    entry = SiteQualification.objects.filter(site=site).values("last_audit_end").first()
    counted = set()
    if entry is not None:
        since = entry["last_audit_end"]
        counted = {c.pk for c in changes if since is None or c.notified_on > since}
    total = len(changes)
    if total == CHANGES_SHOWN:
        total = site.notified_changes.count()
    return {
        "site": site,
        "changes": changes,
        "counted": counted,
        "total": total,
        "more": total > len(changes),
        "can": context.get("can"),
    }
