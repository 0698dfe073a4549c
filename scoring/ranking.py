"""The scoring calculation: weighted totals, ranks, explanations and the stability of the leader.

Pure functions over figures already mapped by scoring/rules.py; nothing here reads the database
(scoring/sources.py reads, scoring/services/computation.py runs the workflows and stores the
result).
static/js/scoring.js repeats `weighted_total` and `rank` for the what-if sliders; keep the two in
step (tests/browser/test_scoring.py compares them).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from scoring.rules import Figure


@dataclass(frozen=True)
class Weighted:
    code: str
    name: str
    weight: int
    knockout: bool


@dataclass
class ScoredCmo:
    """One CMO's figures, and what `evaluate` makes of them."""

    cmo_id: int
    name: str
    figures: dict[str, Figure]
    total: float | None = None
    rank: int | None = None
    knockout_reasons: list[str] = field(default_factory=list)
    explanation: str = ""

    @property
    def knocked_out(self) -> bool:
        return bool(self.knockout_reasons)


def weighted_total(
    weights: Mapping[str, float], scores: Mapping[str, float | None]
) -> float | None:
    """Σ weight × score ÷ Σ weight over the criteria that have data; None when none has."""
    numerator = 0.0
    denominator = 0.0
    for code, weight in weights.items():
        score = scores.get(code)
        if score is None or weight <= 0:
            continue
        numerator += weight * score
        denominator += weight
    return numerator / denominator if denominator else None


class RankRow(NamedTuple):
    cmo_id: int
    name: str
    total: float | None
    knocked_out: bool


def ranked(rows: Sequence[RankRow]) -> dict[int, int | None]:
    """Each CMO's rank: highest total first, ties by name; CMOs knocked out or without any data
    get no rank."""
    eligible = [r for r in rows if not r.knocked_out and r.total is not None]
    eligible.sort(key=lambda r: (-r.total, r.name.casefold(), r.cmo_id))
    ranks: dict[int, int | None] = {r.cmo_id: None for r in rows}
    for position, row in enumerate(eligible, start=1):
        ranks[row.cmo_id] = position
    return ranks


def evaluate(
    criteria: Sequence[Weighted], scored: Sequence[ScoredCmo], *, compared: bool = True
) -> list[ScoredCmo]:
    """Fill in totals, knock-outs, ranks and explanations; return them ranked.

    `compared=False` (the qualification score of each CMO on its own) leaves ranks out of the
    explanations."""
    weights = {c.code: c.weight for c in criteria}
    for row in scored:
        scores = {code: f.score for code, f in row.figures.items()}
        row.total = weighted_total(weights, scores)
        row.knockout_reasons = [
            row.figures[c.code].knockout
            for c in criteria
            if c.knockout and c.code in row.figures and row.figures[c.code].knockout
        ]
    ranks = ranked([RankRow(o.cmo_id, o.name, o.total, o.knocked_out) for o in scored])
    for row in scored:
        row.rank = ranks[row.cmo_id]
    for row in scored:
        row.explanation = explain(criteria, row, of=len(scored) if compared else None)
    return sorted(scored, key=lambda o: (o.rank is None, o.rank or 0, o.name.casefold()))


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _fmt(score: float) -> str:
    return f"{score:.0f}"


def explain(criteria: Sequence[Weighted], row: ScoredCmo, *, of: int | None) -> str:
    """Say in a sentence or two why the candidate stands where it does."""
    figures = row.figures
    weighted = [c for c in criteria if c.weight > 0 and c.code in figures]
    scored = [c for c in weighted if figures[c.code].score is not None]
    missing = [c.name.lower() for c in weighted if figures[c.code].score is None]
    strengths = sorted(
        (c for c in scored if figures[c.code].score >= 75),
        key=lambda c: -c.weight * figures[c.code].score,
    )[:2]
    concerns = sorted(
        (c for c in scored if figures[c.code].score < 50),
        key=lambda c: -c.weight * (100 - figures[c.code].score),
    )[:2]

    def strength(c: Weighted) -> str:
        return f"{c.name.lower()} ({_fmt(figures[c.code].score)})"

    def concern(c: Weighted) -> str:
        figure = figures[c.code]
        because = f"{figure.note} lowers " if figure.note else "low "
        return f"{because}{c.name.lower()} to {_fmt(figure.score)}"

    if row.knocked_out:
        head = "Excluded: " + "; ".join(row.knockout_reasons)
    elif row.total is None:
        head = "Not ranked: no criterion has data yet"
    elif of is None:
        head = f"Scored {row.total:.1f}"
    else:
        head = f"Ranked {ordinal(row.rank)} of {of} with {row.total:.1f}"
    parts = []
    if strengths:
        parts.append("strong " + " and ".join(strength(c) for c in strengths))
    if concerns:
        joined = " and ".join(concern(c) for c in concerns)
        parts.append(("but " if parts else "") + joined)
    separator = ". Otherwise " if row.knocked_out else ": "
    sentence = head + (separator + ", ".join(parts) if parts else "") + "."
    if missing:
        sentence += f" No data for {', '.join(missing)}."
    return sentence


def stability_note(criteria: Sequence[Weighted], scored: Sequence[ScoredCmo]) -> str:
    """Whether the leader changes if any single weight moves by 10 points up or down."""
    weights = {c.code: float(c.weight) for c in criteria}

    def leader(ws: Mapping[str, float]) -> int | None:
        rows = []
        for o in scored:
            total = weighted_total(ws, {code: f.score for code, f in o.figures.items()})
            rows.append(RankRow(o.cmo_id, o.name, total, o.knocked_out))
        ranks = ranked(rows)
        return next((cmo_id for cmo_id, rank in ranks.items() if rank == 1), None)

    current = leader(weights)
    if current is None:
        return "No candidate is ranked yet."
    names = {o.cmo_id: o.name for o in scored}
    flips = []
    for c in criteria:
        for delta in (-10, 10):
            moved = dict(weights)
            moved[c.code] = max(0.0, min(100.0, moved[c.code] + delta))
            other = leader(moved)
            if other != current:
                flips.append(f"{c.name} {delta:+d} → {names.get(other, 'nobody')}")
    if not flips:
        return f"Stable: {names[current]} stays first if any single weight moves by ±10 points."
    return f"Sensitive: the leader changes if {'; '.join(flips)}."
