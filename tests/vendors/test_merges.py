import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from contracts.models import Contract
from scoring.models import Candidate
from tests.factories import (
    CandidateFactory,
    CmoFactory,
    ContactFactory,
    ContractFactory,
    EvaluationFactory,
    RegulatoryEventFactory,
    SiteCapabilityFactory,
    SiteFactory,
    make_audit,
)
from vendors.merges import cmo_merge, merge_plan, site_merge
from vendors.models import Capability, CapabilityLevel, Cmo, Site, SiteCapability, StatusChange


@pytest.fixture
def pair(db):
    kept = CmoFactory(legal_name="Acme Pharma Inc.", duns_number="")
    merged = CmoFactory(legal_name="ACME Pharma GmbH", duns_number="123456789")
    return kept, merged


def test_a_cmo_merge_moves_every_kind_of_row_to_the_kept_cmo(pair, sourcing):
    kept, merged = pair
    site = SiteFactory(cmo=merged)
    contact = ContactFactory(cmo=merged)
    contract = ContractFactory(cmo=merged)
    candidate = CandidateFactory(cmo=merged)
    status = StatusChange.objects.create(
        cmo=merged,
        from_status="prospect",
        to_status="under_evaluation",
        reason="x",
        changed_by=sourcing,
    )

    result = cmo_merge(kept=kept, merged=merged, user=sourcing, reason="Same firm, two records")

    assert Site.objects.get(pk=site.pk).cmo == kept
    assert contact.__class__.objects.get(pk=contact.pk).cmo == kept
    assert Contract.objects.get(pk=contract.pk).cmo == kept
    assert Candidate.objects.get(pk=candidate.pk).cmo == kept
    assert StatusChange.objects.get(pk=status.pk).cmo == kept
    assert result.moved["sites"] == 1
    assert result.moved["contracts"] == 1
    merged.refresh_from_db()
    kept.refresh_from_db()
    assert merged.merged_into == kept and merged.merged_at is not None
    assert Cmo.objects.filter(pk=merged.pk).exists()
    # Empty fields of the kept CMO are filled, and the other name is kept as an alias.
    assert kept.duns_number == "123456789"
    assert "ACME Pharma GmbH" in kept.alias_list


def test_the_merge_is_in_the_history_of_both_with_who_and_why(pair, sourcing):
    kept, merged = pair
    cmo_merge(kept=kept, merged=merged, user=sourcing, reason="Same firm, two records")
    merged_entry = merged.history.latest()
    kept_entry = kept.history.latest()
    assert merged_entry.history_user == sourcing
    assert merged_entry.history_change_reason == f"Merged into {kept}: Same firm, two records"
    assert kept_entry.history_user == sourcing
    assert kept_entry.history_change_reason == (
        f"{merged} merged into this: Same firm, two records"
    )


def test_a_moved_contract_keeps_who_moved_it_in_its_history(pair, sourcing):
    kept, merged = pair
    contract = ContractFactory(cmo=merged)
    cmo_merge(kept=kept, merged=merged, user=sourcing, reason="Duplicate")
    entry = Contract.objects.get(pk=contract.pk).history.latest()
    assert (entry.cmo_id, entry.history_user, entry.history_change_reason) == (
        kept.pk,
        sourcing,
        "Duplicate",
    )


