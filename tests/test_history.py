import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cmoselect.history import history_rows
from contracts.models import Contract
from tests.factories import CmoFactory, ContractFactory, EvaluationFactory, SiteFactory, make_audit
from vendors.models import SiteType

pytestmark = pytest.mark.django_db


def types(*codes):
    return SiteType.objects.filter(code__in=codes)


def test_a_site_types_change_reads_as_the_types_added_and_removed(client_for, qa):
    site = SiteFactory(types=["api"])
    site._change_reason = "Now makes biologics"
    site.site_types.set(types("biologics", "sterile"))  # removes API, then adds the two
    site._change_reason = "No sterile line after all"
    site.site_types.remove(*types("sterile"))

    removed, changed = history_rows(site.history.all())[:2]
    assert removed.set_changes == [("site types", [], ["Sterile"])]
    assert changed.set_changes == [("site types", ["Biologics", "Sterile"], ["API"])]
    assert changed.changes == [] and changed.reason == "Now makes biologics"

    page = client_for(qa).get(site.get_absolute_url()).content.decode()
    assert "<ins>+ Biologics</ins>, <ins>+ Sterile</ins>, <del>− API</del>" in page
    assert "sitetype" not in page


def test_a_related_row_deleted_since_still_shows_in_the_history():
    site = SiteFactory(types=["api"])
    gone = SiteType.objects.create(code="gone", name="Gone")
    site._change_reason = "Also gone"
    site.site_types.add(gone)
    gone_pk = gone.pk
    gone.delete()
    added, created = history_rows(site.history.all())
    assert added.set_changes == [("site types", [f"#{gone_pk} (deleted)"], [])]
    assert (created.kind, created.set_changes) == ("Created", [("site types", ["API"], [])])


def test_the_history_costs_the_same_queries_for_few_or_many_set_changes():
    few, many = SiteFactory(types=["api"]), SiteFactory(types=["api"])
    for site, count in ((few, 2), (many, 20)):
        for step in range(count):
            site._change_reason = f"Sterile line, step {step}"
            site.site_types.add(*types("sterile"))
            site._change_reason = f"No sterile line, step {step}"
            site.site_types.remove(*types("sterile"))
    queries = []
    for site in (few, many):
        with CaptureQueriesContext(connection) as context:
            rows = history_rows(site.history.all())
        queries.append(len(context))
    assert len(rows) == 41 and rows[0].set_changes == [("site types", [], ["Sterile"])]
    assert queries[0] == queries[1] <= 3


def _contract_without_history():
    (contract,) = Contract.objects.bulk_create([ContractFactory.build(cmo=CmoFactory())])
    return contract


def _without_history(record):
    record.history.all().delete()
    return record


@pytest.mark.parametrize(
    "make, name",
    [
        pytest.param(_contract_without_history, "title", id="contract"),
        pytest.param(lambda: _without_history(CmoFactory()), "legal_name", id="cmo"),
        pytest.param(lambda: _without_history(SiteFactory(types=["api"])), "name", id="site"),
        pytest.param(lambda: _without_history(make_audit()), "reference", id="audit"),
        pytest.param(lambda: _without_history(EvaluationFactory()), "name", id="evaluation"),
    ],
)
def test_a_record_with_no_history_rows_still_shows_its_page(make, name, client_for, qa):
    record = make()  # bulk-created, or imported before its history was kept
    assert not record.history.exists()

    response = client_for(qa).get(record.get_absolute_url())

    assert response.status_code == 200
    page = response.content.decode()
    assert getattr(record, name) in page
    assert "No changes recorded yet." in page
