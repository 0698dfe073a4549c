from django.core.management import call_command

from contracts.models import Amendment, Contract, KpiMeasurement, Milestone
from tests.factories import ContractFactory


def test_seed_demo_adds_contracts_of_every_type_with_work_for_the_dashboard(db):
    mine = ContractFactory(title="Our own MSA", reference="MSA-OWN-1")
    call_command("seed_demo", "--with-users")
    demo = Contract.objects.filter(reference__startswith="DEMO-")
    assert set(demo.values_list("contract_type", flat=True)) == set(Contract.Type.values)
    assert demo.expiring_within(90).exists()
    assert Milestone.objects.late().filter(contract__status="active").exists()
    assert demo.filter(contract_type="sow", parent__contract_type="msa").exists()
    assert demo.exclude(owner=None).exists()
    results = list(KpiMeasurement.objects.select_related("kpi__contract"))
    assert {r.kpi.contract.status for r in results} == {"active"}
    assert {r.met for r in results} == {True, False}  # the demo shows both outcomes
    assert all(r.history.get().history_user.username == "sourcing" for r in results[:5])
    counts = (Contract.objects.count(), Milestone.objects.count(), len(results))
    # One signed MSA shows an amendment in effect and one awaiting approval, both raised by
    # sourcing and the first approved by the manager, through the services (history included).
    amended = Contract.objects.get(amendments__status=Amendment.Status.IN_EFFECT)
    assert set(amended.amendments.values_list("number", "status")) == {
        (1, "in_effect"),
        (2, "pending"),
    }
    first = amended.amendments.get(number=1)
    assert (first.raised_by.username, first.decided_by.username) == ("sourcing", "manager")
    assert amended.liability_cap == 7_500_000
    assert amended.history.first().history_change_reason.startswith("Amendment 1: Demo data")
    # Signed contracts were activated through the status service, after their terms were set.
    active = set(demo.filter(status="active").values_list("pk", flat=True))
    negotiated = Contract.history.filter(status="negotiation", id__in=active)
    assert set(negotiated.values_list("id", flat=True)) == active
    call_command("seed_demo")
    assert (
        Contract.objects.count(),
        Milestone.objects.count(),
        KpiMeasurement.objects.count(),
    ) == counts
    assert Amendment.objects.count() == 2
    mine.refresh_from_db()
    assert mine.title == "Our own MSA"
