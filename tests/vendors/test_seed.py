from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.http import HttpRequest

from tests.factories import CmoFactory
from vendors.models import Cmo, Contact, RegulatoryEvent, Site, SiteCapability


def test_seed_demo_is_plausible_idempotent_and_leaves_other_data_alone(db):
    mine = CmoFactory(legal_name="Our Own Supplier GmbH", website="https://own.example.com")
    call_command("seed_demo", "--with-users")
    counts = (Cmo.objects.count(), Site.objects.count(), Contact.objects.count())
    assert counts[0] == 42  # 40 demo CMOs, one of them entered twice, and ours
    assert 95 <= counts[1] <= 130
    assert Site.objects.values("country").distinct().count() >= 12
    assert counts[2] >= 40
    record = (SiteCapability.objects.count(), RegulatoryEvent.objects.count())
    assert record[0] > 300 and record[1] > 100
    call_command("seed_demo", "--with-users")
    assert (Cmo.objects.count(), Site.objects.count(), Contact.objects.count()) == counts
    assert (SiteCapability.objects.count(), RegulatoryEvent.objects.count()) == record
    mine.refresh_from_db()
    assert mine.website == "https://own.example.com"
    assert not mine.sites.exists()


def test_seed_demo_creates_one_login_per_role(db, client):
    call_command("seed_demo", "--with-users")
    for role in ("sourcing", "qa", "manager", "admin"):
        assert client.login(request=HttpRequest(), username=role, password=f"{role}-demo-2026"), (
            role
        )


def test_seeding_again_leaves_an_existing_user_as_an_admin_left_it(db):
    from django.contrib.auth import get_user_model

    from vendors.demo import ensure_demo_users

    ensure_demo_users()
    qa = get_user_model().objects.get(username="qa")
    qa.groups.clear()
    qa.set_password("a-new-password-chosen-by-qa")
    qa.save()
    logins = dict((username, password) for _, username, password in ensure_demo_users())
    qa.refresh_from_db()
    assert not qa.groups.exists()
    assert qa.check_password("a-new-password-chosen-by-qa")
    assert logins["qa"] == "(unchanged)"


def test_every_demo_status_was_reached_through_recorded_status_moves(db, client):
    from vendors.demo import ensure_demo_users, seed_directory
    from vendors.models import Notification, QualificationStatus, StatusChange

    ensure_demo_users()
    seed_directory()
    moved = [*Cmo.objects.exclude(qualification_status=QualificationStatus.PROSPECT)]
    moved += Site.objects.exclude(qualification_status=QualificationStatus.PROSPECT)
    assert any(isinstance(record, Site) for record in moved)
    for record in moved:
        changes = StatusChange.objects.filter(
            **({"site": record} if isinstance(record, Site) else {"cmo": record, "site": None})
        ).order_by("changed_at", "pk")
        path = [(change.from_status, change.to_status) for change in changes]
        assert path, record
        assert path[0][0] == QualificationStatus.PROSPECT
        assert path[-1][1] == record.qualification_status
        assert all(older[1] == newer[0] for older, newer in zip(path, path[1:], strict=False))
    # The backstory is not news: the managers' inboxes stay empty.
    assert not Notification.objects.exists()

    site = Site.objects.filter(qualification_status=QualificationStatus.APPROVED).first()
    client.force_login(get_user_model().objects.get(username="qa"))
    page = client.get(site.get_absolute_url()).content.decode()
    assert "No status changes yet" not in page
    assert "Qualification audit passed" in page


def test_the_demo_has_one_obvious_duplicate_pair_to_merge(db):
    from vendors.duplicates import cmo_duplicates, site_duplicates

    call_command("seed_demo")
    [pair] = cmo_duplicates()
    assert {pair.first.legal_name, pair.second.legal_name} == {
        "Alder Pharma Services Inc.",
        "ALDER PHARMA SERVICES",
    }
    assert pair.reasons[0].startswith("Same DUNS")
    assert pair.reasons[1] == "Names match (alder pharma services)"
    [sites] = site_duplicates()
    assert sites.first.name == sites.second.name == "Alder Raleigh" and not sites.same_cmo
