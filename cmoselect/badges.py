"""The markup of the small badges pages show per row: status, risk class, due date,
registration.

Strings rather than included templates: a list page draws two or three per row, and an include
costs a context push and a template lookup each time. Templates use them through the `ui` tags;
rows written in Python (`qualification.rows`, `vendors.views.registry_rows`) call them
directly. Arguments are escaped here.
"""

from html import escape

DUE_STATE = {
    "overdue": ' <span class="badge due-overdue">overdue</span>',
    "soon": ' <span class="badge due-soon">due soon</span>',
}


def status_badge(status: str, label: str) -> str:
    return f'<span class="badge status-{escape(str(status))}">{escape(str(label))}</span>'


def risk_badge(risk: str, label: str) -> str:
    return f'<span class="badge risk-{escape(str(risk))}">{escape(str(label))} risk</span>'


def due_badge(entry) -> str:
    """A qualification's valid-until date, marked overdue or due soon; "not scheduled" without."""
    if not entry.valid_until:
        return '<span class="muted">not scheduled</span>'
    state = DUE_STATE.get(entry.due_state, "")
    return f'<span class="nowrap">{entry.valid_until.isoformat()}</span>{state}'


def registration_badge(establishment) -> str:
    """What the FDA's registration list says of an establishment: registered (until when), no
    longer listed by the latest DECRS import, or never seen in one (an entry made from a
    directory site or an inspection row)."""
    expires = establishment.registration_expires
    if establishment.registration_expired:
        return f'<span class="badge lower">registration expired</span> {expires.isoformat()}'
    if establishment.registered:
        return f"registered until {expires.isoformat()}" if expires else "registered"
    if establishment.last_seen_run_id:
        return '<span class="muted">no longer listed</span>'
    return '<span class="muted">not in a DECRS import</span>'


def signal_band(signal: int) -> str:
    """good (80 and up), fair (50 to 79) or poor: the colour of a compliance signal."""
    return "good" if signal >= 80 else "fair" if signal >= 50 else "poor"


def signal_badge(establishment) -> str:
    """A registry entry's compliance signal in its band's colour, flagged when an OAI inspection
    or a warning letter is under five years old; "—" when nothing is known of it."""
    signal = establishment.signal
    html = (
        '<span class="muted">—</span>'
        if signal is None
        else f'<span class="signal-{signal_band(signal)}">{signal}</span>'
    )
    if establishment.recent_oai_or_warning:
        html += '<br><span class="badge flag">OAI / WL within 5 years</span>'
    return html
