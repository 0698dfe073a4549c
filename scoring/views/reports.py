"""Comparison reports and score exports of an evaluation."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from cmoselect.downloads import download, rendered_report_download
from cmoselect.forms import message_errors
from cmoselect.roles import Perm, role_required
from scoring.access import get_comparison_report_for, get_evaluation_for
from scoring.services import report_request, scores_csv, scores_xlsx

__all__ = [
    "evaluation_export",
    "evaluation_request_report",
    "report_download",
    "report_status",
]


@require_POST
@role_required(Perm.VIEW)
def evaluation_request_report(request: HttpRequest, evaluation_id: int) -> HttpResponse:
    evaluation = get_evaluation_for(request.user, evaluation_id)
    ids = [int(v) for v in request.POST.getlist("candidate") if v.isdigit()]
    chosen = list(evaluation.candidates.filter(pk__in=ids))
    try:
        report_request(evaluation=evaluation, candidates=chosen, user=request.user)
    except ValidationError as error:
        message_errors(request, error)
    else:
        messages.success(request, "The comparison report is being rendered.")
    return redirect(f"{evaluation.get_absolute_url()}#reports")


@require_GET
@role_required(Perm.VIEW)
def evaluation_export(request: HttpRequest, evaluation_id: int, fmt: str = "csv") -> HttpResponse:
    evaluation = get_evaluation_for(request.user, evaluation_id)
    name = f"scores-{evaluation.pk}"
    if fmt == "xlsx":
        return download(scores_xlsx(evaluation), filename=f"{name}.xlsx")
    return download(scores_csv(evaluation), filename=f"{name}.csv")


@role_required(Perm.VIEW)
def report_status(request: HttpRequest, comparisonreport_id: int) -> HttpResponse:
    report = get_comparison_report_for(request.user, comparisonreport_id)
    return render(request, "scoring/_report_row.html", {"report": report})


@require_GET
@role_required(Perm.VIEW)
def report_download(request: HttpRequest, comparisonreport_id: int) -> HttpResponse:
    return rendered_report_download(get_comparison_report_for(request.user, comparisonreport_id))
