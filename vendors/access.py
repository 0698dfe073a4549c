"""Permission-checked getters, one per entity: fetch and authorize in one call (403 or 404).

Contacts follow their CMO's rule; Form 483 citations follow their inspection's.
"""

from django.http import Http404

from cmoselect.roles import Perm, get_for
from vendors.models import (
    Capability,
    Citation,
    Cmo,
    Contact,
    EventKind,
    ImportRun,
    RegulatoryEvent,
    Site,
)

DIRECTORY_WRITE = Perm.EDIT_DIRECTORY
REGULATORY_WRITE = Perm.EDIT_REGULATORY


def get_cmo_for(user, pk: int, *, write: bool = False) -> Cmo:
    return get_for(user, Cmo.objects.all(), pk, write=write, write_perm=DIRECTORY_WRITE)


def get_site_for(user, pk: int, *, write: bool = False) -> Site:
    queryset = Site.objects.select_related("cmo")
    return get_for(user, queryset, pk, write=write, write_perm=DIRECTORY_WRITE)


def get_contact_for(user, pk: int, *, write: bool = False) -> Contact:
    queryset = Contact.objects.select_related("cmo")
    return get_for(user, queryset, pk, write=write, write_perm=DIRECTORY_WRITE)


def get_capability_for(user, pk: int, *, write: bool = False) -> Capability:
    # Capabilities are reference data, changed only by administrators.
    queryset = Capability.objects.all()
    return get_for(user, queryset, pk, write=write, write_perm=Perm.ADMINISTER)


def get_event_for(user, pk: int, *, write: bool = False) -> RegulatoryEvent:
    queryset = RegulatoryEvent.objects.select_related("site", "site__cmo", "import_run")
    return get_for(user, queryset, pk, write=write, write_perm=REGULATORY_WRITE)


def get_inspection_for(user, pk: int, *, write: bool = False) -> RegulatoryEvent:
    """An inspection, the only kind of event with Form 483 citations; 404 for any other."""
    event = get_event_for(user, pk, write=write)
    if event.kind != EventKind.INSPECTION:
        raise Http404("Only an inspection has Form 483 citations.")
    return event


def get_citation_for(user, pk: int, *, write: bool = False) -> Citation:
    queryset = Citation.objects.select_related(
        "inspection", "inspection__site", "inspection__site__cmo", "import_run"
    )
    return get_for(user, queryset, pk, write=write, write_perm=REGULATORY_WRITE)


def get_import_run_for(user, pk: int, *, write: bool = False) -> ImportRun:
    queryset = ImportRun.objects.select_related("uploaded_by")
    return get_for(user, queryset, pk, write=write, write_perm=Perm.IMPORT_DATA)
