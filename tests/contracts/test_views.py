from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contracts.models import Contract, ContractDocument, Milestone, today
from contracts.services import contract_save
from tests.factories import CmoFactory, ContractFactory, MilestoneFactory, SiteFactory

LIST = reverse("contracts:contract_list")


@pytest.fixture
def book(db):
    on = today()
    basel = CmoFactory(legal_name="Basel Biologics AG")
    cork = CmoFactory(legal_name="Cork Sterile Ltd")
    msa = ContractFactory(
        cmo=basel, title="Basel MSA", status="active", expiry_date=on + timedelta(days=200)
    )
    ContractFactory(
        cmo=basel,
        contract_type="sow",
        parent=msa,
        title="Basel SOW 1",
        status="active",
        expiry_date=on + timedelta(days=45),
    )
    ContractFactory(
        cmo=cork,
        contract_type="quality",
        title="Cork quality agreement",
        status="active",
        expiry_date=on + timedelta(days=20),
    )
    ContractFactory(
        cmo=cork,
        contract_type="cda",
        title="Cork CDA",
        status="draft",
        expiry_date=on + timedelta(days=10),
    )
    return {"basel": basel, "cork": cork, "msa": msa}


def titles(response) -> list[str]:
    return [c.title for c in response.context["page"].object_list]


class TestList:
    @pytest.mark.parametrize(
        "query, expected",
        [
            ({}, ["Basel MSA", "Basel SOW 1", "Cork CDA", "Cork quality agreement"]),
            ({"type": "sow"}, ["Basel SOW 1"]),
            ({"status": "draft"}, ["Cork CDA"]),
            ({"expiring": "30"}, ["Cork quality agreement"]),
            ({"expiring": "60"}, ["Basel SOW 1", "Cork quality agreement"]),
            ({"q": "quality"}, ["Cork quality agreement"]),
            ({"q": "basel"}, ["Basel MSA", "Basel SOW 1"]),
            (
                {"ordering": "-expiry"},
                ["Basel MSA", "Basel SOW 1", "Cork quality agreement", "Cork CDA"],
            ),
        ],
    )
    def test_it_filters_like_the_api(self, client_for, qa, book, query, expected):
        assert titles(client_for(qa).get(LIST, query)) == expected

    def test_it_filters_by_cmo(self, client_for, qa, book):
        response = client_for(qa).get(LIST, {"cmo": book["cork"].pk})
        assert titles(response) == ["Cork CDA", "Cork quality agreement"]

    def test_an_htmx_request_gets_the_results_fragment(self, client_for, qa, book):
        body = client_for(qa).get(LIST, {"type": "sow"}, HTTP_HX_REQUEST="true").content.decode()
        assert body.lstrip().startswith('<div id="results">') and "<html" not in body

    def test_a_bad_filter_value_is_an_error_not_a_crash(self, client_for, qa, book):
        response = client_for(qa).get(LIST, {"expiring": "45", "cmo": "abc"})
        assert response.status_code == 200 and titles(response) == []
        assert "Select a valid choice" in response.content.decode()

    def test_the_empty_state_offers_a_way_out(self, client_for, sourcing, db):
        body = client_for(sourcing).get(LIST).content.decode()
        assert "No contracts match these filters" in body
        assert reverse("contracts:contract_create") in body

    @pytest.mark.parametrize("n", [3, 60])
    def test_it_costs_the_same_queries_for_few_or_many(self, client_for, qa, db, n):
        for cmo in CmoFactory.create_batch(n):
            ContractFactory(cmo=cmo, status="active", expiry_date=today() + timedelta(days=20))
        client = client_for(qa)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(LIST, {"expiring": "90", "ordering": "cmo"})
        assert response.status_code == 200
        # session, user, roles, count, page, the header's unread count (the CMO picker reads
        # nothing until a CMO is chosen)
        assert len(queries) == 6, [q["sql"] for q in queries]


class TestCmoCard:
    @pytest.mark.parametrize("n", [1, 12])
    def test_the_cmo_page_card_costs_a_constant_number_of_queries(self, client_for, qa, db, n):
        cmo = CmoFactory()
        for i in range(n):
            c = ContractFactory(cmo=cmo, title=f"Contract {i}")
            MilestoneFactory(contract=c, planned_date=today() - timedelta(days=3))
        client = client_for(qa)
        with CaptureQueriesContext(connection) as queries:
            body = client.get(cmo.get_absolute_url()).content.decode()
        assert body.count("1 late") == n
        card = [q for q in queries if "contracts_contract" in q["sql"]]
        assert len(card) == 2, [q["sql"] for q in card]

    def test_it_says_whether_a_signed_quality_agreement_is_in_force(self, client_for, qa, db):
        cmo = CmoFactory()
        body = client_for(qa).get(cmo.get_absolute_url()).content.decode()
        assert "No signed quality agreement in force" in body
        assert "No contracts recorded with this CMO" in body
        agreement = ContractFactory(
            cmo=cmo,
            contract_type="quality",
            status="active",
            signed_on=today(),
            effective_date=today(),
        )
        body = client_for(qa).get(cmo.get_absolute_url()).content.decode()
        assert "Signed quality agreement in force since" in body
        assert agreement.get_absolute_url() in body
        assert reverse("contracts:contract_create") not in body  # QA does not add contracts


