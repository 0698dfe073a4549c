import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audits.models import Answer, Audit
from audits.services import AnswerConflict, answer_save, evidence_add
from tests.factories import make_audit, make_checklist

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def audit(qa):
    version = make_checklist(
        (("A", ("yes_no", "rating", "number", "date", "text")), ("B", ("yes_no",)))
    )
    return make_audit(version=version, lead=qa, status=Audit.Status.IN_PROGRESS)


def answers(audit):
    return list(audit.answers.select_related("audit", "question__section"))


def test_each_save_bumps_the_version_and_keeps_history(audit, qa):
    first = answers(audit)[0]
    saved = answer_save(answer=first, user=qa, value="yes", comment="Seen", expected_version=0)
    assert (saved.value, saved.version, saved.answered_by) == ("yes", 1, qa)
    saved = answer_save(answer=saved, user=qa, value="no", comment="Seen", expected_version=1)
    assert saved.version == 2
    history = list(saved.history.order_by("history_date"))
    # The empty answer is recorded when the audit is planned, then each save.
    assert [h.value for h in history] == ["", "yes", "no"]
    assert history[0].history_change_reason == "Planned"
    assert history[-1].history_user == qa


def test_a_save_over_a_newer_version_is_refused_with_the_current_answer(audit, qa, admin_user):
    first = answers(audit)[0]
    answer_save(answer=first, user=admin_user, value="no", comment="Theirs", expected_version=0)
    with pytest.raises(AnswerConflict) as conflict:
        answer_save(answer=first, user=qa, value="yes", comment="Mine", expected_version=0)
    assert conflict.value.current.value == "no" and conflict.value.current.version == 1
    assert Answer.objects.get(pk=first.pk).comment == "Theirs"


@pytest.mark.parametrize(
    "index, raw, stored",
    [(1, "3", "3"), (2, "1,250.50", "1250.5"), (3, "2026-03-02", "2026-03-02"), (0, "na", "na")],
)
def test_values_are_checked_and_stored_canonically(audit, qa, index, raw, stored):
    answer = answers(audit)[index]
    assert (
        answer_save(answer=answer, user=qa, value=raw, comment="", expected_version=0).value
        == stored
    )


@pytest.mark.parametrize("index, raw", [(0, "maybe"), (1, "5"), (2, "lots"), (3, "02/03/2026")])
def test_bad_values_are_refused(audit, qa, index, raw):
    with pytest.raises(ValidationError):
        answer_save(
            answer=answers(audit)[index], user=qa, value=raw, comment="", expected_version=0
        )


def test_answers_are_read_only_unless_the_audit_is_in_progress(audit, qa):
    Audit.objects.filter(pk=audit.pk).update(status=Audit.Status.APPROVED)
    with pytest.raises(ValidationError, match="in progress"):
        answer_save(answer=answers(audit)[0], user=qa, value="yes", comment="", expected_version=0)


def test_the_htmx_save_returns_the_saved_state_progress_and_new_version(client_for, qa, audit):
    first = answers(audit)[0]
    response = client_for(qa).post(
        reverse("audits:answer", args=[first.pk]),
        {"value": "yes", "comment": "ok", "version": 0},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Saved" in body and f'id="version-{first.pk}"' in body and 'value="1"' in body
    assert "1</strong> of 6 answered" in body
    assert f'id="nav-count-{first.question.section_id}"' in body


def test_the_htmx_save_shows_both_values_on_a_conflict(client_for, qa, admin_user, audit):
    first = answers(audit)[0]
    answer_save(answer=first, user=admin_user, value="no", comment="Theirs", expected_version=0)
    response = client_for(qa).post(
        reverse("audits:answer", args=[first.pk]),
        {"value": "yes", "comment": "Mine", "version": 0},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 409
    assert response["HX-Retarget"] == f"#conflict-{first.pk}"
    assert "Theirs" in body and "Mine" in body and ">No<" in body and ">Yes<" in body
    assert 'data-version="1"' in body


def test_a_refused_value_answers_422_with_the_reason(client_for, qa, audit):
    first = answers(audit)[1]
    response = client_for(qa).post(
        reverse("audits:answer", args=[first.pk]),
        {"value": "9", "version": 0},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert "Not saved" in response.content.decode()


def test_evidence_is_checked_for_type_content_and_size(audit, qa, settings):
    answer = answers(audit)[0]
    evidence = evidence_add(
        answer=answer, upload=SimpleUploadedFile("photo.png", PNG), user=qa, description="Room 4"
    )
    assert evidence.content_type == "image/png" and evidence.size == len(PNG)
    assert len(evidence.sha256) == 64
    with pytest.raises(ValidationError, match="not accepted"):
        evidence_add(answer=answer, upload=SimpleUploadedFile("run.exe", b"MZ"), user=qa)
    with pytest.raises(ValidationError, match="does not look like"):
        evidence_add(answer=answer, upload=SimpleUploadedFile("fake.pdf", b"MZ\x90\x00"), user=qa)
    settings.MAX_UPLOAD_SIZE = 10
    with pytest.raises(ValidationError, match="limit"):
        evidence_add(answer=answer, upload=SimpleUploadedFile("big.png", PNG), user=qa)


def test_the_checklist_page_costs_the_same_queries_for_a_short_and_a_long_section(
    client_for, qa, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(qa)
    small = make_audit(version=make_checklist((("A", ("yes_no",) * 2),)), status="in_progress")
    big = make_audit(
        version=make_checklist((("A", ("yes_no", "rating") * 30),)), status="in_progress"
    )
    for a in answers(big)[:10]:
        evidence_add(answer=a, upload=SimpleUploadedFile("p.png", PNG), user=qa)
    counts = []
    for audit in (small, big):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("audits:audit_checklist", args=[audit.pk])).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_section_progress_counts_answers_per_section_in_order(audit, qa):
    first, second, *_, last = answers(audit)
    answer_save(answer=first, user=qa, value="yes", comment="", expected_version=0)
    answer_save(answer=second, user=qa, value="na", comment="", expected_version=0)
    answer_save(answer=last, user=qa, value="no", comment="", expected_version=0)
    progress = audit.section_progress()
    assert [(s.position, s.title, s.answered, s.total, s.done) for s in progress.sections] == [
        (1, "A", 2, 5, False),
        (2, "B", 1, 1, True),
    ]
    assert (progress.answered, progress.total, progress.percent) == (3, 6, 50)


def test_an_audit_without_answers_has_no_progress(qa):
    audit = make_audit(version=make_checklist(()), lead=qa)
    progress = audit.section_progress()
    assert (progress.sections, progress.total, progress.percent) == ([], 0, 0)
