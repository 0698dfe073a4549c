"""Permission-checked getters, one per entity: fetch and authorize in one call (403 or 404).

Records that belong to an audit (answers, evidence, findings, CAPAs, reports) follow the audit's
rule; checklist sections and questions follow their template's.
"""

from django.contrib.auth.models import User

from audits.models import (
    Answer,
    Audit,
    AuditReport,
    Capa,
    ChecklistQuestion,
    ChecklistSection,
    ChecklistTemplate,
    Evidence,
    Finding,
    TemplateVersion,
)
from cmoselect.roles import Perm, get_for

AUDIT_WRITE = Perm.PERFORM_AUDITS
CHECKLIST_WRITE = Perm.EDIT_CHECKLISTS


def get_audit_for(user: User, pk: int, *, write: bool = False) -> Audit:
    return get_for(user, Audit.objects.for_list(), pk, write=write, write_perm=AUDIT_WRITE)


def get_answer_for(user: User, pk: int, *, write: bool = False) -> Answer:
    queryset = Answer.objects.select_related("audit", "question__section", "answered_by")
    return get_for(user, queryset, pk, write=write, write_perm=AUDIT_WRITE)


def get_evidence_for(user: User, pk: int, *, write: bool = False) -> Evidence:
    return get_for(user, Evidence.objects.all(), pk, write=write, write_perm=AUDIT_WRITE)


def get_finding_for(user: User, pk: int, *, write: bool = False) -> Finding:
    queryset = Finding.objects.select_related("audit__site__cmo", "answer__question", "created_by")
    return get_for(user, queryset, pk, write=write, write_perm=AUDIT_WRITE)


def get_capa_for(user: User, pk: int, *, write: bool = False) -> Capa:
    queryset = Capa.objects.select_related("finding__audit")
    return get_for(user, queryset, pk, write=write, write_perm=AUDIT_WRITE)


def get_report_for(user: User, pk: int, *, write: bool = False) -> AuditReport:
    queryset = AuditReport.objects.select_related("audit")
    return get_for(user, queryset, pk, write=write, write_perm=AUDIT_WRITE)


def get_template_for(user: User, pk: int, *, write: bool = False) -> ChecklistTemplate:
    queryset = ChecklistTemplate.objects.all()
    return get_for(user, queryset, pk, write=write, write_perm=CHECKLIST_WRITE)


def get_version_for(user: User, pk: int, *, write: bool = False) -> TemplateVersion:
    queryset = TemplateVersion.objects.select_related("template")
    return get_for(user, queryset, pk, write=write, write_perm=CHECKLIST_WRITE)


def get_section_for(user: User, pk: int, *, write: bool = False) -> ChecklistSection:
    queryset = ChecklistSection.objects.select_related("version__template")
    return get_for(user, queryset, pk, write=write, write_perm=CHECKLIST_WRITE)


def get_question_for(user: User, pk: int, *, write: bool = False) -> ChecklistQuestion:
    queryset = ChecklistQuestion.objects.select_related("section__version__template")
    return get_for(user, queryset, pk, write=write, write_perm=CHECKLIST_WRITE)
