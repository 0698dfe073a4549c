from django.core.management import call_command

from contracts.models import Contract, Milestone
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
    counts = (Contract.objects.count(), Milestone.objects.count())
    call_command("seed_demo")
    assert (Contract.objects.count(), Milestone.objects.count()) == counts
    mine.refresh_from_db()
    assert mine.title == "Our own MSA"
