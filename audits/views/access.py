"""Permission-checked getters: fetch and authorize in one call (404 or 403)."""

from django.shortcuts import get_object_or_404

from audits.models import Answer, Audit, Capa, Finding, TemplateVersion
from cmoselect.roles import Perm, check_perm


def get_audit_for(user, pk: int, *, write: bool = False) -> Audit:
    check_perm(user, Perm.PERFORM_AUDITS if write else Perm.VIEW)
    return get_object_or_404(Audit.objects.for_list(), pk=pk)


def get_answer_for(user, pk: int, *, write: bool = False) -> Answer:
    check_perm(user, Perm.PERFORM_AUDITS if write else Perm.VIEW)
    return get_object_or_404(
        Answer.objects.select_related("audit", "question__section", "answered_by"), pk=pk
    )


def get_finding_for(user, pk: int, *, write: bool = False) -> Finding:
    check_perm(user, Perm.PERFORM_AUDITS if write else Perm.VIEW)
    return get_object_or_404(
        Finding.objects.select_related("audit__site__cmo", "answer__question", "created_by"), pk=pk
    )


def get_capa_for(user, pk: int, *, write: bool = False) -> Capa:
    check_perm(user, Perm.PERFORM_AUDITS if write else Perm.VIEW)
    return get_object_or_404(Capa.objects.select_related("finding__audit"), pk=pk)


def get_version_for(user, pk: int, *, write: bool = False) -> TemplateVersion:
    check_perm(user, Perm.EDIT_CHECKLISTS if write else Perm.VIEW)
    return get_object_or_404(TemplateVersion.objects.select_related("template"), pk=pk)
