"""The rows of the approved supplier list and the audit program as strings.

Each row shows a site with its CMO, badges, dates and links: rendered by the template engine,
its twenty-odd lookups over four models cost more than the page's queries (50 rows took about
20 ms against 8 ms of SQL). The markup of a row lives here, once for the page's links.
"""

from html import escape

from django.template.defaultfilters import linebreaksbr
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

from cmoselect.badges import due_badge, risk_badge, status_badge
from cmoselect.countries import country_name
from cmoselect.links import path_pattern


def _day(value) -> str:
    return value.isoformat() if value else ""


class QualificationRows:
    """The rows of one page of entries (`for_list()`), with its links reversed once."""

    def __init__(self):
        self.entry_url = path_pattern("qualification:detail", "pk")
        self.audit_url = path_pattern("audits:audit_detail", "pk")

    def _site(self, entry, detail: str) -> str:
        url = self.entry_url.format(pk=entry.pk)
        return (
            f'<td><a href="{url}">{escape(entry.site.name)}</a><br>'
            f'<small class="muted">{escape(entry.site.cmo.legal_name)} · {detail}</small></td>'
        )

    def _audit(self, entry) -> str:
        if not entry.audit_id:
            return ""
        url = self.audit_url.format(pk=entry.audit_id)
        return f'<a href="{url}">{escape(entry.audit.reference)}</a>'

    def asl(self, entry) -> SafeString:
        """A row of the approved supplier list."""
        status = status_badge(entry.status, entry.get_status_display())
        if entry.conditions:
            status += (
                f'<br><small class="muted">{escape(Truncator(entry.conditions).chars(80))}</small>'
            )
        risk = risk_badge(entry.risk_class, entry.get_risk_class_display())
        if entry.risk_override:
            risk += ' <small class="muted">(set by QA)</small>'
        scope = "".join(
            f'<span class="badge type">{escape(c.name)}</span> ' for c in entry.capabilities.all()
        )
        scope = scope or '<span class="muted">whole site</span>'
        if entry.products:
            scope += (
                f'<br><small class="muted">{linebreaksbr(entry.products, autoescape=True)}</small>'
            )
        approval = "—"
        if entry.audit_id:
            signed = f" · {escape(entry.signature.printed_name)}" if entry.signature else ""
            approval = (
                f'{self._audit(entry)}<br><small class="muted">{_day(entry.approved_on)}'
                f"{signed}</small>"
            )
        return mark_safe(
            self._site(entry, escape(country_name(entry.site.country)))
            + f"<td>{status}</td><td>{risk}</td><td>{due_badge(entry)}</td><td>{scope}</td>"
            + f'<td class="wide-only">{approval}</td>'
        )

    def program(self, entry, *, plan_url: str | None) -> SafeString:
        """A row of the audit program; `plan_url` prefills the audit form (`plan_audit_url`),
        None for someone who may not plan audits."""
        risk = risk_badge(entry.risk_class, entry.get_risk_class_display())
        if entry.cause_event_id:
            risk += '<br><small class="badge flag">for-cause audit proposed</small>'
        last = self._audit(entry)
        if entry.last_audit_end:
            last += f'<br><small class="muted">ended {_day(entry.last_audit_end)}</small>'
        if entry.planned_audit_id:
            url = self.audit_url.format(pk=entry.planned_audit_id)
            planned = (
                f'<a href="{url}">AUD-{entry.planned_audit_id:05d}</a><br>'
                f'<small class="muted">{_day(entry.planned_audit_start)}</small>'
            )
        elif plan_url:
            planned = (
                f'<a href="{escape(plan_url)}" aria-label="Plan audit of '
                f'{escape(entry.site.name)}">Plan audit</a>'
            )
        else:
            planned = '<span class="muted">none</span>'
        return mark_safe(
            self._site(entry, status_badge(entry.status, entry.get_status_display()))
            + f'<td>{risk}</td><td class="nowrap">{last}</td>'
            + f'<td class="nowrap">{due_badge(entry)}</td><td class="nowrap">{planned}</td>'
        )
