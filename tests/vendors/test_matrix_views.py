import csv
import io
import re

import openpyxl
import pytest
from django.urls import reverse

from tests.factories import (
    CmoFactory,
    RegulatoryEventFactory,
    SiteCapabilityFactory,
    SiteFactory,
)
from tests.html_forms import form_with
from vendors.models import Capability, CapabilityLevel, Classification, SiteCapability
from vendors.services import CAPABILITY_ADD_REASON

pytestmark = pytest.mark.django_db


@pytest.fixture
def vials():
    return Capability.objects.get(code="dosage-forms-sterile-liquid-vials")


def make_rows(n, capability):
    for _ in range(n):
        site = SiteFactory(fda_operations="ANALYSIS; PACK", country="IN")
        SiteCapabilityFactory(site=site, capability=capability, level=CapabilityLevel.VERIFIED)


@pytest.mark.parametrize("country", ["", "IN"])
@pytest.mark.parametrize("view", ["cmos", "sites"])
def test_the_matrix_costs_the_same_queries_for_few_or_many_rows(
    client_for, sourcing, vials, view, country, django_assert_max_num_queries
):
    client = client_for(sourcing)
    make_rows(2, vials)
    params = {"view": view, "country": country}
    client.get(reverse("vendors:matrix"), params)  # warm caches (session, roles)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(reverse("vendors:matrix"), params)
    make_rows(20, vials)
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("vendors:matrix"), params)
    assert len(many) == len(few)
    assert response.status_code == 200
    assert response.content.decode().count('class="lvl lvl-3') >= 22


def test_the_site_view_shows_operations_and_filters_by_category_and_country(
    client_for, sourcing, vials
):
    site = SiteFactory(name="Cork fill-finish", country="IE", fda_operations="ANALYSIS; STERILIZE")
    SiteFactory(name="Basel labs", country="CH")
    SiteCapabilityFactory(site=site, capability=vials, level=CapabilityLevel.CLAIMED)
    response = client_for(sourcing).get(
        reverse("vendors:matrix"), {"view": "sites", "category": "dosage_forms", "country": "IE"}
    )
    html = response.content.decode()
    assert "Cork fill-finish" in html and "Basel labs" not in html
    assert "ANALYSIS; STERILIZE" in html
    assert "Sterile liquid vials" in html and "Commercial manufacturing" not in html
    assert f'id="cell-{site.pk}-{vials.pk}"' in html


def test_filtered_by_country_a_cmo_row_shows_only_what_its_sites_there_can_do(
    client_for, sourcing, vials
):
    cmo = CmoFactory(legal_name="Two Countries Pharma")
    SiteCapabilityFactory(
        site=SiteFactory(cmo=cmo, country="IN"), capability=vials, level=CapabilityLevel.CLAIMED
    )
    SiteCapabilityFactory(
        site=SiteFactory(cmo=cmo, country="DE"), capability=vials, level=CapabilityLevel.VERIFIED
    )
    client = client_for(sourcing)
    params = {"view": "cmos", "category": "dosage_forms"}

    def csv_cell(extra):
        text = client.get(reverse("vendors:matrix"), {**params, **extra, "as": "csv"})
        header, row = text.content.decode().splitlines()[:2]
        return row.split(",")[header.split(",").index(vials.name)]

    everywhere = client.get(reverse("vendors:matrix"), params).content.decode()
    assert 'class="lvl lvl-3">V</td>' in everywhere
    assert csv_cell({}) == "Verified by audit"
    india = client.get(reverse("vendors:matrix"), {**params, "country": "IN"}).content.decode()
    assert "Two Countries Pharma" in india and "best of its sites in India" in india
    assert 'class="lvl lvl-1">C</td>' in india and 'class="lvl lvl-3">V</td>' not in india
    assert csv_cell({"country": "IN"}) == "Claimed"
    response = client.get(reverse("vendors:matrix"), {**params, "country": "IN", "as": "xlsx"})
    header, row = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.values)[:2]
    assert row[header.index(vials.name)] == "Claimed"


