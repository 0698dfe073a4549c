"""The pre-audit briefing: reading CFR references, subparts, checklist sections, and where it
shows (audit page, checklist, report, API)."""

import importlib
from datetime import date

import pytest
from django.apps import apps
from django.urls import reverse

from audits.briefing import (
    OTHER,
    SUBPART_SECTIONS,
    SUBPARTS,
    CfrSection,
    audit_briefing,
    cfr_sections,
    site_briefing,
    subpart_of,
    subparts_of,
)
from audits.models import Audit, ChecklistTemplate
from audits.question_bank import SECTIONS, TEMPLATE_NAME
from audits.services.reports import report_html
from tests.factories import CitationFactory, RegulatoryEventFactory, SiteFactory, make_audit
from vendors.models import EventKind

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------- the tables


@pytest.mark.parametrize(
    ("text", "sections"),
    [
        ("21 CFR 211.192", [CfrSection(211, 192)]),
        ("21 CFR 211.22(d)", [CfrSection(211, 22)]),
        ("21 C.F.R. § 211.67(a)", [CfrSection(211, 67)]),
        ("§211.100(a) and 211.192", [CfrSection(211, 100), CfrSection(211, 192)]),
        ("21 CFR 600.14", [CfrSection(600, 14)]),
        ("21 CFR 820.100(a)(1)", [CfrSection(820, 100)]),
        ("FD&C Act 501(a)(2)(B)", []),
        ("batch 100.5 kg", []),
        ("", []),
    ],
)
def test_it_reads_the_cfr_sections_a_text_cites(text, sections):
    assert cfr_sections(text) == sections


@pytest.mark.parametrize(
    ("section", "subpart"),
    [
        (1, "A"),
        (3, "A"),
        (22, "B"),
        (34, "B"),
        (42, "C"),
        (58, "C"),
        (63, "D"),
        (67, "D"),
        (72, "D"),
        (80, "E"),
        (84, "E"),
        (94, "E"),
        (100, "F"),
        (113, "F"),
        (115, "F"),
        (122, "G"),
        (137, "G"),
        (142, "H"),
        (150, "H"),
        (160, "I"),
        (166, "I"),
        (176, "I"),
        (180, "J"),
        (192, "J"),
        (198, "J"),
        (204, "K"),
        (208, "K"),
        (209, OTHER),
        (0, OTHER),
    ],
)
def test_each_211_section_falls_in_its_subpart(section, subpart):
    assert subpart_of(CfrSection(211, section)) == subpart


def test_citations_outside_211_go_to_other():
    assert subparts_of("21 CFR 600.14") == [OTHER]
    assert subparts_of("21 CFR 820.30(g)") == [OTHER]
    assert subparts_of("FD&C Act 501(a)(2)(B)") == [OTHER]
    assert subparts_of("21 CFR 211.192, 21 CFR 211.100(a)") == ["J", "F"]


@pytest.mark.parametrize("code", [s.code for s in SUBPARTS] + [OTHER])
def test_every_subpart_maps_to_sections_of_the_default_checklist(code):
    titles = {title for title, _, _ in SECTIONS}
    assert SUBPART_SECTIONS[code]
    assert set(SUBPART_SECTIONS[code]) <= titles


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("A", "Quality management system and management review"),
        ("B", "Personnel and training"),
        ("C", "Premises and equipment"),
        ("D", "Premises and equipment"),
        ("E", "Materials management and supplier control"),
        ("F", "Production and process controls"),
        ("G", "Packaging and labeling"),
        ("H", "Storage and distribution"),
        ("I", "QC laboratory and OOS handling"),
        ("J", "Documentation and SOPs"),
        ("K", "Complaints and recalls"),
        (OTHER, "Regulatory inspection history and readiness"),
    ],
)
def test_each_subpart_points_at_the_section_it_concerns_first(code, expected):
    assert expected in SUBPART_SECTIONS[code]


# ---------------------------------------------------------------- the briefing of a site


@pytest.fixture
def cited_site():
    site = SiteFactory()
    inspection = RegulatoryEventFactory(site=site, event_date=date(2024, 3, 1))
    CitationFactory(
        inspection=inspection,
        act_cfr_number="21 CFR 211.192",
        short_description="Investigations of discrepancies",
    )
    CitationFactory(
        inspection=inspection,
        act_cfr_number="21 CFR 211.67(a)",
        short_description="Cleaning and maintenance",
    )
    CitationFactory(
        inspection=inspection,
        act_cfr_number="21 CFR 600.14",
        short_description="Biological product deviation not reported",
    )
    old = RegulatoryEventFactory(site=site, event_date=date(2019, 1, 10))
    CitationFactory(
        inspection=old, act_cfr_number="21 CFR 211.84", short_description="Too old to count"
    )
    RegulatoryEventFactory(
        site=site,
        kind=EventKind.WARNING_LETTER,
        classification="",
        event_date=date(2025, 2, 1),
        reference="CMS 650123",
        description="CGMP/Finished Pharmaceuticals/Adulterated: 21 CFR 211.100(a), 211.113(b)",
    )
    RegulatoryEventFactory(
        site=site,
        kind=EventKind.WARNING_LETTER,
        classification="",
        event_date=date(2024, 6, 1),
        reference="CMS 640001",
        description="Data integrity remediation",
    )
    return site


