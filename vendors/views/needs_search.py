"""The needs search page: a short list of need rows, the rule, and the CMOs that match."""

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from cmoselect.forms import apply_service_errors
from cmoselect.links import path_pattern
from cmoselect.roles import Perm, role_required
from vendors.capabilities import NeedsMatch, NeedsRule, needs_search, registry_needs_search
from vendors.forms import AddToDirectoryForm
from vendors.models import Capability, CapabilityLevel
from vendors.registry import establishments_add_to_directory

__all__ = ["needs"]

NEEDS_SHOWN = 20  # CMOs a search lists first, best first; "Show more" lists as many again
MAX_SHOWN = 500  # at most, however often "Show more" is pressed
REGISTRY_SHOWN = 50  # establishments the registry search lists
DEFAULT_LEVEL = CapabilityLevel.DEMONSTRATED  # as an evaluation's need rows start
MAX_ROWS = 20  # need rows a search takes; a query asking for more is cut, the page stays small


@dataclass
class NeedRow:
    """One row of the form as the user left it, with what was wrong with it."""

    capability: int | None
    level: int
    error: str = ""


def _rows(query) -> list[NeedRow]:
    """The need rows of the query: `capability` and `level`, paired in order."""
    known = set(Capability.objects.values_list("pk", flat=True))
    capabilities = query.getlist("capability")[:MAX_ROWS]
    levels = query.getlist("level")
    rows = []
    for index, raw in enumerate(capabilities):
        level_raw = levels[index] if index < len(levels) else ""
        level = int(level_raw) if level_raw.isdigit() else 0
        row = NeedRow(capability=None, level=DEFAULT_LEVEL)
        if level in CapabilityLevel.values:
            row.level = level
        elif raw:
            row.error = "Choose claimed, demonstrated or verified by audit."
        if raw.isdigit() and int(raw) in known:
            row.capability = int(raw)
        elif raw:
            row.error = "Choose a capability from the list."
        rows.append(row)
    return rows


def _grouped_capabilities() -> list[tuple[str, list[Capability]]]:
    groups: dict[str, list[Capability]] = {}
    for capability in Capability.objects.all():
        groups.setdefault(capability.get_category_display(), []).append(capability)
    return list(groups.items())


# A site's cell in a match's table: its level's letter where it meets the need, the level named
# where it is lower, a dash where it does not have the capability. Built once per cell here
# rather than by template tags, as the capability matrix's cells are.
_LETTER = {1: "C", 2: "D", 3: "V"}
_ASKED = {1: "claimed", 2: "demonstrated", 3: "verified by audit"}
_NO_CELL = mark_safe('<td><span class="muted" aria-label="does not have it">–</span></td>')


def _cell(found: tuple[int, bool] | None) -> str:
    if found is None:
        return _NO_CELL
    level, meets = found
    if meets:
        return format_html(
            '<td><span class="lvl lvl-{}">{}</span><span class="sr-only"> meets it</span></td>',
            level,
            _LETTER.get(level, "?"),
        )
    return format_html('<td><span class="badge lower">lower: {}</span></td>', _ASKED[level])


def _site_table(match: NeedsMatch, asked: list[tuple[Capability, int]], links: dict) -> dict:
    """Which site covers which need: a column per site (with its link), a row per need (the
    capability, the level asked, and one cell per site, ready to print)."""
    columns = [(s.site, len(s.levels)) for s in match.sites]
    seen = {site.pk for site, _ in columns}
    cells: dict[tuple[int, int], tuple[int, bool]] = {}
    for meets, found in ((True, match.covered), (False, match.below)):
        for capability_id, entries in found.items():
            for site, level in entries:
                cells[site.pk, capability_id] = (level, meets)
                if site.pk not in seen:
                    seen.add(site.pk)
                    columns.append((site, 0))
    rows = [
        (
            capability,
            _ASKED.get(level, ""),
            mark_safe("".join(_cell(cells.get((site.pk, capability.pk))) for site, _ in columns)),
        )
        for capability, level in asked
    ]
    return {
        "columns": [(site, met, links["site"].format(site=site.pk)) for site, met in columns],
        "rows": rows,
        "cmo_url": links["cmo"].format(cmo=match.cmo.pk),
    }


