from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from cmoselect.forms import apply_service_errors, confirm_status_page
from cmoselect.htmx import is_htmx
from cmoselect.roles import Perm, check_perm, role_required
from contracts.access import get_contract_for, get_document_for
from contracts.filters import ContractFilter
from contracts.forms import (
    ContractForm,
    ContractStatusForm,
    DocumentForm,
    ItemsReasonForm,
    KpiItemFormSet,
    KpiMeasurementForm,
    MilestoneFormSet,
    ResponsibilityFormSet,
    ScopeItemFormSet,
)
from contracts.history import terms_history
from contracts.models import Contract, KpiMeasurement, Milestone, today
from contracts.services import (
    contract_change_status,
    contract_document_add,
    contract_items_save,
    contract_save,
    kpi_measurement_record,
)
from contracts.status import in_force
from vendors.models import Cmo

PAGE_SIZE = 25
SHOWN = 50  # rows per dashboard table; the full lists are a filter away
BY_NAME = ("cmo__legal_name", "contract_type", "title", "pk")  # ties, in the list's order


@role_required(Perm.VIEW)
def contract_list(request: HttpRequest) -> HttpResponse:
    queryset = Contract.objects.select_related("cmo", "owner")
    contract_filter = ContractFilter(request.GET, queryset=queryset)
    queryset = contract_filter.qs if contract_filter.is_valid() else queryset.none()
    if not request.GET.get("ordering"):
        queryset = queryset.order_by("cmo__legal_name", "contract_type", "title")
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    sort_query = query.copy()
    sort_query.pop("ordering", None)
    context = {
        "filter": contract_filter,
        "page": page,
        "query": query.urlencode(),
        "sort_query": sort_query.urlencode(),
        "ordering": request.GET.get("ordering", ""),
    }
    template = "contracts/contract_list.html"
    if is_htmx(request):
        template += "#results"
    return render(request, template, context)