def test_the_briefing_groups_five_years_of_citations_and_letters_by_subpart(cited_site):
    briefing = site_briefing(cited_site.pk, until=date(2026, 3, 1))
    groups = {g.code: [i.text for i in g.items] for g in briefing.groups}
    assert list(groups) == ["D", "F", "J", OTHER]
    assert groups["J"] == ["Investigations of discrepancies"]
    assert groups["D"] == ["Cleaning and maintenance"]
    assert groups["F"] == [
        "CGMP/Finished Pharmaceuticals/Adulterated: 21 CFR 211.100(a), 211.113(b)"
    ]
    assert set(groups[OTHER]) == {
        "Biological product deviation not reported",
        "Data integrity remediation",
    }
    assert (briefing.citation_count, briefing.warning_letter_count) == (3, 2)
    assert briefing.since == date(2021, 3, 1)
    assert briefing.focus_of_section("Production and process controls") == [
        "Subpart F: Production and process controls"
    ]
    assert briefing.focus_of_question("21 CFR 211.192; ICH Q10") == ["211.192"]
    assert briefing.focus_of_question("21 CFR 211.22") == []


def test_a_site_with_no_citations_has_an_empty_briefing():
    briefing = site_briefing(SiteFactory().pk, until=date(2026, 3, 1))
    assert briefing.is_empty and briefing.focus_sections == {}


def test_the_briefing_costs_the_same_queries_however_many_citations(
    cited_site, django_assert_max_num_queries
):
    with django_assert_max_num_queries(3):
        site_briefing(cited_site.pk, until=date(2026, 3, 1))


# ---------------------------------------------------------------- where it shows


def default_checklist():
    """The default GMP checklist version 1, as `migrate` installs it (reloaded if a test before
    this one flushed the reference data)."""
    if not ChecklistTemplate.objects.filter(name=TEMPLATE_NAME).exists():
        importlib.import_module("audits.migrations.0002_default_gmp_template").load(apps, None)
    return ChecklistTemplate.objects.get(name=TEMPLATE_NAME).versions.get(number=1)


@pytest.fixture
def gmp_audit(cited_site, qa):
    version = default_checklist()
    return make_audit(
        site=cited_site,
        version=version,
        lead=qa,
        planned_start=date(2026, 3, 2),
        planned_end=date(2026, 3, 4),
    )


def test_the_audit_page_shows_the_briefing(client_for, manager, gmp_audit):
    body = client_for(manager).get(gmp_audit.get_absolute_url()).content.decode()
    assert 'id="briefing"' in body
    assert "Subpart J: Records and reports" in body
    assert "Investigations of discrepancies" in body
    assert "Other (outside 21 CFR 211)" in body and "21 CFR 600.14" in body


def test_an_audit_of_a_site_with_no_citations_says_so(client_for, qa):
    audit = make_audit(lead=qa)
    body = client_for(qa).get(audit.get_absolute_url()).content.decode()
    assert "No Form 483 citations or warning letters in the last five years." in body


def test_the_checklist_marks_focus_sections_and_questions(client_for, qa, gmp_audit):
    Audit.objects.filter(pk=gmp_audit.pk).update(status=Audit.Status.IN_PROGRESS)
    client = client_for(qa)
    url = reverse("audits:audit_checklist", args=[gmp_audit.pk])
    position = next(
        i for i, (title, _, _) in enumerate(SECTIONS, 1) if title.startswith("Deviations")
    )
    body = client.get(f"{url}?section={position}").content.decode()
    assert 'id="focus-area"' in body and "Subpart J: Records and reports" in body
    assert "focus: cited 211.192" in body
    personnel = next(i for i, (t, _, _) in enumerate(SECTIONS, 1) if t == "Personnel and training")
    body = client.get(f"{url}?section={personnel}").content.decode()
    assert 'id="focus-area"' not in body


def test_the_report_prints_the_briefing(gmp_audit):
    html = report_html(gmp_audit)
    assert "Pre-audit briefing" in html
    assert "Subpart D: Equipment" in html and "Cleaning and maintenance" in html
    assert "FOCUS: cited 211.192" in html


def test_the_briefing_is_frozen_at_the_audit_start(gmp_audit):
    RegulatoryEventFactory(
        site=gmp_audit.site,
        kind=EventKind.WARNING_LETTER,
        classification="",
        event_date=date(2026, 4, 1),
        description="21 CFR 211.22 after the audit",
    )
    briefing = audit_briefing(gmp_audit)
    assert briefing.until == date(2026, 3, 2)
    assert all("after the audit" not in i.text for g in briefing.groups for i in g.items)


@pytest.mark.parametrize("role", ["sourcing", "qa", "manager", "admin"])
def test_every_role_reads_the_briefing_in_the_api(api_for, personas, gmp_audit, role):
    response = api_for(personas[role]).get(f"/api/v1/audits/{gmp_audit.pk}/briefing/")
    assert response.status_code == 200
    data = response.json()
    assert [g["code"] for g in data["groups"]] == ["D", "F", "J", "other"]
    assert data["cited_sections"]["211.192"] == 1
    assert {"section", "because"} <= set(data["focus_sections"][0])


def test_the_briefing_api_refuses_no_role_and_no_login(api_for, outsider, gmp_audit):
    url = f"/api/v1/audits/{gmp_audit.pk}/briefing/"
    assert api_for(outsider).get(url).status_code == 403
    assert api_for(None).get(url).status_code == 401
