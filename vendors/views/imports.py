from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from cmoselect.downloads import download
from cmoselect.forms import apply_service_errors, message_errors
from cmoselect.htmx import is_htmx
from cmoselect.roles import Perm, role_required
from cmoselect.spreadsheets import csv_text
from vendors.access import get_import_run_for
from vendors.forms import ImportUploadForm
from vendors.import_report import problem_group_page, problem_groups, problem_lines
from vendors.models import ImportRun, Site
from vendors.services import import_run_commit, import_run_create, import_run_retry

__all__ = [
    "import_commit",
    "import_detail",
    "import_list",
    "import_problems",
    "import_problems_csv",
    "import_retry",
]

SITES_SHOWN = 50  # sites an event import touched, listed on its page


@role_required(Perm.VIEW, write=Perm.IMPORT_DATA)
def import_list(request: HttpRequest) -> HttpResponse:
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            run = import_run_create(
                file=upload,
                name=upload.name,
                user=request.user,
                create_missing=form.cleaned_data["create_missing"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            return redirect(run)
    runs = ImportRun.objects.select_related("uploaded_by")
    page = Paginator(runs, 25).get_page(request.GET.get("page"))
    return render(request, "vendors/import_list.html", {"form": form, "page": page})


@role_required(Perm.VIEW)
def import_detail(request: HttpRequest, importrun_id: int) -> HttpResponse:
    run = get_import_run_for(request.user, importrun_id)
    template = "vendors/import_detail.html"
    if is_htmx(request):
        template += "#status"
    context = {"run": run}
    if not run.is_running and run.error_count:
        context["groups"] = problem_groups(run)
    if run.status == ImportRun.Status.DONE and run.format != ImportRun.Format.DECRS:
        touched = Site.objects.touched_by_import(run).select_related("cmo").order_by("name", "pk")
        context["touched"] = Paginator(touched, SITES_SHOWN).get_page(1)
    return render(request, template, context)


@role_required(Perm.VIEW)
def import_problems(request: HttpRequest, importrun_id: int) -> HttpResponse:
    """One page of the rows of one group of problems (htmx swaps it into the report)."""
    run = get_import_run_for(request.user, importrun_id)
    try:
        number = int(request.GET.get("page", 1))
    except ValueError:
        number = 1
    group = problem_group_page(
        run,
        reason=request.GET.get("reason", ""),
        field=request.GET.get("field", ""),
        number=number,
    )
    template = "vendors/import_problems.html"
    if is_htmx(request):
        template += "#group"
    return render(request, template, {"run": run, "group": group})


@role_required(Perm.VIEW)
def import_problems_csv(request: HttpRequest, importrun_id: int) -> HttpResponse:
    """Every problem row of the import: row, reason, column, value and message."""
    run = get_import_run_for(request.user, importrun_id)
    return download(csv_text(problem_lines(run)), filename=f"import-{run.pk}-problems.csv")


@require_POST
@role_required(Perm.IMPORT_DATA)
def import_commit(request: HttpRequest, importrun_id: int) -> HttpResponse:
    return _run_step(request, importrun_id, import_run_commit)


@require_POST
@role_required(Perm.IMPORT_DATA)
def import_retry(request: HttpRequest, importrun_id: int) -> HttpResponse:
    return _run_step(request, importrun_id, import_run_retry)


def _run_step(request: HttpRequest, importrun_id: int, step) -> HttpResponse:
    """Take a run to its next step with `step`, showing a refusal as messages on its page."""
    run = get_import_run_for(request.user, importrun_id, write=True)
    try:
        step(run=run, user=request.user)
    except ValidationError as error:
        message_errors(request, error)
    return redirect(run)
