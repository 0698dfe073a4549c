"""Each criterion's mapping from raw value to 0–100, on cases checked by hand."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from scoring import rules
from scoring.sources import CapabilityCell, Need, SiteFacts

STERILE, LYO, MAB = 1, 2, 3


def site(site_id=1, country="IE", **caps):
    cells = {int(k[1:]): CapabilityCell(*v) for k, v in caps.items()}
    return SiteFacts(site_id, f"Site {site_id}", country, cells)


NEEDS = [Need(STERILE, "Sterile vials", 2), Need(LYO, "Lyophilized", 1)]


@pytest.mark.parametrize(
    ("sites", "score", "raw"),
    [
        ([site(c1=(3, None, ""), c2=(1, None, ""))], 100.0, "2 of 2 needs met"),
        ([site(c1=(1, None, ""), c2=(1, None, ""))], 75.0, "1 of 2 needs met"),  # (½ + 1) / 2
        ([site(c2=(2, None, ""))], 50.0, "1 of 2 needs met"),  # (0 + 1) / 2
        (
            [site(c1=(1, None, "")), site(2, c1=(2, None, ""), c2=(1, None, ""))],
            100.0,
            "2 of 2 needs met",
        ),
        ([], 0.0, "0 of 2 needs met"),
    ],
)
def test_capability_fit_credits_each_need_met_half_below_level_and_none_missing(sites, score, raw):
    figure = rules.capability_fit(NEEDS, sites)
    assert (figure.score, figure.raw) == (score, raw)


def test_capability_fit_knocks_out_on_a_missing_need_and_names_it():
    figure = rules.capability_fit(NEEDS, [site(c1=(1, None, ""))])
    assert figure.knockout == (
        "Required capability not met: Sterile vials (below demonstrated), Lyophilized (missing)"
    )


def test_capability_fit_without_needs_has_no_data():
    assert rules.capability_fit([], [site(c1=(3, None, ""))]).score is None


@pytest.mark.parametrize(
    ("capacity", "score"),
    [
        (150_000, 100.0),
        (200_000, 100.0),
        (125_000, 90.0),
        (100_000, 80.0),
        (50_000, 40.0),
        (0, None),
    ],
)
def test_capacity_fit_maps_capacity_over_volume(capacity, score):
    sites = [site(c1=(2, Decimal(capacity) if capacity else None, "vials/year"))]
    figure = rules.capacity_fit(Decimal(100_000), "vials/year", sites, [STERILE])
    assert figure.score == score
    assert bool(figure.knockout) == (score is not None and score < 80)


def test_capacity_fit_sums_sites_counts_only_needed_capabilities_in_the_same_unit():
    sites = [
        site(1, c1=(2, Decimal(40_000), "Vials/Year"), c3=(2, Decimal(900_000), "vials/year")),
        site(2, c1=(2, Decimal(60_000), "vials/year"), c2=(2, Decimal(70_000), "vials/year")),
        site(3, c1=(2, Decimal(500_000), "kg/year")),
    ]
    # site 1: 40,000 (capability 3 is not needed); site 2: max(60,000, 70,000); site 3: other unit
    figure = rules.capacity_fit(
        Decimal(110_000), "vials/year", sites, [STERILE, LYO], site_url="/sites/{}/".format
    )
    assert figure.score == 80.0  # r = 110,000 / 110,000
    assert figure.url == "/sites/2/"  # the site with the largest capacity


def test_capacity_fit_without_volume_has_no_data():
    assert rules.capacity_fit(None, "", [site(c1=(2, Decimal(5), ""))], []).score is None


@pytest.mark.parametrize(
    ("sites", "score", "note"),
    [
        ([site(1, "IE", c1=(2, None, "")), site(2, "US", c1=(1, None, ""))], 100.0, ""),
        ([site(1, "IE", c1=(2, None, ""))], 60.0, "single-site dependency"),
        (
            [site(1, "IE", c1=(2, None, "")), site(2, "IE", c1=(2, None, ""))],
            85.0,
            "all capable sites in IE",
        ),
        (
            [site(1, "IN", c1=(2, None, "")), site(2, "CN", c1=(2, None, ""))],
            70.0,
            "no site in a PIC/S country",
        ),
        (
            [site(1, "IN", c1=(2, None, ""))],
            30.0,
            "single-site dependency, no site in a PIC/S country",
        ),
        ([site(1, "US", c1=(2, None, "")), site(2, "DE")], 60.0, "single-site dependency"),
    ],
)
def test_supply_risk_penalises_single_site_one_country_and_non_pics(sites, score, note):
    figure = rules.supply_risk(sites, [Need(STERILE, "Sterile vials", 1)])
    assert (figure.score, figure.note) == (score, note)


def test_supply_risk_knocks_out_without_a_capable_site_and_has_no_data_without_sites():
    assert rules.supply_risk([site(1, "US")], NEEDS).knockout
    assert rules.supply_risk([], NEEDS).score is None


def test_supply_risk_counts_only_sites_meeting_every_need_at_its_minimum_level():
    # Sterile vials are needed at level 2: the US site holds them at level 1 only.
    sites = [
        site(1, "IE", c1=(2, None, ""), c2=(1, None, "")),
        site(2, "US", c1=(1, None, ""), c2=(1, None, "")),
    ]
    figure = rules.supply_risk(sites, NEEDS)
    assert (figure.score, figure.raw) == (60.0, "1 capable site in IE")
    below = rules.supply_risk(sites[1:], NEEDS)
    assert below.knockout == "No site has every needed capability at its minimum level"
    # Capability fit, by the same rule, finds the needs met only at the IE site.
    assert rules.capability_fit(NEEDS, sites[1:]).knockout
    assert not rules.capability_fit(NEEDS, sites[:1]).knockout


@pytest.mark.parametrize(
    ("price", "score", "knocked"),
    [(10, 100.0, False), (20, 50.0, False), (12.5, 80.0, False), (40, 25.0, True)],
)
def test_cost_is_lowest_price_over_this_price(price, score, knocked):
    figure = rules.cost(Decimal(str(price)), Decimal(10))
    assert figure.score == score
    assert bool(figure.knockout) == knocked


def test_cost_without_price_has_no_data():
    assert rules.cost(None, Decimal(10)).score is None


@pytest.mark.parametrize(
    ("value", "score"), [(1, 0.0), (2, 25.0), (3, 50.0), (4, 75.0), (5, 100.0)]
)
def test_ratings_map_one_to_five_onto_zero_to_hundred(value, score):
    figure = rules.rating(Decimal(value), "Weekly calls kept", "Communication")
    assert figure.score == score
    assert bool(figure.knockout) == (value == 1)
    assert figure.raw == f"rated {value} of 5: Weekly calls kept"


def test_a_missing_rating_has_no_data():
    assert rules.rating(None, "", "Communication").score is None


@dataclass(frozen=True)
class Compliance:
    signal: int | None
    flags: tuple = ()
    breakdown: tuple = ()
    event_count: int = 0
    last_fda_inspection: tuple | None = None
    latest_warning_letter: date | None = None
    open_warning_letter: bool = False


def test_compliance_takes_the_signal_and_names_the_warning_letter_year():
    summary = Compliance(
        40,
        flags=("Warning letter within 5 years",),
        event_count=3,
        latest_warning_letter=date(2024, 3, 1),
    )
    figure = rules.compliance(summary)
    assert figure.score == 40.0
    assert figure.note == "a warning letter in 2024"
    assert figure.knockout == ""


def test_compliance_knocks_out_on_an_open_warning_letter_or_import_alert():
    assert rules.compliance(Compliance(20, open_warning_letter=True)).knockout == (
        "Regulatory: open warning letter"
    )
    assert (
        "open import alert"
        in rules.compliance(Compliance(50, flags=("Open import alert",))).knockout
    )


def test_compliance_without_regulatory_data_has_no_data():
    assert rules.compliance(None).score is None
    assert rules.compliance(Compliance(None)).score is None


@dataclass(frozen=True)
class Audit:
    score: float | None
    open_critical: int = 0
    open_major: int = 0
    overdue_capas: int = 0
    audit_id: int = 7
    url: str = "/audits/7/"
    site_id: int = 1
    approved_at: date = date(2025, 5, 2)
    recommended_outcome: str = "approve"


@pytest.mark.parametrize(
    ("audit", "score"),
    [
        (Audit(87), 87.0),
        (Audit(87, open_major=2), 77.0),
        (Audit(90, open_critical=1, overdue_capas=1), 70.0),
        (Audit(20, open_critical=2), 0.0),
    ],
)
def test_audit_outcome_deducts_open_findings_and_overdue_capas(audit, score):
    figure = rules.audit_outcome(audit)
    assert figure.score == score
    assert figure.url == "/audits/7/"
    assert bool(figure.knockout) == bool(audit.open_critical)


def test_audit_outcome_without_an_approved_audit_has_no_data():
    assert rules.audit_outcome(None).score is None
    assert rules.audit_outcome(Audit(None)).score is None


@dataclass(frozen=True)
class Agreement:
    contract_id: int = 3
    url: str = "/contracts/3/"
    effective_date: date = date(2024, 1, 1)
    expiry_date: date | None = date(2027, 1, 1)


def test_quality_agreement_in_force_scores_100_and_none_scores_0_linking_the_contracts():
    assert rules.quality_agreement(Agreement()).score == 100.0
    missing = rules.quality_agreement(None, contracts_url="/contracts/?cmo=7")
    assert (missing.score, missing.knockout) == (0.0, "No quality agreement in force")
    assert missing.url == "/contracts/?cmo=7"
