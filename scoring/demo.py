"""Demo evaluations: an open one with six candidates and a report, a decided one with its sign-off."""

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction

from cmoselect.history import save_with_history
from cmoselect.roles import MANAGER, SOURCING
from scoring.models import (
    Candidate,
    ComparisonReport,
    Decision,
    EnteredScore,
    Evaluation,
    EvaluationNeed,
    ScoringModel,
)
from scoring.services import cmo_scores_compute, evaluation_compute, report_render
from vendors.demo import DEMO_PASSWORD_SUFFIX, DEMO_REASON, PREFIXES, demo_user
from vendors.models import Capability, CapabilityLevel, Cmo, QualificationStatus, SiteCapability

OPEN_NAME = "ABX-101 fill-finish (demo)"
DECIDED_NAME = "ABX-205 API supply (demo)"
VIALS = "dosage-forms-sterile-liquid-vials"
MAB = "modalities-monoclonal-antibodies-and-recombinant-proteins"
API = "modalities-small-molecule-api"


def _demo_cmos(word: str, n: int) -> list[Cmo]:
    names = [p for p in PREFIXES]
    cmos = [c for c in Cmo.objects.filter(legal_name__contains=word).order_by("legal_name")]
    return [c for c in cmos if c.legal_name.split()[0] in names][:n]


def _capabilities(cmos: list[Cmo], codes: list[str], unit: str, base: int) -> None:
    capabilities = [Capability.objects.get(code=code) for code in codes]
    author = demo_user(SOURCING)
    for index, cmo in enumerate(cmos):
        for number, site in enumerate(cmo.sites.order_by("name")):
            # "Verified by audit" comes only from the demo's approved audits.
            level = [
                CapabilityLevel.DEMONSTRATED,
                CapabilityLevel.DEMONSTRATED,
                CapabilityLevel.CLAIMED,
            ][(index + number) % 3]
            for capability in capabilities:
                if SiteCapability.objects.filter(site=site, capability=capability).exists():
                    continue
                cell = SiteCapability(
                    site=site,
                    capability=capability,
                    level=level,
                    annual_capacity=Decimal(base * (index % 4 + 1) // (number + 1)),
                    annual_capacity_unit=unit,
                    notes="Demo data",
                )
                save_with_history(cell, user=author, reason=DEMO_REASON)


def _evaluation(name, product, phase, volume, unit, needs, cmos, user) -> Evaluation:
    model = ScoringModel.objects.get(is_default=True)
    evaluation = Evaluation(
        name=name,
        product=product,
        phase=phase,
        annual_volume=volume,
        volume_unit=unit,
        timeline="Tech transfer Q3, PPQ batches Q1 next year",
        scoring_model=model,
        created_by=user,
    )
    save_with_history(evaluation, user=user, reason=DEMO_REASON)
    evaluation.team.add(user)
    for code, level in needs:
        EvaluationNeed.objects.create(
            evaluation=evaluation, capability=Capability.objects.get(code=code), min_level=level
        )
    for cmo in cmos:
        candidate = Candidate(evaluation=evaluation, cmo=cmo, added_by=user)
        save_with_history(candidate, user=user, reason=DEMO_REASON)
    for index, candidate in enumerate(evaluation.candidates.order_by("pk")):
        for code, value, why in [
            ("cost", Decimal(18 + 3 * (index % 4)), f"Quote Q-{2026}-{index + 1:02d}"),
            ("communication", Decimal(3 + index % 3), "Responsive project manager, weekly calls"),
        ]:
            score = EnteredScore(
                candidate=candidate,
                criterion_code=code,
                value=value,
                justification=why,
                entered_by=user,
            )
            save_with_history(score, user=user, reason=DEMO_REASON)
    evaluation_compute(evaluation=evaluation)
    evaluation.refresh_from_db()
    return evaluation


@transaction.atomic
def seed_scoring() -> dict[str, int]:
    """Create the demo evaluations that are missing; touch nothing else."""
    User = get_user_model()
    created = {"evaluations": 0, "reports": 0, "decisions": 0}
    sourcing = User.objects.filter(groups__name=SOURCING).order_by("pk").first()
    manager = User.objects.filter(groups__name=MANAGER, username="manager").first()
    if sourcing is None:
        return created
    biologics = _demo_cmos("Biologics", 3) + _demo_cmos("Sterile", 2) + _demo_cmos("BioPharma", 1)
    chemicals = _demo_cmos("Fine Chemicals", 2) + _demo_cmos("Contract Manufacturing", 2)
    if not Evaluation.objects.filter(name=OPEN_NAME).exists() and len(biologics) >= 2:
        _capabilities(biologics, [VIALS, MAB], "vials/year", 120_000)
        evaluation = _evaluation(
            OPEN_NAME,
            "ABX-101 monoclonal antibody",
            "phase_3",
            250_000,
            "vials/year",
            [(VIALS, CapabilityLevel.DEMONSTRATED), (MAB, CapabilityLevel.CLAIMED)],
            biologics,
            sourcing,
        )
        created["evaluations"] += 1
        report = ComparisonReport.objects.create(evaluation=evaluation, requested_by=sourcing)
        report.candidates.set(evaluation.candidates.all())
        report_render(report=report)
        created["reports"] += 1
    if (
        manager
        and not Evaluation.objects.filter(name=DECIDED_NAME).exists()
        and len(chemicals) >= 2
        and manager.check_password(f"manager{DEMO_PASSWORD_SUFFIX}")
    ):
        from scoring.services import decision_sign

        _capabilities(chemicals, [API], "kg/year", 800)
        evaluation = _evaluation(
            DECIDED_NAME,
            "ABX-205 small-molecule API",
            "phase_2",
            1_200,
            "kg/year",
            [(API, CapabilityLevel.DEMONSTRATED)],
            chemicals,
            sourcing,
        )
        created["evaluations"] += 1
        chosen = evaluation.candidates.ranked().filter(knocked_out=False).first()
        if chosen is not None:
            status = (
                QualificationStatus.UNDER_EVALUATION
                if chosen.cmo.qualification_status == QualificationStatus.PROSPECT
                else ""
            )
            decision_sign(
                evaluation=evaluation,
                candidate=chosen,
                user=manager,
                password=f"manager{DEMO_PASSWORD_SUFFIX}",
                meaning=Decision.Meaning.SELECTED,
                rationale="Highest weighted score, verified API capability and capacity headroom.",
                new_status=status,
            )
            created["decisions"] += 1
            report = ComparisonReport.objects.create(evaluation=evaluation, requested_by=manager)
            report.candidates.set(evaluation.candidates.all())
            transaction.on_commit(lambda: report_render(report=report))
            created["reports"] += 1
    cmo_scores_compute()
    return created
