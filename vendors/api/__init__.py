"""The vendors app's REST API, one module per subdomain."""

from vendors.api.capabilities import CapabilityViewSet, NeedsViewSet, SiteCapabilityViewSet
from vendors.api.certificates import CertificateViewSet
from vendors.api.directory import CmoViewSet, ContactViewSet, SiteViewSet
from vendors.api.imports import ImportRunViewSet
from vendors.api.records import ChangeReasonField, RecordSerializer
from vendors.api.regulatory import CitationViewSet, RegulatoryEventViewSet

__all__ = [
    "CapabilityViewSet",
    "CertificateViewSet",
    "ChangeReasonField",
    "CitationViewSet",
    "CmoViewSet",
    "ContactViewSet",
    "ImportRunViewSet",
    "NeedsViewSet",
    "RecordSerializer",
    "RegulatoryEventViewSet",
    "SiteCapabilityViewSet",
    "SiteViewSet",
]
