"""Likely duplicates in the directory, and merging two CMOs (or two sites) into one."""

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from cmoselect.forms import apply_service_errors
from cmoselect.roles import Perm, role_required
from vendors.access import get_cmo_for, get_site_for
from vendors.duplicates import cmo_duplicates, site_duplicates
from vendors.forms import CmoMergeForm, SiteMergeForm
from vendors.merges import check_mergeable, cmo_merge, merge_plan, site_merge

__all__ = ["duplicates", "cmo_merge_view", "site_merge_view"]


@role_required(Perm.VIEW)
def duplicates(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "vendors/duplicates.html",
        {"cmo_pairs": cmo_duplicates(), "site_pairs": site_duplicates()},
    )


def _merge_page(
    request: HttpRequest, *, kept, form_class, get_for: Callable, merge: Callable, url_name: str
) -> HttpResponse:
    """Choose the duplicate (`?merged=<id>` from the duplicates page), see what would move,
    give the reason, merge."""
    form = form_class(request.POST or None)
    chosen = request.POST.get("merged") if request.method == "POST" else request.GET.get("merged")
    merged = get_for(request.user, int(chosen), write=True) if str(chosen).isdigit() else None
    if request.method == "POST" and form.is_valid():
        try:
            result = merge(
                kept=kept,
                merged=form.cleaned_data["merged"],
                user=request.user,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, result.summary)
            for note in result.notes:
                messages.info(request, note)
            return redirect(result.kept)
    elif merged is not None and not form.is_bound:
        form = form_class(initial={"merged": merged})
    refused = None
    if merged is not None:
        try:
            check_mergeable(kept, merged)
        except ValidationError as error:
            refused = " ".join(error.messages)
    plans = merge_plan(kept=kept, merged=merged) if merged is not None and not refused else []
    swap = f"{reverse(url_name, args=[merged.pk])}?merged={kept.pk}" if merged else ""
    return render(
        request,
        "vendors/merge_confirm.html",
        {
            "form": form,
            "kept": kept,
            "merged": merged,
            "noun": kept._meta.verbose_name,
            "plans": [plan for plan in plans if plan.count],
            "refused": refused,
            "swap_url": swap,
        },
        status=400 if form.errors else 200,
    )


@role_required(Perm.EDIT_DIRECTORY)
def cmo_merge_view(request: HttpRequest, cmo_id: int) -> HttpResponse:
    return _merge_page(
        request,
        kept=get_cmo_for(request.user, cmo_id, write=True),
        form_class=CmoMergeForm,
        get_for=get_cmo_for,
        merge=cmo_merge,
        url_name="vendors:cmo_merge",
    )


@role_required(Perm.EDIT_DIRECTORY)
def site_merge_view(request: HttpRequest, site_id: int) -> HttpResponse:
    return _merge_page(
        request,
        kept=get_site_for(request.user, site_id, write=True),
        form_class=SiteMergeForm,
        get_for=get_site_for,
        merge=site_merge,
        url_name="vendors:site_merge",
    )
