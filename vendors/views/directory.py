from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from cmoselect.countries import countries_in, country_options
from cmoselect.forms import apply_service_errors, confirm_status_page, save_edit_form
from cmoselect.history import HistoryRow, child_history_rows, history_rows, save_with_history
from cmoselect.htmx import is_htmx
from cmoselect.roles import Perm, role_required
from vendors.access import get_cmo_for, get_contact_for, get_site_for
from vendors.compliance import compliance_for_cmos, compliance_for_sites
from vendors.filters import CmoFilter
from vendors.forms import CmoForm, ContactForm, SiteForm, StatusChangeForm
from vendors.models import (
    Capability,
    CapabilityLevel,
    Cmo,
    QualificationStatus,
    RegulatoryEvent,
    Site,
    SiteCapability,
    StatusChange,
)
from vendors.services import cmo_change_status, site_change_status
from vendors.views.certificates import site_certificates

PAGE_SIZES = (25, 50, 100)


def page_size(request: HttpRequest) -> int:
    try:
        size = int(request.GET.get("per_page", PAGE_SIZES[0]))
    except ValueError:
        return PAGE_SIZES[0]
    return size if size in PAGE_SIZES else PAGE_SIZES[0]


TIMELINE_LENGTH = 50
# What a status history entry shows of the e-signature it was made under.
SIGNATURE_LINKS = ("decision__evaluation", "decision__signed_by", "audit_signature__audit")


@role_required(Perm.VIEW)
def home(request: HttpRequest) -> HttpResponse:
    counts = dict.fromkeys(QualificationStatus.values, 0)
    rows = (
        Cmo.objects.current().order_by().values_list("qualification_status").annotate(n=Count("pk"))
    )
    counts.update(dict(rows))
    return render(
        request,
        "vendors/home.html",
        {
            "status_counts": [(QualificationStatus(k), v) for k, v in counts.items()],
            "recent_changes": StatusChange.objects.select_related("cmo", "site", "changed_by")[:10],
            "notifications": request.user.notifications.filter(read_at__isnull=True)[:10],
        },
    )


@role_required(Perm.VIEW)
def cmo_list(request: HttpRequest) -> HttpResponse:
    queryset = Cmo.objects.current().with_site_counts().select_related("qualification_score")
    cmo_filter = CmoFilter(request.GET, queryset=queryset)
    cmo_filter.form.label_suffix = ""
    queryset = cmo_filter.qs if cmo_filter.is_valid() else queryset.none()
    if not request.GET.get("ordering"):
        queryset = queryset.order_by("legal_name")
    per_page = page_size(request)
    page = Paginator(queryset, per_page).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    sort_query = query.copy()
    sort_query.pop("ordering", None)
    selected = set(request.GET.getlist("country"))
    present = set(countries_in(Cmo, "headquarters_country"))
    options = [(code, name, code in selected) for code, name in country_options(present | selected)]
    context = {
        "filter": cmo_filter,
        "country_options": options,
        "page": page,
        "query": query.urlencode(),
        "sort_query": sort_query.urlencode(),
        "ordering": request.GET.get("ordering", "name"),
        "per_page": per_page,
        "page_sizes": PAGE_SIZES,
    }
    template = "vendors/cmo_list.html"
    if is_htmx(request):
        template += "#results"
    return render(request, template, context)


@role_required(Perm.VIEW)
def cmo_detail(request: HttpRequest, cmo_id: int) -> HttpResponse:
    cmo = get_cmo_for(request.user, cmo_id)
    sites = cmo.sites.prefetch_related("site_types").order_by("name")
    contacts = cmo.contacts.select_related("site")
    changes = cmo.status_changes.select_related("site", "changed_by", *SIGNATURE_LINKS)
    return render(
        request,
        "vendors/cmo_detail.html",
        {
            "cmo": cmo,
            "merged_from": cmo.merged_from.order_by("legal_name"),
            "sites": sites,
            "contacts": contacts,
            "status_changes": changes,
            "history": history_rows(cmo.history.all()),
            "status_form": StatusChangeForm(allowed=cmo.allowed_statuses()),
            "compliance": compliance_for_cmos([cmo.pk])[cmo.pk],
            # The sites' own events and their establishments' (by FEI), however they arrived.
            "events": RegulatoryEvent.objects.for_sites(cmo.sites.values("pk"))
            .select_related("site", "import_run")
            .timeline()[:TIMELINE_LENGTH],
            "show_site": True,
        },
    )


@role_required(Perm.EDIT_DIRECTORY)
def cmo_create(request: HttpRequest) -> HttpResponse:
    form = CmoForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            cmo = save_with_history(form.save(commit=False), user=request.user, clean=True)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"{cmo} was added to the directory.")
            return redirect(cmo)
    return render(request, "vendors/cmo_form.html", {"form": form})


@role_required(Perm.EDIT_DIRECTORY)
def cmo_edit(request: HttpRequest, cmo_id: int) -> HttpResponse:
    cmo = get_cmo_for(request.user, cmo_id, write=True)
    form = CmoForm(request.POST or None, instance=cmo)
    if save_edit_form(request, form):
        messages.success(request, "Changes saved.")
        return redirect(cmo)
    return render(request, "vendors/cmo_form.html", {"form": form, "cmo": cmo})


