import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cmoselect.history import delete_with_history, history_rows, require_reason, save_with_history
from contracts.models import Contract
from tests.factories import (
    CmoFactory,
    ContactFactory,
    ContractFactory,
    EvaluationFactory,
    SiteFactory,
    UserFactory,
    make_audit,
)
from vendors.models import Cmo, Contact, Site, SiteType

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


# ── writing history ───────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("given", [None, "", "   \n"])
def test_require_reason_refuses_a_missing_reason_on_the_named_field(given):
    with pytest.raises(ValidationError) as refused:
        require_reason(given, field_name="reason", message="Say why the audit is cancelled.")
    assert refused.value.message_dict == {"reason": ["Say why the audit is cancelled."]}


def test_require_reason_gives_the_reason_trimmed():
    assert require_reason("  Audit moved to May \n") == "Audit moved to May"


def test_a_new_record_is_saved_as_created_by_whoever_saved_it(sourcing):
    cmo = save_with_history(Cmo(legal_name="Basel Biologics AG"), user=sourcing)

    entry = cmo.history.get()
    assert (entry.history_type, entry.history_user, entry.history_change_reason) == (
        "+",
        sourcing,
        "Created",
    )


def test_a_new_record_keeps_the_reason_given_trimmed(sourcing):
    cmo = save_with_history(
        Cmo(legal_name="Basel Biologics AG"), user=sourcing, reason=" Met at CPhI "
    )
    assert cmo.history.get().history_change_reason == "Met at CPhI"


def test_a_change_without_a_reason_is_refused_and_nothing_is_written(sourcing):
    cmo = CmoFactory(website="https://old.example.com")
    cmo.website = "https://new.example.com"

    with pytest.raises(ValidationError) as refused:
        save_with_history(cmo, user=sourcing, reason="  ")

    assert refused.value.message_dict == {"change_reason": ["Say why this CMO is being changed."]}
    assert Cmo.objects.get(pk=cmo.pk).website == "https://old.example.com"
    assert cmo.history.count() == 1


def test_a_change_keeps_who_made_it_and_why_on_its_history_row(sourcing):
    cmo = CmoFactory()
    cmo.website = "https://new.example.com"

    save_with_history(cmo, user=sourcing, reason=" New domain ")

    entry = cmo.history.latest()
    assert (entry.history_type, entry.history_user, entry.history_change_reason) == (
        "~",
        sourcing,
        "New domain",
    )
    assert entry.website == "https://new.example.com"


def test_clean_runs_the_models_own_validation_before_saving(sourcing):
    CmoFactory(legal_name="Basel Biologics AG")
    twin = Cmo(legal_name="Basel Biologics AG", headquarters_country="CH", website="not a url")

    with pytest.raises(ValidationError) as refused:
        save_with_history(twin, user=sourcing, clean=True)

    assert set(refused.value.message_dict) == {"legal_name", "website"}
    assert Cmo.objects.filter(legal_name="Basel Biologics AG").count() == 1


def test_without_clean_the_models_validation_is_left_to_the_caller(sourcing):
    cmo = save_with_history(Cmo(legal_name="Cork Sterile Ltd", website="not a url"), user=sourcing)
    assert Cmo.objects.get(pk=cmo.pk).website == "not a url"


def test_the_record_is_not_kept_when_its_many_to_many_rows_cannot_be_saved(sourcing):
    site = SiteFactory.build(cmo=CmoFactory())

    def save_m2m():
        raise ValidationError({"site_types": "Unknown site type."})

    with pytest.raises(ValidationError):
        save_with_history(site, user=sourcing, save_m2m=save_m2m)

    assert not Site.objects.filter(name=site.name).exists()
    assert not Site.history.filter(name=site.name).exists()


def test_a_removal_needs_a_reason_and_the_record_stays_without_one(sourcing):
    contact = ContactFactory()

    with pytest.raises(ValidationError) as refused:
        delete_with_history(contact, user=sourcing, reason="")

    assert refused.value.message_dict == {"change_reason": ["Say why this contact is removed."]}
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_a_removal_leaves_a_history_row_with_who_and_why(sourcing):
    contact = ContactFactory()
    pk = contact.pk

    delete_with_history(contact, user=sourcing, reason=" Left the company ")

    assert not Contact.objects.filter(pk=pk).exists()
    entry = Contact.history.filter(id=pk).latest()
    assert (entry.history_type, entry.history_user, entry.history_change_reason) == (
        "-",
        sourcing,
        "Left the company",
    )


def test_the_history_names_people_by_their_full_name_like_the_rest_of_the_app(client_for):
    lead = UserFactory(username="qa-lee", first_name="Lee", last_name="Chen", roles=["QA"])
    helper = UserFactory(username="qa-ada", first_name="Ada", last_name="Okafor", roles=["QA"])
    audit = make_audit(lead=lead)
    audit._history_user = lead
    audit._change_reason = "Ada joins the team"
    audit.team.add(helper)

    page = client_for(lead).get(audit.get_absolute_url()).content.decode()
    assert "<ins>+ Ada Okafor</ins>" in page
    assert "+ qa-ada" not in page
    assert "by Lee Chen" in page
    assert "by qa-lee" not in page


def test_a_person_without_a_full_name_is_named_by_username_in_the_history(client_for):
    lead = UserFactory(username="qa-nameless", first_name="", last_name="", roles=["QA"])
    audit = make_audit(lead=lead)
    audit._history_user = lead
    audit._change_reason = "Lead joins the team"
    audit.team.add(lead)

    page = client_for(lead).get(audit.get_absolute_url()).content.decode()
    assert "<ins>+ qa-nameless</ins>" in page
    assert "by qa-nameless" in page
