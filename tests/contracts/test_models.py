from datetime import date

import pytest
from django.core.exceptions import ValidationError

from contracts.models import Contract, Milestone
from tests.factories import CmoFactory, ContractFactory


def contract(**fields) -> Contract:
    return Contract(cmo=CmoFactory.build(), contract_type="supply", title="Supply", **fields)


class TestDates:
    def test_an_expiry_before_the_effective_date_is_refused(self, db):
        c = ContractFactory.build(
            cmo=CmoFactory(), effective_date=date(2026, 3, 1), expiry_date=date(2026, 2, 28)
        )
        with pytest.raises(ValidationError) as error:
            c.full_clean()
        assert "expiry_date" in error.value.message_dict

    def test_the_database_refuses_it_too(self, db):
        from django.db import IntegrityError

        with pytest.raises(IntegrityError):
            ContractFactory(effective_date=date(2026, 3, 1), expiry_date=date(2025, 3, 1))

    def test_an_expiry_on_or_after_the_effective_date_is_accepted(self, db):
        ContractFactory.build(
            cmo=CmoFactory(), effective_date=date(2026, 3, 1), expiry_date=date(2026, 3, 1)
        ).full_clean()

    @pytest.mark.parametrize(
        "expiry, period, unit, deadline",
        [
            (date(2026, 5, 31), 3, "months", date(2026, 2, 28)),  # clipped at month end
            (date(2028, 5, 31), 3, "months", date(2028, 2, 29)),  # leap year
            (date(2028, 2, 29), 12, "months", date(2027, 2, 28)),  # from a leap day
            (date(2027, 3, 31), 1, "months", date(2027, 2, 28)),
            (date(2026, 12, 31), 6, "months", date(2026, 6, 30)),
            (date(2026, 3, 1), 1, "days", date(2026, 2, 28)),
            (date(2028, 3, 1), 1, "days", date(2028, 2, 29)),
            (date(2027, 1, 15), 90, "days", date(2026, 10, 17)),
            (date(2027, 1, 15), None, "months", date(2027, 1, 15)),  # no notice: expiry itself
        ],
    )
    def test_the_notice_deadline_counts_calendar_months_and_days(
        self, expiry, period, unit, deadline
    ):
        c = contract(expiry_date=expiry, notice_period=period, notice_period_unit=unit)
        assert c.notice_deadline == deadline

    def test_the_notice_window_opens_a_lead_time_before_the_deadline(self, settings):
        settings.CONTRACT_NOTICE_LEAD_DAYS = 30
        c = contract(
            status="active",
            expiry_date=date(2028, 5, 31),
            notice_period=3,
            notice_period_unit="months",
        )
        assert c.notice_opens_on == date(2028, 1, 30)
        assert not c.notice_window_open(date(2028, 1, 29))
        assert c.notice_window_open(date(2028, 1, 30))
        assert c.notice_window_open(date(2028, 5, 31))
        assert not c.notice_window_open(date(2028, 6, 1))
        c.status = "draft"
        assert not c.notice_window_open(date(2028, 3, 1))

    def test_an_open_ended_contract_has_no_notice_window(self):
        c = contract(status="active", notice_period=3)
        assert c.notice_deadline is None and not c.notice_window_open(date(2026, 1, 1))

    def test_automatic_renewals_roll_the_expiry_past_today(self):
        c = contract(expiry_date=date(2024, 2, 29), auto_renewal=True, renewal_term_months=12)
        assert c.renewed_expiry(date(2026, 3, 1)) == date(2027, 2, 28)
        assert c.renewed_expiry(date(2025, 2, 28)) == date(2025, 2, 28)


class TestParent:
    def test_a_statement_of_work_needs_a_master_services_agreement(self, db):
        cmo = CmoFactory()
        sow = Contract(cmo=cmo, contract_type="sow", title="SOW")
        with pytest.raises(ValidationError, match="must sit under a master services agreement"):
            sow.full_clean()
        sow.parent = ContractFactory(cmo=cmo, contract_type="msa")
        sow.full_clean()

    def test_the_parent_must_be_an_msa_of_the_same_cmo(self, db):
        cmo = CmoFactory()
        sow = Contract(cmo=cmo, contract_type="sow", title="SOW")
        sow.parent = ContractFactory(cmo=cmo, contract_type="quality")
        with pytest.raises(ValidationError, match="must be a master services agreement"):
            sow.full_clean()
        sow.parent = ContractFactory(contract_type="msa")
        with pytest.raises(ValidationError, match="belongs to another CMO"):
            sow.full_clean()

    def test_an_msa_sits_under_nothing(self, db):
        parent = ContractFactory(contract_type="msa")
        child = Contract(cmo=parent.cmo, contract_type="msa", title="Second MSA", parent=parent)
        with pytest.raises(ValidationError, match="does not sit under"):
            child.full_clean()

    def test_automatic_renewal_needs_a_term(self, db):
        c = ContractFactory.build(cmo=CmoFactory(), auto_renewal=True)
        with pytest.raises(ValidationError) as error:
            c.full_clean()
        assert "renewal_term_months" in error.value.message_dict


class TestMilestone:
    def test_late_means_open_past_its_planned_date_or_done_after_it(self):
        on = date(2026, 6, 1)
        assert Milestone(planned_date=date(2026, 5, 31)).is_late(on)
        assert not Milestone(planned_date=date(2026, 6, 1)).is_late(on)
        assert Milestone(planned_date=date(2026, 5, 1), actual_date=date(2026, 5, 3)).is_late(on)
        assert not Milestone(planned_date=date(2026, 5, 1), actual_date=date(2026, 5, 1)).is_late(
            on
        )
        assert Milestone(planned_date=date(2026, 5, 22)).days_late(on) == 10
