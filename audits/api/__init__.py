"""The audits app's REST API, one module per subdomain."""

from audits.api.answers import AnswerViewSet
from audits.api.audits import AuditViewSet
from audits.api.checklists import TemplateVersionViewSet
from audits.api.findings import CapaViewSet, FindingViewSet
from audits.api.reports import AuditReportViewSet

__all__ = [
    "AnswerViewSet",
    "AuditReportViewSet",
    "AuditViewSet",
    "CapaViewSet",
    "FindingViewSet",
    "TemplateVersionViewSet",
]
