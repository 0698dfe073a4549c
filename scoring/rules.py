"""How each criterion maps its raw value to a score from 0 to 100, and when it knocks out.

Pure functions: they take facts already read (scoring/sources.py) and return a Figure. A score of
None means "no data": the criterion is left out of the weighted total rather than guessed. The
README's "Scoring rules" section documents each rule in words; the tests check each by hand.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from scoring.sources import Need, SiteFacts
from vendors.models import CapabilityLevel

# Countries whose medicines inspectorate takes part in PIC/S (the Pharmaceutical Inspection
# Co-operation Scheme), as listed in 2024. A site elsewhere is a higher supply and compliance risk.
PICS_COUNTRIES = frozenset(
    [
        "AR",
        "AM",
        "AU",
        "AT",
        "BE",
        "BR",
        "BG",
        "CA",
        "TW",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "HK",
        "HU",
        "IS",
        "ID",
        "IR",
        "IE",
        "IL",
        "IT",
        "JP",
        "KZ",
        "KR",
        "LV",
        "LI",
        "LT",
        "LU",
        "MY",
        "MT",
        "MX",
        "NL",
        "NZ",
        "NO",
        "PL",
        "PT",
        "RO",
        "SA",
        "SG",
        "SK",
        "SI",
        "ZA",
        "ES",
        "SE",
        "CH",
        "TH",
        "TR",
        "UA",
        "GB",
        "US",
    ]
)


@dataclass(frozen=True)
class Figure:
    score: float | None  # 0–100; None when there is no data
    raw: str  # the raw value in words, shown beside the score
    note: str = ""  # a short phrase for the explanation, e.g. "a warning letter in 2024"
    url: str = ""  # where the data came from
    knockout: str = ""  # why this candidate fails the knock-out rule, if it does


def no_data(why: str = "no data") -> Figure:
    return Figure(score=None, raw=why)


def clamp(value: float) -> float:
    return max(0.0, min(100.0, value))


def capability_fit(needs: Sequence[Need], sites: Sequence[SiteFacts], *, url: str = "") -> Figure:
    """Each need earns 1 when a site has it at the minimum level or above, ½ when a site has it
    at a lower level, 0 when no site has it; the score is 100 × the mean. Knock-out: a need no
    site meets at its minimum level."""
    if not needs:
        return no_data("no needs stated")
    credit = 0.0
    short: list[str] = []
    for need in needs:
        if any(s.meets(need) for s in sites):
            credit += 1
        else:
            best = max((s.level_of(need.capability_id) for s in sites), default=0)
            credit += 0.5 if best else 0
            level = CapabilityLevel(need.min_level).label.lower()
            short.append(f"{need.name} ({'below ' + level if best else 'missing'})")
    met = len(needs) - len(short)
    score = round(100 * credit / len(needs), 1)
    return Figure(
        score=score,
        raw=f"{met} of {len(needs)} needs met",
        note=f"missing {', '.join(short)}" if short else "",
        url=url,
        knockout=f"Required capability not met: {', '.join(short)}" if short else "",
    )


def compliance(summary, *, url: str = "") -> Figure:
    """The compliance signal from inspection history as it is (0–100; recency-weighted OAI
    inspections, warning letters, recalls and import alerts). Knock-out: an open warning letter
    or an open import alert."""
    if summary is None or summary.signal is None:
        return no_data("no regulatory data")
    flags = list(summary.flags)
    blocking = []
    if summary.open_warning_letter:
        blocking.append("open warning letter")
    if any("import alert" in f.lower() for f in flags):
        blocking.append("open import alert")
    note = flags[0].lower() if flags else ""
    if (
        summary.latest_warning_letter
        and not note
        or summary.latest_warning_letter
        and "warning letter" in note
    ):
        note = f"a warning letter in {summary.latest_warning_letter.year}"
    return Figure(
        score=clamp(float(summary.signal)),
        raw=f"{summary.event_count} regulatory event{'s' if summary.event_count != 1 else ''}"
        + (f"; {'; '.join(flags)}" if flags else ""),
        note=note,
        url=url,
        knockout=("Regulatory: " + ", ".join(blocking)) if blocking else "",
    )


def audit_outcome(outcome) -> Figure:
    """The latest approved audit's score, less 15 per open critical finding, 5 per open major
    finding and 5 per overdue CAPA, kept within 0–100. Knock-out: an open critical finding."""
    if outcome is None:
        return no_data("no approved audit")
    if outcome.score is None:
        return Figure(score=None, raw="approved audit without a score", url=outcome.url)
    score = clamp(
        float(outcome.score)
        - 15 * outcome.open_critical
        - 5 * outcome.open_major
        - 5 * outcome.overdue_capas
    )
    open_items = []
    if outcome.open_critical:
        open_items.append(f"{outcome.open_critical} open critical")
    if outcome.open_major:
        open_items.append(f"{outcome.open_major} open major")
    if outcome.overdue_capas:
        open_items.append(f"{outcome.overdue_capas} overdue CAPA")
    return Figure(
        score=round(score, 1),
        raw=f"audit {outcome.approved_at:%Y-%m-%d} scored {outcome.score:g}"
        + (f"; {', '.join(open_items)}" if open_items else ""),
        note=", ".join(open_items),
        url=outcome.url,
        knockout=f"Open critical audit findings: {outcome.open_critical}"
        if outcome.open_critical
        else "",
    )


def quality_agreement(status, *, contracts_url: str = "") -> Figure:
    """100 with a signed quality agreement in force today, 0 without one. Knock-out: none in
    force. Without one, the figure links to the CMO's contracts (`contracts_url`)."""
    if status is None:
        return Figure(
            score=0.0,
            raw="no quality agreement in force",
            url=contracts_url,
            note="no quality agreement",
            knockout="No quality agreement in force",
        )
    until = f" until {status.expiry_date:%Y-%m-%d}" if status.expiry_date else ""
    return Figure(
        score=100.0, raw=f"in force since {status.effective_date:%Y-%m-%d}{until}", url=status.url
    )