@role_required(Perm.VIEW, write=Perm.EDIT_DIRECTORY)
def needs(request: HttpRequest) -> HttpResponse:
    """The search (GET); a POST adds establishments the registry found to the directory and
    comes back to the same search, where they now count among the directory's CMOs."""
    add_form = AddToDirectoryForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if add_form.is_valid():
            try:
                sites = establishments_add_to_directory(
                    establishments=list(add_form.cleaned_data["establishments"]),
                    user=request.user,
                    reason=add_form.cleaned_data["reason"],
                    cmo=add_form.cleaned_data["cmo"],
                )
            except ValidationError as error:
                apply_service_errors(add_form, error)
            else:
                names = "; ".join(site.name for site in sites)
                messages.success(
                    request,
                    f"In the directory: {names}. Their registered operations are claimed "
                    "capabilities: they meet needs asked at 'at least claimed' until shown more.",
                )
                return redirect(request.get_full_path())
        status = 400
    context = _search_context(request)
    context["add_form"] = add_form
    context["chosen"] = {str(pk) for pk in request.POST.getlist("establishments")}
    return render(request, "vendors/needs.html", context, status=status)


def _shown(raw: str) -> int:
    """How many CMOs to list: NEEDS_SHOWN, or more after "Show more" (at most MAX_SHOWN)."""
    asked = int(raw) if raw.isdigit() else NEEDS_SHOWN
    return min(max(asked, NEEDS_SHOWN), MAX_SHOWN)


def _with_query(request: HttpRequest, **changes) -> str:
    query = request.GET.copy()
    for name, value in changes.items():
        query[name] = str(value)
    return f"{request.path}?{query.urlencode()}"


def _search_context(request: HttpRequest) -> dict:
    rows = _rows(request.GET)
    # Without JavaScript, "Add a need" and "Remove" are submit buttons of the same form.
    remove = request.GET.get("remove", "")
    if remove.isdigit() and int(remove) < len(rows):
        del rows[int(remove)]
    rule = request.GET.get("rule")
    rule_error = ""
    if rule not in NeedsRule.values:
        rule_error = "Choose one of the two rules." if rule else ""
        rule = NeedsRule.ONE_SITE
    chosen = [(r.capability, r.level) for r in rows if r.capability and not r.error]
    if request.GET.get("add") or not rows:
        rows.append(NeedRow(capability=None, level=DEFAULT_LEVEL))
    shown = _shown(request.GET.get("shown", ""))
    result = needs_search(chosen, rule=rule, limit=shown) if chosen else None
    with_registry = request.GET.get("registry") == "1"
    # One reverse() per page for the match cards' links.
    links = {
        "site": path_pattern("vendors:site_detail", "site"),
        "cmo": path_pattern("vendors:cmo_detail", "cmo"),
    }
    registry = (
        registry_needs_search(chosen, limit=REGISTRY_SHOWN) if chosen and with_registry else None
    )
    cards = []  # (match, its table), best first; each card's ordinal is the anchor "Show more" opens
    for ordinal, match in enumerate([*result.full, *result.partial] if result else [], start=1):
        table = _site_table(match, result.needs, links)
        table["ordinal"] = ordinal
        cards.append((match, table))
    return {
        "rows": rows,
        "capability_groups": _grouped_capabilities(),
        "levels": CapabilityLevel.choices,
        "default_level": DEFAULT_LEVEL,
        "rules": NeedsRule.choices,
        "rule": rule,
        "rule_error": rule_error,
        "with_registry": with_registry,
        "result": result,
        "registry": registry,
        "registry_more": bool(registry)
        and len(registry.matches) < registry.full_count + registry.partial_count,
        "more": bool(result)
        and len(result.full) + len(result.partial) < result.full_count + result.partial_count,
        "shown": shown,
        "show_more_url": _with_query(request, shown=shown + NEEDS_SHOWN)
        if shown < MAX_SHOWN
        else "",
        "searched": "capability" in request.GET,
        "full": cards[: len(result.full)] if result else [],
        "partial": cards[len(result.full) :] if result else [],
        "next_ordinal": shown + 1,
        "shown_step": NEEDS_SHOWN,
        "registry_shown": REGISTRY_SHOWN,
    }
