from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from cmoselect.events import inputs_changed
from contracts.models import QUALITY_ACTIVITIES, Contract, Milestone, ResponsibilityItem
from contracts.services import (
    contract_alerts_send,
    contract_change_status,
    contract_items_save,
    contract_save,
    contracts_roll_over,
)
from contracts.status import quality_agreements_in_force
from tests.factories import CmoFactory, ContractFactory, MilestoneFactory, SiteFactory, UserFactory
from vendors.models import Notification
from vendors.services import notifications_send

TODAY = date(2026, 3, 10)
pytestmark = pytest.mark.django_db


@pytest.fixture
def heard():
    events = []

    def listener(sender, cmo_ids, reason, **kwargs):
        events.append((cmo_ids, reason))

    inputs_changed.connect(listener)
    yield events
    inputs_changed.disconnect(listener)


class TestSave:
    def test_a_new_quality_agreement_is_prefilled_with_the_expected_activities(
        self, sourcing, django_capture_on_commit_callbacks
    ):
        qa = Contract(cmo=CmoFactory(), contract_type="quality", title="QA", owner=sourcing)
        contract_save(contract=qa, user=sourcing)
        rows = list(qa.responsibilities.all())
        assert [r.activity for r in rows] == list(QUALITY_ACTIVITIES)
        assert {r.responsible for r in rows} == {""}
        assert rows[0].history.get().history_user == sourcing

    def test_other_contracts_get_no_matrix(self, sourcing):
        msa = contract_save(
            contract=Contract(cmo=CmoFactory(), contract_type="msa", title="MSA"), user=sourcing
        )
        assert not msa.responsibilities.exists()

    def test_an_update_needs_a_reason_and_keeps_it_in_the_history(self, sourcing):
        msa = ContractFactory()
        msa.payment_terms = "Net 30"
        with pytest.raises(ValidationError, match="Say why"):
            contract_save(contract=msa, user=sourcing)
        contract_save(contract=msa, user=sourcing, reason="Renegotiated")
        latest = msa.history.first()
        assert latest.history_change_reason == "Renegotiated"
        assert latest.history_user == sourcing

    def test_sites_of_another_cmo_are_refused_and_nothing_is_written(self, sourcing):
        msa = ContractFactory()
        other = SiteFactory()
        with pytest.raises(ValidationError, match="sites of this contract's CMO"):
            contract_save(
                contract=msa,
                user=sourcing,
                reason="Add sites",
                save_m2m=lambda: msa.sites.set([other]),
            )
        assert not msa.sites.exists()

    def test_scoring_hears_of_changed_dates_but_not_of_other_edits(
        self, sourcing, heard, django_capture_on_commit_callbacks
    ):
        msa = ContractFactory()
        with django_capture_on_commit_callbacks(execute=True):
            msa.payment_terms = "Net 30"
            contract_save(contract=msa, user=sourcing, reason="Terms")
        assert heard == []
        with django_capture_on_commit_callbacks(execute=True):
            msa.expiry_date = date(2030, 1, 1)
            contract_save(contract=msa, user=sourcing, reason="Extended")
        assert heard == [(frozenset({msa.cmo_id}), "contract changed")]


class TestStatus:
    def signed(self, **fields):
        return ContractFactory(
            status="negotiation",
            signed_on=TODAY,
            effective_date=TODAY,
            expiry_date=TODAY + timedelta(days=365),
            **fields,
        )

    def test_a_contract_moves_draft_negotiation_active_terminated(self, sourcing):
        c = ContractFactory(signed_on=TODAY, effective_date=TODAY)
        c = contract_change_status(contract=c, status="negotiation", user=sourcing, reason="Sent")
        c = contract_change_status(contract=c, status="active", user=sourcing, reason="Signed")
        c = contract_change_status(
            contract=c, status="terminated", user=sourcing, reason="Site closing", on=TODAY
        )
        assert c.status == "terminated" and c.terminated_on == TODAY
        assert c.history.first().history_change_reason == "Active → Terminated: Site closing"

    @pytest.mark.parametrize(
        "start, target",
        [("draft", "active"), ("draft", "expired"), ("active", "draft"), ("terminated", "active")],
    )
    def test_illegal_moves_are_refused(self, sourcing, start, target):
        c = ContractFactory(status=start, signed_on=TODAY, effective_date=TODAY)
        with pytest.raises(ValidationError, match="cannot move to"):
            contract_change_status(contract=c, status=target, user=sourcing, reason="x")

    def test_activation_needs_a_signature_and_an_effective_date(self, sourcing):
        c = ContractFactory(status="negotiation")
        with pytest.raises(ValidationError, match="signature date and the effective date"):
            contract_change_status(contract=c, status="active", user=sourcing, reason="x")

    def test_a_reason_is_required(self, sourcing):
        with pytest.raises(ValidationError, match="reason is required"):
            contract_change_status(
                contract=self.signed(), status="active", user=sourcing, reason=" "
            )

    def test_it_expires_only_once_the_expiry_date_is_reached(self, sourcing):
        c = contract_change_status(
            contract=self.signed(), status="active", user=sourcing, reason="x", on=TODAY
        )
        with pytest.raises(ValidationError, match="terminate it instead"):
            contract_change_status(
                contract=c, status="expired", user=sourcing, reason="x", on=TODAY
            )
        c = contract_change_status(
            contract=c, status="expired", user=sourcing, reason="End", on=c.expiry_date
        )
        assert c.status == "expired"


