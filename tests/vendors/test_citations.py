"""Form 483 citations entered, corrected and removed by hand: the service and the pages."""

import io
import json
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from tests.factories import CitationFactory, RegulatoryEventFactory, SiteFactory
from vendors.models import Citation, EventKind, RegulatoryEvent, citation_key
from vendors.models.regulatory import Source
from vendors.services import citation_remove, citation_save, regulatory_event_save

pytestmark = pytest.mark.django_db

FDA = Path(__file__).resolve().parent.parent / "fixtures" / "fda"


@pytest.fixture
def inspection():
    return RegulatoryEventFactory(reference="1306888", project_area="Drugs")


def new_citation(inspection, **fields) -> Citation:
    values = {
        "act_cfr_number": "21 CFR 211.192",
        "short_description": "Investigations of discrepancies",
        "long_description": "There is a failure to thoroughly review any unexplained discrepancy.",
        "program_area": "Drugs",
    }
    return Citation(inspection=inspection, **{**values, **fields})


# ---------------------------------------------------------------- the service


class TestCitationSave:
    def test_a_citation_added_by_hand_gets_the_importers_key_and_a_history_entry(
        self, inspection, qa
    ):
        citation = citation_save(
            citation=new_citation(inspection, act_cfr_number="  21 CFR 211.192 "), user=qa
        )
        assert citation.act_cfr_number == "21 CFR 211.192"
        assert citation.source == Source.MANUAL
        assert citation.key == citation_key(
            "21 CFR 211.192",
            "Investigations of discrepancies",
            "There is a failure to thoroughly review any unexplained discrepancy.",
        )
        entry = citation.history.get()
        assert (entry.history_type, entry.history_user, entry.history_change_reason) == (
            "+",
            qa,
            "Created",
        )

    def test_an_edit_needs_a_reason_and_records_who_and_why(self, inspection, qa, admin_user):
        citation = citation_save(citation=new_citation(inspection), user=qa)
        citation.short_description = "Investigations of batch discrepancies"
        with pytest.raises(ValidationError) as refused:
            citation_save(citation=citation, user=admin_user, reason="  ")
        assert "change_reason" in refused.value.message_dict

        citation_save(citation=citation, user=admin_user, reason="Typo against the signed 483")
        entry = citation.history.first()
        assert (entry.history_type, entry.history_user) == ("~", admin_user)
        assert entry.history_change_reason == "Typo against the signed 483"
        assert entry.diff_against(entry.prev_record).changed_fields == ["short_description"]
        assert citation.key == citation.content_key  # a manual citation's key follows its text

    def test_a_corrected_imported_citation_keeps_its_source_and_key(self, inspection, qa):
        imported = citation_save(citation=new_citation(inspection), user=qa)
        Citation.objects.filter(pk=imported.pk).update(source=Source.IMPORT, source_row=7)
        imported.refresh_from_db()
        original_key = imported.key

        imported.long_description = "Unexplained discrepancies were not reviewed."
        citation_save(citation=imported, user=qa, reason="Shortened to the 483's wording")
        imported.refresh_from_db()
        assert (imported.source, imported.source_row, imported.key) == (
            Source.IMPORT,
            7,
            original_key,
        )
        assert imported.history.first().history_change_reason == "Shortened to the 483's wording"

    def test_the_same_citation_twice_on_an_inspection_is_refused_beside_the_description(
        self, inspection, qa
    ):
        citation_save(citation=new_citation(inspection), user=qa)
        with pytest.raises(ValidationError) as refused:
            citation_save(
                citation=new_citation(
                    inspection, short_description=" Investigations of discrepancies"
                ),
                user=qa,
            )
        assert "already has this citation" in refused.value.message_dict["short_description"][0]
        assert inspection.citations.count() == 1
        # The same observation on another inspection is another citation.
        citation_save(citation=new_citation(RegulatoryEventFactory()), user=qa)
        assert Citation.objects.count() == 2

    def test_an_edit_that_makes_two_citations_the_same_is_refused(self, inspection, qa):
        citation_save(citation=new_citation(inspection), user=qa)
        other = citation_save(
            citation=new_citation(inspection, act_cfr_number="21 CFR 211.100"), user=qa
        )
        other.act_cfr_number = "21 CFR 211.192"
        with pytest.raises(ValidationError) as refused:
            citation_save(citation=other, user=qa, reason="Wrong section")
        assert "short_description" in refused.value.message_dict

    def test_re_entering_the_original_of_a_corrected_imported_citation_is_a_key_collision(
        self, inspection, qa
    ):
        imported = citation_save(citation=new_citation(inspection), user=qa)
        Citation.objects.filter(pk=imported.pk).update(source=Source.IMPORT)
        imported.refresh_from_db()
        imported.short_description = "Discrepancies not investigated"
        citation_save(citation=imported, user=qa, reason="Our reading of the 483")
        # Its stored key is still that of the original text: typing the original in again is
        # the same FDA citation, and the natural key constraint would refuse it.
        with pytest.raises(ValidationError) as refused:
            citation_save(citation=new_citation(inspection), user=qa)
        assert "short_description" in refused.value.message_dict
        assert inspection.citations.count() == 1

    @pytest.mark.parametrize("kind", [EventKind.WARNING_LETTER, EventKind.FORM_483])
    def test_only_an_inspection_takes_citations(self, qa, kind):
        letter = RegulatoryEventFactory(kind=kind, classification="")
        with pytest.raises(ValidationError) as refused:
            citation_save(citation=new_citation(letter), user=qa)
        assert "Only an inspection" in refused.value.message_dict["inspection"][0]
        assert not Citation.objects.exists()

    def test_an_inspection_with_citations_keeps_its_kind(self, inspection, qa):
        citation_save(citation=new_citation(inspection), user=qa)
        inspection.kind = EventKind.WARNING_LETTER
        inspection.classification = ""
        with pytest.raises(ValidationError) as refused:
            regulatory_event_save(event=inspection, user=qa, reason="Wrong kind")
        assert "kind" in refused.value.message_dict
        assert RegulatoryEvent.objects.get(pk=inspection.pk).kind == EventKind.INSPECTION


