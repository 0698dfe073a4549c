"""The audit-trail review page and its CSV export (QA and Admin)."""

from datetime import UTC

from django import forms
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from cmoselect.audit_trail import PAGE_SIZE, TrailEntry, TrailFilters, record_types, trail_entries
from cmoselect.audit_trail import trail_page as read_page
from cmoselect.downloads import download
from cmoselect.history import display_name
from cmoselect.roles import Perm, role_required
from cmoselect.spreadsheets import csv_text

CSV_HEADER = ["When (UTC)", "Who", "Record type", "Action", "Record", "Link", "Changes", "Reason"]


class TrailFilterForm(forms.Form):
    user = forms.ModelChoiceField(queryset=None, required=False, label="User", empty_label="Anyone")
    record_type = forms.ChoiceField(required=False, label="Record type")
    date_from = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(required=False, max_length=200, label="Reason contains")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        users = get_user_model().objects.order_by("first_name", "last_name", "username")
        self.fields["user"].queryset = users
        self.fields["user"].label_from_instance = display_name
        self.fields["record_type"].choices = [("", "Every record type"), *record_types()]

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "The end date is before the start date.")
        return data

    def filters(self) -> TrailFilters:
        data = self.cleaned_data
        return TrailFilters(
            user_id=data["user"].pk if data.get("user") else None,
            record_type=data.get("record_type") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            reason=(data.get("reason") or "").strip(),
        )


def _page_number(request: HttpRequest) -> int:
    try:
        return max(1, int(request.GET.get("page", 1)))
    except ValueError:
        return 1


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@role_required(Perm.REVIEW_AUDIT_TRAIL)
def audit_trail(request: HttpRequest) -> HttpResponse:
    form = TrailFilterForm(request.GET)
    page = _page_number(request)
    entries, has_older = [], False
    if form.is_valid():
        entries, has_older = read_page(form.filters(), page=page, size=PAGE_SIZE)
    filtered = form.is_bound and any(request.GET.get(name) for name in form.fields)
    return render(
        request,
        "audit_trail.html",
        {
            "form": form,
            "entries": entries,
            "page": page,
            "has_older": has_older,
            "query": _query_without_page(request),
            "filtered": filtered,
        },
    )


def _changes_text(entry: TrailEntry) -> str:
    return "; ".join(
        f"{label}: {'' if old is None else old} → {'' if new is None else new}"
        for label, old, new in entry.changes
    )


@role_required(Perm.REVIEW_AUDIT_TRAIL)
def audit_trail_csv(request: HttpRequest) -> HttpResponse:
    form = TrailFilterForm(request.GET)
    if not form.is_valid():
        return render(
            request,
            "audit_trail.html",
            {"form": form, "entries": [], "page": 1, "query": "", "filtered": True},
            status=400,
        )
    site = request.build_absolute_uri("/").rstrip("/")
    rows = [CSV_HEADER] + [
        [
            entry.when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            entry.who,
            entry.record_type,
            entry.action,
            entry.record,
            f"{site}{entry.url}" if entry.url else "",
            _changes_text(entry),
            entry.reason,
        ]
        for entry in trail_entries(form.filters())
    ]
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    return download(csv_text(rows), filename=f"audit-trail-{stamp}.csv")