def test_sourcing_edits_a_cell_with_htmx_and_the_change_is_kept_in_history(
    client_for, sourcing, vials
):
    site = SiteFactory()
    url = reverse("vendors:matrix_cell", args=[site.pk, vials.pk])
    client = client_for(sourcing)
    form = client.get(url, {"edit": 1}, headers={"HX-Request": "true"})
    assert "<select" in form.content.decode()
    response = client.post(
        url,
        {"level": "2", "change_reason": "Seen at the site visit"},
        headers={"HX-Request": "true"},
    )
    assert 'class="lvl lvl-2' in response.content.decode()
    cell = SiteCapability.objects.get(site=site, capability=vials)
    assert cell.level == CapabilityLevel.DEMONSTRATED
    refused = client.post(url, {"level": "1"})
    assert "Say why" in refused.content.decode()
    client.post(url, {"level": "1", "change_reason": "Only claimed in the questionnaire"})
    cell.refresh_from_db()
    assert cell.level == CapabilityLevel.CLAIMED
    assert cell.history.first().history_change_reason == "Only claimed in the questionnaire"
    assert cell.history.first().history_user == sourcing


def test_a_manager_sees_cells_but_cannot_edit_them(client_for, manager, vials):
    site = SiteFactory()
    url = reverse("vendors:matrix_cell", args=[site.pk, vials.pk])
    client = client_for(manager)
    assert "<select" not in client.get(url, {"edit": 1}).content.decode()
    assert client.post(url, {"level": "2"}).status_code == 403