class TestCitationRemove:
    def test_a_removal_needs_a_reason_and_stays_in_the_history(self, inspection, qa):
        citation = citation_save(citation=new_citation(inspection), user=qa)
        pk = citation.pk
        with pytest.raises(ValidationError) as refused:
            citation_remove(citation=citation, user=qa, reason="")
        assert "change_reason" in refused.value.message_dict
        assert Citation.objects.filter(pk=pk).exists()

        citation_remove(citation=citation, user=qa, reason="Withdrawn at the close-out meeting")
        assert not Citation.objects.filter(pk=pk).exists()
        entry = Citation.history.filter(id=pk).latest("history_date")
        assert (entry.history_type, entry.history_user) == ("-", qa)
        assert entry.history_change_reason == "Withdrawn at the close-out meeting"
        assert entry.inspection_id == inspection.pk


def run_import(path: Path) -> dict:
    out = io.StringIO()
    call_command("import_fda", str(path), "--json", stdout=out)
    return json.loads(out.getvalue())


def test_importing_a_citation_entered_by_hand_does_not_add_it_twice(qa):
    for fei in ("3003774440", "3030120006"):
        SiteFactory(fei_number=fei)
    run_import(FDA / "inspections_classification_sample.csv")
    inspection = RegulatoryEvent.objects.get(reference="1306888")
    citation_save(citation=new_citation(inspection), user=qa)

    summary = run_import(FDA / "inspections_citations_constructed.csv")
    assert (summary["created"], summary["unchanged"]) == (2, 1)
    assert inspection.citations.count() == 2
    assert inspection.citations.get(act_cfr_number="21 CFR 211.192").source == Source.MANUAL


# ---------------------------------------------------------------- the pages


