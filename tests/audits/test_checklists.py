import csv
import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from audits import transfer
from audits.models import ChecklistQuestion, ChecklistSection, TemplateVersion
from audits.question_bank import TEMPLATE_NAME
from audits.services import (
    question_move,
    question_save,
    section_save,
    template_create,
    version_create_draft,
    version_publish,
)
from tests.factories import make_audit, make_checklist
from tests.html_forms import rendered_form

pytestmark = pytest.mark.django_db


def test_the_default_gmp_template_is_published_after_migrate_with_at_least_120_questions():
    version = TemplateVersion.objects.get(template__name=TEMPLATE_NAME, number=1)
    assert version.is_frozen
    count = ChecklistQuestion.objects.filter(section__version=version).count()
    assert count >= 120
    titles = " ".join(version.sections.values_list("title", flat=True)).lower()
    for topic in ("data integrity", "stability", "sterility", "subcontracting", "capa"):
        assert topic in titles


def test_a_published_version_is_frozen(qa):
    version = make_checklist()
    section = version.sections.first()
    section.title = "Changed"
    with pytest.raises(ValidationError, match="frozen"):
        section_save(section=section)
    question = ChecklistQuestion(section=section, text="New?", answer_type="yes_no")
    with pytest.raises(ValidationError, match="frozen"):
        question_save(question=question)
    with pytest.raises(ValidationError, match="frozen"):
        question_move(question=section.questions.last(), direction="up")


def test_a_new_draft_copies_the_last_version_and_audits_keep_theirs(qa):
    version = make_checklist()
    audit = make_audit(version=version)
    draft = version_create_draft(template=version.template, user=qa)
    assert draft.number == 2 and draft.status == "draft" and draft.created_from == version
    assert list(
        ChecklistQuestion.objects.filter(section__version=draft).values_list("text", flat=True)
    ) == list(
        ChecklistQuestion.objects.filter(section__version=version).values_list("text", flat=True)
    )

    warehouse = section_save(section=ChecklistSection(version=draft, title="Warehouse"))
    question_save(
        question=ChecklistQuestion(section=warehouse, text="Extra?", answer_type="yes_no")
    )
    assert warehouse.position == 3
    assert ChecklistQuestion.objects.filter(section__version=version).count() == 5
    assert audit.answers.count() == 5
    with pytest.raises(ValidationError, match="still a draft"):
        version_create_draft(template=version.template, user=qa)

    version_publish(version=draft, user=qa, notes="Warehouse section")
    draft.refresh_from_db()
    assert draft.is_frozen and draft.published_by == qa


def test_publishing_refuses_an_empty_version_or_an_empty_section(qa):
    draft = template_create(name="Empty", user=qa)
    with pytest.raises(ValidationError, match="at least one question"):
        version_publish(version=draft, user=qa, notes="First version")
    section_save(section=ChecklistSection(version=draft, title="A"))
    section_save(section=ChecklistSection(version=draft, title="B"))
    question_save(
        question=ChecklistQuestion(
            section=draft.sections.get(title="A"), text="Q?", answer_type="rating"
        )
    )
    with pytest.raises(ValidationError, match="B"):
        version_publish(version=draft, user=qa, notes="First version")


def test_questions_are_reordered_within_a_draft(qa):
    version = make_checklist(published=False)
    section = version.sections.first()
    first, second, third = section.questions.all()
    question_move(question=third, direction="up")
    assert list(section.questions.values_list("pk", flat=True)) == [first.pk, third.pk, second.pk]
    question_move(question=first, direction="up")  # already first: nothing happens
    assert list(section.questions.values_list("position", flat=True)) == [1, 2, 3]


def test_json_csv_and_xlsx_exports_import_back_as_a_new_draft(qa):
    version = make_checklist(name="Round trip", critical=(0,))
    data = json.loads(transfer.export_json(version))
    assert data["sections"][0]["questions"][0]["critical"] is True

    imported = transfer.template_import(
        parsed=transfer.parse_json(transfer.export_json(version)), user=qa
    )
    assert imported.template == version.template and imported.number == 2
    assert ChecklistQuestion.objects.filter(section__version=imported).count() == 5

    csv_parsed = transfer.parse_csv(transfer.export_csv(version), name="From CSV")
    xlsx_parsed = transfer.parse_xlsx(transfer.export_xlsx(version), name="From XLSX")
    assert (
        csv_parsed["sections"]
        == xlsx_parsed["sections"]
        == transfer.parse_json(transfer.export_json(version))["sections"]
    )
    sheet = load_workbook(io.BytesIO(transfer.export_xlsx(version))).active
    assert [c.value for c in sheet[1]] == transfer.COLUMNS


