"""Recording the performance actually measured against a contract's KPIs, page and API."""

from decimal import Decimal

import pytest

from contracts.models import Kpi, KpiMeasurement
from tests.factories import ContractFactory
from tests.html_forms import Form, forms_of

pytestmark = pytest.mark.django_db


def rendered_form(response) -> Form:
    """The form recording a KPI result, as the contract page renders it."""
    forms = [f for f in forms_of(response.content) if f.id == "kpi-result-form"]
    assert len(forms) == 1, "no KPI result form on the page"
    return forms[0]


@pytest.fixture
def contract(db):
    contract = ContractFactory(contract_type="msa", status="active")
    Kpi.objects.create(contract=contract, kind="otif", target=95, unit="%")
    Kpi.objects.create(contract=contract, kind="deviation_rate", target=2, unit="per 100 batches")
    return contract


def record(client, contract, kpi_label: str, **values):
    form = rendered_form(client.get(contract.get_absolute_url()))
    return client.post(form.action, form.data(kpi=form.labels["kpi"][kpi_label], **values))


def results_table(page: str) -> str:
    start = page.index('id="kpi-results"')
    return page[start : page.index("</table>", start)]


def test_a_result_recorded_on_the_contract_page_shows_as_met_after_a_reload(
    client_for, sourcing, contract
):
    client = client_for(sourcing)
    response = record(
        client,
        contract,
        "On time in full: 95.00 %",
        period_start="2026-01-01",
        period_end="2026-03-31",
        actual="97.5",
        note="From the CMO's monthly report",
    )
    assert response.status_code == 302
    result = KpiMeasurement.objects.get()
    assert result.recorded_by == sourcing
    assert result.history.get().history_user == sourcing

    table = results_table(client.get(contract.get_absolute_url()).content.decode())
    assert "2026-01-01 – 2026-03-31" in table
    assert "97.5 %" in table and "95 %" in table
    assert '<span class="badge status-approved">met</span>' in table


def test_a_ceiling_kpi_above_its_target_shows_as_missed(client_for, sourcing, contract):
    client = client_for(sourcing)
    record(
        client,
        contract,
        "Deviation rate: 2.00 per 100 batches",
        period_start="2026-01-01",
        period_end="2026-03-31",
        actual="3",
    )
    table = results_table(client.get(contract.get_absolute_url()).content.decode())
    assert '<span class="badge late">missed</span>' in table
    assert "met</span>" not in table


@pytest.mark.parametrize(
    "actual, met", [("95", True), ("94.99", False), ("100", True)], ids=["at", "below", "above"]
)
def test_a_floor_kpi_is_met_at_or_above_its_target(contract, sourcing, actual, met):
    otif = contract.kpis.get(kind="otif")
    assert otif.is_met_by(Decimal(actual)) is met


def test_an_other_kpi_is_recorded_but_not_judged(contract):
    other = Kpi.objects.create(
        contract=contract, kind="other", name="Audit slots", target=4, unit=""
    )
    assert other.is_met_by(10) is None


def test_a_period_ending_before_it_starts_is_refused_beside_the_field(
    client_for, sourcing, contract
):
    response = record(
        client_for(sourcing),
        contract,
        "On time in full: 95.00 %",
        period_start="2026-03-31",
        period_end="2026-01-01",
        actual="97",
    )
    assert response.status_code == 200
    form_html = response.content.decode()
    field = form_html[form_html.index('id="field-period_end"') :]
    assert "The period ends before it starts." in field[: field.index("</div>")]
    assert not KpiMeasurement.objects.exists()


def test_the_same_period_cannot_be_recorded_twice(client_for, sourcing, contract):
    client = client_for(sourcing)
    values = {"period_start": "2026-01-01", "period_end": "2026-03-31", "actual": "97"}
    record(client, contract, "On time in full: 95.00 %", **values)
    response = record(client, contract, "On time in full: 95.00 %", **values)
    assert response.status_code == 200
    assert "A result for this KPI and period is already recorded." in response.content.decode()
    assert KpiMeasurement.objects.count() == 1


def test_a_kpi_of_another_contract_cannot_be_chosen(client_for, sourcing, contract):
    elsewhere = Kpi.objects.create(contract=ContractFactory(), kind="rft", target=98, unit="%")
    client = client_for(sourcing)
    form = rendered_form(client.get(contract.get_absolute_url()))
    assert str(elsewhere.pk) not in form.options["kpi"]
    data = {
        **form.fields,
        "kpi": str(elsewhere.pk),
        "period_start": "2026-01-01",
        "period_end": "2026-03-31",
        "actual": "99",
    }
    response = client.post(form.action, data)
    assert response.status_code == 200
    assert not KpiMeasurement.objects.exists()


def test_people_who_cannot_edit_contracts_see_results_but_no_form(client_for, qa, contract):
    page = client_for(qa).get(contract.get_absolute_url()).content.decode()
    assert "No results recorded yet" in page
    assert 'id="kpi-result-form"' not in page


class TestApi:
    url = "/api/v1/kpi-measurements/"

    def test_it_records_a_result_with_who_and_whether_it_met_the_target(
        self, client_for, sourcing, contract
    ):
        otif = contract.kpis.get(kind="otif")
        response = client_for(sourcing).post(
            self.url,
            {
                "kpi": otif.pk,
                "period_start": "2026-01-01",
                "period_end": "2026-03-31",
                "actual": "90",
            },
            content_type="application/json",
        )
        assert response.status_code == 201, response.content
        assert response.json()["met"] is False
        assert response.json()["recorded_by"] == sourcing.pk
        assert KpiMeasurement.objects.get().history.get().history_user == sourcing

    def test_bad_input_is_a_400_with_field_errors(self, client_for, sourcing, contract):
        otif = contract.kpis.get(kind="otif")
        response = client_for(sourcing).post(
            self.url,
            {
                "kpi": otif.pk,
                "period_start": "2026-03-31",
                "period_end": "2026-01-01",
                "actual": "9",
            },
            content_type="application/json",
        )
        assert response.status_code == 400
        assert "period_end" in response.json()

    def test_a_correction_needs_a_reason_and_keeps_it(self, client_for, sourcing, contract):
        otif = contract.kpis.get(kind="otif")
        client = client_for(sourcing)
        created = client.post(
            self.url,
            {
                "kpi": otif.pk,
                "period_start": "2026-01-01",
                "period_end": "2026-03-31",
                "actual": "90",
            },
            content_type="application/json",
        ).json()
        url = f"{self.url}{created['id']}/"
        refused = client.patch(url, {"actual": "96"}, content_type="application/json")
        assert refused.status_code == 400 and "change_reason" in refused.json()
        fixed = client.patch(
            url,
            {"actual": "96", "change_reason": "Late deliveries re-counted"},
            content_type="application/json",
        )
        assert fixed.status_code == 200 and fixed.json()["met"] is True
        result = KpiMeasurement.objects.get()
        assert result.recorded_by == sourcing
        assert result.history.first().history_change_reason == "Late deliveries re-counted"
