"""The pre-audit briefing: what the FDA cited at the site in the last five years, grouped by
21 CFR 211 subpart and mapped to the checklist sections an auditor should look at first.

The two tables below are the only place these rules live:

* `SUBPARTS`: each subpart of 21 CFR 211 with the section numbers it runs from (a section
  number belongs to the subpart with the highest first section at or below it, up to 211.208).
* `SUBPART_SECTIONS`: each subpart (and "Other": citations outside part 211, e.g. 21 CFR 600
  or 820, the FD&C Act, or none readable) → the titles of the default GMP checklist's sections
  (`audits/question_bank.py`) it concerns. A checklist section whose title matches is a focus
  area; a question whose reference names a cited 211 section (e.g. "21 CFR 211.192") is a
  focus question.

Form 483 citations (on the site's inspections) count by their Act/CFR number; warning letters
by any CFR references in their description, reason or notes (a letter with none goes to
"Other", listed by its subject): nothing is dropped.
"""

import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from django.utils import timezone

from audits.models import Audit
from vendors.models import Citation, EventKind, RegulatoryEvent

LOOKBACK_YEARS = 5
LAST_211_SECTION = 208
OTHER = "other"


class Subpart(NamedTuple):
    code: str
    title: str
    first_section: int  # the subpart's first section number in part 211


SUBPARTS: tuple[Subpart, ...] = (
    Subpart("A", "General provisions", 1),
    Subpart("B", "Organization and personnel", 22),
    Subpart("C", "Buildings and facilities", 42),
    Subpart("D", "Equipment", 63),
    Subpart("E", "Control of components and drug product containers and closures", 80),
    Subpart("F", "Production and process controls", 100),
    Subpart("G", "Packaging and labeling control", 122),
    Subpart("H", "Holding and distribution", 142),
    Subpart("I", "Laboratory controls", 160),
    Subpart("J", "Records and reports", 180),
    Subpart("K", "Returned and salvaged drug products", 204),
)
OTHER_TITLE = "Other (outside 21 CFR 211)"
_STARTS = [s.first_section for s in SUBPARTS]

QMS = "Quality management system and management review"
PERSONNEL = "Personnel and training"
PREMISES = "Premises and equipment"
DOCUMENTATION = "Documentation and SOPs"
PRODUCTION = "Production and process controls"
LABORATORY = "QC laboratory and OOS handling"
MATERIALS = "Materials management and supplier control"
PROCESS_VALIDATION = "Validation: process and cleaning"
METHOD_VALIDATION = "Validation: analytical methods and computerized systems"
DATA_INTEGRITY = "Data integrity (ALCOA+)"
DEVIATIONS = "Deviations, CAPA and change control"
COMPLAINTS = "Complaints and recalls"
STABILITY = "Stability"
PACKAGING = "Packaging and labeling"
STORAGE = "Storage and distribution"
STERILITY = "Contamination control and sterility assurance"
INSPECTIONS = "Regulatory inspection history and readiness"

# Subpart → the checklist sections it concerns (why, in 21 CFR 211 terms, in the comments).
SUBPART_SECTIONS: dict[str, tuple[str, ...]] = {
    "A": (QMS,),  # scope and definitions: the quality system as a whole
    "B": (QMS, PERSONNEL),  # 211.22 quality control unit; 211.25-.34 personnel, consultants
    "C": (PREMISES, STERILITY),  # 211.42-.58 design, air handling, water, sanitation
    "D": (PREMISES, PROCESS_VALIDATION, METHOD_VALIDATION),  # .67 cleaning, .68 computers
    "E": (MATERIALS,),  # 211.80-.94 receipt, testing, approval of components and closures
    "F": (PRODUCTION, PROCESS_VALIDATION, DEVIATIONS, STERILITY),  # .100 .110 .113 .115
    "G": (PACKAGING,),  # 211.122-.137 labeling issuance, packaging operations, expiry dating
    "H": (STORAGE,),  # 211.142-.150 warehousing and distribution
    "I": (LABORATORY, STABILITY, METHOD_VALIDATION),  # .160-.176 testing, .166 stability
    "J": (DOCUMENTATION, DATA_INTEGRITY, DEVIATIONS, COMPLAINTS, QMS),  # .180 .188 .192 .198
    "K": (COMPLAINTS, STORAGE),  # 211.204 returned, 211.208 salvaged products
    OTHER: (INSPECTIONS,),  # other parts and the Act: read with the inspection history
}

# "21 CFR 211.192", "21 C.F.R. § 211.67(a)", "§211.100"; a bare "211.84" counts for part 211.
_CFR = re.compile(r"(?:C\.?\s?F\.?\s?R\.?|§)\s*(?:Part\s*)?§*\s*(\d{1,4})\.(\d{1,4})", re.I)
_BARE_211 = re.compile(r"(?<![\d.])211\.(\d{1,3})(?![\d])")


class CfrSection(NamedTuple):
    part: int
    section: int

    def __str__(self) -> str:
        return f"{self.part}.{self.section}"


def cfr_sections(text: str) -> list[CfrSection]:
    """The CFR sections a text cites, in order, each once ("21 CFR 211.22(d)" → 211.22)."""
    found: dict[CfrSection, None] = {}
    for match in _CFR.finditer(text or ""):
        found[CfrSection(int(match[1]), int(match[2]))] = None
    for match in _BARE_211.finditer(text or ""):
        found[CfrSection(211, int(match[1]))] = None
    return list(found)


