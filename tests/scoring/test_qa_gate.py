"""The QA gate on a decision sign-off: Approved needs a recent approved audit and no open
critical or major finding at every site the CMO will use; otherwise conditionally approved."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audits.models import Audit, Severity
from scoring.models import Decision, Evaluation
from scoring.services import candidates_gate, decision_sign, evaluation_compute
from tests.audits.test_decisions import raise_finding
from tests.conftest import PASSWORD
from tests.factories import CmoFactory, SiteFactory, make_audit
from tests.html_forms import rendered_form
from tests.scoring.conftest import give
from vendors.models import Cmo, QualificationStatus, StatusChange

pytestmark = pytest.mark.django_db
S = QualificationStatus


def approved_audit(site, *, days_ago=30, status=Audit.Status.APPROVED):
    audit = make_audit(site=site, status=status)
    decided = timezone.now() - timedelta(days=days_ago)
    Audit.objects.filter(pk=audit.pk).update(decided_at=decided)
    return audit


def open_finding(site, qa, severity):
    audit = make_audit(site=site, lead=qa, status=Audit.Status.IN_PROGRESS)
    finding = raise_finding(audit, qa, severity)
    Audit.objects.filter(pk=audit.pk).update(status=Audit.Status.CONDITIONALLY_APPROVED)
    return finding


@pytest.fixture
def scored(evaluation):
    evaluation_compute(evaluation=evaluation)
    evaluation.refresh_from_db()
    return evaluation


@pytest.fixture
def basel(scored):
    """The leading candidate: Basel Biologics, two sites that both serve the needs."""
    candidate = scored.candidates.get(cmo__legal_name="Basel Biologics AG")
    Cmo.objects.filter(pk=candidate.cmo_id).update(qualification_status=S.UNDER_EVALUATION)
    candidate.cmo.sites.update(qualification_status=S.UNDER_EVALUATION)
    return candidate


def sign(evaluation, candidate, user, **overrides):
    kwargs = {
        "evaluation": evaluation,
        "candidate": candidate,
        "user": user,
        "password": PASSWORD,
        "meaning": Decision.Meaning.SELECTED,
        "rationale": "Best fit and capacity",
        "new_status": S.APPROVED,
    }
    return decision_sign(**{**kwargs, **overrides})


def sites_of(candidate):
    return list(candidate.cmo.sites.order_by("name"))


def test_it_refuses_approval_when_a_site_it_will_use_has_no_approved_audit(scored, basel, manager):
    first, second = sites_of(basel)
    approved_audit(first)
    with pytest.raises(ValidationError) as error:
        sign(scored, basel, manager)
    [message] = error.value.message_dict["new_status"]
    assert message.startswith(f"Site {second.name} cannot be approved: no approved audit.")
    assert "Conditionally approved is the most" in message
    assert not Decision.objects.exists() and not StatusChange.objects.exists()
    assert Evaluation.objects.get(pk=scored.pk).status == Evaluation.Status.OPEN


def test_a_conditional_approval_of_the_audit_does_not_open_the_gate(scored, basel, manager):
    for site in sites_of(basel):
        approved_audit(site, status=Audit.Status.CONDITIONALLY_APPROVED)
    with pytest.raises(ValidationError) as error:
        sign(scored, basel, manager)
    assert len(error.value.message_dict["new_status"]) == 2


def test_an_approval_older_than_the_requalification_interval_blocks(
    scored, basel, manager, settings
):
    settings.REQUALIFICATION_MONTHS = 12
    first, second = sites_of(basel)
    approved_audit(first, days_ago=200)
    old = approved_audit(second, days_ago=400)
    with pytest.raises(ValidationError) as error:
        sign(scored, basel, manager)
    [message] = error.value.message_dict["new_status"]
    assert f"Site {second.name} cannot be approved" in message
    assert f"{old.reference}" in message and "older than the 12-month requalification" in message


@pytest.mark.parametrize("severity", [Severity.CRITICAL, Severity.MAJOR])
def test_an_open_critical_or_major_finding_blocks(scored, basel, manager, qa, severity):
    first, second = sites_of(basel)
    approved_audit(first)
    approved_audit(second)
    finding = open_finding(second, qa, severity)
    with pytest.raises(ValidationError) as error:
        sign(scored, basel, manager)
    [message] = error.value.message_dict["new_status"]
    reference = f"{finding.audit.reference} {finding.reference}"
    assert f"open {severity.label.lower()} finding {reference}" in message


def test_a_minor_finding_does_not_block_and_approval_moves_cmo_and_sites_linked_to_it(
    scored, basel, manager, qa
):
    for site in sites_of(basel):
        approved_audit(site)
    open_finding(sites_of(basel)[0], qa, Severity.MINOR)
    decision = sign(scored, basel, manager)
    basel.cmo.refresh_from_db()
    assert basel.cmo.qualification_status == S.APPROVED
    assert {s.qualification_status for s in sites_of(basel)} == {S.APPROVED}
    moves = StatusChange.objects.filter(cmo=basel.cmo)
    assert moves.count() == 3 and {m.decision for m in moves} == {decision}
    assert all("decision e-signed by" in m.reason for m in moves)


def test_conditional_approval_is_allowed_whatever_blocks_and_never_moves_a_site_back(
    scored, basel, manager
):
    first, second = sites_of(basel)
    first.qualification_status = S.APPROVED
    first.save()
    decision = sign(
        scored,
        basel,
        manager,
        new_status=S.CONDITIONALLY_APPROVED,
        meaning=Decision.Meaning.SELECTED_CONDITIONALLY,
    )
    first.refresh_from_db(), second.refresh_from_db(), basel.cmo.refresh_from_db()
    assert basel.cmo.qualification_status == S.CONDITIONALLY_APPROVED
    assert first.qualification_status == S.APPROVED
    assert second.qualification_status == S.CONDITIONALLY_APPROVED
    assert second.status_changes.get().decision == decision


def test_a_prospect_cmo_and_site_go_through_evaluation_on_the_way(scored, basel, manager):
    Cmo.objects.filter(pk=basel.cmo_id).update(qualification_status=S.PROSPECT)
    basel.cmo.sites.update(qualification_status=S.PROSPECT)
    for site in sites_of(basel):
        approved_audit(site)
    sign(scored, basel, manager)
    cmo_moves = StatusChange.objects.filter(cmo=basel.cmo, site=None).order_by("pk")
    assert [(m.from_status, m.to_status) for m in cmo_moves] == [
        (S.PROSPECT, S.UNDER_EVALUATION),
        (S.UNDER_EVALUATION, S.APPROVED),
    ]
    assert {s.qualification_status for s in sites_of(basel)} == {S.APPROVED}


def test_only_the_sites_serving_a_need_are_held_to_the_gate(scored, basel, manager):
    for site in sites_of(basel):
        approved_audit(site)
    # A warehouse with no needed capability, and a retired site: neither is used.
    warehouse = SiteFactory(cmo=basel.cmo, name="Zug warehouse")
    retired = SiteFactory(cmo=basel.cmo, qualification_status=S.INACTIVE)
    gates = candidates_gate(evaluation=scored, candidates=[basel])[basel.pk]
    assert {g.site_id for g in gates} == {s.pk for s in sites_of(basel)} - {
        warehouse.pk,
        retired.pk,
    }
    sign(scored, basel, manager)
    warehouse.refresh_from_db()
    assert warehouse.qualification_status == S.PROSPECT


def test_without_needs_every_site_not_retired_is_held_to_the_gate(scored, basel, manager):
    scored.needs.all().delete()
    warehouse = SiteFactory(cmo=basel.cmo, name="Zug warehouse")
    SiteFactory(cmo=basel.cmo, qualification_status=S.DISQUALIFIED)
    for site in sites_of(basel)[:2]:
        approved_audit(site)
    gates = candidates_gate(evaluation=scored, candidates=[basel])[basel.pk]
    assert {g.site_name for g in gates if not g.passes} == {warehouse.name}
    assert len(gates) == 3


def test_a_cmo_with_no_site_in_use_cannot_be_approved(scored, manager):
    candidate = scored.candidates.get(cmo__legal_name="Cork Sterile Ltd")
    candidate.cmo.sites.update(qualification_status=S.INACTIVE)
    with pytest.raises(ValidationError) as error:
        sign(scored, candidate, manager)
    assert "has no site that is not inactive or disqualified" in str(error.value)


def test_the_gate_costs_the_same_queries_for_one_candidate_as_for_many(scored, manager):
    def count():
        candidates = list(scored.candidates.select_related("cmo"))
        with CaptureQueriesContext(connection) as queries:
            candidates_gate(evaluation=scored, candidates=candidates)
        return len(queries)

    few = count()
    for _ in range(6):
        cmo = CmoFactory()
        for _ in range(3):
            site = SiteFactory(cmo=cmo)
            give(site, scored.needs.first().capability, 3)
            approved_audit(site)
        scored.candidates.create(cmo=cmo, added_by=manager)
    assert count() == few


def test_an_audit_approval_that_qualifies_its_site_links_the_move_to_its_signature(reviewer, qa):
    from audits.services import audit_change_status, audit_decide
    from tests.audits.test_decisions import answer_all

    audit = make_audit(lead=qa, status=Audit.Status.IN_PROGRESS)
    answer_all(audit, qa)
    audit_change_status(audit=audit, status=Audit.Status.IN_REVIEW, user=qa)
    site = audit.site
    site.qualification_status = S.UNDER_EVALUATION
    site.save()
    signature = audit_decide(
        audit=audit,
        user=reviewer,
        password=PASSWORD,
        decision="approve",
        meaning="approved",
        qualify_site=True,
    )
    assert site.status_changes.get().audit_signature == signature


# ---------------------------------------------------------------- the sign-off page


def test_the_sign_off_page_says_before_signing_which_condition_blocks_for_which_site(
    client_for, manager, scored, basel, qa
):
    first, second = sites_of(basel)
    approved_audit(first)
    approved_audit(second)
    finding = open_finding(second, qa, Severity.MAJOR)
    url = reverse("scoring:evaluation_decide", args=[scored.pk])
    client = client_for(manager)
    page = client.get(url).content.decode()
    gate = page.split('id="qa-gate"')[1].split("</section>")[0]
    basel_gate = gate.split(f'id="gate-{basel.pk}"')[1].split("</div>")[0]
    assert "Conditionally approved at most" in basel_gate
    assert f"open major finding {finding.audit.reference} {finding.reference}" in basel_gate
    assert first.name in basel_gate and "approved audit within the interval" in basel_gate
    form = rendered_form(page, "")
    data = form.data(
        candidate=str(basel.pk),
        meaning="selected",
        rationale="Best fit",
        new_status=S.APPROVED,
        password=PASSWORD,
    )
    response = client.post(url, data)
    assert response.status_code == 200
    html = response.content.decode()
    field = html.split('id="field-new_status"')[1].split('<div class="field"')[0]
    assert f"Site {second.name} cannot be approved" in field
    assert not Decision.objects.exists()
    data["new_status"] = S.CONDITIONALLY_APPROVED
    assert client.post(url, data).status_code == 302
    basel.cmo.refresh_from_db()
    assert basel.cmo.qualification_status == S.CONDITIONALLY_APPROVED


def test_the_status_history_links_a_move_to_the_signed_decision(client_for, manager, scored, basel):
    sign(scored, basel, manager, new_status=S.CONDITIONALLY_APPROVED)
    html = client_for(manager).get(basel.cmo.get_absolute_url()).content.decode()
    history = html.split("Status history")[1]
    assert f'href="{scored.get_absolute_url()}#decision"' in history
    assert f"decision of {scored.name}" in history
    site_html = client_for(manager).get(sites_of(basel)[0].get_absolute_url()).content.decode()
    assert f"decision of {scored.name}" in site_html.split("Status history")[1]


# ---------------------------------------------------------------- API


def test_the_api_gives_the_gate_and_refuses_approval_as_a_field_error(
    api_for, manager, sourcing, scored, basel
):
    first, second = sites_of(basel)
    approved_audit(first)
    gate = api_for(sourcing).get(f"/api/v1/evaluations/{scored.pk}/gate/")
    assert gate.status_code == 200
    row = next(c for c in gate.json()["candidates"] if c["candidate"] == basel.pk)
    assert row["approval_allowed"] is False
    assert {s["name"]: s["blockers"] for s in row["sites"]} == {
        first.name: [],
        second.name: ["no approved audit"],
    }
    assert gate.json()["requalification_months"] == 36
    body = {
        "candidate": basel.pk,
        "meaning": "selected",
        "rationale": "Best fit",
        "new_status": S.APPROVED,
        "password": PASSWORD,
    }
    api = api_for(manager)
    refused = api.post(f"/api/v1/evaluations/{scored.pk}/decide/", body, format="json")
    assert refused.status_code == 400
    assert refused.json()["new_status"][0].startswith(f"Site {second.name} cannot be approved")
    approved_audit(second)
    signed = api.post(f"/api/v1/evaluations/{scored.pk}/decide/", body, format="json")
    assert signed.status_code == 201, signed.json()
    moves = signed.json()["status_changes"]
    assert {(m["site"], m["to_status"]) for m in moves} == {
        (None, S.APPROVED),
        (first.pk, S.APPROVED),
        (second.pk, S.APPROVED),
    }


@pytest.mark.parametrize("persona", ["sourcing", "qa", "admin_user"])
def test_only_a_manager_signs_through_the_api(api_for, persona, request, scored, basel):
    response = api_for(request.getfixturevalue(persona)).post(
        f"/api/v1/evaluations/{scored.pk}/decide/",
        {"candidate": basel.pk, "meaning": "selected", "rationale": "x", "password": PASSWORD},
        format="json",
    )
    assert response.status_code == 403 and not Decision.objects.exists()


def test_the_sign_off_and_the_moves_it_made_are_in_the_audit_trail(scored, basel, manager):
    from cmoselect.audit_trail import TrailFilters, trail_page

    sign(scored, basel, manager, new_status=S.CONDITIONALLY_APPROVED)
    [decision], _ = trail_page(TrailFilters(record_type="scoring.decision"))
    assert decision.record == scored.name and decision.reason == "Best fit and capacity"
    assert decision.url == scored.get_absolute_url() + "#decision"
    assert ("selected CMO", "", "Basel Biologics AG") in decision.changes
    moves, _ = trail_page(TrailFilters(record_type="vendors.statuschange", reason="e-signed"))
    assert len(moves) == 3
    assert {m.action for m in moves} == {"Status changed under e-signature"}
