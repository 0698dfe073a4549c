import datetime

import pytest
from django.utils import timezone

from tests.factories import CmoFactory, EstablishmentFactory, RegulatoryEventFactory, SiteFactory
from vendors.compliance import establishments_refresh_signal
from vendors.models import Classification, Establishment, EventKind


@pytest.fixture
def scored_directory(db):
    """Four CMOs with the default model's qualification score: one excluded by an open warning
    letter though its total is the highest, and one added after the scores were computed."""
    from scoring.services import cmo_scores_compute

    for name, countries in [
        ("Basel Biologics AG", ["CH", "US"]),
        ("Cork Sterile Ltd", ["IE"]),
        ("Lyon Injectables SA", ["FR", "DE"]),
    ]:
        cmo = CmoFactory(legal_name=name)
        for country in countries:
            site = SiteFactory(cmo=cmo, country=country)
    RegulatoryEventFactory(
        site=site,
        kind=EventKind.WARNING_LETTER,
        classification="",
        event_date=timezone.localdate() - datetime.timedelta(days=200),
    )
    RegulatoryEventFactory(
        site=site, event_date=timezone.localdate() - datetime.timedelta(days=400)
    )
    cmo_scores_compute()
    CmoFactory(legal_name="Zug Aseptics AG")


def oai(establishment, *, days_ago=100, site=None):
    return RegulatoryEventFactory(
        site=site,
        establishment=establishment,
        kind=EventKind.INSPECTION,
        classification=Classification.OAI,
        event_date=timezone.localdate() - datetime.timedelta(days=days_ago),
    )


@pytest.fixture
def registry(db):
    """Three establishments: a sterile one with an OAI, a clean packer, an unregistered one."""
    sterile = EstablishmentFactory(
        fei="3001", firm_name="Cork Sterile Fill", country="IE", duns="123456789"
    )
    sterile.set_operations(["MANUFACTURE", "STERILIZE"])
    sterile.save()
    oai(sterile)
    packer = EstablishmentFactory(fei="3002", firm_name="Lyon Packers", country="FR")
    packer.set_operations(["REPACK"])
    packer.save()
    RegulatoryEventFactory(
        establishment=packer, site=None, classification=Classification.NAI, event_date="2025-01-02"
    )
    EstablishmentFactory(fei="3003", firm_name="Old Feedlot", country="US", registered=False)
    establishments_refresh_signal(Establishment.objects.all())
    return {e.fei: e for e in Establishment.objects.all()}
