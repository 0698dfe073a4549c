"""The likely-duplicates page, the merge confirmation pages and what a merged record shows."""

import pytest
from django.urls import reverse

from tests.factories import CmoFactory, ContractFactory, SiteFactory, make_audit
from tests.html_forms import form_with_button
from vendors.models import Cmo, Site

pytestmark = pytest.mark.django_db
DUPLICATES = reverse("vendors:duplicates")


@pytest.fixture
def twins():
    kept = CmoFactory(legal_name="Nordic Fill AB", duns_number="123456789")
    merged = CmoFactory(legal_name="NORDIC FILL", duns_number="123456789")
    return kept, merged


def _merge_url(kept, merged) -> str:
    return f"{reverse('vendors:cmo_merge', args=[kept.pk])}?merged={merged.pk}"


@pytest.mark.parametrize("persona", ["sourcing", "qa", "manager", "admin_user"])
def test_every_role_sees_the_duplicates_with_why_they_match(client, twins, persona, request):
    client.force_login(request.getfixturevalue(persona))
    page = client.get(DUPLICATES).content.decode()
    assert "Same DUNS 123456789; Names match (nordic fill)" in page
    for cmo in twins:
        assert cmo.get_absolute_url() in page
    offers_merge = _merge_url(*twins) in page
    assert offers_merge == (persona in ("sourcing", "admin_user"))


def test_someone_without_a_role_cannot_see_the_duplicates(client, outsider):
    client.force_login(outsider)
    assert client.get(DUPLICATES).status_code == 403


def test_the_cmo_list_links_to_the_duplicates(client, qa):
    client.force_login(qa)
    assert DUPLICATES in client.get(reverse("vendors:cmo_list")).content.decode()


def test_the_duplicates_page_costs_the_same_queries_however_many_pairs(
    client, sourcing, django_assert_max_num_queries
):
    client.force_login(sourcing)
    alpha = CmoFactory(legal_name="Alpha Pharma Inc")
    CmoFactory(legal_name="Alpha Pharma LLC")
    SiteFactory(cmo=alpha, name="Alpha Plant", city="Lyon")
    SiteFactory(cmo=alpha, name="Alpha Plant SA", city="Lyon")
    with django_assert_max_num_queries(14) as few:
        client.get(DUPLICATES)
    for n in range(10):
        cmo = CmoFactory(legal_name=f"Beta {n} Pharma Inc", duns_number=f"{n:09d}")
        CmoFactory(legal_name=f"Beta {n} Pharma GmbH", duns_number=f"{n:09d}")
        SiteFactory(cmo=cmo, name=f"Plant {n} AG", city="Lyon")
        SiteFactory(cmo=cmo, name=f"Plant {n}", city="Lyon")
    with django_assert_max_num_queries(len(few)):
        page = client.get(DUPLICATES)
    assert len(page.context["cmo_pairs"]) == 11 and len(page.context["site_pairs"]) == 11


def test_the_confirmation_shows_what_moves_and_the_merge_needs_a_reason(client, sourcing, twins):
    kept, merged = twins
    site = SiteFactory(cmo=merged)
    make_audit(site=site)
    ContractFactory(cmo=merged)
    client.force_login(sourcing)
    page = client.get(_merge_url(kept, merged))
    assert [(p.label, p.moving) for p in page.context["plans"]] == [("sites", 1), ("contracts", 1)]
    form = form_with_button(page.content.decode(), f"Merge into {kept}")
    refused = client.post(_merge_url(kept, merged), form.data(reason=""))
    assert refused.status_code == 400
    assert "This field is required." in refused.content.decode()
    assert Cmo.objects.get(pk=merged.pk).merged_into is None

    done = client.post(_merge_url(kept, merged), form.data(reason="One firm, entered twice"))
    assert done.status_code == 302 and done.url == kept.get_absolute_url()
    assert Site.objects.get(pk=site.pk).cmo == kept
    shown = client.get(merged.get_absolute_url()).content.decode()
    assert "Merged into" in shown and kept.get_absolute_url() in shown
    kept_page = client.get(kept.get_absolute_url()).content.decode()
    assert site.name in kept_page and "One firm, entered twice" in kept_page


