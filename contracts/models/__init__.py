"""Contracts and their terms, split by subdomain; import them from here."""

from contracts.models.amendments import Amendment, AmendmentQuerySet
from contracts.models.contracts import (
    QUALITY_ACTIVITIES,
    STANDARD_KPIS,
    TERMINAL_STATUSES,
    TRANSITIONS,
    Contract,
    ContractQuerySet,
    currency_validator,
    not_in_future,
    today,
)
from contracts.models.documents import ContractDocument, document_upload_to
from contracts.models.terms import (
    Kpi,
    KpiMeasurement,
    Milestone,
    MilestoneQuerySet,
    ResponsibilityItem,
    ScopeItem,
)

__all__ = [
    "Amendment",
    "AmendmentQuerySet",
    "QUALITY_ACTIVITIES",
    "STANDARD_KPIS",
    "TERMINAL_STATUSES",
    "TRANSITIONS",
    "Contract",
    "ContractDocument",
    "ContractQuerySet",
    "Kpi",
    "KpiMeasurement",
    "Milestone",
    "MilestoneQuerySet",
    "ResponsibilityItem",
    "ScopeItem",
    "currency_validator",
    "document_upload_to",
    "not_in_future",
    "today",
]