@role_required(Perm.VIEW)
def contract_dashboard(request: HttpRequest) -> HttpResponse:
    on = today()
    active = Contract.objects.filter(status=Contract.Status.ACTIVE).select_related("cmo", "owner")
    expiring = active.expiring_within(90, on=on).order_by("expiry_date")
    # The notice deadline is computed, filtered, counted and ordered in the database.
    window = active.notice_window_open(on=on)
    notices = window.filter(notice_due__gte=on).order_by("notice_due", *BY_NAME)
    # Most recently missed first: the ones where something can still be negotiated.
    missed = window.filter(notice_due__lt=on).order_by("-notice_due", *BY_NAME)
    notice_counts = window.aggregate(
        upcoming=Count("pk", filter=Q(notice_due__gte=on)),
        missed=Count("pk", filter=Q(notice_due__lt=on)),
    )
    late = (
        Milestone.objects.late(on=on)
        .filter(contract__status__in=[Contract.Status.ACTIVE, Contract.Status.NEGOTIATION])
        .select_related("contract__cmo")
        .order_by("planned_date")
    )
    # In SQL: the approved CMOs can be thousands, and the page shows the first of them.
    without_qa = (
        Cmo.objects.approved()
        .exclude(Exists(in_force(on=on).filter(cmo=OuterRef("pk"))))
        .order_by("legal_name")
        .values_list("pk", "legal_name")
    )
    counts = dict.fromkeys(Contract.Status.values, 0)
    counts.update(
        Contract.objects.order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return render(
        request,
        "contracts/dashboard.html",
        {
            "today": on,
            "expiring": expiring[:SHOWN],
            "expiring_count": expiring.count(),
            "notices": notices[:SHOWN],
            "notice_count": notice_counts["upcoming"],
            "missed_notices": missed[:SHOWN],
            "missed_count": notice_counts["missed"],
            "late_milestones": late[:SHOWN],
            "late_count": late.count(),
            "without_qa": without_qa[:SHOWN],
            "without_qa_count": without_qa.count(),
            "status_counts": [(Contract.Status(k), v) for k, v in counts.items()],
        },
    )


@role_required(Perm.VIEW)
def contract_detail(request: HttpRequest, contract_id: int) -> HttpResponse:
    contract = get_contract_for(request.user, contract_id)
    return render(
        request,
        "contracts/contract_detail.html",
        {
            "contract": contract,
            "cmo": contract.cmo,
            "sites": contract.sites.order_by("name"),
            "children": contract.children.order_by("contract_type", "title"),
            "scope_items": contract.scope_items.select_related("capability", "site"),
            "responsibilities": contract.responsibilities.all(),
            "milestones": contract.milestones.all(),
            "kpis": contract.kpis.all(),
            "kpi_results": KpiMeasurement.objects.filter(kpi__contract=contract)
            .select_related("kpi", "recorded_by")
            .order_by("-period_start", "kpi_id"),
            "kpi_result_form": KpiMeasurementForm(contract=contract),
            "documents": contract.documents.select_related("uploaded_by"),
            "amendments": contract.amendments.order_by("-number"),
            "versions": contract.amendments.applied().order_by("applied_at", "number"),
            "history": terms_history(contract),
            "status_form": ContractStatusForm(allowed=contract.allowed_statuses()),
            "document_form": DocumentForm(),
            "today": today(),
        },
    )


def _form_initial(request: HttpRequest) -> dict:
    initial = {"owner": request.user.pk, "currency": "EUR"}
    initial.update({key: value for key, value in request.GET.items() if value})
    return initial


@role_required(Perm.EDIT_CONTRACTS)
def contract_create(request: HttpRequest) -> HttpResponse:
    form = ContractForm(request.POST or None, initial=_form_initial(request))
    if request.method == "POST" and form.is_valid():
        try:
            contract = contract_save(
                contract=form.save(commit=False), user=request.user, save_m2m=form.save_m2m
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"{contract} was recorded.")
            return redirect(contract)
    template = "contracts/contract_form.html"
    if is_htmx(request):
        # Choosing a CMO refreshes only its agreements and sites, so nothing typed is lost.
        template += "#cmo-terms"
    return render(request, template, {"form": form})


@role_required(Perm.EDIT_CONTRACTS)
def contract_edit(request: HttpRequest, contract_id: int) -> HttpResponse:
    contract = get_contract_for(request.user, contract_id, write=True)
    form = ContractForm(request.POST or None, instance=contract)
    if request.method == "POST" and form.is_valid():
        try:
            contract_save(
                contract=form.save(commit=False),
                user=request.user,
                reason=form.cleaned_data["change_reason"],
                save_m2m=form.save_m2m,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, "Changes saved.")
            return redirect(contract)
    return render(request, "contracts/contract_form.html", {"form": form, "contract": contract})


@require_POST
@role_required(Perm.EDIT_CONTRACTS)
def contract_status(request: HttpRequest, contract_id: int) -> HttpResponse:
    contract = get_contract_for(request.user, contract_id, write=True)
    form = ContractStatusForm(request.POST, allowed=contract.allowed_statuses())
    if not form.is_valid() and (page := confirm_status_page(request, form, contract)):
        return page
    if form.is_valid():
        try:
            contract_change_status(contract=contract, user=request.user, **form.cleaned_data)
        except ValidationError as error:
            for errors in error.message_dict.values():
                for message in errors:
                    messages.error(request, message)
        else:
            messages.success(request, "Contract status changed.")
    else:
        for field_name, errors in form.errors.items():
            for message in errors:
                messages.error(request, f"{form[field_name].label}: {message}")
    return redirect(contract)


# Each editable table of terms: formset, page title, the anchor on the detail page.
TABLES = {
    "scope": (ScopeItemFormSet, "Scope of work", "scope"),
    "milestones": (MilestoneFormSet, "Milestones", "milestones"),
    "kpis": (KpiItemFormSet, "Service levels (KPIs)", "kpis"),
    "matrix": (ResponsibilityFormSet, "Quality responsibility matrix", "matrix"),
}


def _edit_table(request: HttpRequest, contract: Contract, table: str) -> HttpResponse:
    formset_class, title, anchor = TABLES[table]
    formset = formset_class(request.POST or None, instance=contract, prefix=table)
    reason_form = ItemsReasonForm(request.POST or None)
    if request.method == "POST" and formset.is_valid() and reason_form.is_valid():
        saved = formset.save(commit=False)
        try:
            contract_items_save(
                contract=contract,
                saved=saved,
                deleted=formset.deleted_objects,
                user=request.user,
                reason=reason_form.cleaned_data["change_reason"],
            )
        except ValidationError as error:
            apply_service_errors(reason_form, error)
        else:
            messages.success(request, f"{title} saved.")
            return redirect(f"{contract.get_absolute_url()}#{anchor}")
    return render(
        request,
        "contracts/edit_table.html",
        {
            "contract": contract,
            "formset": formset,
            "reason_form": reason_form,
            "title": title,
            "anchor": anchor,
        },
    )


@role_required(Perm.EDIT_CONTRACTS)
def contract_scope(request: HttpRequest, contract_id: int) -> HttpResponse:
    contract = get_contract_for(request.user, contract_id, write=True)
    return _edit_table(request, contract, "scope")


@role_required(Perm.EDIT_CONTRACTS)
def contract_milestones(request: HttpRequest, contract_id: int) -> HttpResponse:
    contract = get_contract_for(request.user, contract_id, write=True)
    return _edit_table(request, contract, "milestones")


@role_required(Perm.EDIT_CONTRACTS)
def contract_kpis(request: HttpRequest, contract_id: int) -> HttpResponse:
    contract = get_contract_for(request.user, contract_id, write=True)
    return _edit_table(request, contract, "kpis")


@role_required(Perm.EDIT_CONTRACTS)
def kpi_result_create(request: HttpRequest, contract_id: int) -> HttpResponse:
    contract = get_contract_for(request.user, contract_id, write=True)
    form = KpiMeasurementForm(request.POST or None, contract=contract)
    if request.method == "POST" and form.is_valid():
        try:
            result = kpi_measurement_record(measurement=form.save(commit=False), user=request.user)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"Result recorded: {result}.")
            return redirect(f"{contract.get_absolute_url()}#kpis")
    return render(request, "contracts/kpi_result_form.html", {"contract": contract, "form": form})


