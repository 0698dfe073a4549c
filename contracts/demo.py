"""Demo contracts for the demo CMOs: every type, some expiring soon, some milestones late."""

from datetime import timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.contrib.auth import get_user_model
from django.db import transaction

from contracts.models import (
    STANDARD_KPIS,
    Contract,
    Kpi,
    KpiMeasurement,
    Milestone,
    ScopeItem,
    today,
)
from contracts.services import (
    amendment_approve,
    amendment_raise,
    contract_change_status,
    contract_items_save,
    contract_save,
    kpi_measurement_record,
)
from contracts.versions import table_rows
from vendors.demo import DEMO_REASON, GEOGRAPHY, LEGAL_FORMS, PREFIXES, SUFFIXES
from vendors.models import Capability, Cmo, QualificationStatus

DEMO_CMO_COUNT = 10
PARTIES = ["cmo", "shared", "sponsor", "cmo", "cmo", "cmo", "shared", "cmo", "sponsor", "sponsor"]


def _demo_cmos() -> list[Cmo]:
    names = []
    for index, prefix in enumerate(PREFIXES):
        suffix, _ = SUFFIXES[index % len(SUFFIXES)]
        country, _ = GEOGRAPHY[index % len(GEOGRAPHY)]
        names.append(f"{prefix} {suffix} {LEGAL_FORMS[country]}")
    wanted = [
        QualificationStatus.APPROVED,
        QualificationStatus.CONDITIONALLY_APPROVED,
        QualificationStatus.UNDER_EVALUATION,
    ]
    cmos = Cmo.objects.filter(legal_name__in=names, qualification_status__in=wanted)
    return list(cmos.order_by("legal_name").prefetch_related("sites")[:DEMO_CMO_COUNT])


def _contract(
    cmo, owner, code: str, *, to_sign: list, status: str = Contract.Status.DRAFT, **fields
) -> tuple[Contract, bool]:
    """A demo contract; one meant to be active is entered in negotiation and added to `to_sign`.

    Its term tables are filled while it can still be edited, then it is activated through the
    status service, as a real signed contract would be (after that, only amendments change it).
    """
    reference = f"DEMO-{cmo.pk:04d}-{code}"
    existing = Contract.objects.filter(reference=reference).first()
    if existing is not None:
        return existing, False
    signing = status == Contract.Status.ACTIVE
    contract = Contract(
        cmo=cmo,
        owner=owner,
        reference=reference,
        currency="EUR",
        status=Contract.Status.NEGOTIATION if signing else status,
        **fields,
    )
    contract_save(contract=contract, user=owner)
    if signing:
        to_sign.append(contract)
    return contract, True


def _sign(contracts: list[Contract], owner) -> None:
    for contract in contracts:
        contract_change_status(
            contract=contract,
            status=Contract.Status.ACTIVE,
            user=owner,
            reason="Demo data: signed by both parties",
        )
    contracts.clear()


def _amend(msa: Contract, author, approver, *, on) -> int:
    """Amendment 1 raised and approved (in effect), amendment 2 awaiting approval."""
    first = amendment_raise(
        contract=msa,
        user=author,
        reason="Demo data: commercial volumes doubled, so the liability cap rises with them.",
        effective_date=max(msa.effective_date, on - timedelta(days=30)),
        fields={"liability_cap": Decimal(7_500_000)},
    )
    amendment_approve(amendment=first, user=approver, note="Demo data: agreed with legal.")
    kpis = table_rows(msa, "kpis")
    for row in kpis:
        if row["kind"] == Kpi.Kind.OTIF:
            row["target"] = "97.00"
    amendment_raise(
        contract=msa,
        user=author,
        reason="Demo data: the CMO offers a tighter on-time-in-full target for a lower price.",
        effective_date=on + timedelta(days=30),
        tables={"kpis": kpis},
    )
    return 2


