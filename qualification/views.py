"""The approved supplier list, an entry's page, its edits, the audit program, and the changes
CMOs notified."""

import io
from urllib.parse import urlencode

from dateutil.relativedelta import relativedelta
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from audits.models import Audit
from cmoselect.downloads import download
from cmoselect.forms import apply_service_errors
from cmoselect.history import history_rows
from cmoselect.htmx import is_htmx
from cmoselect.roles import Perm, has_perm, role_required
from cmoselect.spreadsheets import csv_text, xlsx_append
from qualification.access import get_notified_change_for, get_qualification_for
from qualification.changes import notified_change_save
from qualification.filters import QualificationFilter
from qualification.forms import NotifiedChangeForm, QualificationForm, RiskOverrideForm
from qualification.models import SiteQualification
from qualification.risk import assess_sites
from qualification.rows import QualificationRows
from qualification.schedule import interval_months, months_ahead
from qualification.services import qualification_update, risk_override_set
from vendors.access import get_site_for

PAGE_SIZE = 50


def plan_audit_url(entry: SiteQualification) -> str:
    """The audit form prefilled for this site's requalification (for cause after an event)."""
    scope = ", ".join(c.name for c in entry.capabilities.all())
    kind = Audit.Type.FOR_CAUSE if entry.cause_event_id else Audit.Type.REQUALIFICATION
    text = f"{Audit.Type(kind).label} audit of the approved scope: {scope or 'the whole site'}."
    if entry.products:
        text += f"\nProducts: {', '.join(entry.products.splitlines())}."
    if entry.conditions:
        text += f"\nFollow up the conditions of the last approval: {entry.conditions}"
    params = [("site", entry.site_id), ("type", kind), ("scope", text)]
    params += [("capability", c.pk) for c in entry.capabilities.all()]
    query = urlencode(params)
    return f"{reverse('audits:audit_create')}?{query}"


@role_required(Perm.VIEW)
def asl_list(request: HttpRequest) -> HttpResponse:
    entries = SiteQualification.objects.for_list()
    filters = QualificationFilter(request.GET, queryset=entries.by_due_date())
    # No filter joins to many rows per entry (one capability at a time), so no DISTINCT: over
    # the selected columns of 10,000 entries it cost more than the rest of the query.
    rows = filters.qs
    export = request.GET.get("export")
    if export in ("csv", "xlsx"):
        return _export(export, rows)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    cells = QualificationRows()
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "filter": filters,
        "page": page,
        "rows": [cells.asl(entry) for entry in page.object_list],
        "query": params.urlencode(),
    }
    template = "qualification/asl.html"
    if is_htmx(request):
        template += "#results"
    return render(request, template, context)


EXPORT_HEADER = [
    "Site",
    "CMO",
    "Country",
    "Status",
    "Conditions",
    "Approved for",
    "Products",
    "Approving audit",
    "Signed by",
    "Approved on",
    "Last audit ended",
    "Valid until",
    "Risk",
    "Risk overridden",
]


def _export(kind: str, rows: QuerySet) -> HttpResponse:
    def lines():
        yield EXPORT_HEADER
        for e in rows:
            yield [
                e.site.name,
                e.site.cmo.legal_name,
                e.site.country.name,
                e.get_status_display(),
                e.conditions,
                "; ".join(c.name for c in e.capabilities.all()),
                "; ".join(e.products.splitlines()),
                e.audit.reference if e.audit else "",
                e.signature.printed_name if e.signature else "",
                e.approved_on.isoformat() if e.approved_on else "",
                e.last_audit_end.isoformat() if e.last_audit_end else "",
                e.valid_until.isoformat() if e.valid_until else "",
                e.get_risk_class_display(),
                "yes" if e.risk_override else "",
            ]

    if kind == "csv":
        return download(csv_text(lines()), filename="approved-supplier-list.csv")
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Approved supplier list")
    for line in lines():
        xlsx_append(sheet, line)
    buffer = io.BytesIO()
    book.save(buffer)
    return download(buffer.getvalue(), filename="approved-supplier-list.xlsx")


@role_required(Perm.VIEW)
def qualification_detail(request: HttpRequest, sitequalification_id: int) -> HttpResponse:
    entry = get_qualification_for(request.user, sitequalification_id)
    scope = {entry.site_id: {c.code for c in entry.capabilities.all()}}
    risk = assess_sites(scope, scopes=scope)[entry.site_id]
    planned = SiteQualification.objects.filter(pk=entry.pk).with_planned_audit().get()
    context = {
        "entry": entry,
        "risk": risk,
        "interval": interval_months(entry.risk_class),
        "planned": planned,
        "plan_url": plan_audit_url(entry),
        "history": history_rows(entry.history.all()),
    }
    return render(request, "qualification/detail.html", context)