@role_required(Perm.EDIT_QUALITY_MATRIX)
def contract_matrix(request: HttpRequest, contract_id: int) -> HttpResponse:
    check_perm(request.user, Perm.EDIT_QUALITY_MATRIX)
    contract = get_contract_for(request.user, contract_id)
    if not contract.is_quality_agreement:
        raise Http404("Only a quality agreement has a responsibility matrix.")
    return _edit_table(request, contract, "matrix")


@require_POST
@role_required(Perm.EDIT_CONTRACTS)
def document_upload(request: HttpRequest, contract_id: int) -> HttpResponse:
    contract = get_contract_for(request.user, contract_id, write=True)
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            document = contract_document_add(
                contract=contract,
                upload=form.cleaned_data["file"],
                kind=form.cleaned_data["kind"],
                title=form.cleaned_data["title"],
                user=request.user,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"{document.filename} uploaded.")
            return redirect(f"{contract.get_absolute_url()}#documents")
    for field_name, errors in form.errors.items():
        label = form[field_name].label if field_name in form.fields else "Document"
        for message in errors:
            messages.error(request, f"{label}: {message}")
    return redirect(f"{contract.get_absolute_url()}#documents")


@role_required(Perm.VIEW)
def document_download(request: HttpRequest, contractdocument_id: int) -> FileResponse:
    document = get_document_for(request.user, contractdocument_id)
    try:
        handle = document.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is missing from storage.") from None
    return FileResponse(handle, as_attachment=True, filename=document.filename)
