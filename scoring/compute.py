"""Computing scores: an evaluation's candidates, and every CMO's qualification score.

Inputs are read for all CMOs at once through scoring/sources.py, so the number of queries does
not grow with the number of candidates (or, for the bulk score, with the size of a batch).
"""

import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from cmoselect.bulk import upsert
from scoring import rules, sources
from scoring.engine import Outcome, Weighted, evaluate, stability_note
from scoring.models import (
    Candidate,
    CmoScore,
    Criterion,
    EnteredScore,
    Evaluation,
    ScoringModel,
    Source,
)
from vendors.models import Cmo

BATCH_SIZE = 1000
# Changes arriving within settings.SCORING_DEBOUNCE_SECONDS are folded into one recomputation,
# unless one has waited this long already (a steady stream of changes must not starve it).
MAX_WAIT = timedelta(minutes=2)


def _url_pattern(name: str) -> str:
    return reverse(name, args=[987654321]).replace("987654321", "{}")


def figures_for(
    *,
    criteria: Sequence[Criterion],
    cmos: Sequence[tuple[int, str]],
    needs: Sequence[rules.Need] = (),
    volume: Decimal | None = None,
    unit: str = "",
    entries: dict[int, dict[str, EnteredScore]] | None = None,
    entry_urls: dict[int, str] | None = None,
) -> list[tuple[int, str, dict[str, rules.Figure]]]:
    """Each CMO's figure for each criterion, reading every input once for all CMOs."""
    ids = [cmo_id for cmo_id, _ in cmos]
    used = {c.source for c in criteria}
    cmo_url = _url_pattern("vendors:cmo_detail")
    site_facts = (
        sources.sites(ids)
        if used & {Source.CAPABILITY_FIT, Source.CAPACITY_FIT, Source.SUPPLY_RISK}
        else {}
    )
    compliance = sources.compliance(ids) if Source.COMPLIANCE in used else None
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
        url = cmo_url.format(cmo_id)
        sites = site_facts.get(cmo_id, [])
        for criterion in criteria:
            entry = entries.get(cmo_id, {}).get(criterion.code)
            match criterion.source:
                case Source.CAPABILITY_FIT:
                    figure = rules.capability_fit(needs, sites, url=url + "#sites")
                case Source.COMPLIANCE:
                    figure = rules.compliance(
                        None if compliance is None else compliance.get(cmo_id),
                        url=url + "#compliance",
                    )
                case Source.AUDIT_OUTCOME:
                    figure = rules.audit_outcome(None if audits is None else audits.get(cmo_id))
                case Source.QUALITY_AGREEMENT:
                    figure = rules.quality_agreement(
                        agreements.get(cmo_id),
                        contracts_url=f"{reverse('contracts:contract_list')}?cmo={cmo_id}",
                    )
                case Source.CAPACITY_FIT:
                    figure = rules.capacity_fit(volume, unit, sites, capability_ids)
                case Source.SUPPLY_RISK:
                    figure = rules.supply_risk(sites, capability_ids, url=url + "#sites")
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
        result.append((cmo_id, name, figures))
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
        rules.Need(n.capability_id, n.capability.name, n.min_level)
        for n in evaluation.needs.select_related("capability")
    ]
    candidates = list(evaluation.candidates.select_related("cmo"))
    entries: dict[int, dict[str, EnteredScore]] = {}
    for entry in EnteredScore.objects.filter(candidate__evaluation=evaluation).select_related(
        "candidate"
    ):
        entries.setdefault(entry.candidate.cmo_id, {})[entry.criterion_code] = entry
    entry_url = _url_pattern("scoring:candidate_detail")
    by_cmo = {c.cmo_id: c for c in candidates}
    rows = figures_for(
        criteria=criteria,
        cmos=[(c.cmo_id, c.cmo.legal_name) for c in candidates],
        needs=needs,
        volume=evaluation.annual_volume,
        unit=evaluation.volume_unit,
        entries=entries,
        entry_urls={c.cmo_id: entry_url.format(c.pk) for c in candidates},
    )
    weighted = _weighted(criteria)
    outcomes = evaluate(weighted, [Outcome(cmo_id, name, figs) for cmo_id, name, figs in rows])
    note = stability_note(weighted, outcomes) if len(outcomes) > 1 else ""
    with transaction.atomic():
        locked = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
        if token is not None and locked.pending_token != token:
            return False
        for outcome in outcomes:
            candidate = by_cmo[outcome.key]
            candidate.total = None if outcome.total is None else round(outcome.total, 2)
            candidate.rank = outcome.rank
            candidate.knocked_out = outcome.knocked_out
            candidate.knockout_reasons = outcome.knockout_reasons
            candidate.explanation = outcome.explanation
            candidate.breakdown = breakdown_of(criteria, outcome.figures)
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


def evaluation_scores_hash(evaluation: Evaluation) -> str:
    """A SHA-256 of the stored scores: what a signature and a report are bound to."""
    rows = evaluation.candidates.order_by("pk").values_list(
        "pk", "cmo_id", "total", "rank", "knocked_out", "knockout_reasons", "breakdown"
    )
    payload = {
        "evaluation": evaluation.pk,
        "version": evaluation.scored_version_id,
        "scored_at": evaluation.scored_at.isoformat() if evaluation.scored_at else None,
        "candidates": [list(r) for r in rows],
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def cmo_scores_compute(*, cmo_ids: Iterable[int] | None = None) -> int:
    """Recompute the qualification score of these CMOs (all when None) with the default model."""
    scoring_model = ScoringModel.objects.filter(is_default=True).first()
    if scoring_model is None:
        return 0
    version = scoring_model.versions.order_by("-number").first()
    criteria = list(version.criteria.all())
    weighted = _weighted(criteria)
    queryset = Cmo.objects.order_by("pk")
    if cmo_ids is not None:
        queryset = queryset.filter(pk__in=list(cmo_ids))
    all_rows = list(queryset.values_list("pk", "legal_name"))
    count = 0
    for start in range(0, len(all_rows), BATCH_SIZE):
        batch = all_rows[start : start + BATCH_SIZE]
        rows = figures_for(criteria=criteria, cmos=batch)
        outcomes = evaluate(weighted, [Outcome(k, n, f) for k, n, f in rows], compared=False)
        now = timezone.now()
        upsert(
            CmoScore,
            [
                CmoScore(
                    cmo_id=o.key,
                    total=None if o.total is None else round(o.total, 2),
                    knocked_out=o.knocked_out,
                    breakdown=breakdown_of(criteria, o.figures),
                    explanation=o.explanation,
                    version=version,
                    computed_at=now,
                )
                for o in outcomes
            ],
            unique="cmo",
            update=["total", "knocked_out", "breakdown", "explanation", "version", "computed_at"],
        )
        count += len(batch)
    return count