def test_the_visible_matrix_exports_as_csv_and_xlsx(client_for, qa, vials):
    site = SiteFactory(name="Export plant", fei_number="3001234567")
    SiteCapabilityFactory(site=site, capability=vials, level=CapabilityLevel.VERIFIED)
    client = client_for(qa)
    params = {"view": "sites", "category": "dosage_forms"}
    text = client.get(reverse("vendors:matrix"), {**params, "as": "csv"}).content.decode()
    header, row = text.splitlines()[:2]
    assert header.startswith("Site,CMO,FEI number,Country,FDA operations,Tablets")
    assert row.startswith("Export plant,") and "Verified by audit" in row
    response = client.get(reverse("vendors:matrix"), {**params, "as": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][0] == "Export plant"
    assert "Verified by audit" in rows[1]


def test_the_site_and_cmo_pages_show_the_compliance_summary(client_for, manager):
    site = SiteFactory()
    RegulatoryEventFactory(
        site=site, classification=Classification.OAI, event_date=__import__("datetime").date.today()
    )
    client = client_for(manager)
    for url in (site.get_absolute_url(), site.cmo.get_absolute_url()):
        html = client.get(url).content.decode()
        assert 'id="compliance-signal">70' in html
        assert "OAI inspection within 5 years" in html


def test_a_site_without_regulatory_data_says_so(client_for, manager):
    site = SiteFactory()
    assert (
        "No regulatory data yet"
        in client_for(manager).get(site.get_absolute_url()).content.decode()
    )


def test_qa_adds_and_corrects_an_event(client_for, qa):
    site = SiteFactory()
    client = client_for(qa)
    response = client.post(
        reverse("vendors:event_create", args=[site.pk]),
        {
            "kind": "inspection",
            "agency": "mhra",
            "event_date": "2025-11-03",
            "classification": "class_1",
        },
    )
    assert "Not a classification of a inspection" in response.content.decode()
    response = client.post(
        reverse("vendors:event_create", args=[site.pk]),
        {
            "kind": "inspection",
            "agency": "mhra",
            "event_date": "2025-11-03",
            "classification": "compliant",
        },
    )
    assert response.status_code == 302
    event = site.regulatory_events.get()
    response = client.post(
        reverse("vendors:event_edit", args=[event.pk]),
        {
            "kind": "inspection",
            "agency": "mhra",
            "event_date": "2025-11-03",
            "classification": "non_compliant",
            "change_reason": "Final report received",
        },
    )
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.classification == "non_compliant"
    assert event.history.first().history_change_reason == "Final report received"
    assert "Final report received" in client.get(event.get_absolute_url()).content.decode()


def test_the_events_api_filters_by_site_kind_date_and_classification(api_for, sourcing):
    site = SiteFactory()
    RegulatoryEventFactory(site=site, classification=Classification.OAI)
    RegulatoryEventFactory(site=site, classification=Classification.NAI)
    RegulatoryEventFactory(classification=Classification.OAI)
    response = api_for(sourcing).get(
        "/api/v1/regulatory-events/",
        {"site": site.pk, "kind": "inspection", "classification": "oai", "date_from": "2024-01-01"},
    )
    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_the_needs_api(api_for, sourcing, vials):
    site = SiteFactory()
    SiteCapabilityFactory(site=site, capability=vials, level=CapabilityLevel.VERIFIED)
    response = api_for(sourcing).get("/api/v1/needs/", {"need": f"{vials.pk}:3"})
    assert response.json()["full"][0]["cmo"] == site.cmo_id
    assert api_for(sourcing).get("/api/v1/needs/", {"need": "x"}).status_code == 400


def test_site_capabilities_api_filters_by_minimum_level(api_for, sourcing, vials):
    SiteCapabilityFactory(capability=vials, level=CapabilityLevel.CLAIMED)
    SiteCapabilityFactory(capability=vials, level=CapabilityLevel.VERIFIED)
    response = api_for(sourcing).get(
        "/api/v1/site-capabilities/", {"capability": vials.pk, "min_level": 2}
    )
    assert response.json()["count"] == 1


def test_a_bad_filter_value_is_reported_and_drops_only_its_own_filter(client_for, sourcing, vials):
    SiteFactory(name="Cork fill-finish", country="IE")
    response = client_for(sourcing).get(
        reverse("vendors:matrix"), {"view": "sites", "country": "ZZ", "category": "dosage_forms"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Cork fill-finish" in html  # still the site view
    assert "Sterile liquid vials" in html and "Commercial manufacturing" not in html
    assert response.context["form"].errors["country"]
    assert 'id="id_country_error"' in html


def test_an_events_history_names_changed_choices_as_the_form_does(client_for, qa):
    event = RegulatoryEventFactory(classification=Classification.VAI)
    client = client_for(qa)
    response = client.post(
        reverse("vendors:event_edit", args=[event.pk]),
        {
            "kind": "inspection",
            "agency": "fda",
            "event_date": "2024-03-01",
            "reference": event.reference,
            "classification": "oai",
            "change_reason": "Reclassified after the 483 response",
        },
    )
    assert response.status_code == 302
    history = client.get(event.get_absolute_url()).context["history"]
    assert history[0].changes == [
        ("classification", "VAI (voluntary action indicated)", "OAI (official action indicated)")
    ]


def test_the_site_page_shows_who_changed_its_capabilities_when_and_why(client_for, qa, vials):
    cell = SiteCapabilityFactory(capability=vials, level=CapabilityLevel.CLAIMED)
    url = reverse("vendors:matrix_cell", args=[cell.site_id, vials.pk])
    client = client_for(qa)
    client.post(url, {"level": "2", "change_reason": "Seen running at the 2026 audit"})
    client.post(url, {"level": "", "change_reason": "Line closed in 2026"})
    history = client.get(cell.site.get_absolute_url()).context["history"]
    removed, changed = history[0], history[1]
    assert (removed.kind, removed.who, removed.reason) == (
        "Capability removed",
        qa,
        "Line closed in 2026",
    )
    assert removed.subject == "Sterile liquid vials (Demonstrated)"
    assert (changed.kind, changed.who, changed.reason) == (
        "Capability changed",
        qa,
        "Seen running at the 2026 audit",
    )
    assert ("level", "Claimed", "Demonstrated") in changed.changes


@pytest.mark.parametrize(
    "need, message",
    [
        ("x", "is not <id>:<level>"),
        ("{vials}:0", "the level is 1 (claimed), 2 (demonstrated) or 3 (verified)"),
        ("{vials}:9", "the level is 1 (claimed), 2 (demonstrated) or 3 (verified)"),
        ("424242:1", "No capability has the id 424242."),
        ("99999999999999999999:1", "No capability has the id 99999999999999999999."),
    ],
)
def test_the_needs_api_refuses_a_need_it_cannot_search_for(api_for, sourcing, vials, need, message):
    response = api_for(sourcing).get("/api/v1/needs/", {"need": need.format(vials=vials.pk)})
    assert response.status_code == 400
    assert message in response.json()["need"][0]


@pytest.mark.parametrize(
    "url, parameter",
    [
        ("/api/v1/site-capabilities/", "site"),
        ("/api/v1/site-capabilities/", "capability"),
        ("/api/v1/regulatory-events/", "cmo"),
        ("/api/v1/citations/", "inspection"),
    ],
)
def test_an_id_filter_beyond_any_id_is_a_400_naming_it(api_for, sourcing, url, parameter):
    response = api_for(sourcing).get(url, {parameter: "99999999999999999999"})
    assert response.status_code == 400
    assert parameter in response.json()


@pytest.mark.parametrize("moved", ["site", "capability"])
def test_updating_a_cell_through_the_api_cannot_move_it_to_another_cell(api_for, qa, vials, moved):
    cell = SiteCapabilityFactory(capability=vials, level=CapabilityLevel.CLAIMED)
    other = {"site": SiteFactory().pk, "capability": Capability.objects.exclude(pk=vials.pk)[0].pk}
    response = api_for(qa).patch(
        f"/api/v1/site-capabilities/{cell.pk}/",
        {moved: other[moved], "level": 2, "change_reason": "Corrected"},
        format="json",
    )
    assert response.status_code == 400
    assert moved in response.json()
    assert list(SiteCapability.objects.values_list("pk", "level")) == [(cell.pk, 1)]


def test_the_matrix_export_writes_a_formula_like_cmo_name_as_text(client_for, qa, vials):
    evil = '=HYPERLINK("http://evil.example","Click")'
    site = SiteFactory(cmo=CmoFactory(legal_name=evil), name="+cmd|' /C calc'!A0")
    SiteCapabilityFactory(site=site, capability=vials, level=CapabilityLevel.VERIFIED)
    client = client_for(qa)
    params = {"view": "sites", "category": "dosage_forms"}
    text = client.get(reverse("vendors:matrix"), {**params, "as": "csv"}).content.decode()
    row = next(csv.reader(io.StringIO(text.splitlines()[1])))
    assert row[:2] == ["'+cmd|' /C calc'!A0", "'" + evil]
    response = client.get(reverse("vendors:matrix"), {**params, "as": "xlsx"})
    cells = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows())[1]
    assert [(c.value, c.data_type) for c in cells[:2]] == [
        ("'+cmd|' /C calc'!A0", "s"),
        ("'" + evil, "s"),
    ]


@pytest.fixture
def lower_and_missing(vials):
    """Two CMOs that have lyophilisation: one has vials but too low, the other none at all."""
    lyo = Capability.objects.get(code="dosage-forms-lyophilized-products")
    lower = SiteFactory(name="Pune vials line", cmo=CmoFactory(legal_name="Lower Vials Ltd"))
    SiteCapabilityFactory(site=lower, capability=vials, level=CapabilityLevel.CLAIMED)
    SiteCapabilityFactory(site=lower, capability=lyo, level=CapabilityLevel.VERIFIED)
    none = SiteFactory(cmo=CmoFactory(legal_name="No Vials GmbH"))
    SiteCapabilityFactory(site=none, capability=lyo, level=CapabilityLevel.VERIFIED)
    return lyo, lower


def test_the_needs_api_says_the_levels_asked_and_what_is_there_below_them(
    api_for, sourcing, vials, lower_and_missing
):
    lyo, site = lower_and_missing
    body = (
        api_for(sourcing).get("/api/v1/needs/", {"need": [f"{vials.pk}:2", f"{lyo.pk}:3"]}).json()
    )
    assert {(n["capability"], n["minimum_level"]) for n in body["needs"]} == {
        (vials.pk, 2),
        (lyo.pk, 3),
    }
    by_name = {match["cmo_name"]: match for match in body["partial"]}
    lower, none = by_name["Lower Vials Ltd"], by_name["No Vials GmbH"]
    assert lower["missing"] == [vials.pk] and none["missing"] == [vials.pk]
    assert lower["shortfalls"] == [
        {
            "capability": vials.pk,
            "minimum_level": 2,
            "below": [{"site": site.pk, "site_name": site.name, "level": 1}],
        }
    ]
    assert none["shortfalls"] == [{"capability": vials.pk, "minimum_level": 2, "below": []}]


def test_the_api_removes_a_cell_with_a_reason_kept_in_its_history(api_for, qa, manager, vials):
    cell = SiteCapabilityFactory(capability=vials, level=CapabilityLevel.DEMONSTRATED)
    url = f"/api/v1/site-capabilities/{cell.pk}/"
    assert api_for(manager).delete(url + "?change_reason=x").status_code == 403
    refused = api_for(qa).delete(url)
    assert refused.status_code == 400 and "change_reason" in refused.json()
    assert SiteCapability.objects.filter(pk=cell.pk).exists()
    response = api_for(qa).delete(url + "?change_reason=Line+closed+in+2026")
    assert response.status_code == 204
    assert not SiteCapability.objects.filter(pk=cell.pk).exists()
    removal = SiteCapability.history.filter(id=cell.pk).first()
    assert removal.history_type == "-"
    assert removal.history_user == qa
    assert removal.history_change_reason == "Line closed in 2026"
    assert api_for(qa).delete(url + "?change_reason=again").status_code == 404


def test_the_api_takes_a_cell_removal_reason_from_a_json_body(api_for, sourcing, vials):
    cell = SiteCapabilityFactory(capability=vials)
    response = api_for(sourcing).delete(
        f"/api/v1/site-capabilities/{cell.pk}/",
        {"change_reason": "Withdrawn by the CMO"},
        format="json",
    )
    assert response.status_code == 204
    assert SiteCapability.history.filter(id=cell.pk).first().history_change_reason == (
        "Withdrawn by the CMO"
    )


def test_each_cell_editor_has_labelled_fields_with_ids_of_its_own(client_for, sourcing, vials):
    site = SiteFactory(name="Cork fill-finish")
    lyo = Capability.objects.get(code="dosage-forms-lyophilized-products")
    client = client_for(sourcing)
    ids = set()
    for capability in (vials, lyo):
        url = reverse("vendors:matrix_cell", args=[site.pk, capability.pk])
        html = client.get(url, {"edit": 1}, headers={"HX-Request": "true"}).content.decode()
        level_id = f"id_cell_{site.pk}_{capability.pk}_level"
        reason_id = f"id_cell_{site.pk}_{capability.pk}_change_reason"
        assert f'id="{level_id}"' in html and f'id="{reason_id}"' in html
        assert (
            f'<label class="sr-only" for="{level_id}">Level of {capability.name} at Cork '
            "fill-finish</label>"
        ) in html
        assert f'for="{reason_id}"' in html
        assert 'id="id_level"' not in html
        ids |= {level_id, reason_id}
    assert len(ids) == 4


def test_adding_a_level_in_the_cell_editor_asks_why_beside_the_field(client_for, sourcing, vials):
    site = SiteFactory(name="Cork fill-finish")
    url = reverse("vendors:matrix_cell", args=[site.pk, vials.pk])
    client = client_for(sourcing)
    editor = client.get(url, {"edit": 1}, headers={"HX-Request": "true"}).content.decode()
    form = form_with(editor, "change_reason")
    assert "required" in form.attrs["change_reason"]
    refused = client.post(url, form.data(level="2"), headers={"HX-Request": "true"})
    html = refused.content.decode()
    reason_at = html.index(f'id="id_cell_{site.pk}_{vials.pk}_change_reason"')
    assert html.index(CAPABILITY_ADD_REASON) > reason_at  # beside the reason, in the editor
    assert 'class="lvl lvl-0 editable editing"' in html
    assert not SiteCapability.objects.exists()

    form = form_with(html, "change_reason")
    client.post(url, form.data(level="2", change_reason="Batch records seen"))
    cell = SiteCapability.objects.get(site=site, capability=vials)
    assert cell.level == CapabilityLevel.DEMONSTRATED
    added = cell.history.get()
    assert (added.history_type, added.history_user, added.history_change_reason) == (
        "+",
        sourcing,
        "Batch records seen",
    )


def test_adding_a_cell_through_the_api_needs_a_reason_kept_in_its_history(api_for, qa, vials):
    site = SiteFactory()
    api = api_for(qa)
    refused = api.post(
        "/api/v1/site-capabilities/",
        {"site": site.pk, "capability": vials.pk, "level": 2},
        format="json",
    )
    assert refused.status_code == 400
    assert refused.json() == {"change_reason": [CAPABILITY_ADD_REASON]}
    assert not SiteCapability.objects.exists()
    response = api.post(
        "/api/v1/site-capabilities/",
        {"site": site.pk, "capability": vials.pk, "level": 2, "change_reason": "Seen on site"},
        format="json",
    )
    assert response.status_code == 201
    cell = SiteCapability.objects.get(pk=response.json()["id"])
    assert cell.history.get().history_change_reason == "Seen on site"
    assert cell.history.get().history_user == qa


def test_the_country_filter_offers_only_countries_with_sites(client_for, sourcing):
    SiteFactory(country="IE")
    SiteFactory(country="IN")
    SiteFactory(country="IN")
    CmoFactory(headquarters_country="FR")  # a CMO's seat is not a site
    html = client_for(sourcing).get(reverse("vendors:matrix")).content.decode()
    form = form_with(html, "country")
    assert form.fields["country"] == ""
    select = html[html.index('name="country"') :]
    select = select[: select.index("</select>")]
    assert re.findall(r'<option value="([^"]*)"', select) == ["", "IN", "IE"]  # by name
    assert ">India</option>" in select and "France" not in select


@pytest.mark.parametrize("role", ["sourcing", "manager"])
def test_a_cell_on_the_page_is_the_cell_its_editor_swaps_back_after_a_change(
    client_for, request, role, vials
):
    site = SiteFactory(name='Plant "A" & <B>')
    SiteCapabilityFactory(site=site, capability=vials, level=CapabilityLevel.DEMONSTRATED)
    client = client_for(request.getfixturevalue(role))
    page = client.get(reverse("vendors:matrix"), {"view": "sites"}).content.decode()
    cell_id = f"cell-{site.pk}-{vials.pk}"
    on_page = re.search(rf'<td id="{cell_id}".*?</td>', page).group()
    alone = client.get(reverse("vendors:matrix_cell", args=[site.pk, vials.pk])).content.decode()
    assert alone == on_page
    # The site's name is escaped in the cell's label; a manager's cell is not a button.
    if role == "sourcing":
        assert 'aria-label="D demonstrated: change ' in on_page and on_page.endswith(
            ">D</button></td>"
        )
        assert "at Plant &quot;A&quot; &amp; &lt;B&gt;" in on_page
        url = reverse("vendors:matrix_cell", args=[site.pk, vials.pk])
        assert f'hx-get="{url}?edit=1"' in on_page
    else:
        assert "<button" not in on_page and on_page.endswith(">D</td>")
    assert f'title="{vials.name}: demonstrated">' in on_page


def test_a_cmo_row_shows_the_best_level_of_its_sites_in_each_column(client_for, manager, vials):
    cmo = CmoFactory(legal_name="Best-of Pharma")
    SiteCapabilityFactory(
        site=SiteFactory(cmo=cmo), capability=vials, level=CapabilityLevel.CLAIMED
    )
    SiteCapabilityFactory(
        site=SiteFactory(cmo=cmo), capability=vials, level=CapabilityLevel.VERIFIED
    )
    page = client_for(manager).get(reverse("vendors:matrix"), {"q": "Best-of"}).content.decode()
    row = re.search(
        r"<tr>\s*<th class=\"subject\"><a [^>]*>Best-of Pharma</a></th>(.*?)</tr>", page, re.S
    )
    position = list(Capability.objects.all()).index(vials)
    cells = re.findall(r'<td class="lvl lvl-(\d)">([CDV]?)</td>', row.group(1))
    assert cells[position] == ("3", "V")
    assert {cell for i, cell in enumerate(cells) if i != position} == {("0", "")}
