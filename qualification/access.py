"""Permission-checked getters for the approved supplier list and notified changes (403 or 404)."""

from cmoselect.roles import Perm, get_for
from qualification.models import NotifiedChange, SiteQualification


def get_qualification_for(user, pk: int, *, write: bool = False) -> SiteQualification:
    queryset = SiteQualification.objects.select_related("site__cmo", "audit", "signature")
    return get_for(user, queryset, pk, write=write, write_perm=Perm.QUALIFY)


def get_notified_change_for(user, pk: int, *, write: bool = False) -> NotifiedChange:
    """A change a CMO notified; QA and Admin keep them (the regulatory permission)."""
    queryset = NotifiedChange.objects.select_related("site__cmo")
    return get_for(user, queryset, pk, write=write, write_perm=Perm.EDIT_REGULATORY)