def test_a_bad_import_reports_every_problem_by_row_and_writes_nothing(qa):
    content = (
        b"section,text,answer_type,weight,critical\n"
        b"Premises,Is it clean?,yes_no,2,yes\n"
        b"Premises,,yes_no,2,no\n"
        b"Premises,Rated?,stars,2,no\n"
        b",Orphan?,yes_no,1,no\n"
        b"Premises,Heavy?,yes_no,99,maybe\n"
    )
    before = TemplateVersion.objects.count()
    with pytest.raises(ValidationError) as error:
        transfer.parse_upload(SimpleUploadedFile("bad.csv", content), name="Bad")
    messages = error.value.messages
    assert any(m.startswith("Row 3:") and "empty" in m for m in messages)
    assert any(m.startswith("Row 4:") and "stars" in m for m in messages)
    assert any(m.startswith("Row 5:") for m in messages)
    assert any(m.startswith("Row 6:") and "weight" in m for m in messages)
    assert any(m.startswith("Row 6:") and "critical" in m for m in messages)
    assert TemplateVersion.objects.count() == before


def test_qa_imports_a_file_in_the_browser_and_sees_row_errors(client_for, qa):
    client = client_for(qa)
    bad = SimpleUploadedFile("bad.json", b"{not json")
    response = client.post(reverse("audits:template_import"), {"file": bad})
    assert response.status_code == 200
    assert "not valid JSON" in response.content.decode()
    good = SimpleUploadedFile(
        "good.csv", b"section,text,answer_type\nLab,Are methods validated?,yes_no\n"
    )
    response = client.post(reverse("audits:template_import"), {"file": good, "name": "Lab audit"})
    version = TemplateVersion.objects.get(template__name="Lab audit")
    assert response.status_code == 302 and response.url == version.get_absolute_url()


def test_qa_edits_a_draft_in_the_browser(client_for, qa):
    client = client_for(qa)
    response = client.post(reverse("audits:template_create"), {"name": "Sterile audit"})
    version = TemplateVersion.objects.get(template__name="Sterile audit")
    client.post(reverse("audits:section_create", args=[version.pk]), {"title": "Cleanrooms"})
    section = version.sections.get()
    response = client.post(
        reverse("audits:question_create", args=[version.pk]),
        {
            "section": section.pk,
            "text": "Are media fills passing?",
            "answer_type": "yes_no",
            "weight": 5,
            "critical": "on",
        },
    )
    assert response.status_code == 302
    client.post(
        reverse("audits:question_create", args=[version.pk]),
        {"section": section.pk, "text": "Is EM trended?", "answer_type": "rating", "weight": 2},
    )
    second = section.questions.get(text="Is EM trended?")
    client.post(reverse("audits:question_action", args=[second.pk]), {"action": "up"})
    assert list(section.questions.values_list("text", flat=True)) == [
        "Is EM trended?",
        "Are media fills passing?",
    ]
    client.post(reverse("audits:version_publish", args=[version.pk]), {"notes": "First"})
    version.refresh_from_db()
    assert version.is_frozen
    response = client.post(
        reverse("audits:question_edit", args=[second.pk]),
        {"section": section.pk, "text": "Changed", "answer_type": "rating", "weight": 2},
    )
    assert response.status_code == 200
    assert "frozen" in response.content.decode()
    second.refresh_from_db()
    assert second.text == "Is EM trended?"


def test_csv_and_xlsx_exports_write_formula_like_text_as_text_and_import_it_back_unchanged(qa):
    version = make_checklist(name="Formulas")
    texts = {
        "text": '=HYPERLINK("http://evil.example","Click")',
        "guidance": "+cmd|' /C calc'!A0",
        "reference": "-21 CFR 211",
        "evidence_expected": "'quoted already",
    }
    ChecklistQuestion.objects.filter(section__version=version, position=1).update(**texts)

    csv_rows = list(csv.reader(io.StringIO(transfer.export_csv(version).decode("utf-8-sig"))))
    sheet = load_workbook(io.BytesIO(transfer.export_xlsx(version))).active
    xlsx_cells = list(sheet.iter_rows())[1]
    for column, text in texts.items():
        index = transfer.COLUMNS.index(column)
        assert csv_rows[1][index] == "'" + text
        assert (xlsx_cells[index].value, xlsx_cells[index].data_type) == ("'" + text, "s")

    for parsed in (
        transfer.parse_csv(transfer.export_csv(version), name="From CSV"),
        transfer.parse_xlsx(transfer.export_xlsx(version), name="From XLSX"),
    ):
        question = parsed["sections"][0]["questions"][0]
        assert {column: question[column] for column in texts} == texts


# ── Publishing: what changed, and the earlier version superseded ─────────────────────────────


