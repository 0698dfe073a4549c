"""The rows of the FDA registry search as strings.

A page holds up to 100 establishments, each with its names, identifiers, signal, registration
and directory standing: rendered by the template engine, their lookups cost more than the
search's queries. The markup of a row lives here, with the page's link pattern built once.
"""

from html import escape

from django.utils.safestring import SafeString, mark_safe

from cmoselect.badges import registration_badge, signal_badge
from cmoselect.countries import country_name
from cmoselect.links import path_pattern


class RegistryRows:
    """`can_add`: a checkbox to choose each establishment not yet in the directory (`chosen`
    ticked, as the person left them when adding failed)."""

    def __init__(self, *, can_add: bool, chosen: frozenset[str] = frozenset()):
        self.can_add = can_add
        self.chosen = chosen
        self.url = path_pattern("vendors:establishment_detail", "pk")

    def row(self, e) -> SafeString:
        firm, fei = escape(e.firm_name), escape(e.fei)
        cells = []
        if self.can_add:
            box = ""
            if not e.in_directory:
                checked = " checked" if str(e.pk) in self.chosen else ""
                box = (
                    f'<input type="checkbox" name="establishments" value="{e.pk}" '
                    f'form="add-form" id="choose-{e.pk}" aria-label="Choose {firm} (FEI {fei})"'
                    f"{checked}>"
                )
            cells.append(f"<td>{box}</td>")
        names = f'<a href="{self.url.format(pk=e.pk)}">{firm}</a>'
        if e.registrant_name and e.registrant_name != e.firm_name:
            names += f'<br><small class="muted">{escape(e.registrant_name)}</small>'
        duns = f" · DUNS {escape(e.duns)}" if e.duns else ""
        names += f'\n          <br><small class="muted">{escape(e.city)}{duns}</small>'
        standing = (
            '<span class="badge">In the directory</span>'
            if e.in_directory
            else '<span class="muted">—</span>'
        )
        cells += [
            f"<td>{names}</td>",
            f"<td>{fei}</td>",
            f"<td>{escape(country_name(e.country)) or '—'}</td>",
            f"<td><small>{escape(e.operations) or '—'}</small></td>",
            f'<td class="num">{signal_badge(e)}</td>',
            f"<td>{registration_badge(e)}</td>",
            f"<td>{standing}</td>",
        ]
        return mark_safe("".join(cells))