class TestCreateAndEdit:
    def test_sourcing_creates_an_msa_then_a_sow_under_it(self, client_for, sourcing, db):
        site = SiteFactory()
        client = client_for(sourcing)
        response = client.post(
            reverse("contracts:contract_create"),
            {
                "cmo": site.cmo.pk,
                "contract_type": "msa",
                "title": "Master services agreement",
                "owner": sourcing.pk,
                "sites": [site.pk],
                "currency": "EUR",
                "notice_period_unit": "months",
            },
        )
        msa = Contract.objects.get()
        assert response.status_code == 302 and response.url == msa.get_absolute_url()
        assert list(msa.sites.all()) == [site]
        form = client.get(
            reverse("contracts:contract_create"),
            {"cmo": site.cmo.pk, "parent": msa.pk, "contract_type": "sow"},
        )
        assert f'value="{msa.pk}" selected' in form.content.decode()

    def test_form_errors_are_shown_beside_the_fields(self, client_for, sourcing, db):
        cmo = CmoFactory()
        other_site = SiteFactory()
        response = client_for(sourcing).post(
            reverse("contracts:contract_create"),
            {
                "cmo": cmo.pk,
                "contract_type": "sow",
                "title": "",
                "owner": sourcing.pk,
                "sites": [other_site.pk],
                "effective_date": "2026-05-01",
                "expiry_date": "2026-04-30",
                "currency": "euro",
                "notice_period_unit": "months",
            },
        )
        assert response.status_code == 200
        errors = response.context["form"].errors
        assert set(errors) >= {"title", "sites", "currency", "expiry_date", "parent"}
        assert "cannot be before the effective date" in response.content.decode()
        assert not Contract.objects.exists()

    def test_the_cmo_choice_reloads_only_its_sites_and_agreements_for_htmx(
        self, client_for, sourcing, db
    ):
        site = SiteFactory(name="Ringaskiddy")
        msa = ContractFactory(cmo=site.cmo, contract_type="msa", title="Cork MSA")
        response = client_for(sourcing).get(
            reverse("contracts:contract_create"), {"cmo": site.cmo.pk}, HTTP_HX_REQUEST="true"
        )
        body = response.content.decode()
        # Only the fields that depend on the CMO come back, so nothing typed elsewhere is replaced.
        assert "<form" not in body and 'name="title"' not in body
        assert body.count('hx-swap-oob="true"') == 2
        assert "Ringaskiddy" in body and f'value="{msa.pk}"' in body

    def test_an_edit_needs_a_reason_and_shows_in_the_history(self, client_for, sourcing, db):
        msa = ContractFactory(owner=sourcing)
        url = reverse("contracts:contract_edit", args=[msa.pk])
        data = {
            "contract_type": "msa",
            "title": "Renamed MSA",
            "owner": sourcing.pk,
            "currency": "EUR",
            "notice_period_unit": "months",
        }
        response = client_for(sourcing).post(url, data)
        assert "change_reason" in response.context["form"].errors
        response = client_for(sourcing).post(
            url, {**data, "change_reason": "Title per signed copy"}
        )
        assert response.status_code == 302
        body = client_for(sourcing).get(msa.get_absolute_url()).content.decode()
        assert "Title per signed copy" in body and "Renamed MSA" in body

    def test_the_status_form_reports_refusals(self, client_for, sourcing, db):
        c = ContractFactory(status="negotiation")
        url = reverse("contracts:contract_status", args=[c.pk])
        response = client_for(sourcing).post(
            url, {"status": "active", "reason": "Signed"}, follow=True
        )
        assert "Record the signature date and the effective date" in response.content.decode()
        c.refresh_from_db()
        assert c.status == "negotiation"