def _record_kpi_results(kpi: Kpi, user, index: int, *, on) -> int:
    """The last two full quarters' results of a demo KPI; some CMOs miss the latest one."""
    quarter_start = on.replace(month=3 * ((on.month - 1) // 3) + 1, day=1)
    for back in (2, 1):
        start = quarter_start - relativedelta(months=3 * back)
        missed = back == 1 and (index + len(kpi.kind)) % 3 == 0
        if kpi.lower_is_better:  # a ceiling: deviations, review days
            factor = Decimal("1.2") if missed else Decimal("0.8")
        else:
            factor = Decimal("0.95") if missed else Decimal("1.01")
        actual = min(kpi.target * factor, Decimal(100))
        kpi_measurement_record(
            measurement=KpiMeasurement(
                kpi=kpi,
                period_start=start,
                period_end=start + relativedelta(months=3, days=-1),
                actual=actual.quantize(Decimal("0.1")),
                note="From the CMO's quarterly business review",
            ),
            user=user,
        )
    return 2


def _add_terms(contract: Contract, items: list, owner) -> None:
    contract_items_save(contract=contract, saved=items, deleted=[], user=owner, reason=DEMO_REASON)


@transaction.atomic
def seed_contracts() -> dict[str, int]:
    """Create the demo contracts that are missing; touch nothing else."""
    on = today()
    owner = get_user_model().objects.filter(username="sourcing").first()
    services = {c.code: c for c in Capability.objects.filter(category="services")}
    service_list = list(services.values())
    created = {"contracts": 0, "milestones": 0, "kpi_results": 0, "amendments": 0}
    approver = get_user_model().objects.filter(username="manager").first()
    to_sign: list[Contract] = []
    for index, cmo in enumerate(_demo_cmos()):
        sites = list(cmo.sites.all())
        approved = cmo.qualification_status != QualificationStatus.UNDER_EVALUATION
        short = cmo.legal_name.split()[0]
        live = Contract.Status.ACTIVE if approved else Contract.Status.NEGOTIATION
        signed = on - relativedelta(years=1, days=index * 9)

        _, new = _contract(
            cmo,
            owner,
            "CDA",
            to_sign=to_sign,
            contract_type=Contract.Type.CDA,
            title=f"Mutual confidentiality agreement with {short}",
            status=Contract.Status.ACTIVE,
            signed_on=on - relativedelta(years=2),
            effective_date=on - relativedelta(years=2),
            # Half of them run out within 90 days, so the dashboard has work.
            expiry_date=on + timedelta(days=15 + 14 * index) if index % 2 == 0 else None,
            confidentiality_years=5,
            governing_law="England and Wales",
        )
        created["contracts"] += new
        msa, new = _contract(
            cmo,
            owner,
            "MSA",
            to_sign=to_sign,
            contract_type=Contract.Type.MSA,
            title=f"Master services agreement with {short}",
            status=live,
            signed_on=signed if approved else None,
            effective_date=signed if approved else None,
            expiry_date=(signed + relativedelta(years=3)) if approved else None,
            auto_renewal=True,
            renewal_term_months=12,
            notice_period=6,
            notice_period_unit=Contract.NoticeUnit.MONTHS,
            payment_terms="Net 60 days",
            governing_law="New York",
            total_value=2_500_000 + 250_000 * index,
            foreground_ip_owner=Contract.IpOwner.SPONSOR,
            background_ip="Each party keeps its background IP; the CMO's process platform stays "
            "with the CMO.",
            licences="Non-exclusive licence to the CMO to use sponsor IP solely to perform "
            "the services.",
            know_how="Product-specific improvements belong to the sponsor; general platform "
            "improvements to the CMO.",
            confidentiality_years=10,
            liability_cap=5_000_000,
            liability_notes="Cap of the greater of EUR 5 M or the fees paid in the previous "
            "12 months; no cap for gross negligence or confidentiality breaches.",
            insurance="Product liability EUR 10 M per occurrence; property all-risk.",
        )
        created["contracts"] += new
        if new:
            msa.sites.set(sites)
            kpis = [
                Kpi(kind=kind, target=target, unit=unit) for kind, target, unit in STANDARD_KPIS
            ]
            _add_terms(msa, kpis, owner)
            if live == Contract.Status.ACTIVE and owner is not None:
                for kpi in kpis:
                    created["kpi_results"] += _record_kpi_results(kpi, owner, index, on=on)

        quality, new = _contract(
            cmo,
            owner,
            "QA",
            to_sign=to_sign,
            contract_type=Contract.Type.QUALITY,
            title=f"Quality agreement with {short}",
            parent=msa,
            status=live,
            signed_on=signed if approved else None,
            effective_date=signed if approved else None,
            expiry_date=(signed + relativedelta(years=3)) if approved else None,
            notice_period=90,
            notice_period_unit=Contract.NoticeUnit.DAYS,
        )
        created["contracts"] += new
        if new and approved:
            # Agreed through the same service as an edit, so the matrix's history shows it.
            rows = list(quality.responsibilities.all())
            for number, row in enumerate(rows):
                row.responsible = PARTIES[(number + index) % len(PARTIES)]
            contract_items_save(
                contract=quality,
                saved=rows,
                deleted=[],
                user=owner,
                reason="Demo data: responsibilities agreed with the CMO",
            )

        supply, new = _contract(
            cmo,
            owner,
            "SUP",
            to_sign=to_sign,
            contract_type=Contract.Type.SUPPLY,
            title=f"Commercial supply agreement with {short}",
            parent=msa,
            status=live,
            signed_on=signed if approved else None,
            effective_date=signed if approved else None,
            # Every third one expires within 90 days, with its notice deadline already open.
            expiry_date=(on + timedelta(days=40 + 5 * index))
            if index % 3 == 0
            else on + relativedelta(years=2),
            auto_renewal=index % 3 == 0,
            renewal_term_months=24 if index % 3 == 0 else None,
            notice_period=2,
            notice_period_unit=Contract.NoticeUnit.MONTHS,
            total_value=8_000_000 + 500_000 * index,
            payment_terms="Net 45 days",
        )
        created["contracts"] += new
        if new and service_list:
            item = ScopeItem(
                product=f"DP-{100 + index} 50 mg/mL vial",
                capability=services.get("services-commercial-manufacturing", service_list[0]),
                site=sites[0] if sites else None,
                annual_volume=200_000 + 25_000 * index,
                volume_unit="vials/year",
            )
            _add_terms(supply, [item], owner)

        sow, new = _contract(
            cmo,
            owner,
            "SOW1",
            to_sign=to_sign,
            contract_type=Contract.Type.SOW,
            title=f"SOW 1: process transfer and validation of DP-{100 + index}",
            parent=msa,
            status=live,
            signed_on=signed + timedelta(days=30) if approved else None,
            effective_date=signed + timedelta(days=30) if approved else None,
            expiry_date=signed + relativedelta(months=18) if approved else None,
            total_value=1_200_000 + 100_000 * index,
            scope_summary="Transfer of the drug product process, engineering run, three "
            "process validation batches and the first commercial batch.",
        )
        created["contracts"] += new
        if new:
            if service_list:
                item = ScopeItem(
                    product=f"DP-{100 + index}",
                    capability=services.get("services-technology-transfer", service_list[0]),
                    site=sites[0] if sites else None,
                )
                _add_terms(sow, [item], owner)
            start = sow.effective_date or on - timedelta(days=60)
            plan = [
                ("Technology transfer complete", 45, True),
                ("Engineering batch", 120, index % 2 == 0),
                ("Validation batches (3)", 240, False),
                ("First commercial batch", 330, False),
            ]
            milestones = []
            for name, offset, done in plan:
                planned = start + timedelta(days=offset)
                milestones.append(
                    Milestone(
                        name=name,
                        planned_date=planned,
                        actual_date=planned + timedelta(days=index % 5) if done else None,
                    )
                )
            _add_terms(sow, milestones, owner)
            created["milestones"] += len(milestones)

        tta, new = _contract(
            cmo,
            owner,
            "TTA",
            to_sign=to_sign,
            contract_type=Contract.Type.TECH_TRANSFER,
            title=f"Technology transfer of analytical methods to {short}",
            parent=msa,
            status=Contract.Status.NEGOTIATION if index % 2 else Contract.Status.DRAFT,
            foreground_ip_owner=Contract.IpOwner.SPONSOR,
        )
        created["contracts"] += new
        if new:
            milestones = [
                Milestone(name=name, planned_date=on + timedelta(days=(number * 45) - 20 + index))
                for number, name in enumerate(
                    ["Method transfer protocol", "Method transfer report"]
                )
            ]
            _add_terms(tta, milestones, owner)
            created["milestones"] += len(milestones)
        msa_is_new = msa in to_sign
        _sign(to_sign, owner)
        if msa_is_new and not created["amendments"] and owner and approver:
            created["amendments"] += _amend(msa, owner, approver, on=on)
    return created
