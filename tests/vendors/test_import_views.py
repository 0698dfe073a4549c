from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.factories import (
    CitationFactory,
    ImportRunFactory,
    RegulatoryEventFactory,
    SiteFactory,
)
from vendors.models import Establishment, ImportRun, RegulatoryEvent, Site

FDA = Path(__file__).resolve().parent.parent / "fixtures" / "fda"
pytestmark = pytest.mark.django_db


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what a request queued for after its commit (the preview and commit tasks)."""

    def call(request, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return request(*args, **kwargs)

    return call


def blank_feis() -> bytes:
    """The compliance actions sample with every FEI blanked: each row is an error."""
    header, *rows = (FDA / "compliance_actions_drug_bio_sample.csv").read_text().splitlines()
    return "\n".join([header, *("0000000000" + row[row.index(",") :] for row in rows)]).encode()


def upload(committed, client, name, data=None, **extra):
    data = data or (FDA / name).read_bytes()
    return committed(
        client.post,
        reverse("vendors:import_list"),
        {"file": SimpleUploadedFile(name, data), **extra},
    )


def test_a_manager_previews_then_commits_an_upload(client_for, manager, committed):
    client = client_for(manager)
    response = upload(committed, client, "decrs_drug_establishments_sample.xlsx")
    run = ImportRun.objects.get()
    assert response.url == run.get_absolute_url()
    assert run.status == ImportRun.Status.PREVIEWED
    assert run.preview["created"] == 34 and run.preview["skipped"] == 6
    assert run.uploaded_by == manager
    assert not Site.objects.exists()
    html = client.get(run.get_absolute_url()).content.decode()
    assert "Commit the import" in html and "blank or all zeros" in html
    committed(client.post, reverse("vendors:import_commit", args=[run.pk]))
    run.refresh_from_db()
    assert run.status == ImportRun.Status.DONE
    assert (run.created, run.skipped, run.error_count) == (34, 6, 6)
    assert Establishment.objects.count() == 34
    assert not Site.objects.exists()  # the registry, not the directory
    again = client.post(reverse("vendors:import_commit", args=[run.pk]), follow=True)
    assert "cannot be committed now" in again.content.decode()


def test_the_upload_is_checked_for_type(client_for, qa):
    client = client_for(qa)
    response = client.post(
        reverse("vendors:import_list"),
        {"file": SimpleUploadedFile("recalls.xlsx", b"FEI Number,Legal Name\n")},
    )
    assert "not an Excel workbook" in response.content.decode()
    assert not ImportRun.objects.exists()


def test_the_upload_is_checked_for_size(client_for, qa, settings, committed):
    settings.MAX_UPLOAD_SIZE = 100
    response = upload(committed, client_for(qa), "compliance_actions_drug_bio_sample.csv")
    assert "larger than" in response.content.decode()


def test_a_wrong_header_is_shown_on_the_import_page(client_for, qa, committed):
    client = client_for(qa)
    committed(
        client.post,
        reverse("vendors:import_list"),
        {"file": SimpleUploadedFile("x.csv", b"Firm,Date\nAcme,2025-01-01\n")},
    )
    run = ImportRun.objects.get()
    html = client.get(run.get_absolute_url()).content.decode()
    assert run.status == ImportRun.Status.FAILED
    assert "found Firm, Date" in html


def test_sourcing_may_read_imports_but_not_upload(client_for, sourcing, committed):
    client = client_for(sourcing)
    assert "Upload an export" not in client.get(reverse("vendors:import_list")).content.decode()
    assert upload(committed, client, "compliance_actions_drug_bio_sample.csv").status_code == 403


def test_the_import_list_costs_the_same_queries_for_few_or_many(client_for, manager):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(manager)
    ImportRunFactory(uploaded_by=manager)
    client.get(reverse("vendors:import_list"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("vendors:import_list"))
    for _ in range(10):
        ImportRunFactory(uploaded_by=manager)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("vendors:import_list"))
    assert len(many) == len(few)


def test_the_api_uploads_previews_and_commits(api_for, qa, committed):
    SiteFactory(fei_number="3008565058")
    api = api_for(qa)
    with (FDA / "compliance_actions_drug_bio_sample.csv").open("rb") as handle:
        response = committed(api.post, "/api/v1/imports/", {"file": handle}, format="multipart")
    assert response.status_code == 201, response.content
    run_id = response.json()["id"]
    status = api.get(f"/api/v1/imports/{run_id}/").json()
    assert status["status"] == "previewed" and status["preview"]["created"] == 30
    result = committed(api.post, f"/api/v1/imports/{run_id}/commit/")
    assert result.json()["status"] == "committing"
    status = api.get(f"/api/v1/imports/{run_id}/").json()
    assert status["status"] == "done" and status["created"] == 30
    assert RegulatoryEvent.objects.count() == 30  # each at its registry entry
    assert RegulatoryEvent.objects.filter(site__fei_number="3008565058").count() == 1


def test_the_import_list_shows_counts_only_for_imports_that_wrote_something(client_for, qa):
    ImportRunFactory(original_name="done.csv", created=7, updated=3)
    ImportRunFactory(original_name="waiting.csv", status=ImportRun.Status.PREVIEWED)
    ImportRunFactory(original_name="broken.csv", status=ImportRun.Status.FAILED)
    html = client_for(qa).get(reverse("vendors:import_list")).content.decode()
    rows = {
        name: html[html.index(name) : html.index("</tr>", html.index(name))]
        for name in ("done.csv", "waiting.csv", "broken.csv")
    }
    assert '<td class="num">7</td>' in rows["done.csv"]
    for name in ("waiting.csv", "broken.csv"):
        assert rows[name].count('<td class="num">—</td>') == 4
        assert '<td class="num">0</td>' not in rows[name]


def test_a_file_with_a_header_but_no_rows_says_there_is_nothing_to_import(
    client_for, qa, committed
):
    client = client_for(qa)
    header = (FDA / "inspections_classification_sample.csv").read_text().splitlines()[0]
    committed(
        client.post,
        reverse("vendors:import_list"),
        {"file": SimpleUploadedFile("empty.csv", (header + "\n").encode())},
    )
    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.PREVIEWED
    html = client.get(run.get_absolute_url()).content.decode()
    assert "no rows: there is nothing to import" in html
    assert "Commit the import" not in html


def test_a_preview_where_every_row_is_skipped_explains_instead_of_offering_to_commit(
    client_for, qa, committed
):
    client = client_for(qa)
    upload(committed, client, "compliance_actions_blank_feis.csv", data=blank_feis())
    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.PREVIEWED
    assert run.preview["skipped"] == run.total_rows > 1
    html = client.get(run.get_absolute_url()).content.decode()
    assert (
        f"Nothing in this file would be imported: all {run.total_rows} rows are skipped, "
        "see the errors below."
    ) in html
    assert "Commit the import" not in html
    assert 'id="row-errors"' in html and f"Row errors ({run.error_count})" in html


def test_a_preview_that_would_write_nothing_cannot_be_committed_through_the_api(
    api_for, qa, committed
):
    api = api_for(qa)
    upload = SimpleUploadedFile("compliance_actions_blank_feis.csv", blank_feis())
    response = committed(api.post, "/api/v1/imports/", {"file": upload}, format="multipart")
    run_id = response.json()["id"]
    result = committed(api.post, f"/api/v1/imports/{run_id}/commit/")
    assert result.status_code == 400
    assert "Nothing in this file would be imported" in str(result.json()["status"])
    assert ImportRun.objects.get(pk=run_id).status == ImportRun.Status.PREVIEWED


def test_a_preview_that_would_write_something_still_offers_to_commit(client_for, qa, committed):
    SiteFactory(fei_number="3008565058")
    client = client_for(qa)
    upload(committed, client, "compliance_actions_drug_bio_sample.csv")
    html = client.get(ImportRun.objects.get().get_absolute_url()).content.decode()
    assert "Commit the import" in html and "Nothing in this file" not in html


def test_a_finished_registrations_import_links_to_the_registry(client_for, qa):
    run = ImportRunFactory(format=ImportRun.Format.DECRS, original_name="decrs.xlsx")
    html = client_for(qa).get(run.get_absolute_url()).content.decode()
    assert f'href="{reverse("vendors:registry")}" id="open-registry"' in html
    assert 'id="touched-sites"' not in html


def test_a_finished_events_import_lists_the_sites_it_wrote_not_the_matrix(client_for, qa):
    run = ImportRunFactory(format=ImportRun.Format.INSPECTIONS)
    other = ImportRunFactory()
    inspected = RegulatoryEventFactory(site=SiteFactory(name="Inspected plant"), import_run=run)
    RegulatoryEventFactory(site=inspected.site, import_run=run)
    cited = RegulatoryEventFactory(site=SiteFactory(name="Cited plant"))
    CitationFactory(inspection=cited, import_run=run)
    RegulatoryEventFactory(site=SiteFactory(name="Other import plant"), import_run=other)
    html = client_for(qa).get(run.get_absolute_url()).content.decode()
    touched = html[html.index('id="touched-sites"') :]
    touched = touched[: touched.index("</ul>")]
    assert "Inspected plant" in touched and "Cited plant" in touched
    assert touched.count("<li>") == 2 and "Other import plant" not in html
    assert reverse("vendors:matrix") + "?view=sites" not in html
    recalls = ImportRunFactory(format=ImportRun.Format.RECALLS)
    html = client_for(qa).get(recalls.get_absolute_url()).content.decode()
    assert 'id="touched-none"' in html and "capability matrix" not in html


def test_the_events_api_filters_by_the_import_that_wrote_them(api_for, sourcing):
    run = ImportRunFactory()
    mine = RegulatoryEventFactory(import_run=run)
    RegulatoryEventFactory(import_run=ImportRunFactory())
    RegulatoryEventFactory()
    body = api_for(sourcing).get("/api/v1/regulatory-events/", {"import_run": run.pk}).json()
    assert [event["id"] for event in body["results"]] == [mine.pk]
    assert (
        api_for(sourcing).get("/api/v1/regulatory-events/", {"import_run": "x"}).status_code == 400
    )
