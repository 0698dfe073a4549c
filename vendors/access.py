"""Permission-checked getters, one per entity: fetch and authorize in one call (403 or 404).

Contacts follow their CMO's rule; Form 483 citations follow their inspection's.
"""

from django.contrib.auth.models import User
from django.http import Http404

from cmoselect.roles import Perm, get_for
from vendors.models import (
    Capability,
    Certificate,
    Citation,
    Cmo,
    Contact,
    Establishment,
    EventKind,
    ImportRun,
    RegulatoryEvent,
    Site,
)

DIRECTORY_WRITE = Perm.EDIT_DIRECTORY
REGULATORY_WRITE = Perm.EDIT_REGULATORY


def get_cmo_for(user: User, pk: int, *, write: bool = False) -> Cmo:
    return get_for(user, Cmo.objects.all(), pk, write=write, write_perm=DIRECTORY_WRITE)


def get_site_for(user: User, pk: int, *, write: bool = False) -> Site:
    queryset = Site.objects.select_related("cmo")
    return get_for(user, queryset, pk, write=write, write_perm=DIRECTORY_WRITE)


def get_contact_for(user: User, pk: int, *, write: bool = False) -> Contact:
    queryset = Contact.objects.select_related("cmo")
    return get_for(user, queryset, pk, write=write, write_perm=DIRECTORY_WRITE)


def get_capability_for(user: User, pk: int, *, write: bool = False) -> Capability:
    # Capabilities are reference data, changed only by administrators.
    queryset = Capability.objects.all()
    return get_for(user, queryset, pk, write=write, write_perm=Perm.ADMINISTER)


def get_event_for(user: User, pk: int, *, write: bool = False) -> RegulatoryEvent:
    queryset = RegulatoryEvent.objects.select_related(
        "site", "site__cmo", "establishment", "import_run"
    )
    return get_for(user, queryset, pk, write=write, write_perm=REGULATORY_WRITE)


def get_inspection_for(user: User, pk: int, *, write: bool = False) -> RegulatoryEvent:
    """An inspection, the only kind of event with Form 483 citations; 404 for any other."""
    event = get_event_for(user, pk, write=write)
    if event.kind != EventKind.INSPECTION:
        raise Http404("Only an inspection has Form 483 citations.")
    return event


def get_citation_for(user: User, pk: int, *, write: bool = False) -> Citation:
    queryset = Citation.objects.select_related(
        "inspection", "inspection__site", "inspection__site__cmo", "import_run"
    )
    return get_for(user, queryset, pk, write=write, write_perm=REGULATORY_WRITE)


def get_import_run_for(user: User, pk: int, *, write: bool = False) -> ImportRun:
    queryset = ImportRun.objects.select_related("uploaded_by")
    return get_for(user, queryset, pk, write=write, write_perm=Perm.IMPORT_DATA)


def get_establishment_for(user: User, pk: int, *, write: bool = False) -> Establishment:
    # Registry entries are written by imports; adding one to the directory edits the directory.
    return get_for(user, Establishment.objects.all(), pk, write=write, write_perm=DIRECTORY_WRITE)


def get_certificate_for(user: User, pk: int, *, write: bool = False) -> Certificate:
    """A site's certificate; QA and Admin keep the register (the regulatory permission)."""
    queryset = Certificate.objects.select_related("site", "site__cmo")
    return get_for(user, queryset, pk, write=write, write_perm=REGULATORY_WRITE)
