"""The amendment pages, driven through the forms they render."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contracts.models import Amendment, Contract, ResponsibilityItem
from contracts.services import amendment_approve, amendment_raise
from tests.factories import ContractFactory
from tests.html_forms import field_block, rendered_form

pytestmark = pytest.mark.django_db
SIGNED = date(2026, 1, 15)


@pytest.fixture
def contract(sourcing):
    return ContractFactory(
        status=Contract.Status.ACTIVE,
        signed_on=SIGNED,
        effective_date=SIGNED,
        owner=sourcing,
        liability_cap=Decimal("1000000"),
        insurance="Product liability EUR 5M",
    )


def raise_page(client, contract):
    url = reverse("contracts:amendment_create", args=[contract.pk])
    response = client.get(url)
    assert response.status_code == 200
    fields = rendered_form(response.content, url).fields
    return url, fields


class TestRaise:
    def test_sourcing_raises_an_amendment_through_the_contract_form_fields(
        self, client_for, sourcing, contract
    ):
        client = client_for(sourcing)
        url, fields = raise_page(client, contract)
        assert fields["liability_cap"] == "1000000.00"
        assert "cmo" not in fields and "owner" not in fields
        fields |= {
            "liability_cap": "2500000",
            "amendment-reason": "Doubled volumes need a higher cap",
            "amendment-effective_date": str(date.today()),
        }
        response = client.post(url, fields)
        amendment = contract.amendments.get()
        assert response.status_code == 302 and response.url == amendment.get_absolute_url()
        assert amendment.changes["fields"] == {"liability_cap": "2500000.00"}
        body = client.get(amendment.get_absolute_url()).content.decode()
        assert "Awaiting approval" in body and "2500000.00" in body and "1000000.00" in body
        assert "Approve amendment" not in body  # its author cannot approve it

    def test_bad_terms_get_the_contract_forms_errors_beside_the_field(
        self, client_for, sourcing, contract
    ):
        client = client_for(sourcing)
        url, fields = raise_page(client, contract)
        fields |= {
            "liability_cap": "-5",
            "amendment-reason": "Oops",
            "amendment-effective_date": str(date.today()),
        }
        response = client.post(url, fields)
        assert response.status_code == 200
        assert "cannot be negative" in field_block(response.content.decode(), "liability_cap")
        assert not contract.amendments.exists()

    def test_an_amendment_without_a_reason_or_a_change_is_refused_beside_the_form(
        self, client_for, sourcing, contract
    ):
        client = client_for(sourcing)
        url, fields = raise_page(client, contract)
        response = client.post(url, fields)
        assert "This field is required" in field_block(response.content.decode(), "reason")
        fields |= {
            "amendment-reason": "Nothing really",
            "amendment-effective_date": str(date.today()),
        }
        response = client.post(url, fields)
        assert "The amendment changes nothing" in response.content.decode()

    def test_a_signed_copy_is_uploaded_with_it_and_checked(self, client_for, sourcing, contract):
        client = client_for(sourcing)
        url, fields = raise_page(client, contract)
        fields |= {
            "insurance": "Product liability EUR 10M",
            "amendment-reason": "More cover",
            "amendment-effective_date": str(date.today()),
        }
        bad = client.post(
            url, {**fields, "amendment-document": SimpleUploadedFile("a.txt", b"hello")}
        )
        assert "PDF or Word" in field_block(bad.content.decode(), "document")
        good = SimpleUploadedFile("amendment-1.pdf", b"%PDF-1.7 signed")
        client.post(url, {**fields, "amendment-document": good})
        document = contract.amendments.get().documents.get()
        assert document.filename == "amendment-1.pdf"

    def test_qa_amends_the_matrix_of_a_quality_agreement(self, client_for, qa, manager):
        agreement = ContractFactory(
            contract_type="quality", status="active", signed_on=SIGNED, effective_date=SIGNED
        )
        row = ResponsibilityItem.objects.create(contract=agreement, activity="Stability")
        client = client_for(qa)
        assert (
            client.get(reverse("contracts:amendment_create", args=[agreement.pk])).status_code
            == 403
        )
        assert "Amend the matrix" in client.get(agreement.get_absolute_url()).content.decode()
        url = reverse("contracts:amendment_create_matrix", args=[agreement.pk])
        fields = rendered_form(client.get(url).content, url).fields
        fields |= {
            "matrix-0-responsible": "cmo",
            "amendment-reason": "The CMO runs stability",
            "amendment-effective_date": str(date.today()),
        }
        assert client.post(url, fields).status_code == 302
        amendment = agreement.amendments.get()
        assert list(amendment.changes["tables"]) == ["matrix"]
        row.refresh_from_db()
        assert row.responsible == ""


class TestDecide:
    def test_a_manager_approves_and_the_contract_shows_the_new_terms_and_versions(
        self, client_for, sourcing, manager, contract
    ):
        amendment = amendment_raise(
            contract=contract,
            user=sourcing,
            reason="Higher cap",
            effective_date=date.today(),
            fields={"liability_cap": Decimal("2500000")},
        )
        client = client_for(manager)
        page = client.get(amendment.get_absolute_url()).content
        action = reverse("contracts:amendment_approve", args=[amendment.pk])
        fields = rendered_form(page, "").fields
        response = client.post(action, {**fields, "note": "Agreed with legal"}, follow=True)
        assert "was approved" in response.content.decode()
        contract.refresh_from_db()
        assert contract.liability_cap == Decimal("2500000.00")
        body = client.get(contract.get_absolute_url()).content.decode()
        assert "In effect" in body and "Terms as of version" in body
        terms = reverse("contracts:terms_version", args=[contract.pk])
        before = client.get(terms, {"version": 0}).content.decode()
        after = client.get(terms, {"version": 1}).content.decode()
        assert "1000000.00" in before and "2500000.00" not in before
        assert "2500000.00" in after

    def test_a_rejection_without_a_note_is_refused_with_a_message(
        self, client_for, sourcing, manager, contract
    ):
        amendment = amendment_raise(
            contract=contract,
            user=sourcing,
            reason="Higher cap",
            effective_date=date.today(),
            fields={"liability_cap": Decimal("2500000")},
        )
        client = client_for(manager)
        url = reverse("contracts:amendment_reject", args=[amendment.pk])
        response = client.post(url, {"note": ""}, follow=True)
        assert "Say why it is rejected" in response.content.decode()
        client.post(url, {"note": "Too high"})
        amendment.refresh_from_db()
        assert amendment.status == Amendment.Status.REJECTED

    def test_the_author_withdraws_from_the_page(self, client_for, sourcing, contract):
        amendment = amendment_raise(
            contract=contract,
            user=sourcing,
            reason="Higher cap",
            effective_date=date.today(),
            fields={"liability_cap": Decimal("2500000")},
        )
        client = client_for(sourcing)
        url = reverse("contracts:amendment_withdraw", args=[amendment.pk])
        fields = rendered_form(client.get(amendment.get_absolute_url()).content, url).fields
        client.post(url, {**fields, "note": "Talks resumed"})
        amendment.refresh_from_db()
        assert amendment.status == Amendment.Status.WITHDRAWN


class TestDirectEdit:
    def test_the_edit_form_refuses_a_term_change_beside_the_field(
        self, client_for, sourcing, contract
    ):
        client = client_for(sourcing)
        url = reverse("contracts:contract_edit", args=[contract.pk])
        page = client.get(url).content.decode()
        assert "its terms change only by an amendment" in page
        fields = rendered_form(page, "").fields
        fields |= {"liability_cap": "5", "change_reason": "Renegotiated"}
        response = client.post(url, fields)
        assert response.status_code == 200
        assert "only by an amendment" in field_block(response.content.decode(), "liability_cap")
        contract.refresh_from_db()
        assert contract.liability_cap == Decimal("1000000.00")

    def test_the_term_tables_of_an_active_contract_offer_no_direct_edit(
        self, client_for, sourcing, contract
    ):
        body = client_for(sourcing).get(contract.get_absolute_url()).content.decode()
        assert "Edit scope" not in body and "Edit KPIs" not in body
        assert "Raise an amendment" in body
        response = client_for(sourcing).post(
            reverse("contracts:contract_scope", args=[contract.pk]),
            {
                "scope-TOTAL_FORMS": "1",
                "scope-INITIAL_FORMS": "0",
                "scope-0-product": "mAb-2",
            },
        )
        assert "only by an amendment" in response.content.decode()
        assert not contract.scope_items.exists()


def test_the_contract_page_costs_the_same_queries_for_few_or_many_amendments(
    client_for, sourcing, manager, contract
):
    client = client_for(sourcing)

    def amend(count):
        for index in range(count):
            amendment = amendment_raise(
                contract=contract,
                user=sourcing,
                reason=f"Step {index}",
                effective_date=date.today() - timedelta(days=1),
                fields={"liability_cap": Decimal(2000000 + contract.amendments.count())},
            )
            amendment_approve(amendment=amendment, user=manager)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(contract.get_absolute_url()).status_code == 200
        return len(queries)

    assert amend(1) == amend(6)
