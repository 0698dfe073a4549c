import datetime

import pytest
from django.utils import timezone

from tests.factories import CmoFactory, RegulatoryEventFactory, SiteFactory
from vendors.models import EventKind


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
