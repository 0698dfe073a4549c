"""Permission-checked getter for an entry of the approved supplier list (403 or 404)."""

from cmoselect.roles import Perm, get_for
from qualification.models import SiteQualification


def get_qualification_for(user, pk: int, *, write: bool = False) -> SiteQualification:
    queryset = SiteQualification.objects.select_related("site__cmo", "audit", "signature")
    return get_for(user, queryset, pk, write=write, write_perm=Perm.QUALIFY)
