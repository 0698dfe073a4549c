"""The PDF report in the browser: request, live status, download."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from audits.access import get_audit_for, get_report_for
from audits.services import report_request
from audits.views.audits import latest_report_panel
from cmoselect.downloads import rendered_report_download
from cmoselect.htmx import is_htmx
from cmoselect.roles import Perm, role_required


@require_POST
@role_required(Perm.VIEW, write=Perm.VIEW)
def report_request_view(request: HttpRequest, audit_id: int) -> HttpResponse:
    audit = get_audit_for(request.user, audit_id)
    report_request(audit=audit, user=request.user)
    if is_htmx(request):
        return render(request, "audits/_report_panel.html", latest_report_panel(audit))
    messages.success(request, "The PDF report is being rendered.")
    return redirect(f"{audit.get_absolute_url()}#report")


@role_required(Perm.VIEW)
def report_status(request: HttpRequest, auditreport_id: int) -> HttpResponse:
    report = get_report_for(request.user, auditreport_id)
    audit = get_audit_for(request.user, report.audit_id)
    return render(request, "audits/_report_panel.html", latest_report_panel(audit))


@role_required(Perm.VIEW)
def report_download(request: HttpRequest, auditreport_id: int) -> HttpResponse:
    report = get_report_for(request.user, auditreport_id)
    return rendered_report_download(report)