def test_a_merged_cmo_leaves_the_list_and_the_picker(client, sourcing, twins):
    kept, merged = twins
    Cmo.objects.filter(pk=merged.pk).update(merged_into=kept)
    client.force_login(sourcing)
    listed = client.get(reverse("vendors:cmo_list")).context["page"].object_list
    assert list(listed) == [kept]
    picked = client.get(reverse("vendors:cmo_search"), {"q": "nordic"}).content.decode()
    assert "NORDIC FILL<" not in picked and "Nordic Fill AB" in picked


@pytest.mark.parametrize("persona", ["qa", "manager"])
def test_roles_that_do_not_edit_the_directory_cannot_merge(client, twins, persona, request):
    client.force_login(request.getfixturevalue(persona))
    url = _merge_url(*twins)
    assert client.get(url).status_code == 403
    assert client.post(url, {"reason": "x"}).status_code == 403
    assert Cmo.objects.get(pk=twins[1].pk).merged_into is None


def test_a_merge_into_itself_is_refused_on_the_page(client, sourcing, twins):
    client.force_login(sourcing)
    page = client.get(_merge_url(twins[0], twins[0])).content.decode()
    assert "cannot be merged into itself" in page
    assert "Merge into Nordic Fill AB</button>" not in page


def test_sites_of_two_cmos_point_to_merging_the_cmos_first(client, sourcing):
    a = SiteFactory(name="Main Plant", city="Cork", country="IE")
    b = SiteFactory(name="Main plant Ltd", city="Cork", country="IE")
    client.force_login(sourcing)
    page = client.get(DUPLICATES).content.decode()
    assert "Merge their CMOs first" in page
    url = f"{reverse('vendors:site_merge', args=[a.pk])}?merged={b.pk}"
    refused = client.get(url).content.decode()
    assert "merge the CMOs first" in refused


def test_a_site_merge_from_its_page(client, sourcing):
    cmo = CmoFactory()
    kept = SiteFactory(cmo=cmo, name="Fill Plant", city="Lyon")
    merged = SiteFactory(cmo=cmo, name="Fill Plant SAS", city="Lyon")
    client.force_login(sourcing)
    page = client.get(DUPLICATES).content.decode()
    url = f"{reverse('vendors:site_merge', args=[kept.pk])}?merged={merged.pk}"
    assert url in page
    form = form_with_button(client.get(url).content.decode(), f"Merge into {kept}")
    done = client.post(url, form.data(reason="Same plant"))
    assert done.url == kept.get_absolute_url()
    shown = client.get(merged.get_absolute_url()).content.decode()
    assert "Merged into" in shown and kept.get_absolute_url() in shown


def test_a_duplicate_can_be_chosen_with_the_picker_from_the_cmo_page(client, sourcing, twins):
    kept, merged = twins
    client.force_login(sourcing)
    url = reverse("vendors:cmo_merge", args=[kept.pk])
    assert url in client.get(kept.get_absolute_url()).content.decode()
    page = client.get(url).content.decode()
    assert "Choose the duplicate CMO" in page
    form = form_with_button(page, f"Merge into {kept}")
    # Without JavaScript: search, then choose among the matches shown beside the field.
    matches = client.post(url, form.data(merged_search="NORDIC FILL", reason="Same DUNS"))
    assert Cmo.objects.get(pk=merged.pk).merged_into is None
    form = form_with_button(matches.content.decode(), f"Merge into {kept}")
    done = client.post(url, form.data(merged=str(merged.pk)))
    assert done.status_code == 302
    assert Cmo.objects.get(pk=merged.pk).merged_into == kept
