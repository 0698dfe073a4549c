from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import Truncator

from cmoselect.forms import apply_service_errors
from cmoselect.history import HistoryRow, child_history_rows, history_rows
from cmoselect.htmx import is_htmx
from cmoselect.roles import Perm, role_required
from vendors.access import get_citation_for, get_event_for, get_inspection_for, get_site_for
from vendors.forms import CitationForm, CitationRemoveForm, RegulatoryEventForm
from vendors.models import Citation, RegulatoryEvent
from vendors.services import citation_remove, citation_save, regulatory_event_save

__all__ = [
    "citation_create",
    "citation_edit",
    "citation_remove_view",
    "event_create",
    "event_detail",
    "event_edit",
]

HISTORY_LENGTH = 50


def _citation_name(record) -> str:
    text = f"{record.act_cfr_number} {record.short_description}".strip()
    return Truncator(text).chars(80)


def event_history(event: RegulatoryEvent) -> list[HistoryRow]:
    """The event's changes and its citations' (added, changed, removed), newest first."""
    rows = history_rows(event.history.all(), limit=HISTORY_LENGTH)
    rows += child_history_rows(
        Citation.history.filter(inspection_id=event.pk), label="Citation", name_of=_citation_name
    )
    rows.sort(key=lambda row: row.when, reverse=True)
    return rows[:HISTORY_LENGTH]


def _event_context(event: RegulatoryEvent, **extra) -> dict:
    return {
        "event": event,
        "site": event.site,
        "citations": event.citations.select_related("import_run"),
        "history": event_history(event),
        **extra,
    }


@role_required(Perm.VIEW)
def event_detail(request: HttpRequest, regulatoryevent_id: int) -> HttpResponse:
    event = get_event_for(request.user, regulatoryevent_id)
    template = "vendors/event_detail.html"
    if is_htmx(request):
        template += "#citations"  # a cancelled inline citation form asks for the list back
    return render(request, template, _event_context(event))


@role_required(Perm.EDIT_REGULATORY)
def event_create(request: HttpRequest, site_id: int) -> HttpResponse:
    site = get_site_for(request.user, site_id)
    form = RegulatoryEventForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        event = form.save(commit=False)
        event.site = site
        try:
            regulatory_event_save(event=event, user=request.user)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"{event} recorded for {site.name}.")
            return redirect(site.get_absolute_url() + "#regulatory")
    return render(request, "vendors/event_form.html", {"form": form, "site": site})


@role_required(Perm.EDIT_REGULATORY)
def event_edit(request: HttpRequest, regulatoryevent_id: int) -> HttpResponse:
    event = get_event_for(request.user, regulatoryevent_id, write=True)
    form = RegulatoryEventForm(request.POST or None, instance=event)
    if request.method == "POST" and form.is_valid():
        try:
            regulatory_event_save(
                event=form.save(commit=False),
                user=request.user,
                reason=form.cleaned_data["change_reason"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, "Event saved.")
            return redirect(event)
    return render(
        request, "vendors/event_form.html", {"form": form, "site": event.site, "event": event}
    )


# ---------------------------------------------------------------- Form 483 citations
#
# Each citation view is a page of its own, and with htmx a form swapped into the event page's
# citation list: a GET answers the form (in a table row for a citation, alone for a new one),
# a POST with errors answers the form again, and a saved change answers the refreshed list and
# history, retargeted onto the list.


def _citation_form(
    request, event: RegulatoryEvent, form, *, action: str, citation=None, subject: str = ""
) -> HttpResponse:
    """The add, edit or remove form: a page, or with htmx the fragment to swap in."""
    if citation is None:
        url = reverse("vendors:citation_create", args=[event.pk])
    else:
        url = reverse(f"vendors:citation_{action}", args=[citation.pk])
    context = {
        "event": event,
        "site": event.site,
        "citation": citation,
        "subject": subject,
        "form": form,
        "action": action,
        "url": url,
    }
    template = "vendors/citation_form.html"
    if is_htmx(request):
        # Inline on the event page; on a page of its own the form posts and cancels plainly.
        context["inline"] = True
        in_row = request.method == "GET" and citation is not None
        template += "#row" if in_row else "#form"
    return render(request, template, context)


def _citations_changed(request: HttpRequest, event: RegulatoryEvent, notice: str) -> HttpResponse:
    if is_htmx(request):
        response = render(
            request,
            "vendors/event_detail.html#citations_changed",
            _event_context(event, notice=notice),
        )
        response["HX-Retarget"] = "#citations"
        response["HX-Reswap"] = "outerHTML"
        return response
    messages.success(request, notice)
    return redirect(event.get_absolute_url() + "#citations")


@role_required(Perm.EDIT_REGULATORY)
def citation_create(request: HttpRequest, regulatoryevent_id: int) -> HttpResponse:
    event = get_inspection_for(request.user, regulatoryevent_id, write=True)
    form = CitationForm(
        request.POST or None,
        instance=Citation(inspection=event),
        initial={"program_area": event.project_area},
        auto_id="id_new_citation_%s",  # unique ids while other citation forms are open inline
    )
    if request.method == "POST" and form.is_valid():
        try:
            citation = citation_save(citation=form.save(commit=False), user=request.user)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            return _citations_changed(
                request, event, f"Citation added: {_citation_name(citation)}."
            )
    return _citation_form(request, event, form, action="add")


@role_required(Perm.EDIT_REGULATORY)
def citation_edit(request: HttpRequest, citation_id: int) -> HttpResponse:
    citation = get_citation_for(request.user, citation_id, write=True)
    subject = str(citation)  # as it reads now: a bound form puts its input on the citation
    form = CitationForm(
        request.POST or None, instance=citation, auto_id=f"id_citation_{citation.pk}_%s"
    )
    if request.method == "POST" and form.is_valid():
        try:
            citation_save(
                citation=form.save(commit=False),
                user=request.user,
                reason=form.cleaned_data["change_reason"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            return _citations_changed(
                request, citation.inspection, f"Citation saved: {_citation_name(citation)}."
            )
    return _citation_form(
        request, citation.inspection, form, action="edit", citation=citation, subject=subject
    )


@role_required(Perm.EDIT_REGULATORY)
def citation_remove_view(request: HttpRequest, citation_id: int) -> HttpResponse:
    citation = get_citation_for(request.user, citation_id, write=True)
    form = CitationRemoveForm(request.POST or None, auto_id=f"id_remove_{citation.pk}_%s")
    if request.method == "POST" and form.is_valid():
        try:
            citation_remove(
                citation=citation, user=request.user, reason=form.cleaned_data["change_reason"]
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            return _citations_changed(
                request, citation.inspection, f"Citation removed: {_citation_name(citation)}."
            )
    return _citation_form(
        request,
        citation.inspection,
        form,
        action="remove",
        citation=citation,
        subject=str(citation),
    )