class TestItems:
    def test_rows_are_added_freely_but_changed_only_with_a_reason(self, qa):
        agreement = ContractFactory(contract_type="quality")
        row = ResponsibilityItem(activity="Change control", responsible="cmo")
        contract_items_save(contract=agreement, saved=[row], deleted=[], user=qa, reason="")
        row.responsible = "shared"
        with pytest.raises(ValidationError, match="Say why"):
            contract_items_save(contract=agreement, saved=[row], deleted=[], user=qa, reason="")
        contract_items_save(
            contract=agreement, saved=[row], deleted=[], user=qa, reason="Agreed at kick-off"
        )
        record = row.history.first()
        assert record.responsible == "shared"
        assert record.history_user == qa and record.history_change_reason == "Agreed at kick-off"
        contract_items_save(contract=agreement, saved=[], deleted=[row], user=qa, reason="Dup")
        assert not agreement.responsibilities.exists()


class TestAlerts:
    @pytest.fixture
    def people(self, manager):
        owner = UserFactory(username="owner-olga")
        return owner, manager

    def test_a_notice_alert_is_sent_once_when_the_window_opens(self, people, settings):
        settings.CONTRACT_NOTICE_LEAD_DAYS = 30
        owner, manager = people
        c = ContractFactory(
            status="active",
            owner=owner,
            effective_date=date(2025, 1, 1),
            expiry_date=date(2026, 5, 31),
            notice_period=2,
            notice_period_unit="months",
        )
        # Notice deadline 2026-03-31; the window opens 30 days before, on 2026-03-01.
        assert contract_alerts_send(on=date(2026, 2, 28)) == []
        assert mail.outbox == []
        sent = contract_alerts_send(on=date(2026, 3, 1))
        assert {n.recipient for n in sent} == {owner, manager}
        assert len(mail.outbox) == 2
        assert "2026-03-31" in mail.outbox[0].subject
        assert contract_alerts_send(on=date(2026, 3, 2)) == []
        assert contract_alerts_send(on=date(2026, 3, 1)) == []
        assert len(mail.outbox) == 2
        assert Notification.objects.filter(url=c.get_absolute_url()).count() == 2

    def test_the_alert_email_links_to_the_contract(self, people, settings):
        settings.CONTRACT_NOTICE_LEAD_DAYS = 10
        settings.SITE_URL = "https://cmoselect.example.com"
        owner, _ = people
        c = ContractFactory(status="active", owner=owner, expiry_date=date(2026, 3, 20))
        contract_alerts_send(on=date(2026, 3, 10))
        link = f"https://cmoselect.example.com{c.get_absolute_url()}"
        assert len(mail.outbox) == 2
        assert all(link in message.body for message in mail.outbox)

    def test_a_renewed_contract_gets_a_fresh_notice(self, people, settings):
        settings.CONTRACT_NOTICE_LEAD_DAYS = 10
        owner, _ = people
        c = ContractFactory(status="active", owner=owner, expiry_date=date(2026, 3, 20))
        assert len(contract_alerts_send(on=date(2026, 3, 10))) == 2
        c.expiry_date = date(2027, 3, 20)
        c.save()
        assert contract_alerts_send(on=date(2027, 3, 10)) != []

    def test_drafts_expired_and_open_ended_contracts_send_nothing(self, people):
        owner, _ = people
        ContractFactory(status="draft", owner=owner, expiry_date=TODAY + timedelta(days=3))
        ContractFactory(status="expired", owner=owner, expiry_date=TODAY - timedelta(days=3))
        ContractFactory(status="active", owner=owner)
        assert contract_alerts_send(on=TODAY) == []

    def test_a_late_milestone_is_reported_once(self, people):
        owner, manager = people
        c = ContractFactory(status="active", owner=owner)
        m = MilestoneFactory(contract=c, name="Engineering batch", planned_date=TODAY)
        MilestoneFactory(contract=c, planned_date=TODAY - timedelta(days=9), actual_date=TODAY)
        assert contract_alerts_send(on=TODAY) == []
        sent = contract_alerts_send(on=TODAY + timedelta(days=1))
        assert [n.subject for n in sent] == [f"Milestone late: Engineering batch ({c.cmo})"] * 2
        assert contract_alerts_send(on=TODAY + timedelta(days=5)) == []
        # Re-planned and late again: a new notice.
        Milestone.objects.filter(pk=m.pk).update(planned_date=TODAY + timedelta(days=7))
        assert len(contract_alerts_send(on=TODAY + timedelta(days=8))) == 2

    def test_an_inactive_owner_is_not_notified(self, people):
        owner, manager = people
        owner.is_active = False
        owner.save()
        c = ContractFactory(status="active", owner=owner)
        MilestoneFactory(contract=c, planned_date=TODAY - timedelta(days=1))
        assert [n.recipient for n in contract_alerts_send(on=TODAY)] == [manager]

    def test_a_notice_another_run_recorded_meanwhile_is_not_sent_twice(self, people):
        owner, manager = people
        Notification.objects.create(recipient=manager, key="event-1", subject="Sent before")
        notices = [
            Notification(recipient=person, key=key, subject=f"About {key}", body="B", url="/x/")
            for person in (owner, manager)
            for key in ("event-1", "event-2")
        ]
        sent = notifications_send(notices)
        assert sorted((n.recipient.username, n.key) for n in sent) == [
            ("manager-max", "event-2"),
            ("owner-olga", "event-1"),
            ("owner-olga", "event-2"),
        ]
        assert len(mail.outbox) == 3
        assert Notification.objects.filter(subject="Sent before").count() == 1

    def test_when_the_mail_server_is_down_no_notice_is_recorded(self, people, settings):
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]  # nothing listens here once closed
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
        owner, _ = people
        ContractFactory(status="active", owner=owner, expiry_date=TODAY + timedelta(days=5))
        with pytest.raises(OSError):
            contract_alerts_send(on=TODAY)
        assert not Notification.objects.exists()
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        assert len(contract_alerts_send(on=TODAY)) == 2  # the next run sends them

    def test_the_daily_task_runs_the_review(self, people, settings):
        from contracts.models import today
        from contracts.tasks import review_contracts

        settings.CONTRACT_NOTICE_LEAD_DAYS = 30
        owner, _ = people
        ContractFactory(status="active", owner=owner, expiry_date=today() + timedelta(days=20))
        counts = review_contracts.delay().get()
        assert counts == {"renewed": 0, "expired": 0, "amendments": 0, "alerts": 2}
        assert "contracts-daily-review" in settings.CELERY_BEAT_SCHEDULE


