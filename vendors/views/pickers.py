"""Search endpoints of the CMO and site pickers (see cmoselect.widgets)."""

from django.http import HttpRequest, HttpResponse

from cmoselect.roles import Perm, role_required
from cmoselect.widgets import render_picker_results
from vendors.forms import pickable_cmos, pickable_sites

__all__ = ["cmo_search", "site_search"]


@role_required(Perm.VIEW)
def cmo_search(request: HttpRequest) -> HttpResponse:
    return render_picker_results(request, pickable_cmos(), field="cmo")


@role_required(Perm.VIEW)
def site_search(request: HttpRequest) -> HttpResponse:
    return render_picker_results(request, pickable_sites(), field="site")
