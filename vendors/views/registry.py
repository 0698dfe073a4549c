"""The FDA registry: search every establishment, see its history, add it to the directory."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import OuterRef, Subquery
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from cmoselect.countries import countries_in, country_options
from cmoselect.forms import apply_service_errors
from cmoselect.history import history_rows
from cmoselect.htmx import is_htmx
from cmoselect.roles import Perm, has_perm, role_required
from cmoselect.widgets import QuickSelect
from vendors.access import get_establishment_for
from vendors.compliance import compliance_for_establishments
from vendors.filters import EstablishmentFilter
from vendors.forms import AddToDirectoryForm
from vendors.models import Establishment, Site
from vendors.registry import establishments_add_to_directory
from vendors.views.directory import PAGE_SIZES, TIMELINE_LENGTH
from vendors.views.registry_rows import RegistryRows

__all__ = ["registry_search", "establishment_detail", "registry_add", "registry_firm"]
# How many of a firm's other establishments its establishment's page lists.
FIRM_PREVIEW = 10
PER_PAGE = {str(size) for size in PAGE_SIZES}


def _results(
    request: HttpRequest, params: QueryDict, *, chosen: frozenset[str] = frozenset()
) -> dict:
    """The search's filters and a page of its results; `chosen`: the establishments ticked."""
    queryset = Establishment.objects.with_directory().order_by("firm_name", "fei")
    found = EstablishmentFilter(params, queryset=queryset)
    found.form.label_suffix = ""
    queryset = found.qs if found.is_valid() else queryset.none()
    per_page = int(params["per_page"]) if params.get("per_page") in PER_PAGE else PAGE_SIZES[0]
    page = Paginator(queryset, per_page).get_page(params.get("page"))
    query = params.copy()
    query.pop("page", None)
    countries = [("", "Any"), *country_options(countries_in(Establishment))]
    cells = RegistryRows(can_add=has_perm(request.user, Perm.EDIT_DIRECTORY), chosen=chosen)
    return {
        "country_select": QuickSelect(choices=countries).render(
            "country", params.get("country", ""), {"id": "id_country"}
        ),
        "filter": found,
        "page": page,
        "rows": [cells.row(e) for e in page.object_list],
        "query": query.urlencode(),
        "per_page": per_page,
        "page_sizes": PAGE_SIZES,
    }


@role_required(Perm.VIEW)
def registry_search(request: HttpRequest) -> HttpResponse:
    context = _results(request, request.GET)
    context["add_form"] = AddToDirectoryForm()
    template = "vendors/registry.html#results" if is_htmx(request) else "vendors/registry.html"
    return render(request, template, context)


@role_required(Perm.VIEW)
def establishment_detail(request: HttpRequest, establishment_id: int) -> HttpResponse:
    establishment = get_establishment_for(request.user, establishment_id)
    return render(
        request,
        "vendors/establishment_detail.html",
        {
            "establishment": establishment,
            "site": Site.objects.select_related("cmo").filter(fei_number=establishment.fei).first(),
            "compliance": compliance_for_establishments([establishment.pk])[establishment.pk],
            "events": establishment.regulatory_events.timeline().select_related("site")[
                :TIMELINE_LENGTH
            ],
            "history": history_rows(establishment.history.all()),
            "add_form": AddToDirectoryForm(initial={"establishments": [establishment.pk]}),
            "firm": list(
                _with_sites(establishment.firm().exclude(pk=establishment.pk))[:FIRM_PREVIEW]
            ),
        },
    )


def _with_sites(queryset):
    """Each establishment with its directory site's id and name (None if not in it)."""
    site = Site.objects.filter(fei_number=OuterRef("fei"))
    return queryset.annotate(
        site_id=Subquery(site.values("pk")[:1]), site_name=Subquery(site.values("name")[:1])
    ).order_by("firm_name", "fei")


@role_required(Perm.VIEW)
def registry_firm(request: HttpRequest) -> HttpResponse:
    """A firm: the establishments one registrant registered, found by its DUNS or its name."""
    duns, name = request.GET.get("duns", "").strip(), request.GET.get("name", "").strip()
    found = _with_sites(Establishment.objects.of_firm(duns=duns, name=name))
    page = Paginator(found, PAGE_SIZES[1]).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "vendors/registry_firm.html",
        {"name": name, "duns": duns, "page": page, "query": query.urlencode()},
    )


@require_POST
@role_required(Perm.VIEW, write=Perm.EDIT_DIRECTORY)
def registry_add(request: HttpRequest) -> HttpResponse:
    # The search the person was looking at, to come back to (or show again with the errors).
    params = QueryDict(request.POST.get("search", ""))
    form = AddToDirectoryForm(request.POST)
    if form.is_valid():
        try:
            sites = establishments_add_to_directory(
                establishments=list(form.cleaned_data["establishments"]),
                user=request.user,
                reason=form.cleaned_data["reason"],
                cmo=form.cleaned_data["cmo"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            names = "; ".join(site.name for site in sites)
            messages.success(request, f"In the directory: {names}.")
            if len(sites) == 1:
                return redirect(sites[0])
            return redirect(f"{reverse('vendors:registry')}?{params.urlencode()}")
    chosen = frozenset(str(pk) for pk in request.POST.getlist("establishments"))
    context = _results(request, params, chosen=chosen)
    context["add_form"] = form
    return render(request, "vendors/registry.html", context, status=400)