def test_a_site_merge_moves_capabilities_events_audits_contracts_and_contacts(sourcing):
    cmo = CmoFactory()
    kept = SiteFactory(cmo=cmo, fei_number="")
    merged = SiteFactory(cmo=cmo, fei_number="3001234567", duns_number="555555555")
    cell = SiteCapabilityFactory(site=merged)
    event = RegulatoryEventFactory(site=merged)
    audit = make_audit(site=merged)
    contract = ContractFactory(cmo=cmo)
    contract.sites.add(merged)
    contact = ContactFactory(cmo=cmo, site=merged)

    result = site_merge(kept=kept, merged=merged, user=sourcing, reason="One plant")

    assert SiteCapability.objects.get(pk=cell.pk).site == kept
    assert event.__class__.objects.get(pk=event.pk).site == kept
    assert audit.__class__.objects.get(pk=audit.pk).site == kept
    assert list(Contract.objects.get(pk=contract.pk).sites.all()) == [kept]
    assert contact.__class__.objects.get(pk=contact.pk).site == kept
    assert result.moved["audits"] == 1
    kept.refresh_from_db()
    merged.refresh_from_db()
    # One site per FEI: the kept site takes it over.
    assert (kept.fei_number, kept.duns_number) == ("3001234567", "555555555")
    assert merged.fei_number == "" and merged.merged_into == kept
    assert merged.history.latest().history_change_reason == f"Merged into {kept}: One plant"
    assert kept.history.latest().history_change_reason == f"{merged} merged into this: One plant"


def test_a_capability_on_both_sites_keeps_the_stronger_evidence(sourcing):
    cmo = CmoFactory()
    kept, merged = SiteFactory(cmo=cmo), SiteFactory(cmo=cmo)
    first, second = Capability.objects.order_by("pk")[:2]
    weak = SiteCapabilityFactory(site=kept, capability=first, level=CapabilityLevel.CLAIMED)
    strong = SiteCapabilityFactory(
        site=merged, capability=first, level=CapabilityLevel.VERIFIED, notes="Audited 2025"
    )
    kept_strong = SiteCapabilityFactory(
        site=kept, capability=second, level=CapabilityLevel.VERIFIED
    )
    merged_weak = SiteCapabilityFactory(
        site=merged, capability=second, level=CapabilityLevel.CLAIMED
    )

    result = site_merge(kept=kept, merged=merged, user=sourcing, reason="One plant")

    weak.refresh_from_db()
    assert (weak.site, weak.level, weak.notes) == (kept, CapabilityLevel.VERIFIED, "Audited 2025")
    assert weak.history.latest().history_user == sourcing
    kept_strong.refresh_from_db()
    assert kept_strong.level == CapabilityLevel.VERIFIED
    # The clashing cells stay with the merged site, which keeps its history.
    assert SiteCapability.objects.get(pk=strong.pk).site == merged
    assert SiteCapability.objects.get(pk=merged_weak.pk).site == merged
    assert f"{first.name}: took {merged.name}'s stronger Verified by audit over Claimed." in (
        result.notes
    )
    assert any(note.startswith(f"{second.name}: kept {kept.name}'s") for note in result.notes)


def test_a_candidate_in_an_evaluation_of_both_stays_with_the_merged_cmo(pair, sourcing):
    kept, merged = pair
    evaluation = EvaluationFactory()
    CandidateFactory(evaluation=evaluation, cmo=kept)
    clash = CandidateFactory(evaluation=evaluation, cmo=merged)
    moving = CandidateFactory(cmo=merged)

    result = cmo_merge(kept=kept, merged=merged, user=sourcing, reason="Duplicate")

    assert Candidate.objects.get(pk=clash.pk).cmo == merged
    assert Candidate.objects.get(pk=moving.pk).cmo == kept
    assert len(result.notes) == 1 and "stays with" in result.notes[0]


def test_a_contract_linked_to_both_sites_keeps_one_link(sourcing):
    cmo = CmoFactory()
    kept, merged = SiteFactory(cmo=cmo), SiteFactory(cmo=cmo)
    contract = ContractFactory(cmo=cmo)
    contract.sites.add(kept, merged)
    site_merge(kept=kept, merged=merged, user=sourcing, reason="One plant")
    assert list(contract.sites.all()) == [kept]


def test_the_plan_counts_what_will_move_and_what_clashes(pair):
    kept, merged = pair
    SiteFactory.create_batch(2, cmo=merged)
    evaluation = EvaluationFactory()
    CandidateFactory(evaluation=evaluation, cmo=kept)
    CandidateFactory(evaluation=evaluation, cmo=merged)
    plans = {plan.label: plan for plan in merge_plan(kept=kept, merged=merged) if plan.count}
    assert plans["sites"].moving == 2
    assert (plans["candidates"].count, plans["candidates"].moving) == (1, 0)


