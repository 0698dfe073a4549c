"""The certificate register on the site page: add, correct, replace, remove, download."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from cmoselect.downloads import file_download
from cmoselect.forms import apply_service_errors, message_errors
from cmoselect.roles import Perm, role_required
from vendors.access import get_certificate_for, get_site_for
from vendors.certificates import (
    certificate_remove,
    certificate_replace,
    certificate_save,
)
from vendors.forms import CertificateForm, CertificateRemoveForm
from vendors.models import Certificate

__all__ = [
    "site_certificates",
    "certificate_create",
    "certificate_download",
    "certificate_edit",
    "certificate_remove_view",
    "certificate_replace_view",
]


def site_certificates(site) -> list[Certificate]:
    """The site's current certificates, each with its status and its earlier versions.

    One query: every version is read and the replacement chains are followed in memory.
    """
    today = timezone.localdate()
    versions = list(site.certificates.order_by("kind", "-issued_on", "-pk"))
    replaced = {c.superseded_by_id: c for c in versions if c.superseded_by_id}
    current = []
    for certificate in versions:
        if not certificate.is_current:
            continue
        certificate.state = certificate.status(today)
        certificate.earlier_versions = []
        older = replaced.get(certificate.pk)
        while older is not None:
            certificate.earlier_versions.append(older)
            older = replaced.get(older.pk)
        current.append(certificate)
    return current


def _back(site) -> str:
    return site.get_absolute_url() + "#certificates"


def _page(request, form, *, site, certificate=None, replacing=None) -> HttpResponse:
    return render(
        request,
        "vendors/certificate_form.html",
        {
            "form": form,
            "site": site,
            "certificate": certificate,
            "replacing": replacing,
            "remove_form": CertificateRemoveForm(),
        },
    )


@role_required(Perm.EDIT_REGULATORY)
def certificate_create(request: HttpRequest, site_id: int) -> HttpResponse:
    site = get_site_for(request.user, site_id)
    form = CertificateForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        certificate = form.save(commit=False)
        certificate.site = site
        try:
            certificate_save(
                certificate=certificate, user=request.user, upload=form.cleaned_data["file"]
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"{certificate} added to {site.name}'s certificates.")
            return redirect(_back(site))
    return _page(request, form, site=site)


@role_required(Perm.EDIT_REGULATORY)
def certificate_edit(request: HttpRequest, certificate_id: int) -> HttpResponse:
    certificate = get_certificate_for(request.user, certificate_id, write=True)
    form = CertificateForm(request.POST or None, request.FILES or None, instance=certificate)
    if request.method == "POST" and form.is_valid():
        try:
            certificate_save(
                certificate=form.save(commit=False),
                user=request.user,
                reason=form.cleaned_data["change_reason"],
                upload=form.cleaned_data["file"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"{certificate} saved.")
            return redirect(_back(certificate.site))
    return _page(request, form, site=certificate.site, certificate=certificate)


@role_required(Perm.EDIT_REGULATORY)
def certificate_replace_view(request: HttpRequest, certificate_id: int) -> HttpResponse:
    old = get_certificate_for(request.user, certificate_id, write=True)
    initial = {"kind": old.kind, "issuer": old.issuer, "reference": old.reference}
    form = CertificateForm(
        request.POST or None, request.FILES or None, initial=initial, replacing=old
    )
    if request.method == "POST" and form.is_valid():
        new = form.save(commit=False)
        new.kind = old.kind
        try:
            certificate_replace(
                old=old,
                new=new,
                user=request.user,
                reason=form.cleaned_data["change_reason"],
                upload=form.cleaned_data["file"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"{old} replaced by {new}.")
            return redirect(_back(old.site))
    return _page(request, form, site=old.site, certificate=old, replacing=old)


@require_POST
@role_required(Perm.EDIT_REGULATORY)
def certificate_remove_view(request: HttpRequest, certificate_id: int) -> HttpResponse:
    certificate = get_certificate_for(request.user, certificate_id, write=True)
    form = CertificateRemoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the certificate is removed.")
        return redirect(_back(certificate.site))
    try:
        certificate_remove(
            certificate=certificate, user=request.user, reason=form.cleaned_data["change_reason"]
        )
    except ValidationError as error:
        message_errors(request, error)
    else:
        messages.success(request, f"{certificate} removed.")
    return redirect(_back(certificate.site))


@role_required(Perm.VIEW)
def certificate_download(request: HttpRequest, certificate_id: int) -> FileResponse:
    certificate: Certificate = get_certificate_for(request.user, certificate_id)
    if not certificate.file:
        raise Http404("This certificate has no file.")
    inline = certificate.content_type in ("application/pdf", "image/jpeg", "image/png")
    return file_download(
        certificate.file,
        filename=certificate.original_name or "certificate",
        content_type=certificate.content_type or None,
        inline=inline,
    )
