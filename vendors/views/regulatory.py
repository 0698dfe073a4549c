from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render

from cmoselect.forms import apply_service_errors
from cmoselect.history import history_rows
from cmoselect.roles import Perm, check_perm, role_required
from vendors.forms import RegulatoryEventForm
from vendors.models import RegulatoryEvent
from vendors.services import regulatory_event_save
from vendors.views.directory import get_site_for

__all__ = ["event_create", "event_detail", "event_edit"]


def get_event_for(user, pk: int, *, write: bool = False) -> RegulatoryEvent:
    check_perm(user, Perm.EDIT_REGULATORY if write else Perm.VIEW)
    return get_object_or_404(
        RegulatoryEvent.objects.select_related("site", "site__cmo", "import_run"), pk=pk
    )


@role_required(Perm.VIEW)
def event_detail(request, regulatoryevent_id: int):
    event = get_event_for(request.user, regulatoryevent_id)
    return render(
        request,
        "vendors/event_detail.html",
        {
            "event": event,
            "site": event.site,
            "citations": event.citations.all(),
            "history": history_rows(event.history.all()),
        },
    )


@role_required(Perm.EDIT_REGULATORY)
def event_create(request, site_id: int):
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
def event_edit(request, regulatoryevent_id: int):
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