def test_qa_adds_corrects_and_removes_a_citation_with_plain_form_posts(client_for, qa, inspection):
    client = client_for(qa)
    page = client.get(inspection.get_absolute_url()).content.decode()
    assert reverse("vendors:citation_create", args=[inspection.pk]) in page

    add = reverse("vendors:citation_create", args=[inspection.pk])
    form = client.get(add).content.decode()
    assert 'value="Drugs"' in form  # the program area starts as the inspection's project area
    assert "hx-post" not in form and "hx-get" not in form  # a page of its own posts plainly
    response = client.post(
        add,
        {
            "act_cfr_number": "21 CFR 211.192",
            "short_description": "Investigations of discrepancies",
            "long_description": "",
            "program_area": "Drugs",
        },
    )
    assert response.status_code == 302
    assert response.url == inspection.get_absolute_url() + "#citations"
    citation = inspection.citations.get()
    assert citation.history.get().history_user == qa

    edit = reverse("vendors:citation_edit", args=[citation.pk])
    data = {
        "act_cfr_number": "21 CFR 211.192",
        "short_description": "Failure to investigate discrepancies",
        "program_area": "Drugs",
    }
    refused = client.post(edit, data)
    assert refused.status_code == 200
    assert "This field is required" in refused.content.decode()
    assert inspection.citations.get().short_description == "Investigations of discrepancies"
    response = client.post(edit, {**data, "change_reason": "Wording of the signed 483"})
    assert response.status_code == 302

    page = client.get(inspection.get_absolute_url()).content.decode()
    assert "Failure to investigate discrepancies" in page
    assert "Citation changed" in page and "Wording of the signed 483" in page

    remove = reverse("vendors:citation_remove", args=[citation.pk])
    assert "Remove citation" in client.get(remove).content.decode()
    assert client.post(remove, {"change_reason": ""}).status_code == 200
    assert inspection.citations.exists()
    response = client.post(remove, {"change_reason": "Entered on the wrong inspection"})
    assert response.status_code == 302
    assert not inspection.citations.exists()
    page = client.get(inspection.get_absolute_url()).content.decode()
    assert "Citation removed" in page and "Entered on the wrong inspection" in page
    assert "Form 483 citations (0)" in page


def test_with_htmx_the_forms_swap_into_the_list_and_a_save_refreshes_list_and_history(
    client_for, admin_user, inspection
):
    client = client_for(admin_user)
    htmx = {"HX-Request": "true"}
    add = reverse("vendors:citation_create", args=[inspection.pk])
    form = client.get(add, headers=htmx).content.decode()
    assert form.lstrip().startswith("<form") and "<html" not in form
    assert f'hx-post="{add}"' in form

    invalid = client.post(add, {"short_description": ""}, headers=htmx)
    assert invalid.content.decode().lstrip().startswith("<form")
    assert "This field is required" in invalid.content.decode()
    assert "HX-Retarget" not in invalid

    saved = client.post(
        add, {"act_cfr_number": "21 CFR 211.67(a)", "short_description": "Cleaning"}, headers=htmx
    )
    assert (saved["HX-Retarget"], saved["HX-Reswap"]) == ("#citations", "outerHTML")
    body = saved.content.decode()
    assert 'id="citations"' in body and "21 CFR 211.67(a)" in body
    assert "Citation added: 21 CFR 211.67(a) Cleaning." in body
    assert 'id="history" hx-swap-oob="true"' in body and "Citation added" in body

    citation = inspection.citations.get()
    row = client.get(reverse("vendors:citation_edit", args=[citation.pk]), headers=htmx)
    assert row.content.decode().startswith(f'<tr id="citation-{citation.pk}"')
    cancelled = client.get(inspection.get_absolute_url(), headers=htmx).content.decode()
    assert cancelled.lstrip().startswith('<section class="card" id="citations"')


