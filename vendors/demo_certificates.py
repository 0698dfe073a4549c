"""Demo certificates and Form 483 citations: a register with renewals due and an expired GMP
certificate, and a site whose 483s and warning letter fill a pre-audit briefing."""

import datetime
import random

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from cmoselect.history import save_with_history
from cmoselect.roles import QA
from vendors.demo import DEMO_REASON, demo_cmo_names, demo_user
from vendors.models import (
    Agency,
    Certificate,
    Citation,
    Classification,
    EventKind,
    RegulatoryEvent,
    Site,
    citation_key,
)
from vendors.registry import registry_entry_for_site

GMP_ISSUERS = {
    "BE": "FAMHP",
    "CA": "Health Canada",
    "CH": "Swissmedic",
    "CN": "NMPA",
    "DE": "Regierungspräsidium Darmstadt",
    "ES": "AEMPS",
    "FR": "ANSM",
    "GB": "MHRA",
    "IE": "HPRA",
    "IN": "CDSCO",
    "IT": "AIFA",
    "JP": "PMDA",
    "KR": "MFDS",
    "SG": "HSA",
}
ISO_BODIES = ("TÜV SÜD", "BSI", "DNV", "SGS", "Bureau Veritas")
PDF = b"%PDF-1.4\n% demo certificate scan\n"
# The site whose planned demo audit carries the briefing (see audits/demo.py's PLAN).
BRIEFING_PREFIX = "Delta"
# (Act/CFR number, short description) as the FDA's Data Dashboard lists them.
DEMO_CITATIONS = [
    ("21 CFR 211.192", "Investigations of discrepancies, failures"),
    ("21 CFR 211.100(a)", "Absence of written procedures"),
    ("21 CFR 211.67(a)", "Cleaning / Sanitizing / Maintenance"),
    ("21 CFR 211.68(b)", "Computer control of master formula records"),
    ("21 CFR 211.160(b)", "Scientifically sound laboratory controls"),
    ("21 CFR 211.84(d)(1)", "Component identity testing"),
    ("21 CFR 600.14", "Biological product deviation not reported"),
]
WARNING_LETTER_SUBJECT = (
    "CGMP/Finished Pharmaceuticals/Adulterated: failure to thoroughly investigate unexplained "
    "discrepancies (21 CFR 211.192) and to validate cleaning procedures (21 CFR 211.67(b))"
)


def _certificate(site, kind, reference, issuer, issued, until, *, user) -> Certificate:
    certificate = Certificate(
        site=site,
        kind=kind,
        reference=reference,
        issuer=issuer,
        issued_on=issued,
        valid_until=until,
        original_name=f"{reference.replace('/', '-')}.pdf",
        content_type="application/pdf",
        size=len(PDF),
        notes="Demo data.",
        created_by=user,
    )
    certificate.file.save(certificate.original_name, ContentFile(PDF), save=False)
    return save_with_history(certificate, user=user, reason=DEMO_REASON)


