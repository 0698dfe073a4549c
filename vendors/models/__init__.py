"""The vendors app's models, split by subdomain; import them from here."""

from vendors.models.capabilities import Capability, CapabilityLevel, SiteCapability
from vendors.models.directory import (
    CONFIRMED_STATUSES,
    QUALIFYING_STATUSES,
    TRANSITIONS,
    Cmo,
    CmoQuerySet,
    Contact,
    Notification,
    QualificationStatus,
    Site,
    SiteQuerySet,
    SiteType,
    StatusChange,
    duns_validator,
    fei_validator,
    normalize_fei,
)
from vendors.models.imports import ImportRun
from vendors.models.regulatory import (
    COMPLIANCE_ACTIONS,
    Agency,
    Citation,
    Classification,
    EventKind,
    RegulatoryEvent,
    citation_key,
)

__all__ = [
    "CONFIRMED_STATUSES",
    "QUALIFYING_STATUSES",
    "TRANSITIONS",
    "COMPLIANCE_ACTIONS",
    "Agency",
    "Capability",
    "CapabilityLevel",
    "Citation",
    "Classification",
    "Cmo",
    "CmoQuerySet",
    "Contact",
    "EventKind",
    "ImportRun",
    "Notification",
    "QualificationStatus",
    "RegulatoryEvent",
    "Site",
    "SiteCapability",
    "SiteQuerySet",
    "SiteType",
    "StatusChange",
    "citation_key",
    "duns_validator",
    "fei_validator",
    "normalize_fei",
]