def _second_draft(qa):
    first = make_checklist(name="Sterile site audit")
    first.notes = "First version"
    first.save()
    return first, version_create_draft(template=first.template, user=qa)


def test_publishing_needs_a_note_of_what_changed(qa):
    first, draft = _second_draft(qa)
    with pytest.raises(ValidationError) as raised:
        version_publish(version=draft, user=qa, notes="  ")
    assert raised.value.message_dict == {"notes": ["Say what changed in this version."]}
    draft.refresh_from_db()
    first.refresh_from_db()
    assert draft.status == TemplateVersion.Status.DRAFT
    assert first.status == TemplateVersion.Status.PUBLISHED


def test_publishing_supersedes_the_earlier_version_and_audits_planned_with_it_keep_it(qa):
    first, draft = _second_draft(qa)
    audit = make_audit(version=first)
    version_publish(version=draft, user=qa, notes="Added a warehouse section")
    first.refresh_from_db()
    draft.refresh_from_db()
    assert first.status == TemplateVersion.Status.SUPERSEDED and first.is_frozen
    assert draft.status == TemplateVersion.Status.PUBLISHED
    assert draft.notes == "Added a warehouse section"
    audit.refresh_from_db()
    assert audit.template_version == first
    assert list(TemplateVersion.objects.filter(template=first.template).published()) == [draft]


def test_a_superseded_version_is_not_offered_for_a_new_audit(client, qa):
    first, draft = _second_draft(qa)
    version_publish(version=draft, user=qa, notes="Added a warehouse section")
    client.force_login(qa)
    url = reverse("audits:audit_create")
    options = rendered_form(client.get(url).content, url).options
    assert str(draft.pk) in options["template_version"]
    assert str(first.pk) not in options["template_version"]


def test_an_audit_planned_with_a_superseded_version_can_still_be_edited(client, qa):
    first, draft = _second_draft(qa)
    audit = make_audit(version=first, lead=qa)
    version_publish(version=draft, user=qa, notes="Added a warehouse section")
    client.force_login(qa)
    url = reverse("audits:audit_edit", args=[audit.pk])
    form = rendered_form(client.get(url).content, url)
    assert form.options["template_version"] == [str(first.pk)]
    data = form.data(scope="Aseptic filling and the warehouse", change_reason="Scope widened")
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()
    audit.refresh_from_db()
    assert audit.scope == "Aseptic filling and the warehouse"
    assert audit.template_version == first


def test_the_publish_form_shows_a_missing_note_beside_the_field_and_the_note_after(client, qa):
    first, draft = _second_draft(qa)
    client.force_login(qa)
    page_url = reverse("audits:version_detail", args=[draft.pk])
    action = reverse("audits:version_publish", args=[draft.pk])
    fields = rendered_form(client.get(page_url).content, action).fields
    assert fields == {"csrfmiddlewaretoken": fields["csrfmiddlewaretoken"], "notes": ""}
    response = client.post(action, fields)
    assert response.status_code == 200
    assert "Say what changed in this version." in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == TemplateVersion.Status.DRAFT

    fields["notes"] = "Added a warehouse section"
    assert client.post(action, fields).status_code == 302
    page = client.get(page_url).content.decode()
    assert "What changed:</strong> Added a warehouse section" in page
    first_page = client.get(reverse("audits:version_detail", args=[first.pk])).content.decode()
    assert "Superseded" in first_page
    assert "no longer offered when planning audits" in first_page


def test_the_api_publishes_with_a_note_and_answers_400_without_one(api_for, qa):
    first, draft = _second_draft(qa)
    api = api_for(qa)
    url = f"/api/v1/checklist-versions/{draft.pk}/publish/"
    response = api.post(url, {"notes": ""}, format="json")
    assert response.status_code == 400
    assert response.json() == {"notes": ["Say what changed in this version."]}
    response = api.post(url, {"notes": "Added a warehouse section"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "published"
    assert response.json()["notes"] == "Added a warehouse section"
    first.refresh_from_db()
    assert first.status == TemplateVersion.Status.SUPERSEDED
    assert api.post(url, {"notes": "Again"}, format="json").status_code == 400


def test_the_api_refuses_a_new_audit_on_a_superseded_version(api_for, qa):
    from tests.factories import SiteFactory

    first, draft = _second_draft(qa)
    version_publish(version=draft, user=qa, notes="Added a warehouse section")
    response = api_for(qa).post(
        "/api/v1/audits/",
        {
            "site": SiteFactory().pk,
            "template_version": first.pk,
            "audit_type": "remote",
            "planned_start": "2026-05-04",
            "planned_end": "2026-05-04",
            "lead_auditor": qa.pk,
            "scope": "QC laboratory",
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"template_version": ["Choose a published checklist version."]}