def capacity_fit(
    volume: Decimal | None,
    unit: str,
    sites: Sequence[SiteFacts],
    capability_ids: Sequence[int],
    *,
    site_url: Callable[[int], str] | None = None,
) -> Figure:
    """r = annual capacity ÷ needed volume, the capacity being each site's largest capacity (in
    the evaluation's unit) for the needed capabilities, summed over sites. r ≥ 1.5 → 100;
    1 ≤ r < 1.5 → 80 + 40 × (r − 1); r < 1 → 80 × r. Knock-out: r < 1. The figure links to the
    site with the largest capacity (`site_url` of its id)."""
    if not volume:
        return no_data("no volume stated")
    wanted = unit.strip().lower()
    total = Decimal(0)
    largest_site: SiteFacts | None = None
    largest = Decimal(0)
    for site in sites:
        best = Decimal(0)
        for capability_id, cell in site.capabilities.items():
            if capability_ids and capability_id not in capability_ids:
                continue
            if cell.capacity is None or (wanted and cell.unit.strip().lower() != wanted):
                continue
            best = max(best, cell.capacity)
        if best > largest:
            largest_site, largest = site, best
        total += best
    if not total:
        return no_data("no capacity recorded")
    ratio = float(total / volume)
    if ratio >= 1.5:
        score = 100.0
    elif ratio >= 1:
        score = 80 + 40 * (ratio - 1)
    else:
        score = 80 * ratio
    return Figure(
        score=round(score, 1),
        raw=f"{total:,.0f} {unit} a year for {volume:,.0f} needed ({ratio:.0%})",
        note=f"capacity covers {ratio:.0%} of the volume",
        url=site_url(largest_site.site_id) if largest_site and site_url else "",
        knockout=f"Capacity covers only {ratio:.0%} of the needed volume" if ratio < 1 else "",
    )


def supply_risk(sites: Sequence[SiteFacts], needs: Sequence[Need], *, url: str = "") -> Figure:
    """Start at 100 and subtract 40 when a single site can make the product (single-site
    dependency), 15 when several can but all in one country, and 30 when none is in a PIC/S
    country. The capable sites are those that meet every need at its minimum level, as
    capability fit counts them (all sites without needs). Knock-out: no capable site."""
    if not sites:
        return no_data("no sites recorded")
    capable = [s for s in sites if all(s.meets(need) for need in needs)]
    if not capable:
        return Figure(
            score=0.0,
            raw="no site has every needed capability at its minimum level",
            url=url,
            note="no single site covers the needs",
            knockout="No site has every needed capability at its minimum level",
        )
    countries = sorted({s.country for s in capable})
    score = 100
    concerns = []
    if len(capable) == 1:
        score -= 40
        concerns.append("single-site dependency")
    elif len(countries) == 1:
        score -= 15
        concerns.append(f"all capable sites in {countries[0]}")
    if not any(c in PICS_COUNTRIES for c in countries):
        score -= 30
        concerns.append("no site in a PIC/S country")
    return Figure(
        score=float(score),
        raw=f"{len(capable)} capable site{'s' if len(capable) != 1 else ''} in {', '.join(countries)}",
        note=", ".join(concerns),
        url=url,
    )


def cost(price: Decimal | None, lowest: Decimal | None, *, url: str = "") -> Figure:
    """Lower is better: 100 × the lowest quoted price among the candidates ÷ this price. The
    lowest quote scores 100, one twice as high 50. Knock-out: more than twice the lowest."""
    if price is None or not lowest or price <= 0:
        return no_data("no price entered")
    score = round(100 * float(lowest / price), 1)
    return Figure(
        score=score,
        raw=f"{price:,.2f} per unit",
        note=f"price {price / lowest:.1f}× the lowest quote" if price > lowest else "",
        url=url,
        knockout=f"Price {price / lowest:.1f}× the lowest quote" if score < 50 else "",
    )


def rating(value: Decimal | None, justification: str, name: str, *, url: str = "") -> Figure:
    """A rating from 1 to 5 becomes (rating − 1) × 25: 1 → 0, 3 → 50, 5 → 100. Knock-out: a
    rating of 1 (unacceptable)."""
    if value is None:
        return no_data("not rated")
    score = float((value - 1) * 25)
    return Figure(
        score=clamp(score),
        raw=f"rated {value:g} of 5: {justification}",
        note=justification,
        url=url,
        knockout=f"{name} rated 1 of 5 (unacceptable)" if value <= 1 else "",
    )
