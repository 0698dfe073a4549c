"""The markup of the small badges pages show per row: status, risk class, due date.

Strings rather than included templates: a list page draws two or three per row, and an include
costs a context push and a template lookup each time. Templates use them through the `ui` tags;
rows written in Python (`qualification.rows`) call them directly. Arguments are escaped here.
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
