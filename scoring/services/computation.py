"""The scoring workflows: an evaluation's candidates, and every CMO's qualification score.

Each reads its inputs through scoring/sources.py, maps them to figures with scoring/rules.py,
totals and ranks them with scoring/ranking.py, and stores the result. Inputs are read for all
CMOs at once, so the number of queries does not grow with the number of candidates (or, for the
bulk score, with the size of a batch).
"""

from collections.abc import Iterable, Sequence
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from cmoselect.bulk import upsert
from cmoselect.esign import content_hash
from scoring import rules, sources
from scoring.models import (
    Candidate,
    CmoScore,
    Criterion,
    EnteredScore,
    Evaluation,
    ScoringModel,
    Source,
)
from scoring.ranking import ScoredCmo, Weighted, evaluate, stability_note
from vendors.models import Cmo

BATCH_SIZE = 1000
# Changes arriving within settings.SCORING_DEBOUNCE_SECONDS are folded into one recomputation,
# unless one has waited this long already (a steady stream of changes must not starve it).
MAX_WAIT = timedelta(minutes=2)


def _site_url(site_id: int) -> str:
    return reverse("vendors:site_detail", args=[site_id])


def figures_for(
    *,
    criteria: Sequence[Criterion],
    cmos: Sequence[tuple[int, str]],
    needs: Sequence[sources.Need] = (),
    volume: Decimal | None = None,
    unit: str = "",
    entries: dict[int, dict[str, EnteredScore]] | None = None,
    entry_urls: dict[int, str] | None = None,
) -> list[ScoredCmo]:
    """Each CMO's figure for each criterion, reading every input once for all CMOs."""
    ids = [cmo_id for cmo_id, _ in cmos]
    used = {c.source for c in criteria}
    contract_list_url = reverse("contracts:contract_list")
    site_facts = (
        sources.sites(ids)
        if used & {Source.CAPABILITY_FIT, Source.CAPACITY_FIT, Source.SUPPLY_RISK}
        else {}
    )
    summaries = sources.compliance_summaries(ids) if Source.COMPLIANCE in used else None
    audits = sources.audit_outcomes(ids) if Source.AUDIT_OUTCOME in used else None
    agreements = sources.quality_agreements(ids) if Source.QUALITY_AGREEMENT in used else None
    capability_ids = [n.capability_id for n in needs]
    entries = entries or {}
    entry_urls = entry_urls or {}
    lowest: dict[str, Decimal] = {}
    for by_code in entries.values():
        for code, entry in by_code.items():
            if entry.value > 0 and (code not in lowest or entry.value < lowest[code]):
                lowest[code] = entry.value

    result = []
    for cmo_id, name in cmos:
        figures: dict[str, rules.Figure] = {}
        url = reverse("vendors:cmo_detail", args=[cmo_id])
        sites = site_facts.get(cmo_id, [])
        for criterion in criteria:
            entry = entries.get(cmo_id, {}).get(criterion.code)
            match criterion.source:
                case Source.CAPABILITY_FIT:
                    figure = rules.capability_fit(needs, sites, url=url + "#sites")
                case Source.COMPLIANCE:
                    figure = rules.compliance(
                        None if summaries is None else summaries.get(cmo_id),
                        url=url + "#compliance",
                    )
                case Source.AUDIT_OUTCOME:
                    figure = rules.audit_outcome(None if audits is None else audits.get(cmo_id))
                case Source.QUALITY_AGREEMENT:
                    figure = rules.quality_agreement(
                        agreements.get(cmo_id),
                        contracts_url=f"{contract_list_url}?cmo={cmo_id}",
                    )
                case Source.CAPACITY_FIT:
                    figure = rules.capacity_fit(
                        volume, unit, sites, capability_ids, site_url=_site_url
                    )
                case Source.SUPPLY_RISK:
                    figure = rules.supply_risk(sites, needs, url=url + "#sites")
                case Source.COST:
                    figure = rules.cost(
                        entry.value if entry else None,
                        lowest.get(criterion.code),
                        url=entry_urls.get(cmo_id, ""),
                    )
                case _:
                    figure = rules.rating(
                        entry.value if entry else None,
                        entry.justification if entry else "",
                        criterion.name,
                        url=entry_urls.get(cmo_id, ""),
                    )
            figures[criterion.code] = figure
        result.append(ScoredCmo(cmo_id, name, figures))
    return result


def _weighted(criteria: Iterable[Criterion]) -> list[Weighted]:
    return [Weighted(c.code, c.name, c.weight, c.knockout) for c in criteria]


def breakdown_of(criteria: Sequence[Criterion], figures: dict[str, rules.Figure]) -> list[dict]:
    return [
        {
            "code": c.code,
            "name": c.name,
            "source": c.source,
            "weight": c.weight,
            "score": figures[c.code].score,
            "raw": figures[c.code].raw,
            "note": figures[c.code].note,
            "url": figures[c.code].url,
            "knockout": figures[c.code].knockout if c.knockout else "",
        }
        for c in criteria
    ]


