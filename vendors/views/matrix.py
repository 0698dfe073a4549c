import io

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Max, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from openpyxl import Workbook

from cmoselect.countries import country_name
from cmoselect.downloads import download
from cmoselect.forms import apply_service_errors
from cmoselect.htmx import is_htmx
from cmoselect.roles import Perm, has_perm, role_required
from cmoselect.spreadsheets import csv_text, xlsx_append
from vendors.access import get_capability_for, get_site_for
from vendors.forms import CapabilityCellForm, MatrixFilterForm
from vendors.models import Capability, CapabilityLevel, Cmo, Site, SiteCapability, normalize_fei
from vendors.services import site_capability_set
from vendors.views.matrix_cells import MatrixCells

__all__ = ["capability_matrix", "matrix_cell"]

MATRIX_PAGE_SIZE = 50


def _site_filter(data: dict) -> dict:
    """The filters that select sites: in the CMO view they also choose the sites a cell counts."""
    return {"country": data["country"]} if data.get("country") else {}


def _matrix_subjects(data: dict, sites: dict):
    """The rows of the matrix (CMOs or sites) that the filters select (`sites`: _site_filter)."""
    text = data.get("q", "").strip()
    if data.get("view") == "sites":
        rows = (
            Site.objects.current().select_related("cmo").order_by("cmo__legal_name", "name", "pk")
        )
        if text:
            condition = Q(name__icontains=text) | Q(cmo__legal_name__icontains=text)
            if text.isdigit():
                condition |= Q(fei_number=normalize_fei(text))
            rows = rows.filter(condition)
        if sites:
            rows = rows.filter(**sites)
        if data.get("status"):
            rows = rows.filter(qualification_status=data["status"])
        return rows
    rows = Cmo.objects.current().order_by("legal_name", "pk").search(text)
    if sites:
        rows = rows.filter(pk__in=Site.objects.filter(**sites).values("cmo_id"))
    if data.get("status"):
        rows = rows.filter(qualification_status=data["status"])
    return rows


def _grid(subjects, capabilities, *, by_site: bool, sites: dict) -> list[tuple]:
    """(subject, [level or None per capability]) with, for a CMO, the best level of its sites
    that pass the site filters (a CMO shown for its sites in India shows what they can do)."""
    ids = [s.pk for s in subjects]
    key = "site_id" if by_site else "site__cmo_id"
    cells = (
        SiteCapability.objects.filter(**{f"{key}__in": ids}, capability__in=capabilities)
        .filter(**{f"site__{name}": value for name, value in sites.items()})
        .values_list(key, "capability_id")
        .annotate(best=Max("level"))
        .order_by()
    )
    levels = {(row, cap): best for row, cap, best in cells}
    return [(s, [levels.get((s.pk, c.pk)) for c in capabilities]) for s in subjects]


@role_required(Perm.VIEW)
def capability_matrix(request: HttpRequest) -> HttpResponse:
    form = MatrixFilterForm(request.GET or None)
    data = {}
    if form.is_bound:
        form.is_valid()  # a bad value drops its own filter (its error shows beside it), not all
        data = form.cleaned_data
    by_site = data.get("view") == "sites"
    categories = data.get("category") or []
    capabilities = list(
        Capability.objects.filter(category__in=categories)
        if categories
        else Capability.objects.all()
    )
    sites = _site_filter(data)
    subjects = _matrix_subjects(data, sites)
    export = request.GET.get("as")
    if export in ("csv", "xlsx"):
        return _export(
            export,
            _grid(list(subjects), capabilities, by_site=by_site, sites=sites),
            capabilities,
            by_site,
        )
    page = Paginator(subjects, MATRIX_PAGE_SIZE).get_page(request.GET.get("page"))
    cells = MatrixCells(capabilities, editable=has_perm(request.user, Perm.EDIT_CAPABILITIES))
    grid = _grid(page.object_list, capabilities, by_site=by_site, sites=sites)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "by_site": by_site,
        "capabilities": capabilities,
        "page": page,
        "rows": [
            (subject, cells.site_row(subject, levels) if by_site else cells.cmo_row(levels))
            for subject, levels in grid
        ],
        "query": query.urlencode(),
        "levels": CapabilityLevel.choices,
        "country_name": country_name(sites["country"]) if sites else "",
    }
    template = "vendors/matrix.html"
    if is_htmx(request):
        template += "#filtered"
    return render(request, template, context)


def _export(kind: str, rows: list[tuple], capabilities: list, by_site: bool) -> HttpResponse:
    head = ["Site", "CMO", "FEI number", "Country", "FDA operations"] if by_site else ["CMO"]
    header = head + [c.name for c in capabilities]
    labels = dict(CapabilityLevel.choices)

    def lines():
        yield header
        for subject, levels in rows:
            if by_site:
                first = [
                    subject.name,
                    subject.cmo.legal_name,
                    subject.fei_number,
                    subject.country.code,
                    subject.fda_operations,
                ]
            else:
                first = [subject.legal_name]
            yield first + [labels.get(level, "") for level in levels]

    name = "capability-matrix-" + ("sites" if by_site else "cmos")
    if kind == "csv":
        return download(csv_text(lines()), filename=f"{name}.csv")
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Capability matrix")
    for line in lines():
        xlsx_append(sheet, line)
    buffer = io.BytesIO()
    book.save(buffer)
    return download(buffer.getvalue(), filename=f"{name}.xlsx")


@role_required(Perm.VIEW, write=Perm.EDIT_CAPABILITIES)
def matrix_cell(request: HttpRequest, site_id: int, capability_id: int) -> HttpResponse:
    site = get_site_for(request.user, site_id)
    capability = get_capability_for(request.user, capability_id)
    cell = SiteCapability.objects.filter(site=site, capability=capability).first()
    context = {"site": site, "cap": capability, "level": cell.level if cell else None}
    editing = has_perm(request.user, Perm.EDIT_CAPABILITIES) and request.GET.get("edit")
    form = CapabilityCellForm(
        request.POST or None,
        initial={"level": context["level"]},
        # Several cells can be open at once: each editor's fields get ids of their own.
        auto_id=f"id_cell_{site.pk}_{capability.pk}_%s",
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                cell = site_capability_set(
                    site=site,
                    capability=capability,
                    level=form.cleaned_data["level"],
                    user=request.user,
                    reason=form.cleaned_data["change_reason"],
                )
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                context["level"] = cell.level if cell else None
                return _cell(request, site, capability, context["level"])
        editing = True
    if editing:
        return render(request, "vendors/matrix.html#cell_form", {**context, "cell_form": form})
    return _cell(request, site, capability, context["level"])


def _cell(request: HttpRequest, site: Site, capability: Capability, level) -> HttpResponse:
    editable = has_perm(request.user, Perm.EDIT_CAPABILITIES)
    return HttpResponse(MatrixCells([capability], editable=editable).site_cell(site, level))
