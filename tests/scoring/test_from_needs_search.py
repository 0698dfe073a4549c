"""From the needs search on: a new evaluation with its needs and candidates, or CMOs added to an
open one."""

import pytest
from django.urls import reverse

from scoring.models import Candidate, Evaluation
from tests.factories import CmoFactory
from tests.html_forms import as_post, field_block, form_data

pytestmark = pytest.mark.django_db
NEW = reverse("scoring:evaluation_create")
ADD = reverse("scoring:candidates_add")


@pytest.fixture
def chosen(capabilities):
    """What the needs search's results pass on: two needs and two ticked CMOs."""
    cmos = [CmoFactory(legal_name="Geneva Fill AG"), CmoFactory(legal_name="Dublin Vials Ltd")]
    query = {
        "need": [f"{capabilities['vials'].pk}:2", f"{capabilities['mab'].pk}:1"],
        "cmo": [str(c.pk) for c in cmos],
    }
    return query, cmos


def test_starting_an_evaluation_fills_in_the_needs_and_the_chosen_candidates(
    client_for, sourcing, capabilities, chosen
):
    query, cmos = chosen
    client = client_for(sourcing)
    url = f"{NEW}?need={query['need'][0]}&need={query['need'][1]}&cmo={cmos[0].pk}&cmo={cmos[1].pk}"
    html = client.get(url).content.decode()
    sent = form_data(html, "evaluation-form")
    assert sent["needs-0-capability"] == str(capabilities["vials"].pk)
    assert sent["needs-0-min_level"] == "2"
    assert sent["needs-1-capability"] == str(capabilities["mab"].pk)
    assert sent["needs-1-min_level"] == "1"
    assert sorted(sent.getlist("candidates")) == sorted(str(c.pk) for c in cmos)
    # The one modality among the needs is the product's.
    assert sent["modality"] == str(capabilities["mab"].pk)
    assert "Dublin Vials Ltd" in field_block(html, "candidates")

    sent.setlist("candidates", [str(cmos[1].pk)])  # Geneva is unticked
    sent.update({"name": "ABX-9 fill-finish", "product": "ABX-9", "phase": "phase_2"})
    response = client.post(url, as_post(sent))
    evaluation = Evaluation.objects.get(name="ABX-9 fill-finish")
    assert response.status_code == 302 and response.url == evaluation.get_absolute_url()
    assert set(evaluation.needs.values_list("capability", "min_level")) == {
        (capabilities["vials"].pk, 2),
        (capabilities["mab"].pk, 1),
    }
    candidate = evaluation.candidates.get()
    assert (candidate.cmo, candidate.origin) == (cmos[1], Candidate.Origin.NEEDS_SEARCH)
    assert candidate.history.get().history_user == sourcing


def test_a_refused_start_keeps_the_chosen_candidates(client_for, sourcing, chosen):
    query, cmos = chosen
    client = client_for(sourcing)
    url = f"{NEW}?cmo={cmos[0].pk}"
    sent = form_data(client.get(url).content.decode(), "evaluation-form")
    response = client.post(url, as_post(sent))  # no name, product or phase
    assert response.status_code == 200
    assert form_data(response.content.decode(), "evaluation-form").getlist("candidates") == [
        str(cmos[0].pk)
    ]
    assert not Evaluation.objects.exists()


@pytest.mark.parametrize("role", ["qa", "manager"])
def test_only_those_who_edit_evaluations_can_start_one_or_add_candidates(
    client_for, personas, role, chosen
):
    query, cmos = chosen
    client = client_for(personas[role])
    assert client.get(NEW, query).status_code == 403
    assert client.get(ADD, query).status_code == 403
    assert client.post(ADD, {"cmos": [cmos[0].pk]}).status_code == 403


def test_adding_to_an_evaluation_offers_the_open_ones_and_adds_the_ticked_cmos(
    client_for, sourcing, evaluation, decided_other, chosen
):
    query, cmos = chosen
    client = client_for(sourcing)
    url = f"{ADD}?need={query['need'][0]}&cmo={cmos[0].pk}&cmo={cmos[1].pk}"
    html = client.get(url).content.decode()
    offered = field_block(html, "evaluation")
    assert evaluation.name in offered and decided_other.name not in offered
    assert f"capability={query['need'][0].split(':')[0]}&amp;level=2" in html  # back to the search
    sent = form_data(html, "add-to-evaluation")
    assert sorted(sent.getlist("cmos")) == sorted(str(c.pk) for c in cmos)
    sent["evaluation"] = str(evaluation.pk)
    response = client.post(url, as_post(sent))
    assert response.status_code == 302 and response.url == evaluation.get_absolute_url()
    added = evaluation.candidates.filter(origin=Candidate.Origin.NEEDS_SEARCH)
    assert {c.cmo for c in added} == set(cmos)
    assert "2 candidates added to ABX-101 fill-finish" in client.get(response.url).content.decode()


def test_a_decided_evaluation_is_refused_beside_the_field(client_for, sourcing, decided, chosen):
    query, cmos = chosen
    client = client_for(sourcing)
    before = decided.candidates.count()
    response = client.post(ADD, {"evaluation": decided.pk, "cmos": [cmos[0].pk]})
    assert response.status_code == 200
    block = field_block(response.content.decode(), "evaluation")
    assert "This evaluation is decided; it cannot change." in block
    assert decided.candidates.count() == before


def test_adding_with_no_cmo_ticked_says_what_to_do(client_for, sourcing, evaluation, chosen):
    client = client_for(sourcing)
    assert "No CMO was chosen" in client.get(ADD).content.decode()
    response = client.post(ADD, {"evaluation": evaluation.pk})
    html = response.content.decode()
    beside = html[html.index('id="field-cmos"') :]
    assert beside.index("Tick at least one CMO to add.") < beside.index("</form>")


@pytest.fixture
def decided_other(sourcing):
    from tests.factories import EvaluationFactory

    return EvaluationFactory(name="Old decided project", status=Evaluation.Status.DECIDED)


def test_the_evaluation_page_ticks_only_cmos_meeting_every_need_at_one_site(
    client_for, sourcing, capabilities
):
    from scoring.models import EvaluationNeed
    from tests.factories import EvaluationFactory, SiteFactory
    from tests.scoring.conftest import give

    evaluation = EvaluationFactory(name="Split or whole", created_by=sourcing)
    for key in ("vials", "lyo"):
        EvaluationNeed.objects.create(evaluation=evaluation, capability=capabilities[key])
    whole = SiteFactory(cmo=CmoFactory(legal_name="Whole Site AG"))
    give(whole, capabilities["vials"])
    give(whole, capabilities["lyo"])
    split = CmoFactory(legal_name="Split Sites SA")
    give(SiteFactory(cmo=split), capabilities["vials"])
    give(SiteFactory(cmo=split), capabilities["lyo"])
    html = client_for(sourcing).get(evaluation.get_absolute_url()).content.decode()
    picker = html[html.index("From the needs search") : html.index("By name")]

    def item(name):
        at = picker.index(name)
        return picker[picker.rindex("<li>", 0, at) : picker.index("</li>", at)]

    assert " checked" in item("Whole Site AG")
    assert " checked" not in item("Split Sites SA")
    assert "covers 50% of the needs at one site" in item("Split Sites SA")