def evaluation_compute(*, evaluation: Evaluation, token: str | None = None) -> bool:
    """Score every candidate of the evaluation with the model version it uses and store it.

    With the token of a scheduled request, skip (and return False) when a later request
    superseded it, unless the first pending request has waited MAX_WAIT already.
    """
    if token is not None:
        if not _still_due(evaluation, token):
            return False
        token = evaluation.pending_token
    version = evaluation.version_in_use()
    criteria = list(version.criteria.all())
    needs = [
        sources.Need(n.capability_id, n.capability.name, n.min_level)
        for n in evaluation.needs.select_related("capability")
    ]
    candidates = list(evaluation.candidates.select_related("cmo"))
    entries: dict[int, dict[str, EnteredScore]] = {}
    for entry in EnteredScore.objects.filter(candidate__evaluation=evaluation).select_related(
        "candidate"
    ):
        entries.setdefault(entry.candidate.cmo_id, {})[entry.criterion_code] = entry
    by_cmo = {c.cmo_id: c for c in candidates}
    rows = figures_for(
        criteria=criteria,
        cmos=[(c.cmo_id, c.cmo.legal_name) for c in candidates],
        needs=needs,
        volume=evaluation.annual_volume,
        unit=evaluation.volume_unit,
        entries=entries,
        entry_urls={c.cmo_id: c.get_absolute_url() for c in candidates},
    )
    weighted = _weighted(criteria)
    scored = evaluate(weighted, rows)
    note = stability_note(weighted, scored) if len(scored) > 1 else ""
    with transaction.atomic():
        locked = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
        if token is not None and locked.pending_token != token:
            return False
        for row in scored:
            candidate = by_cmo[row.cmo_id]
            candidate.total = None if row.total is None else round(row.total, 2)
            candidate.rank = row.rank
            candidate.knocked_out = row.knocked_out
            candidate.knockout_reasons = row.knockout_reasons
            candidate.explanation = row.explanation
            candidate.breakdown = breakdown_of(criteria, row.figures)
        Candidate.objects.bulk_update(
            candidates,
            ["total", "rank", "knocked_out", "knockout_reasons", "explanation", "breakdown"],
        )
        Evaluation.objects.filter(pk=evaluation.pk).update(
            scored_version=version,
            scored_at=timezone.now(),
            stability_note=note,
            pending_since=None,
            pending_token="",
        )
    return True


def _still_due(evaluation: Evaluation, token: str) -> bool:
    if not evaluation.pending_token:
        return False  # computed already
    if evaluation.pending_token == token:
        return True
    return timezone.now() - evaluation.pending_since >= MAX_WAIT


def evaluation_scores_content(evaluation: Evaluation) -> dict:
    """The stored scores as signed: what a decision and a report are bound to by their hash."""
    rows = evaluation.candidates.order_by("pk").values_list(
        "pk", "cmo_id", "total", "rank", "knocked_out", "knockout_reasons", "breakdown"
    )
    return {
        "evaluation": evaluation.pk,
        "version": evaluation.scored_version_id,
        "scored_at": evaluation.scored_at.isoformat() if evaluation.scored_at else None,
        "candidates": [list(r) for r in rows],
    }


def evaluation_scores_hash(evaluation: Evaluation) -> str:
    """A SHA-256 of the stored scores (see evaluation_scores_content)."""
    return content_hash(evaluation_scores_content(evaluation))


def cmo_scores_compute(*, cmo_ids: Iterable[int] | None = None) -> int:
    """Recompute the qualification score of these CMOs (all when None) with the default model."""
    scoring_model = ScoringModel.objects.filter(is_default=True).first()
    if scoring_model is None:
        return 0
    version = scoring_model.current_version
    criteria = list(version.criteria.all())
    weighted = _weighted(criteria)
    queryset = Cmo.objects.order_by("pk")
    if cmo_ids is not None:
        queryset = queryset.filter(pk__in=list(cmo_ids))
    all_rows = list(queryset.values_list("pk", "legal_name"))
    count = 0
    for start in range(0, len(all_rows), BATCH_SIZE):
        batch = all_rows[start : start + BATCH_SIZE]
        scored = evaluate(weighted, figures_for(criteria=criteria, cmos=batch), compared=False)
        now = timezone.now()
        upsert(
            CmoScore,
            [
                CmoScore(
                    cmo_id=row.cmo_id,
                    total=None if row.total is None else round(row.total, 2),
                    knocked_out=row.knocked_out,
                    breakdown=breakdown_of(criteria, row.figures),
                    explanation=row.explanation,
                    version=version,
                    computed_at=now,
                )
                for row in scored
            ],
            unique="cmo",
            update=["total", "knocked_out", "breakdown", "explanation", "version", "computed_at"],
        )
        count += len(batch)
    return count
