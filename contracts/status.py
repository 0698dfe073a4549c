"""What other apps may ask about contracts: which CMOs have a quality agreement in force."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db.models import Q, QuerySet

from contracts.models import Contract, today


@dataclass(frozen=True)
class QualityAgreementStatus:
    contract_id: int
    url: str
    effective_date: date
    expiry_date: date | None


def in_force(*, on: date | None = None) -> QuerySet:
    """The signed, active quality agreements whose dates cover `on` (default today)."""
    on = on or today()
    return Contract.objects.filter(
        contract_type=Contract.Type.QUALITY,
        status=Contract.Status.ACTIVE,
        signed_on__isnull=False,
        effective_date__lte=on,
    ).filter(Q(expiry_date__isnull=True) | Q(expiry_date__gte=on))


def quality_agreements_in_force(
    cmo_ids: Iterable[int], *, on: date | None = None
) -> dict[int, QualityAgreementStatus]:
    """Per CMO, the signed, active quality agreement whose dates cover `on` (default today).

    When a CMO has several, the most recently effective one is given. One query.
    """
    rows = (
        in_force(on=on)
        .filter(cmo_id__in=list(cmo_ids))
        .order_by("cmo_id", "-effective_date", "-pk")
        .values_list("pk", "cmo_id", "effective_date", "expiry_date")
    )
    result: dict[int, QualityAgreementStatus] = {}
    for pk, cmo_id, effective, expiry in rows:
        if cmo_id not in result:
            result[cmo_id] = QualityAgreementStatus(
                contract_id=pk,
                url=Contract(pk=pk).get_absolute_url(),
                effective_date=effective,
                expiry_date=expiry,
            )
    return result