def _change_status(request: HttpRequest, subject, change) -> HttpResponse:
    form = StatusChangeForm(request.POST, allowed=subject.allowed_statuses())
    if not form.is_valid() and (page := confirm_status_page(request, form, subject)):
        return page
    if form.is_valid():
        try:
            change(
                status=form.cleaned_data["status"],
                user=request.user,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            for errors in error.message_dict.values():
                for message in errors:
                    messages.error(request, message)
        else:
            messages.success(request, "Qualification status changed.")
    else:
        for field_name, errors in form.errors.items():
            for message in errors:
                messages.error(request, f"{form[field_name].label}: {message}")
    return redirect(subject)


@require_POST
@role_required(Perm.CHANGE_STATUS)
def cmo_status(request: HttpRequest, cmo_id: int) -> HttpResponse:
    cmo = get_cmo_for(request.user, cmo_id)
    return _change_status(request, cmo, lambda **kw: cmo_change_status(cmo=cmo, **kw))


def site_history(site: Site, *, limit: int = 50) -> list[HistoryRow]:
    """The site's changes and its capability cells' (set, changed, removed), newest first."""
    names = dict(Capability.objects.values_list("pk", "name"))
    levels = dict(CapabilityLevel.choices)

    def cell_name(record) -> str:
        return f"{names.get(record.capability_id, '?')} ({levels.get(record.level, record.level)})"

    rows = history_rows(site.history.all(), limit=limit)
    rows += child_history_rows(
        SiteCapability.history.filter(site_id=site.pk), label="Capability", name_of=cell_name
    )
    rows.sort(key=lambda row: row.when, reverse=True)
    return rows[:limit]


@role_required(Perm.VIEW)
def site_detail(request: HttpRequest, site_id: int) -> HttpResponse:
    site = get_site_for(request.user, site_id)
    return render(
        request,
        "vendors/site_detail.html",
        {
            "site": site,
            "cmo": site.cmo,
            "site_types": site.site_types.all(),
            "contacts": site.contacts.all(),
            "status_changes": site.status_changes.select_related("changed_by", *SIGNATURE_LINKS),
            "history": site_history(site),
            "status_form": StatusChangeForm(allowed=site.allowed_statuses()),
            "compliance": compliance_for_sites([site.pk])[site.pk],
            "events": RegulatoryEvent.objects.for_sites([site.pk]).timeline()[:TIMELINE_LENGTH],
            "establishment": site.establishment,
            "capabilities": SiteCapability.objects.filter(site=site).select_related("capability"),
            "categories": Capability.Category.choices,
            "certificates": site_certificates(site),
        },
    )


@role_required(Perm.EDIT_DIRECTORY)
def site_create(request: HttpRequest, cmo_id: int) -> HttpResponse:
    cmo = get_cmo_for(request.user, cmo_id, write=True)
    form = SiteForm(request.POST or None, initial={"country": cmo.headquarters_country})
    if request.method == "POST" and form.is_valid():
        site = form.save(commit=False)
        site.cmo = cmo
        try:
            save_with_history(site, user=request.user, clean=True, save_m2m=form.save_m2m)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"Site {site.name} added.")
            return redirect(site)
    return render(request, "vendors/site_form.html", {"form": form, "cmo": cmo})


@role_required(Perm.EDIT_DIRECTORY)
def site_edit(request: HttpRequest, site_id: int) -> HttpResponse:
    site = get_site_for(request.user, site_id, write=True)
    form = SiteForm(request.POST or None, instance=site)
    if save_edit_form(request, form):
        messages.success(request, "Changes saved.")
        return redirect(site)
    return render(request, "vendors/site_form.html", {"form": form, "cmo": site.cmo, "site": site})


@require_POST
@role_required(Perm.CHANGE_STATUS)
def site_status(request: HttpRequest, site_id: int) -> HttpResponse:
    site = get_site_for(request.user, site_id)
    return _change_status(request, site, lambda **kw: site_change_status(site=site, **kw))


@role_required(Perm.EDIT_DIRECTORY)
def contact_create(request: HttpRequest, cmo_id: int) -> HttpResponse:
    cmo = get_cmo_for(request.user, cmo_id, write=True)
    form = ContactForm(request.POST or None, cmo=cmo)
    if request.method == "POST" and form.is_valid():
        contact = form.save(commit=False)
        contact.cmo = cmo
        try:
            save_with_history(contact, user=request.user, clean=True)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"Contact {contact.name} added.")
            return redirect(cmo)
    return render(request, "vendors/contact_form.html", {"form": form, "cmo": cmo})


@role_required(Perm.EDIT_DIRECTORY)
def contact_edit(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = get_contact_for(request.user, contact_id, write=True)
    form = ContactForm(request.POST or None, instance=contact, cmo=contact.cmo)
    if save_edit_form(request, form):
        messages.success(request, "Contact saved.")
        return redirect(contact.cmo)
    return render(
        request, "vendors/contact_form.html", {"form": form, "cmo": contact.cmo, "contact": contact}
    )


@role_required(Perm.VIEW)
def notifications(request: HttpRequest) -> HttpResponse:
    notices = request.user.notifications.all()
    if request.method == "POST":
        notices.mark_read()
        messages.success(request, "All notifications marked as read.")
        return redirect("notifications")
    page = Paginator(notices, 50).get_page(request.GET.get("page"))
    return render(request, "vendors/notifications.html", {"page": page})


@require_POST
@role_required(Perm.VIEW)
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    # Only one's own: another person's notice is not found, whoever asks.
    notice = get_object_or_404(request.user.notifications, pk=notification_id)
    request.user.notifications.filter(pk=notice.pk).mark_read()
    messages.success(request, f"Marked as read: {notice.subject}")
    page = request.POST.get("page", "")
    return redirect(
        f"{reverse('notifications')}?page={page}" if page.isdigit() else "notifications"
    )