class TestRollOver:
    def test_it_renews_auto_renewing_contracts_and_expires_the_others(
        self, heard, django_capture_on_commit_callbacks
    ):
        renewing = ContractFactory(
            status="active",
            expiry_date=date(2026, 2, 28),
            auto_renewal=True,
            renewal_term_months=12,
        )
        ending = ContractFactory(status="active", expiry_date=date(2026, 3, 9))
        current = ContractFactory(status="active", expiry_date=TODAY)
        with django_capture_on_commit_callbacks(execute=True):
            assert contracts_roll_over(on=TODAY) == {"renewed": 1, "expired": 1}
        renewing.refresh_from_db()
        ending.refresh_from_db()
        current.refresh_from_db()
        assert renewing.expiry_date == date(2027, 2, 28) and renewing.status == "active"
        assert "Renewed automatically" in renewing.history.first().history_change_reason
        assert ending.status == "expired"
        assert current.status == "active"
        assert heard == [
            (frozenset({renewing.cmo_id, ending.cmo_id}), "contracts renewed or expired")
        ]


class TestQualityAgreementsInForce:
    def test_only_signed_active_agreements_covering_the_day_count(self, django_assert_num_queries):
        cmos = CmoFactory.create_batch(5)
        good = ContractFactory(
            cmo=cmos[0],
            contract_type="quality",
            status="active",
            signed_on=date(2025, 1, 1),
            effective_date=date(2025, 1, 1),
            expiry_date=date(2027, 1, 1),
        )
        ContractFactory(  # an older one for the same CMO is not the one reported
            cmo=cmos[0],
            contract_type="quality",
            status="active",
            signed_on=date(2024, 1, 1),
            effective_date=date(2024, 1, 1),
        )
        ContractFactory(
            cmo=cmos[1], contract_type="quality", status="active", effective_date=date(2025, 1, 1)
        )
        ContractFactory(
            cmo=cmos[2],
            contract_type="quality",
            status="negotiation",
            signed_on=date(2025, 1, 1),
            effective_date=date(2025, 1, 1),
        )
        ContractFactory(
            cmo=cmos[3],
            contract_type="quality",
            status="active",
            signed_on=date(2025, 1, 1),
            effective_date=date(2025, 1, 1),
            expiry_date=date(2026, 3, 9),
        )
        ContractFactory(
            cmo=cmos[4],
            contract_type="msa",
            status="active",
            signed_on=date(2025, 1, 1),
            effective_date=date(2025, 1, 1),
        )
        with django_assert_num_queries(1):
            result = quality_agreements_in_force([c.pk for c in cmos], on=TODAY)
        assert list(result) == [cmos[0].pk]
        status = result[cmos[0].pk]
        assert status.contract_id == good.pk and status.url == good.get_absolute_url()
        assert (status.effective_date, status.expiry_date) == (date(2025, 1, 1), date(2027, 1, 1))
        assert quality_agreements_in_force([cmos[3].pk], on=date(2026, 3, 9))