def test_it_refuses_a_merge_into_itself(pair, sourcing):
    kept, _ = pair
    with pytest.raises(ValidationError, match="cannot be merged into itself"):
        cmo_merge(kept=kept, merged=kept, user=sourcing, reason="x")


def test_it_refuses_a_merge_into_or_of_a_merged_record(pair, sourcing):
    kept, merged = pair
    cmo_merge(kept=kept, merged=merged, user=sourcing, reason="Duplicate")
    third = CmoFactory()
    with pytest.raises(ValidationError, match="merge into that one instead"):
        cmo_merge(kept=merged, merged=third, user=sourcing, reason="x")
    with pytest.raises(ValidationError, match="already merged"):
        cmo_merge(kept=third, merged=merged, user=sourcing, reason="x")


def test_it_refuses_to_merge_sites_of_two_cmos(sourcing):
    a, b = SiteFactory(), SiteFactory()
    with pytest.raises(ValidationError, match="merge the CMOs first"):
        site_merge(kept=a, merged=b, user=sourcing, reason="x")
    assert Site.objects.get(pk=b.pk).merged_into is None


def test_it_needs_a_reason(pair, sourcing):
    kept, merged = pair
    with pytest.raises(ValidationError) as caught:
        cmo_merge(kept=kept, merged=merged, user=sourcing, reason="  ")
    assert "reason" in caught.value.message_dict
    assert Cmo.objects.get(pk=merged.pk).merged_into is None


@pytest.mark.parametrize("role", ["qa", "manager"])
def test_only_roles_that_edit_the_directory_may_merge(pair, role, request):
    kept, merged = pair
    with pytest.raises(PermissionDenied):
        cmo_merge(kept=kept, merged=merged, user=request.getfixturevalue(role), reason="x")


def test_a_refused_merge_writes_nothing(sourcing):
    cmo = CmoFactory()
    kept, merged = SiteFactory(cmo=cmo), SiteFactory(cmo=cmo)
    SiteCapabilityFactory(site=merged)
    Site.objects.filter(pk=kept.pk).update(merged_into=SiteFactory(cmo=cmo))
    kept.refresh_from_db()
    with pytest.raises(ValidationError):
        site_merge(kept=kept, merged=merged, user=sourcing, reason="x")
    assert SiteCapability.objects.filter(site=merged).count() == 1


def test_a_merged_site_leaves_the_pickers_the_matrix_and_the_needs_search(client, sourcing):
    from django.urls import reverse

    from vendors.capabilities import needs_search

    cmo = CmoFactory()
    kept = SiteFactory(cmo=cmo, name="Kept Plant")
    merged = SiteFactory(cmo=cmo, name="Merged Plant")
    capability = Capability.objects.order_by("pk").first()
    SiteCapabilityFactory(site=kept, capability=capability, level=CapabilityLevel.DEMONSTRATED)
    SiteCapabilityFactory(site=merged, capability=capability, level=CapabilityLevel.CLAIMED)
    site_merge(kept=kept, merged=merged, user=sourcing, reason="One plant")

    [match] = needs_search([(capability.pk, CapabilityLevel.CLAIMED)]).full
    assert [s.site.pk for s in match.sites] == [kept.pk]
    client.force_login(sourcing)
    picked = client.get(reverse("vendors:site_search"), {"q": "Plant"}).content.decode()
    assert "Kept Plant" in picked and "Merged Plant" not in picked
    matrix = client.get(reverse("vendors:matrix"), {"view": "sites"}).content.decode()
    assert "Kept Plant" in matrix and "Merged Plant" not in matrix


def test_a_derived_score_is_not_moved_but_left_to_be_recomputed(pair):
    from scoring.models import CmoScore

    kept, merged = pair
    plans = [plan.label for plan in merge_plan(kept=kept, merged=merged)]
    assert CmoScore._meta.verbose_name_plural not in plans
