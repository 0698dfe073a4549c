"""Change control on signed contracts: amendments raised, approved by another person, applied."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from contracts.models import Amendment, Contract, Kpi, KpiMeasurement, ResponsibilityItem
from contracts.services import (
    amendment_approve,
    amendment_raise,
    amendment_reject,
    amendment_withdraw,
    amendments_apply_due,
    contract_items_save,
    contract_save,
    contracts_review,
)
from contracts.versions import table_rows
from tests.factories import ContractFactory, SiteFactory, UserFactory
from vendors.models import Notification

pytestmark = pytest.mark.django_db

SIGNED = date(2026, 1, 15)


def active(**fields) -> Contract:
    values = dict(
        status=Contract.Status.ACTIVE,
        signed_on=SIGNED,
        effective_date=SIGNED,
        expiry_date=SIGNED + timedelta(days=3 * 365),
        liability_cap=Decimal("1000000.00"),
        insurance="Product liability EUR 5M",
    )
    values.update(fields)
    return ContractFactory(**values)


def raise_cap(contract, user, *, cap="2500000", effective=None, **kwargs) -> Amendment:
    return amendment_raise(
        contract=contract,
        user=user,
        reason="Higher volumes need a higher cap",
        effective_date=effective or date.today(),
        fields={"liability_cap": Decimal(cap)},
        **kwargs,
    )


class TestDirectEditsOfSignedTerms:
    def test_a_term_of_an_active_contract_cannot_be_edited_directly(self, sourcing):
        contract = active()
        contract.liability_cap = Decimal("5")
        with pytest.raises(ValidationError) as refused:
            contract_save(contract=contract, user=sourcing, reason="Renegotiated")
        assert "only by an amendment" in refused.value.message_dict["liability_cap"][0]
        contract.refresh_from_db()
        assert contract.liability_cap == Decimal("1000000.00")

    def test_the_covered_sites_of_an_active_contract_cannot_be_edited_directly(self, sourcing):
        contract = active()
        site = SiteFactory(cmo=contract.cmo)
        with pytest.raises(ValidationError) as refused:
            contract_save(
                contract=contract,
                user=sourcing,
                reason="Add a site",
                save_m2m=lambda: contract.sites.set([site]),
            )
        assert "sites" in refused.value.message_dict
        assert not contract.sites.exists()

    def test_the_internal_owner_of_an_active_contract_stays_editable(self, sourcing):
        contract = active()
        contract.owner = sourcing
        contract_save(contract=contract, user=sourcing, reason="New owner")
        contract.refresh_from_db()
        assert contract.owner == sourcing

    def test_a_draft_stays_editable(self, sourcing):
        contract = ContractFactory(liability_cap=Decimal("1"))
        contract.liability_cap = Decimal("2")
        contract_save(contract=contract, user=sourcing, reason="Negotiating")
        contract.refresh_from_db()
        assert contract.liability_cap == Decimal("2.00")

    def test_term_tables_of_an_active_contract_cannot_be_edited_directly(self, qa):
        contract = active(contract_type="quality")
        row = ResponsibilityItem.objects.create(contract=contract, activity="Stability")
        row.responsible = "cmo"
        with pytest.raises(ValidationError, match="only by an amendment"):
            contract_items_save(contract=contract, saved=[row], deleted=[], user=qa, reason="x")
        row.refresh_from_db()
        assert row.responsible == ""

    def test_an_ended_contract_is_locked_too(self, sourcing):
        contract = active(status=Contract.Status.TERMINATED)
        contract.insurance = "None"
        with pytest.raises(ValidationError, match="only by an amendment"):
            contract_save(contract=contract, user=sourcing, reason="Tidy up")


class TestRaise:
    def test_an_amendment_keeps_only_what_changes_and_what_it_replaces(self, sourcing):
        contract = active()
        amendment = amendment_raise(
            contract=contract,
            user=sourcing,
            reason="Volumes doubled",
            effective_date=date(2026, 6, 1),
            fields={"liability_cap": Decimal("2500000"), "insurance": contract.insurance},
        )
        assert amendment.number == 1
        assert amendment.status == Amendment.Status.PENDING
        assert amendment.changes == {"fields": {"liability_cap": "2500000.00"}, "tables": {}}
        assert amendment.base["fields"] == {"liability_cap": "1000000.00"}
        contract.refresh_from_db()
        assert contract.liability_cap == Decimal("1000000.00")  # not before approval

    def test_amendments_are_numbered_per_contract(self, sourcing):
        contract = active()
        raise_cap(contract, sourcing)
        assert raise_cap(contract, sourcing, cap="3000000").number == 2
        assert raise_cap(active(), sourcing).number == 1

    def test_it_needs_a_reason_and_an_effective_date(self, sourcing):
        with pytest.raises(ValidationError) as refused:
            amendment_raise(
                contract=active(),
                user=sourcing,
                reason=" ",
                effective_date=None,
                fields={"liability_cap": Decimal("1")},
            )
        assert set(refused.value.message_dict) == {"reason", "effective_date"}

    def test_it_cannot_apply_before_the_contract_does(self, sourcing):
        with pytest.raises(ValidationError) as refused:
            raise_cap(active(), sourcing, effective=SIGNED - timedelta(days=1))
        assert "effective_date" in refused.value.message_dict

    def test_an_amendment_that_changes_nothing_is_refused(self, sourcing):
        contract = active()
        with pytest.raises(ValidationError, match="changes nothing"):
            raise_cap(contract, sourcing, cap="1000000")

    def test_proposed_terms_pass_the_contracts_own_validation(self, sourcing):
        contract = active()
        with pytest.raises(ValidationError) as refused:
            amendment_raise(
                contract=contract,
                user=sourcing,
                reason="Shorter",
                effective_date=date.today(),
                fields={"expiry_date": SIGNED - timedelta(days=10)},
            )
        assert "expiry_date" in refused.value.message_dict
        assert not contract.amendments.exists()

    def test_proposed_rows_pass_their_own_validation(self, sourcing):
        contract = active()
        with pytest.raises(ValidationError) as refused:
            amendment_raise(
                contract=contract,
                user=sourcing,
                reason="New KPI",
                effective_date=date.today(),
                tables={
                    "kpis": [{"id": None, "kind": "other", "name": "", "target": "5", "unit": "%"}]
                },
            )
        assert "Name a KPI" in refused.value.message_dict["kpis"][0]

    def test_only_an_active_contract_is_amended(self, sourcing):
        with pytest.raises(ValidationError, match="Only an active contract"):
            raise_cap(ContractFactory(), sourcing)

    def test_a_role_that_cannot_edit_contracts_cannot_raise_one(self, db):
        with pytest.raises(PermissionDenied):
            raise_cap(active(), UserFactory(roles=[]))

    def test_changing_the_matrix_needs_the_matrix_permission(self, sourcing):
        contract = active(contract_type="quality")
        ResponsibilityItem.objects.create(contract=contract, activity="Stability")
        with pytest.raises(PermissionDenied):
            amendment_raise(
                contract=contract,
                user=sourcing,
                reason="x",
                effective_date=date.today(),
                tables={"matrix": []},
            )

    def test_qa_amends_the_matrix_but_no_other_term(self, qa):
        contract = active(contract_type="quality")
        with pytest.raises(PermissionDenied):
            raise_cap(contract, qa)

    def test_an_amendment_carries_its_signed_document_checked_like_any_upload(self, sourcing):
        contract = active()
        with pytest.raises(ValidationError, match="PDF or Word"):
            raise_cap(contract, sourcing, upload=SimpleUploadedFile("a.exe", b"MZ..."))
        assert not contract.amendments.exists()
        pdf = SimpleUploadedFile("amendment-1.pdf", b"%PDF-1.7 signed")
        amendment = raise_cap(contract, sourcing, upload=pdf)
        document = amendment.documents.get()
        assert document.kind == "amendment"
        assert document.contract == contract

    def test_approvers_are_told_of_a_new_amendment(
        self, sourcing, manager, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            amendment = raise_cap(active(), sourcing)
        notice = Notification.objects.get(recipient=manager)
        assert notice.url == amendment.get_absolute_url()


class TestDecide:
    def test_approval_applies_the_new_terms_with_history_naming_the_amendment(
        self, sourcing, manager
    ):
        contract = active()
        amendment = raise_cap(contract, sourcing)
        amendment_approve(amendment=amendment, user=manager, note="Agreed with legal")
        amendment.refresh_from_db()
        contract.refresh_from_db()
        assert amendment.status == Amendment.Status.IN_EFFECT
        assert contract.liability_cap == Decimal("2500000.00")
        entry = contract.history.first()
        assert entry.history_change_reason.startswith("Amendment 1: Higher volumes")
        assert entry.history_user == manager
        assert amendment.terms_before["fields"]["liability_cap"] == "1000000.00"
        assert amendment.terms_after["fields"]["liability_cap"] == "2500000.00"

    def test_the_author_cannot_approve_their_own_amendment(self, manager):
        amendment = raise_cap(active(), manager)
        with pytest.raises(ValidationError, match="separation of duties"):
            amendment_approve(amendment=amendment, user=manager)
        amendment.refresh_from_db()
        assert amendment.status == Amendment.Status.PENDING

    def test_an_admin_cannot_approve_their_own_either(self, admin_user):
        amendment = raise_cap(active(), admin_user)
        with pytest.raises(ValidationError, match="another person"):
            amendment_approve(amendment=amendment, user=admin_user)

    def test_a_role_without_the_permission_cannot_approve(self, sourcing, qa):
        amendment = raise_cap(active(), sourcing)
        other_sourcing = UserFactory(roles=["Sourcing"])
        for person in (qa, other_sourcing):
            with pytest.raises(PermissionDenied):
                amendment_approve(amendment=amendment, user=person)

    def test_a_future_amendment_waits_for_its_effective_date(self, sourcing, manager):
        contract = active()
        later = date.today() + timedelta(days=30)
        amendment = raise_cap(contract, sourcing, effective=later)
        amendment_approve(amendment=amendment, user=manager)
        amendment.refresh_from_db()
        contract.refresh_from_db()
        assert amendment.status == Amendment.Status.APPROVED
        assert contract.liability_cap == Decimal("1000000.00")
        assert amendments_apply_due(on=later - timedelta(days=1)) == 0
        assert contracts_review(on=later)["amendments"] == 1
        contract.refresh_from_db()
        assert contract.liability_cap == Decimal("2500000.00")

    def test_table_rows_are_updated_in_place_so_kpi_results_survive(self, sourcing, manager):
        contract = active()
        kpi = Kpi.objects.create(contract=contract, kind="otif", target=95, unit="%")
        KpiMeasurement.objects.create(
            kpi=kpi,
            period_start=SIGNED,
            period_end=SIGNED + timedelta(days=30),
            actual=96,
            recorded_by=sourcing,
        )
        rows = table_rows(contract, "kpis")
        rows[0]["target"] = "97.00"
        rows.append({"id": None, "kind": "rft", "name": "", "target": "98.00", "unit": "%"})
        amendment = amendment_raise(
            contract=contract,
            user=sourcing,
            reason="Tighter OTIF",
            effective_date=date.today(),
            tables={"kpis": rows},
        )
        amendment_approve(amendment=amendment, user=manager)
        kpi.refresh_from_db()
        assert kpi.target == Decimal("97.00")
        assert kpi.measurements.count() == 1
        assert contract.kpis.count() == 2
        assert kpi.history.first().history_change_reason == "Amendment 1: Tighter OTIF"

    def test_the_matrix_is_amended_by_qa_and_approved_by_a_manager(self, qa, manager):
        contract = active(contract_type="quality")
        ResponsibilityItem.objects.create(contract=contract, activity="Stability", position=0)
        rows = table_rows(contract, "matrix")
        rows[0]["responsible"] = "cmo"
        amendment = amendment_raise(
            contract=contract,
            user=qa,
            reason="CMO runs stability",
            effective_date=date.today(),
            tables={"matrix": rows},
        )
        amendment_approve(amendment=amendment, user=manager)
        assert contract.responsibilities.get().responsible == "cmo"

    def test_an_amendment_raised_on_terms_since_amended_cannot_be_approved(self, sourcing, manager):
        contract = active()
        first = raise_cap(contract, sourcing)
        second = raise_cap(contract, sourcing, cap="3000000")
        amendment_approve(amendment=first, user=manager)
        with pytest.raises(ValidationError, match="were amended since"):
            amendment_approve(amendment=second, user=manager)

    def test_a_rejection_says_why_and_changes_nothing(self, sourcing, manager):
        contract = active()
        amendment = raise_cap(contract, sourcing)
        with pytest.raises(ValidationError) as refused:
            amendment_reject(amendment=amendment, user=manager, note="")
        assert "note" in refused.value.message_dict
        amendment_reject(amendment=amendment, user=manager, note="Cap too high")
        amendment.refresh_from_db()
        contract.refresh_from_db()
        assert amendment.status == Amendment.Status.REJECTED
        assert contract.liability_cap == Decimal("1000000.00")
        with pytest.raises(ValidationError, match="rejected"):
            amendment_approve(amendment=amendment, user=manager)

    def test_the_author_cannot_reject_their_own_but_can_withdraw_it(self, manager):
        amendment = raise_cap(active(), manager)
        with pytest.raises(ValidationError, match="another person"):
            amendment_reject(amendment=amendment, user=manager, note="No")
        amendment_withdraw(amendment=amendment, user=manager, note="Superseded by talks")
        amendment.refresh_from_db()
        assert amendment.status == Amendment.Status.WITHDRAWN

    def test_only_the_author_withdraws(self, sourcing, manager):
        amendment = raise_cap(active(), sourcing)
        with pytest.raises(PermissionDenied):
            amendment_withdraw(amendment=amendment, user=manager, note="No")
