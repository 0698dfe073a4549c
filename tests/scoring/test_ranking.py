from scoring.ranking import (
    RankRow,
    ScoredCmo,
    Weighted,
    evaluate,
    ranked,
    stability_note,
    weighted_total,
)
from scoring.rules import Figure

CRITERIA = [
    Weighted("audit", "Audit outcome", 50, False),
    Weighted("compliance", "Regulatory compliance", 30, True),
    Weighted("cost", "Cost per unit", 20, False),
]


def fig(score, note="", knockout=""):
    return Figure(score=score, raw="", note=note, knockout=knockout)


def test_the_weighted_total_leaves_out_criteria_without_data():
    assert weighted_total({"a": 50, "b": 30, "c": 20}, {"a": 80, "b": 60, "c": 100}) == 78.0
    # c has no data: (50×80 + 30×60) / 80
    assert weighted_total({"a": 50, "b": 30, "c": 20}, {"a": 80, "b": 60, "c": None}) == 72.5
    assert weighted_total({"a": 50}, {"a": None}) is None


def test_ranks_go_by_total_then_name_and_skip_knocked_out_or_empty():
    ranks = ranked(
        [
            RankRow(1, "Beta", 70.0, False),
            RankRow(2, "Alpha", 70.0, False),
            RankRow(3, "Gamma", 90.0, True),
            RankRow(4, "Delta", None, False),
            RankRow(5, "Eta", 10.0, False),
        ]
    )
    assert ranks == {1: 2, 2: 1, 3: None, 4: None, 5: 3}


def outcomes():
    return [
        ScoredCmo(
            1,
            "Cork Sterile",
            {"audit": fig(87), "compliance": fig(40, "a warning letter in 2024"), "cost": fig(100)},
        ),
        ScoredCmo(2, "Basel Biologics", {"audit": fig(90), "compliance": fig(95), "cost": fig(60)}),
        ScoredCmo(
            3,
            "Hyderabad Fine",
            {
                "audit": fig(70),
                "compliance": fig(10, knockout="Regulatory: open warning letter"),
                "cost": fig(None),
            },
        ),
    ]


def test_knocked_out_candidates_are_excluded_with_their_reason():
    result = evaluate(CRITERIA, outcomes())
    excluded = result[-1]
    assert excluded.name == "Hyderabad Fine"
    assert excluded.rank is None
    assert excluded.knockout_reasons == ["Regulatory: open warning letter"]
    assert excluded.explanation.startswith("Excluded: Regulatory: open warning letter")


def test_a_knockout_on_a_criterion_not_marked_knockout_does_not_exclude():
    rows = [
        ScoredCmo(1, "A", {"audit": fig(50, knockout="x"), "compliance": fig(50), "cost": fig(50)})
    ]
    assert not evaluate(CRITERIA, rows)[0].knocked_out


def test_the_explanation_says_rank_strengths_and_the_concern_with_its_cause():
    result = evaluate(CRITERIA, outcomes())
    by_name = {o.name: o for o in result}
    # Basel: 50×90 + 30×95 + 20×60 = 8550 → 85.5; Cork: 4350 + 1200 + 2000 = 7550 → 75.5
    assert by_name["Basel Biologics"].explanation == (
        "Ranked 1st of 3 with 85.5: strong audit outcome (90) and regulatory compliance (95)."
    )
    assert by_name["Cork Sterile"].explanation == (
        "Ranked 2nd of 3 with 75.5: strong audit outcome (87) and cost per unit (100), "
        "but a warning letter in 2024 lowers regulatory compliance to 40."
    )


def test_the_explanation_names_criteria_without_data():
    rows = [ScoredCmo(1, "A", {"audit": fig(60), "compliance": fig(None), "cost": fig(None)})]
    assert evaluate(CRITERIA, rows)[0].explanation == (
        "Ranked 1st of 1 with 60.0. No data for regulatory compliance, cost per unit."
    )


def test_the_stability_note_names_the_weight_moves_that_change_the_leader():
    close = [
        ScoredCmo(1, "A", {"audit": fig(80), "compliance": fig(80), "cost": fig(40)}),
        ScoredCmo(2, "B", {"audit": fig(70), "compliance": fig(70), "cost": fig(90)}),
    ]
    # A: 40+24+8 = 72, B: 35+21+18 = 74 → B leads; cost −10 gives A 64/70 vs B 56/70: A leads
    note = stability_note(CRITERIA, evaluate(CRITERIA, close))
    assert note.startswith("Sensitive: the leader changes if")
    assert "Cost per unit -10 → A" in note
    steady = stability_note(CRITERIA, evaluate(CRITERIA, outcomes()))
    assert steady == "Stable: Basel Biologics stays first if any single weight moves by ±10 points."