@role_required(Perm.QUALIFY)
def qualification_edit(request: HttpRequest, sitequalification_id: int) -> HttpResponse:
    entry = get_qualification_for(request.user, sitequalification_id, write=True)
    form = QualificationForm(request.POST or None, instance=entry)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            qualification_update(
                qualification=entry,
                user=request.user,
                reason=data["change_reason"],
                status=data["status"],
                conditions=data["conditions"],
                products=data["products"],
                capabilities=data["capabilities"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, "Qualification saved.")
            return redirect(entry)
    return render(
        request,
        "qualification/form.html",
        {"form": form, "entry": entry, "title": f"Edit the qualification of {entry.site.name}"},
    )


@role_required(Perm.QUALIFY)
def risk_override(request: HttpRequest, sitequalification_id: int) -> HttpResponse:
    entry = get_qualification_for(request.user, sitequalification_id, write=True)
    form = RiskOverrideForm(request.POST or None, initial={"risk_class": entry.risk_override})
    if request.method == "POST" and form.is_valid():
        try:
            risk_override_set(
                qualification=entry,
                user=request.user,
                risk_class=form.cleaned_data["risk_class"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, "Risk class saved.")
            return redirect(entry)
    return render(
        request,
        "qualification/form.html",
        {"form": form, "entry": entry, "title": f"Override the risk class of {entry.site.name}"},
    )


@role_required(Perm.QUALIFY)
def program(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    entries = SiteQualification.objects.in_program()
    rows = entries.for_list().with_planned_audit().by_due_date()
    soon = today + relativedelta(days=90)
    # The page's three counts in one pass over the entries, the paginator's among them.
    counts = entries.aggregate(
        total=Count("pk"),
        overdue=Count("pk", filter=Q(valid_until__lt=today)),
        due_soon=Count("pk", filter=Q(valid_until__gte=today, valid_until__lte=soon)),
    )
    paginator = Paginator(rows, PAGE_SIZE)
    paginator.count = counts["total"]
    page = paginator.get_page(request.GET.get("page"))
    cells = QualificationRows()
    can_plan = has_perm(request.user, Perm.PERFORM_AUDITS)
    months = months_ahead(entries, today)
    for month in months:
        for site in month["sites"]:
            site["url"] = cells.entry_url.format(pk=site["pk"])
            site["day"] = f"{site['due'].day} {site['due']:%b}"
    context = {
        "page": page,
        "rows": [
            cells.program(
                entry,
                plan_url=(
                    plan_audit_url(entry) if can_plan and not entry.planned_audit_id else None
                ),
            )
            for entry in page.object_list
        ],
        "query": "",
        "months": months,
        "overdue": counts["overdue"],
        "due_soon": counts["due_soon"],
        "today": today,
    }
    return render(request, "qualification/program.html", context)


def _change_page(request, form, *, site, change=None) -> HttpResponse:
    context = {"form": form, "site": site, "change": change}
    if change is not None:
        context["history"] = history_rows(change.history.all())
    return render(request, "qualification/change_form.html", context)


@role_required(Perm.EDIT_REGULATORY)
def notified_change_create(request: HttpRequest, site_id: int) -> HttpResponse:
    site = get_site_for(request.user, site_id)
    form = NotifiedChangeForm(request.POST or None, initial={"notified_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        change = form.save(commit=False)
        change.site = site
        try:
            notified_change_save(change=change, user=request.user)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request,
                f"“{change.title}” recorded for {site.name}; its risk class is being reassessed.",
            )
            return redirect(change)
    return _change_page(request, form, site=site)


@role_required(Perm.EDIT_REGULATORY)
def notified_change_edit(request: HttpRequest, notifiedchange_id: int) -> HttpResponse:
    change = get_notified_change_for(request.user, notifiedchange_id, write=True)
    form = NotifiedChangeForm(request.POST or None, instance=change)
    if request.method == "POST" and form.is_valid():
        try:
            notified_change_save(
                change=form.save(commit=False),
                user=request.user,
                reason=form.cleaned_data["change_reason"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"“{change.title}” saved.")
            return redirect(change)
    return _change_page(request, form, site=change.site, change=change)
