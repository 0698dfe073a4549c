"""The capability matrix's cells as strings.

A page of the matrix has 50 rows of some 50 cells: rendered by the template engine, each cell's
tags and lookups cost more than the page's queries. The markup of a cell lives here once, for the
page and for the cell an editor swaps in after a change.
"""

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from cmoselect.links import path_pattern

LETTER = {1: "C", 2: "D", 3: "V"}
WORDS = {1: "claimed", 2: "demonstrated", 3: "verified by audit"}

# A CMO's cell names no site and links nowhere: one string per level.
CMO_CELL = {
    level: f'<td class="lvl lvl-{level or 0}">{LETTER.get(level, "")}</td>'
    for level in (None, 1, 2, 3)
}


class MatrixCells:
    """Cells of one page: the capabilities' names are escaped once, the cell URL built once."""

    def __init__(self, capabilities, *, editable: bool):
        self.capabilities = [(c.pk, escape(c.name)) for c in capabilities]
        self.editable = editable
        self.url = path_pattern("vendors:matrix_cell", "site", "capability") if editable else ""

    def cmo_row(self, levels) -> SafeString:
        return mark_safe("".join(CMO_CELL[level] for level in levels))

    def site_row(self, site, levels) -> SafeString:
        site_name = escape(site.name)
        return mark_safe(
            "".join(
                self._site_cell(site.pk, site_name, capability, level)
                for capability, level in zip(self.capabilities, levels, strict=True)
            )
        )

    def site_cell(self, site, level) -> SafeString:
        return mark_safe(self._site_cell(site.pk, escape(site.name), self.capabilities[0], level))

    def _site_cell(self, site_id: int, site_name: str, capability, level) -> str:
        capability_id, name = capability
        letter = LETTER.get(level, "")
        title = f"{name}: {WORDS[level]}" if level else name
        if not self.editable:
            return f'<td id="cell-{site_id}-{capability_id}" class="lvl lvl-{level or 0}" title="{title}">{letter}</td>'
        url = self.url.format(site=site_id, capability=capability_id)
        said = f"{letter} {WORDS[level]}" if level else "None"
        return (
            f'<td id="cell-{site_id}-{capability_id}" class="lvl lvl-{level or 0} editable" '
            f'title="{title}"><button type="button" class="cell-edit" hx-get="{url}?edit=1" '
            f'hx-target="closest td" hx-swap="outerHTML" '
            f'aria-label="{said}: change {name} at {site_name}">{letter}</button></td>'
        )