class TestTables:
    def test_sourcing_adds_milestones_and_late_ones_are_highlighted(self, client_for, sourcing, db):
        c = ContractFactory()
        url = reverse("contracts:contract_milestones", args=[c.pk])
        client = client_for(sourcing)
        assert client.get(url).status_code == 200
        data = {
            "milestones-TOTAL_FORMS": "3",
            "milestones-INITIAL_FORMS": "0",
            "milestones-0-name": "Technology transfer",
            "milestones-0-planned_date": str(today() - timedelta(days=5)),
            "milestones-1-name": "Engineering batch",
            "milestones-1-planned_date": str(today() + timedelta(days=30)),
            "milestones-2-name": "",
            "change_reason": "",
        }
        response = client.post(url, data)
        assert response.status_code == 302
        assert list(c.milestones.values_list("name", flat=True)) == [
            "Technology transfer",
            "Engineering batch",
        ]
        body = client.get(c.get_absolute_url()).content.decode()
        assert 'class="badge late">late 5 d' in body

    def test_a_milestone_without_a_planned_date_is_an_error(self, client_for, sourcing, db):
        c = ContractFactory()
        response = client_for(sourcing).post(
            reverse("contracts:contract_milestones", args=[c.pk]),
            {
                "milestones-TOTAL_FORMS": "1",
                "milestones-INITIAL_FORMS": "0",
                "milestones-0-name": "PPQ",
                "milestones-0-planned_date": "",
            },
        )
        assert response.status_code == 200
        assert "This field is required" in response.content.decode()
        assert not Milestone.objects.exists()

    def test_qa_edits_the_matrix_with_a_reason(self, client_for, qa, sourcing, db):
        agreement = contract_save(
            contract=Contract(cmo=CmoFactory(), contract_type="quality", title="QA"), user=sourcing
        )
        rows = list(agreement.responsibilities.all())
        url = reverse("contracts:contract_matrix", args=[agreement.pk])
        data = {"matrix-TOTAL_FORMS": str(len(rows) + 1), "matrix-INITIAL_FORMS": str(len(rows))}
        for i, row in enumerate(rows):
            data |= {f"matrix-{i}-id": row.pk, f"matrix-{i}-activity": row.activity}
            data[f"matrix-{i}-responsible"] = "cmo"
        data[f"matrix-{len(rows)}-activity"] = "Serialization"
        data[f"matrix-{len(rows)}-responsible"] = "sponsor"
        client = client_for(qa)
        response = client.post(url, data)
        assert "Say why" in response.content.decode()
        response = client.post(url, {**data, "change_reason": "Agreed with the CMO's QA head"})
        assert response.status_code == 302
        assert set(agreement.responsibilities.values_list("responsible", flat=True)) == {
            "cmo",
            "sponsor",
        }
        assert agreement.responsibilities.last().activity == "Serialization"
        body = client.get(agreement.get_absolute_url()).content.decode()
        assert "Agreed with the CMO&#x27;s QA head" in body

    def test_sourcing_cannot_edit_the_matrix_and_an_msa_has_none(
        self, client_for, sourcing, qa, db
    ):
        agreement = ContractFactory(contract_type="quality")
        assert (
            client_for(sourcing)
            .get(reverse("contracts:contract_matrix", args=[agreement.pk]))
            .status_code
            == 403
        )
        msa = ContractFactory()
        assert (
            client_for(qa).get(reverse("contracts:contract_matrix", args=[msa.pk])).status_code
            == 404
        )

    def test_new_kpis_are_offered_with_the_standard_targets(self, client_for, sourcing, db):
        c = ContractFactory()
        body = (
            client_for(sourcing)
            .get(reverse("contracts:contract_kpis", args=[c.pk]))
            .content.decode()
        )
        assert body.count('value="otif" selected') == 1 and 'value="95"' in body


class TestDocuments:
    def upload(self, client, contract, name, content):
        return client.post(
            reverse("contracts:document_upload", args=[contract.pk]),
            {"kind": "signed", "title": "", "file": SimpleUploadedFile(name, content)},
            follow=True,
        )

    def test_a_signed_pdf_is_kept_and_downloadable(self, client_for, sourcing, db):
        c = ContractFactory()
        client = client_for(sourcing)
        response = self.upload(client, c, "msa-signed.pdf", b"%PDF-1.7\n...")
        assert "msa-signed.pdf uploaded" in response.content.decode()
        document = ContractDocument.objects.get()
        assert document.uploaded_by == sourcing and document.size == 12
        download = client.get(document.get_absolute_url())
        assert download.status_code == 200 and b"".join(download.streaming_content).startswith(
            b"%PDF"
        )

    @pytest.mark.parametrize(
        "name, content, message",
        [
            ("contract.exe", b"MZ...", "Upload a PDF or Word document"),
            ("contract.pdf", b"<html>not a pdf</html>", "content is not a .pdf document"),
            ("contract.docx", b"%PDF-1.4", "content is not a .docx document"),
            ("contract.pdf", b"", "The submitted file is empty"),
        ],
    )
    def test_bad_uploads_are_refused_with_a_message(
        self, client_for, sourcing, db, name, content, message
    ):
        c = ContractFactory()
        response = self.upload(client_for(sourcing), c, name, content)
        assert message in response.content.decode()
        assert not ContractDocument.objects.exists()

    def test_an_oversized_upload_is_refused(self, client_for, sourcing, db, settings):
        settings.MAX_UPLOAD_SIZE = 100
        response = self.upload(
            client_for(sourcing), ContractFactory(), "big.pdf", b"%PDF-" + b"x" * 200
        )
        assert "the largest accepted is 100" in response.content.decode()
        assert not ContractDocument.objects.exists()


