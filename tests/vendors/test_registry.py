"""The FDA registry: search, an establishment's page, adding establishments to the directory."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    CmoFactory,
    EstablishmentFactory,
    ImportRunFactory,
    RegulatoryEventFactory,
    SiteFactory,
)
from tests.html_forms import rendered_form
from vendors.compliance import compliance_for_sites
from vendors.models import (
    Classification,
    Cmo,
    Establishment,
    EventKind,
    ImportRun,
    RegulatoryEvent,
    Site,
    SiteCapability,
)
from vendors.registry import establishments_add_to_directory

pytestmark = pytest.mark.django_db
SEARCH = reverse("vendors:registry")
ADD = reverse("vendors:registry_add")


def names(response) -> list[str]:
    return [e.firm_name for e in response.context["page"].object_list]


# ---------------------------------------------------------------- search


@pytest.mark.parametrize("persona", ["sourcing", "qa", "manager", "admin_user"])
def test_every_role_searches_the_registry(client, request, registry, persona):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(SEARCH, {"q": "cork"})
    assert response.status_code == 200
    assert names(response) == ["Cork Sterile Fill"]


def test_someone_without_a_role_or_not_logged_in_cannot_search(client, outsider, registry):
    assert client.get(SEARCH).status_code == 302
    client.force_login(outsider)
    assert client.get(SEARCH).status_code == 403


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "3002"}, ["Lyon Packers"]),
        ({"q": "123456789"}, ["Cork Sterile Fill"]),
        ({"country": "FR"}, ["Lyon Packers"]),
        ({"operation": "STERILIZE"}, ["Cork Sterile Fill"]),
        ({"operation": "PACK"}, ["Old Feedlot"]),  # REPACK is not PACK
        ({"signal_min": "90"}, ["Lyon Packers"]),
        ({"signal_max": "80"}, ["Cork Sterile Fill"]),
        ({"recent_oai_or_warning": "true"}, ["Cork Sterile Fill"]),
        ({"current": "true"}, ["Cork Sterile Fill", "Lyon Packers"]),
    ],
)
def test_the_search_filters(client, sourcing, registry, query, expected):
    client.force_login(sourcing)
    assert names(client.get(SEARCH, query)) == expected


def test_bad_filter_values_say_so_instead_of_failing(client, sourcing, registry):
    client.force_login(sourcing)
    response = client.get(SEARCH, {"signal_min": "lots", "operation": "JUGGLE"})
    assert response.status_code == 200
    assert names(response) == []
    assert "signal_min" in response.context["filter"].errors


def test_each_result_shows_its_signal_and_whether_it_is_in_the_directory(
    client, sourcing, registry
):
    SiteFactory(fei_number="3002", name="Lyon site")
    client.force_login(sourcing)
    page = client.get(SEARCH).content.decode()
    rows = {e.fei: e for e in client.get(SEARCH).context["page"].object_list}
    assert rows["3002"].in_directory and not rows["3001"].in_directory
    assert rows["3001"].signal == 70
    assert "In the directory" in page
    assert "OAI / WL within 5 years" in page


def test_each_result_says_what_the_fda_registration_list_says_of_it(client, sourcing):
    run = ImportRunFactory(format=ImportRun.Format.DECRS)
    today = timezone.localdate()
    ahead, past = today + datetime.timedelta(days=200), today - datetime.timedelta(days=1)
    EstablishmentFactory(fei="3101", registration_expires=ahead)
    EstablishmentFactory(fei="3102", registered=False, last_seen_run=run)
    never = EstablishmentFactory(fei="3103", registered=False)
    EstablishmentFactory(fei="3104", registration_expires=past)
    client.force_login(sourcing)
    page = client.get(SEARCH).content.decode()
    feis = ("3101", "3102", "3103", "3104")
    rows = {fei: page.split(f">{fei}<")[1].split("</tr>")[0] for fei in feis}
    assert f"registered until {ahead:%Y-%m-%d}" in rows["3101"]
    assert "no longer listed" in rows["3102"]
    assert "not in a DECRS import" in rows["3103"]
    assert f"registration expired</span> {past:%Y-%m-%d}" in rows["3104"]
    assert "registered until" not in rows["3104"]
    detail = client.get(never.get_absolute_url()).content.decode()
    assert "not in a DECRS import" in detail and "not registered" not in detail
    assert '<option value="" selected>Any</option>' in page.split('name="operation"')[1]


def test_the_search_costs_the_same_queries_for_many_establishments(
    client, sourcing, registry, django_assert_max_num_queries
):
    client.force_login(sourcing)
    client.get(SEARCH)  # the session and the user, cached from here on
    with django_assert_max_num_queries(8) as few:
        client.get(SEARCH, {"per_page": 100})
    Establishment.objects.bulk_create(
        Establishment(fei=str(5000 + n), firm_name=f"Bulk {n}", country="US") for n in range(300)
    )
    with django_assert_max_num_queries(len(few)):
        response = client.get(SEARCH, {"per_page": 100})
    assert response.context["page"].paginator.count == 303
    assert len(response.context["page"].object_list) == 100


# ---------------------------------------------------------------- an establishment


def test_an_establishment_page_shows_its_history_and_signal(client, qa, registry):
    client.force_login(qa)
    response = client.get(registry["3001"].get_absolute_url())
    assert response.status_code == 200
    assert response.context["compliance"].signal == 70
    assert "OAI inspection within 5 years" in response.content.decode()
    assert "Add to directory" not in response.content.decode()  # QA does not edit it


# ---------------------------------------------------------------- add to directory


def test_adding_an_establishment_makes_its_cmo_site_capabilities_and_history(
    client, sourcing, registry
):
    client.force_login(sourcing)
    page = client.get(registry["3001"].get_absolute_url())
    form = rendered_form(page.content.decode(), ADD)
    response = client.post(ADD, form.data(reason="Candidate for the sterile fill project"))
    site = Site.objects.get(fei_number="3001")
    assert response.status_code == 302 and response.url == site.get_absolute_url()
    assert site.name == "Cork Sterile Fill"
    assert site.cmo.legal_name == "Cork Sterile Fill Holdings"
    assert site.fda_operations == "MANUFACTURE; STERILIZE"
    assert set(site.capabilities.values_list("capability__code", "source")) == {
        ("services-commercial-manufacturing", SiteCapability.Source.FDA_REGISTRATION),
        ("services-sterilization", SiteCapability.Source.FDA_REGISTRATION),
    }
    for record in (site, site.cmo):
        entry = record.history.get()
        assert entry.history_user == sourcing
        assert entry.history_change_reason == "Candidate for the sterile fill project"
    event = RegulatoryEvent.objects.get(establishment=registry["3001"])
    assert event.site == site
    assert event.history.first().history_change_reason == "Candidate for the sterile fill project"
    assert compliance_for_sites([site.pk])[site.pk].signal == 70
    shown = client.get(site.get_absolute_url()).content.decode()
    assert "OAI inspection within 5 years" in shown
    assert "in the FDA registry" in shown


def test_several_at_once_under_an_existing_cmo_of_the_same_name(client, sourcing, registry):
    cmo = CmoFactory(legal_name="LYON PACKERS HOLDINGS")
    client.force_login(sourcing)
    response = client.post(
        ADD,
        {
            "establishments": [registry["3001"].pk, registry["3002"].pk],
            "reason": "Shortlist",
            "search": "country=FR",
        },
    )
    assert response.status_code == 302 and response.url == SEARCH + "?country=FR"
    assert Site.objects.get(fei_number="3002").cmo == cmo
    assert Site.objects.get(fei_number="3001").cmo.legal_name == "Cork Sterile Fill Holdings"
    assert Cmo.objects.count() == 2


def test_adding_without_a_reason_or_a_choice_says_so_beside_the_field(client, sourcing, registry):
    client.force_login(sourcing)
    chosen = registry["3001"]
    response = client.post(ADD, {"establishments": [chosen.pk], "reason": " "})
    assert response.status_code == 400
    assert response.context["add_form"].errors["reason"]
    # The establishment stays ticked for the next try; the others do not.
    page = response.content.decode()
    assert (
        f'id="choose-{chosen.pk}" aria-label="Choose {chosen.firm_name} (FEI 3001)" checked' in page
    )
    assert page.count(" checked>") == 1
    response = client.post(ADD, {"reason": "Why not"})
    assert response.status_code == 400
    assert "Choose at least one establishment" in response.content.decode()
    assert Site.objects.count() == 0


@pytest.mark.parametrize("persona", ["qa", "manager", "outsider"])
def test_only_roles_that_edit_the_directory_add_to_it(client, request, registry, persona):
    client.force_login(request.getfixturevalue(persona))
    response = client.post(ADD, {"establishments": [registry["3001"].pk], "reason": "x"})
    assert response.status_code == 403
    assert Site.objects.count() == 0


def test_an_establishment_already_in_the_directory_keeps_its_site(sourcing, registry):
    site = SiteFactory(fei_number="3002", name="Typed by hand")
    (again,) = establishments_add_to_directory(
        establishments=[registry["3002"]], user=sourcing, reason="Again"
    )
    assert again == site
    assert Site.objects.get(pk=site.pk).name == "Typed by hand"


def test_a_site_linked_by_fei_shows_events_that_arrived_before_it(registry):
    site = SiteFactory(fei_number="3001")
    assert compliance_for_sites([site.pk])[site.pk].signal == 70
    assert RegulatoryEvent.objects.for_sites([site.pk]).count() == 1


def test_the_nightly_refresh_lets_an_old_oai_fade_from_the_stored_signal(registry):
    from vendors.tasks import refresh_registry_signals

    sterile = registry["3001"]
    RegulatoryEvent.objects.filter(establishment=sterile).update(
        event_date=timezone.localdate() - datetime.timedelta(days=6 * 365)
    )
    assert refresh_registry_signals() == 1
    sterile.refresh_from_db()
    assert (sterile.signal, sterile.recent_oai_or_warning) == (100, False)


def test_the_migration_gives_each_site_with_an_fei_its_registry_entry_and_loses_nothing():
    import importlib

    from django.apps import apps

    from vendors.models import Agency

    site = SiteFactory(
        fei_number="3004567890", name="Ghent", city="Ghent", country="BE", fda_operations="PACK"
    )
    without = SiteFactory(fei_number="")
    fda = RegulatoryEventFactory(site=site)
    ema = RegulatoryEventFactory(site=site, agency=Agency.EMA)
    before = Site.history.count(), RegulatoryEvent.history.count()
    migration = importlib.import_module("vendors.migrations.0011_registry")
    migration.link_sites_to_registry(apps, None)
    entry = Establishment.objects.get()
    assert (entry.fei, entry.firm_name, entry.city, entry.country.code) == (
        "3004567890",
        "Ghent",
        "Ghent",
        "BE",
    )
    assert entry.registrant_name == site.cmo.legal_name
    assert entry.operation_list == ["PACK"] and entry.registered
    # (Migration models record no history of their own: the migration writes this entry.)
    assert entry.history.filter(history_change_reason=migration.MIGRATED).exists()
    fda.refresh_from_db()
    ema.refresh_from_db()
    assert (fda.site, fda.establishment) == (site, entry)
    assert (ema.site, ema.establishment) == (site, None)
    assert (Site.history.count(), RegulatoryEvent.history.count()) == before
    assert without.establishment is None
    assert compliance_for_sites([site.pk])[site.pk].event_count == 2


def test_an_fda_event_entered_by_hand_joins_the_registry_entry_of_its_site(sourcing):
    from vendors.services import regulatory_event_save

    site = SiteFactory(fei_number="3009876543")
    event = RegulatoryEvent(
        site=site,
        kind=EventKind.INSPECTION,
        classification=Classification.OAI,
        event_date=timezone.localdate() - datetime.timedelta(days=30),
        reference="HAND-1",
    )
    regulatory_event_save(event=event, user=sourcing)
    entry = Establishment.objects.get(fei="3009876543")
    assert event.establishment == entry and not entry.registered
    assert (entry.signal, entry.recent_oai_or_warning) == (70, True)
