"""Audit models, split by subdomain; import them from here (migrations name `audits.models.*`)."""

from audits.models.audits import (
    Answer,
    Audit,
    AuditQuerySet,
    ChecklistProgress,
    Evidence,
    SectionProgress,
    evidence_path,
)
from audits.models.checklists import (
    RATING_LABELS,
    SCORED_TYPES,
    AnswerType,
    ChecklistQuestion,
    ChecklistSection,
    ChecklistTemplate,
    TemplateVersion,
    TemplateVersionQuerySet,
)
from audits.models.findings import (
    SEVERITY_DEFINITIONS,
    SEVERITY_ORDER,
    Capa,
    CapaQuerySet,
    Finding,
    FindingQuerySet,
    Severity,
)
from audits.models.reports import AuditReport, Signature, report_path, sha256_of

__all__ = [
    "RATING_LABELS",
    "SCORED_TYPES",
    "SEVERITY_DEFINITIONS",
    "SEVERITY_ORDER",
    "Answer",
    "AnswerType",
    "Audit",
    "AuditQuerySet",
    "AuditReport",
    "Capa",
    "CapaQuerySet",
    "ChecklistProgress",
    "ChecklistQuestion",
    "ChecklistSection",
    "ChecklistTemplate",
    "Evidence",
    "Finding",
    "FindingQuerySet",
    "SectionProgress",
    "Severity",
    "Signature",
    "TemplateVersion",
    "TemplateVersionQuerySet",
    "evidence_path",
    "report_path",
    "sha256_of",
]