def test_form_errors_show_beside_their_fields(client_for, qa, inspection):
    CitationFactory(
        inspection=inspection,
        act_cfr_number="21 CFR 211.22(d)",
        short_description="Procedures not in writing",
        key=citation_key("21 CFR 211.22(d)", "Procedures not in writing", ""),
    )
    client = client_for(qa)
    add = reverse("vendors:citation_create", args=[inspection.pk])
    too_long = client.post(add, {"act_cfr_number": "2" * 61, "short_description": "x" * 301})
    html = too_long.content.decode()
    assert "at most 60 characters" in html and "at most 300 characters" in html
    duplicate = client.post(
        add,
        {"act_cfr_number": "21 CFR 211.22(d)", "short_description": "Procedures not in writing"},
    )
    html = duplicate.content.decode()
    field = html[html.index('id="field-short_description"') :]
    assert "already has this citation" in field[: field.index("</div>")]
    assert inspection.citations.count() == 1


def test_only_an_inspection_offers_citations(client_for, qa):
    letter = RegulatoryEventFactory(kind=EventKind.WARNING_LETTER, classification="")
    client = client_for(qa)
    assert "Add citation" not in client.get(letter.get_absolute_url()).content.decode()
    add = reverse("vendors:citation_create", args=[letter.pk])
    assert client.get(add).status_code == 404
    assert client.post(add, {"short_description": "x"}).status_code == 404
    assert not Citation.objects.exists()


@pytest.mark.parametrize("persona", ["qa", "admin"])
def test_qa_and_admin_see_the_citation_controls(client_for, personas, persona, inspection):
    citation = CitationFactory(inspection=inspection)
    client = client_for(personas[persona])
    page = client.get(inspection.get_absolute_url()).content.decode()
    assert "Add citation" in page
    assert reverse("vendors:citation_edit", args=[citation.pk]) in page
    assert reverse("vendors:citation_remove", args=[citation.pk]) in page
    assert client.get(reverse("vendors:citation_edit", args=[citation.pk])).status_code == 200


@pytest.mark.parametrize("persona", ["sourcing", "manager", "outsider"])
def test_other_roles_are_refused_the_citation_pages(client_for, personas, persona, inspection):
    citation = CitationFactory(inspection=inspection, short_description="Kept as it is")
    client = client_for(personas[persona])
    if persona != "outsider":
        page = client.get(inspection.get_absolute_url()).content.decode()
        assert "Kept as it is" in page
        assert "Add citation" not in page
        assert reverse("vendors:citation_edit", args=[citation.pk]) not in page
    urls = [
        reverse("vendors:citation_create", args=[inspection.pk]),
        reverse("vendors:citation_edit", args=[citation.pk]),
        reverse("vendors:citation_remove", args=[citation.pk]),
    ]
    data = {"short_description": "Changed", "change_reason": "Because"}
    for url in urls:
        assert client.get(url).status_code == 403
        assert client.post(url, data).status_code == 403
    assert Citation.objects.get().short_description == "Kept as it is"


def test_anonymous_visitors_are_sent_to_log_in(client, inspection):
    citation = CitationFactory(inspection=inspection)
    for url in (
        reverse("vendors:citation_create", args=[inspection.pk]),
        reverse("vendors:citation_edit", args=[citation.pk]),
        reverse("vendors:citation_remove", args=[citation.pk]),
    ):
        response = client.post(url, {"change_reason": "x"})
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert Citation.objects.filter(pk=citation.pk).exists()


def test_the_django_admin_shows_citations_but_leaves_changes_to_the_inspection_page(
    client_for, admin_user, inspection
):
    citation = Citation.objects.create(
        inspection=inspection, short_description="Procedures not in writing", key="k"
    )
    client = client_for(admin_user)
    assert client.get(reverse("admin:vendors_citation_changelist")).status_code == 200
    assert client.get(reverse("admin:vendors_citation_add")).status_code == 403
    response = client.post(
        reverse("admin:vendors_citation_change", args=[citation.pk]),
        {"short_description": "Edited in the admin"},
    )
    assert response.status_code == 403
    citation.refresh_from_db()
    assert citation.short_description == "Procedures not in writing"