def _register(site: Site, index: int, rng: random.Random, today, user) -> int:
    """A site's certificates: the first site's GMP expires within 30 days, the second's has
    expired, the others are in force (some renewed, so the register shows an earlier version)."""
    year = today.year
    issuer = GMP_ISSUERS.get(site.country.code, "National competent authority")
    if index == 0:
        gmp_until = today + datetime.timedelta(days=21)
    elif index == 1:
        gmp_until = today - datetime.timedelta(days=45)
    else:
        gmp_until = today + datetime.timedelta(days=rng.randrange(200, 1000))
    issued = gmp_until - datetime.timedelta(days=3 * 365)
    count = 0
    gmp = _certificate(
        site,
        Certificate.Kind.GMP,
        f"{site.country.code}/GMP/{issued.year}/{site.pk:04d}",
        issuer,
        min(issued, today),
        gmp_until,
        user=user,
    )
    count += 1
    if index % 3 == 2:  # a renewed certificate keeps the one before it on record
        earlier = _certificate(
            site,
            Certificate.Kind.GMP,
            f"{site.country.code}/GMP/{issued.year - 3}/{site.pk:04d}",
            issuer,
            issued - datetime.timedelta(days=3 * 365),
            issued,
            user=user,
        )
        earlier.superseded_by = gmp
        save_with_history(earlier, user=user, reason=f"Replaced by {gmp}: {DEMO_REASON}")
        count += 1
    body = rng.choice(ISO_BODIES)
    iso_until = today + datetime.timedelta(days=rng.randrange(40, 900))
    _certificate(
        site,
        Certificate.Kind.ISO9001,
        f"ISO9001-{year % 100}{site.pk:05d}",
        body,
        iso_until - datetime.timedelta(days=3 * 365),
        iso_until,
        user=user,
    )
    count += 1
    if rng.random() < 0.5:
        _certificate(
            site,
            Certificate.Kind.MANUFACTURING_LICENCE,
            f"ML-{site.pk:05d}",
            issuer,
            today - datetime.timedelta(days=rng.randrange(400, 3000)),
            None,
            user=user,
        )
        count += 1
    if rng.random() < 0.4:
        review = today + datetime.timedelta(days=rng.randrange(-20, 300))
        _certificate(
            site,
            Certificate.Kind.QUALITY_AGREEMENT_REVIEW,
            f"QA-REVIEW-{site.pk:05d}",
            "Sponsor QA",
            min(review - datetime.timedelta(days=365), today),
            review,
            user=user,
        )
        count += 1
    return count


def _briefing_record(site: Site, today, user) -> int:
    """Give the site an inspection with Form 483 citations and a warning letter, recent enough
    for its pre-audit briefing; nothing if it has citations already."""
    if Citation.objects.filter(inspection__site=site).exists():
        return 0
    establishment = registry_entry_for_site(site, user=user, reason=DEMO_REASON)
    inspection = RegulatoryEvent(
        site=site,
        establishment=establishment,
        kind=EventKind.INSPECTION,
        agency=Agency.FDA,
        reference=f"DEMO-{site.pk}-INS-483",
        event_date=today - datetime.timedelta(days=420),
        classification=Classification.OAI,
        project_area="Drug Quality Assurance",
        product_type="Drugs",
        citations_posted=True,
        notes="Demo data.",
    )
    save_with_history(inspection, user=user, reason=DEMO_REASON)
    for number, short in DEMO_CITATIONS:
        citation = Citation(
            inspection=inspection,
            act_cfr_number=number,
            short_description=short,
            program_area="Drugs",
            key=citation_key(number, short, ""),
        )
        save_with_history(citation, user=user, reason=DEMO_REASON)
    letter = RegulatoryEvent(
        site=site,
        establishment=establishment,
        kind=EventKind.WARNING_LETTER,
        agency=Agency.FDA,
        reference=f"DEMO-{site.pk}-WL-483",
        event_date=today - datetime.timedelta(days=300),
        product_type="Drugs",
        description=WARNING_LETTER_SUBJECT,
        notes="Demo data.",
    )
    save_with_history(letter, user=user, reason=DEMO_REASON)
    return len(DEMO_CITATIONS)


def seed_certificates_and_citations(*, seed: int = 2026) -> dict[str, int]:
    """Certificates for demo sites that have none, and the briefing site's 483 citations."""
    from vendors.compliance import establishments_refresh_signal
    from vendors.models import Establishment

    created = {"certificates": 0, "citations": 0}
    user = demo_user(QA)
    today = timezone.localdate()
    sites = list(
        Site.objects.filter(cmo__legal_name__in=demo_cmo_names())
        .select_related("cmo")
        .order_by("pk")[:30]
    )
    briefing_site = (
        Site.objects.filter(cmo__legal_name__startswith=f"{BRIEFING_PREFIX} ")
        .order_by("pk")
        .first()
    )
    with transaction.atomic():
        for index, site in enumerate(sites):
            if site.certificates.exists():
                continue
            created["certificates"] += _register(
                site, index, random.Random(f"{seed}-{site.pk}"), today, user
            )
        if briefing_site is not None:
            created["citations"] = _briefing_record(briefing_site, today, user)
            establishments_refresh_signal(
                Establishment.objects.filter(fei=briefing_site.fei_number)
            )
    return created