class TestDashboard:
    def test_it_shows_expiring_contracts_notices_and_late_milestones(
        self, client_for, manager, db, settings
    ):
        settings.CONTRACT_NOTICE_LEAD_DAYS = 30
        on = today()
        ContractFactory(
            title="Expiring supply", status="active", expiry_date=on + timedelta(days=40)
        )
        notice = ContractFactory(
            title="Notice due MSA",
            status="active",
            expiry_date=on + timedelta(days=200),
            notice_period=6,
            notice_period_unit="months",
        )
        MilestoneFactory(contract=notice, name="PPQ batch 1", planned_date=on - timedelta(days=4))
        ContractFactory(title="Far away", status="active", expiry_date=on + timedelta(days=900))
        body = client_for(manager).get(reverse("contracts:dashboard")).content.decode()
        assert "Expiring supply" in body and "Notice due MSA" in body and "PPQ batch 1" in body
        assert "Far away" not in body

    def test_a_missed_notice_deadline_is_listed_apart_from_the_approaching_ones(
        self, client_for, manager, db, settings
    ):
        settings.CONTRACT_NOTICE_LEAD_DAYS = 30
        on = today()
        ContractFactory(
            title="Missed MSA",
            status="active",
            expiry_date=on + timedelta(days=20),
            notice_period=1,
            notice_period_unit="months",
            auto_renewal=True,
        )
        ContractFactory(
            title="Approaching MSA",
            status="active",
            expiry_date=on + timedelta(days=70),
            notice_period=2,
            notice_period_unit="months",
        )
        body = client_for(manager).get(reverse("contracts:dashboard")).content.decode()
        missed = section(body, "missed-notices")
        approaching = section(body, "notices")
        assert "Notice deadlines missed (1)" in missed
        assert "Missed MSA" in missed and "Approaching MSA" not in missed
        assert '<span class="badge late">missed</span>' in missed
        assert "Notice deadlines approaching (1)" in approaching
        assert "Approaching MSA" in approaching and "Missed MSA" not in approaching

    def test_approved_cmos_without_a_quality_agreement_in_force_are_counted_and_listed(
        self, client_for, manager, db
    ):
        on = today()
        for n in range(53):
            CmoFactory(legal_name=f"Approved {n:02d}", qualification_status="approved")
        covered = CmoFactory(legal_name="Approved covered", qualification_status="approved")
        ContractFactory(
            cmo=covered,
            contract_type="quality",
            status="active",
            signed_on=on - timedelta(days=30),
            effective_date=on - timedelta(days=30),
        )
        lapsed = CmoFactory(legal_name="Approved 0 lapsed", qualification_status="approved")
        ContractFactory(
            cmo=lapsed,
            contract_type="quality",
            status="active",
            signed_on=on - timedelta(days=400),
            effective_date=on - timedelta(days=400),
            expiry_date=on - timedelta(days=1),
        )
        CmoFactory(legal_name="Prospect", qualification_status="prospect")
        body = client_for(manager).get(reverse("contracts:dashboard")).content.decode()
        listed = section(body, "without-qa")
        assert "without a quality agreement in force (54)" in listed
        assert listed.count("<li>") == 50  # the first 50 by name
        # An agreement that has expired does not count; the first by name come first.
        assert "Approved 0 lapsed" in listed and "Approved 48" in listed
        assert "Approved 49" not in listed and "Approved covered" not in listed
        assert "Prospect" not in listed

    def test_with_no_missed_deadline_there_is_no_missed_section(self, client_for, manager, db):
        body = client_for(manager).get(reverse("contracts:dashboard")).content.decode()
        assert 'id="missed-notices"' not in body


def section(body: str, section_id: str) -> str:
    start = body.index(f'<section class="card" id="{section_id}">')
    return body[start : body.index("</section>", start)]