def subpart_of(section: CfrSection) -> str:
    """The 21 CFR 211 subpart code ("A"-"K") of a section, or "other" outside 211.1-211.208."""
    if section.part != 211 or not 1 <= section.section <= LAST_211_SECTION:
        return OTHER
    return SUBPARTS[bisect_right(_STARTS, section.section) - 1].code


def subparts_of(text: str) -> list[str]:
    """The subparts a text cites, in order, each once; ["other"] when it cites none of 211."""
    codes = list(dict.fromkeys(subpart_of(s) for s in cfr_sections(text)))
    return codes or [OTHER]


@dataclass(frozen=True)
class BriefingItem:
    kind: str  # "citation" or "warning_letter"
    event_date: date
    reference: str  # the Act/CFR number, or the letter's case reference
    text: str  # the citation's short description, or the letter's subject
    event_id: int
    sections: tuple[str, ...] = ()  # the CFR sections it names, as "211.192"

    @property
    def kind_label(self) -> str:
        return "Form 483 citation" if self.kind == "citation" else "Warning letter"


@dataclass
class BriefingGroup:
    code: str
    title: str
    checklist_sections: tuple[str, ...]
    items: list[BriefingItem] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.title if self.code == OTHER else f"Subpart {self.code}: {self.title}"


@dataclass
class Briefing:
    since: date
    until: date
    groups: list[BriefingGroup]
    # Checklist section title → the subpart labels that make it a focus area.
    focus_sections: dict[str, list[str]]
    # Cited 211 section ("211.192") → how many items cite it.
    cited_sections: dict[str, int]
    citation_count: int = 0
    warning_letter_count: int = 0

    @property
    def is_empty(self) -> bool:
        return not self.groups

    def focus_of_section(self, title: str) -> list[str]:
        return self.focus_sections.get(title.strip().casefold(), [])

    def focus_of_question(self, reference: str) -> list[str]:
        """The cited 211 sections a question's reference names, e.g. ["211.192"]."""
        return [
            str(s)
            for s in cfr_sections(reference)
            if s.part == 211 and str(s) in self.cited_sections
        ]


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _group_title(code: str) -> str:
    if code == OTHER:
        return OTHER_TITLE
    return next(s.title for s in SUBPARTS if s.code == code)


def site_briefing(site_id: int, *, until: date) -> Briefing:
    """The briefing for a site: its 483 citations and warning letters of the five years to
    `until`, grouped by subpart (in CFR order, "Other" last). Two queries."""
    since = _years_before(until, LOOKBACK_YEARS)
    events = RegulatoryEvent.objects.for_sites([site_id]).filter(
        event_date__gte=since, event_date__lte=until
    )
    items: list[tuple[str, BriefingItem]] = []
    citations = (
        Citation.objects.filter(inspection__in=events.filter(kind=EventKind.INSPECTION))
        .select_related("inspection")
        .order_by("-inspection__event_date", "act_cfr_number", "pk")
    )
    citation_count = 0
    for citation in citations:
        citation_count += 1
        sections = cfr_sections(citation.act_cfr_number)
        item = BriefingItem(
            kind="citation",
            event_date=citation.inspection.event_date,
            reference=citation.act_cfr_number,
            text=citation.short_description,
            event_id=citation.inspection_id,
            sections=tuple(str(s) for s in sections),
        )
        items += [(code, item) for code in subparts_of(citation.act_cfr_number)]
    letters = events.filter(kind=EventKind.WARNING_LETTER).order_by("-event_date", "-pk")
    letter_count = 0
    for letter in letters:
        letter_count += 1
        text = " ".join(filter(None, [letter.description, letter.reason, letter.notes]))
        subject = (
            letter.description or letter.reason or letter.product_type or "No subject recorded"
        )
        sections = cfr_sections(text)
        item = BriefingItem(
            kind="warning_letter",
            event_date=letter.event_date,
            reference=letter.reference,
            text=subject,
            event_id=letter.pk,
            sections=tuple(str(s) for s in sections),
        )
        items += [(code, item) for code in subparts_of(text)]
    order = [s.code for s in SUBPARTS] + [OTHER]
    groups = []
    for code in order:
        members = [item for c, item in items if c == code]
        if members:
            groups.append(
                BriefingGroup(
                    code=code,
                    title=_group_title(code),
                    checklist_sections=SUBPART_SECTIONS[code],
                    items=members,
                )
            )
    focus: dict[str, list[str]] = {}
    for group in groups:
        for title in group.checklist_sections:
            focus.setdefault(title.casefold(), []).append(group.label)
    unique = {id(item): item for _, item in items}.values()
    cited = Counter(
        section for item in unique for section in item.sections if section.startswith("211.")
    )
    return Briefing(
        since=since,
        until=until,
        groups=groups,
        focus_sections=focus,
        cited_sections=dict(cited),
        citation_count=citation_count,
        warning_letter_count=letter_count,
    )


def audit_briefing(audit: Audit) -> Briefing:
    """The briefing for an audit: the five years before it starts (or before today, for an
    audit still ahead), so a report printed later shows what was known when it began."""
    today = timezone.localdate()
    return site_briefing(audit.site_id, until=min(audit.planned_start, today))
