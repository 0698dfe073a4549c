"""Fictional but plausible demo directory: 40 CMOs, about 100 sites in 14 countries."""

import random
import unicodedata
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, User
from django.db import transaction

from cmoselect.history import save_with_history
from cmoselect.roles import ADMIN, MANAGER, QA, ROLES, SOURCING
from vendors.models import QUALIFYING_STATUSES, Cmo, Contact, QualificationStatus, Site, SiteType
from vendors.services import cmo_change_status, site_change_status

DEMO_USERS = {
    SOURCING: ("sourcing", "Sofia", "Ramirez"),
    QA: ("qa", "Quentin", "Adeyemi"),
    MANAGER: ("manager", "Mei", "Tanaka"),
    ADMIN: ("admin", "Ada", "Lindqvist"),
}
DEMO_PASSWORD_SUFFIX = "-demo-2026"
# The history reason of every record the demo seeds.
DEMO_REASON = "Demo data"


def demo_email(first: str, last: str, domain: str) -> str:
    """A demo contact's address, in ASCII: "José O'Brien" at Müller → jose.obrien@muller.example.

    Contact e-mails are what Django's EmailValidator accepts (an ASCII local part), and what
    the schema's `format: email` says; the domain is kept ASCII too.
    """

    def ascii(text: str) -> str:
        text = unicodedata.normalize("NFKD", text.lower())
        return "".join(c for c in text if c.isascii() and (c.isalnum() or c in ".-"))

    return f"{ascii(f'{first}.{last}')}@{ascii(domain)}.example"


def demo_user(role: str) -> User | None:
    """The demo user of `role`, named in the history of what the demo seeds (None if absent)."""
    return get_user_model().objects.filter(username=DEMO_USERS[role][0]).first()


# (country, cities with postal codes)
GEOGRAPHY = [
    (
        "US",
        [
            ("Raleigh", "27601"),
            ("Boston", "02110"),
            ("San Diego", "92121"),
            ("Indianapolis", "46204"),
        ],
    ),
    ("DE", [("Frankfurt am Main", "60311"), ("Berlin", "10115"), ("Ludwigshafen", "67059")]),
    ("CH", [("Basel", "4051"), ("Visp", "3930"), ("Lausanne", "1003")]),
    ("IE", [("Cork", "T12 X8N2"), ("Dublin", "D02 X285"), ("Limerick", "V94 T9PX")]),
    ("IT", [("Milan", "20121"), ("Bologna", "40121"), ("Latina", "04100")]),
    ("FR", [("Lyon", "69002"), ("Strasbourg", "67000"), ("Tours", "37000")]),
    ("GB", [("Cambridge", "CB2 1TN"), ("Edinburgh", "EH1 1YZ"), ("Macclesfield", "SK10 1AA")]),
    ("IN", [("Hyderabad", "500081"), ("Ahmedabad", "380015"), ("Bengaluru", "560100")]),
    ("CN", [("Shanghai", "201203"), ("Suzhou", "215123"), ("Wuxi", "214000")]),
    ("KR", [("Incheon", "21984"), ("Songdo", "22006")]),
    ("JP", [("Osaka", "541-0045"), ("Tokyo", "103-0023")]),
    ("SG", [("Singapore", "138667"), ("Tuas", "637141")]),
    ("ES", [("Barcelona", "08028"), ("Madrid", "28050")]),
    ("BE", [("Ghent", "9052"), ("Wavre", "1300")]),
    ("CA", [("Toronto", "M5G 1L7"), ("Montreal", "H4R 2P1")]),
]
PREFIXES = [
    "Alder",
    "Bright",
    "Cobalt",
    "Delta",
    "Ember",
    "Fjord",
    "Granite",
    "Helix",
    "Iris",
    "Juniper",
    "Kestrel",
    "Lumen",
    "Meridian",
    "Northwind",
    "Orchid",
    "Pinnacle",
    "Quarry",
    "Riverbend",
    "Solstice",
    "Tidewater",
    "Umbra",
    "Vantage",
    "Willow",
    "Xylem",
    "Yarrow",
    "Zephyr",
    "Aster",
    "Beacon",
    "Cedar",
    "Dune",
    "Equinox",
    "Falcon",
    "Glacier",
    "Harbor",
    "Indigo",
    "Jasper",
    "Keystone",
    "Lattice",
    "Monarch",
    "Nimbus",
]
SUFFIXES = [
    ("Pharma Services", ["drug-product", "packaging", "laboratory"]),
    ("Biologics", ["biologics", "sterile", "laboratory"]),
    ("Fine Chemicals", ["api", "laboratory", "warehouse"]),
    ("Sterile Solutions", ["sterile", "drug-product", "packaging"]),
    ("Contract Manufacturing", ["drug-product", "api", "packaging", "warehouse"]),
    ("BioPharma CDMO", ["biologics", "sterile", "api", "laboratory"]),
    ("Laboratories", ["laboratory", "drug-product"]),
    ("Life Sciences", ["api", "drug-product", "biologics"]),
]
LEGAL_FORMS = {
    "US": "Inc.",
    "DE": "GmbH",
    "CH": "AG",
    "IE": "Ltd",
    "IT": "S.p.A.",
    "FR": "SAS",
    "GB": "Ltd",
    "IN": "Pvt. Ltd.",
    "CN": "Co., Ltd.",
    "KR": "Co., Ltd.",
    "JP": "K.K.",
    "SG": "Pte. Ltd.",
    "ES": "S.L.",
    "BE": "NV",
    "CA": "Inc.",
}
STREETS = [
    "Industriestrasse",
    "Science Park Road",
    "Innovation Drive",
    "Via dell'Industria",
    "Rue de la Chimie",
    "Harbour Road",
    "Technology Avenue",
    "Biotech Boulevard",
]
FIRST = [
    "Anna",
    "Ben",
    "Chloé",
    "Dev",
    "Elena",
    "Farid",
    "Grace",
    "Hiro",
    "Ines",
    "Jonas",
    "Kavya",
    "Lars",
    "Maya",
    "Nikhil",
    "Olga",
    "Paolo",
    "Rin",
    "Sara",
    "Tomás",
    "Yuki",
]
LAST = [
    "Keller",
    "Moreau",
    "Rossi",
    "Patel",
    "Chen",
    "Kim",
    "Sato",
    "O'Brien",
    "Novak",
    "García",
    "Müller",
    "Lefèvre",
    "Tan",
    "Singh",
    "Larsen",
    "Costa",
]
CONTACT_ROLES = [
    "Head of Quality",
    "Business Development Director",
    "Site Head",
    "QA Manager",
    "Project Manager",
]
STATUSES = (
    [QualificationStatus.PROSPECT] * 10
    + [QualificationStatus.UNDER_EVALUATION] * 12
    + [QualificationStatus.APPROVED] * 10
    + [QualificationStatus.CONDITIONALLY_APPROVED] * 4
    + [
        QualificationStatus.SUSPENDED,
        QualificationStatus.DISQUALIFIED,
        QualificationStatus.INACTIVE,
        QualificationStatus.APPROVED,
    ]
)


def ensure_demo_users() -> list[tuple[str, str, str]]:
    """One user per role; a user that already exists is left exactly as it is (password, roles)."""
    User = get_user_model()
    logins = []
    for role in ROLES:
        username, first, last = DEMO_USERS[role]
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@cmoselect.example",
            },
        )
        password = f"{username}{DEMO_PASSWORD_SUFFIX}"
        if created:
            user.set_password(password)
            user.save()
            # Only a new demo user gets its role: one an admin took away stays taken away.
            user.groups.add(Group.objects.get(name=role))
        logins.append((role, username, password if created else "(unchanged)"))
    return logins


@transaction.atomic
def seed_directory(*, seed: int = 2026) -> dict[str, int]:
    """Create the demo CMOs, sites and contacts that are missing; touch nothing else."""
    rng = random.Random(seed)
    movers = _demo_status_movers()
    site_types = {t.code: t for t in SiteType.objects.all()}
    created = {"cmos": 0, "sites": 0, "contacts": 0}
    author = demo_user(SOURCING)
    fei_counter = 3_010_000_000
    for index, prefix in enumerate(PREFIXES):
        suffix, types = SUFFIXES[index % len(SUFFIXES)]
        country, cities = GEOGRAPHY[index % len(GEOGRAPHY)]
        legal_name = f"{prefix} {suffix} {LEGAL_FORMS[country]}"
        status = STATUSES[index % len(STATUSES)]
        # With demo users, each record starts as a prospect and is moved on through the
        # status service, so its page shows the moves that led to its status.
        start = QualificationStatus.PROSPECT if movers else status
        # The random draws happen for an existing CMO too, so the rest of the demo stays the same.
        cmo = Cmo(
            legal_name=legal_name,
            aliases=f"{prefix} {suffix.split()[0]}\n{prefix.upper()[:3]}",
            headquarters_country=country,
            website=f"https://www.{prefix.lower()}-{suffix.split()[0].lower()}.example",
            ownership_type=rng.choice(Cmo.Ownership.values),
            employee_range=rng.choice(Cmo.EmployeeRange.values),
            duns_number=f"{rng.randrange(10**8, 10**9):09d}",
            description=f"{prefix} {suffix} is a contract development and manufacturing "
            f"organization headquartered in {cities[0][0]}.",
            qualification_status=start,
        )
        if Cmo.objects.filter(legal_name=legal_name).exists():
            continue
        save_with_history(cmo, user=author, reason=DEMO_REASON)
        created["cmos"] += 1
        _walk_demo_status(cmo, status, movers, cmo_change_status, "cmo")
        n_sites = 1 + (index % 4) if index % 5 else 3
        for number in range(n_sites):
            site_country, site_cities = (
                (country, cities)
                if number == 0
                else GEOGRAPHY[(index + number * 3) % len(GEOGRAPHY)]
            )
            city, postal = site_cities[number % len(site_cities)]
            fei_counter += 1 + index * 7 + number
            site = Site(
                cmo=cmo,
                name=f"{prefix} {city}",
                address_line1=f"{rng.randrange(1, 300)} {rng.choice(STREETS)}",
                city=city,
                postal_code=postal,
                country=site_country,
                fei_number=str(fei_counter) if rng.random() > 0.1 else "",
                duns_number=f"{rng.randrange(10**8, 10**9):09d}",
                headcount=rng.randrange(40, 2500),
                qualification_status=start,
            )
            kinds = [site_types[c] for c in rng.sample(types, k=min(2, len(types)))]
            save_with_history(
                site,
                user=author,
                reason=DEMO_REASON,
                save_m2m=lambda site=site, kinds=kinds: site.site_types.set(kinds),
            )
            _walk_demo_status(site, status, movers, site_change_status, "site")
            created["sites"] += 1
        for number in range(2):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            contact = Contact(
                cmo=cmo,
                name=f"{first} {last}",
                role=CONTACT_ROLES[(index + number) % len(CONTACT_ROLES)],
                email=demo_email(first, last, prefix),
                phone=f"+{rng.randrange(1, 99)} {rng.randrange(100, 999)} {rng.randrange(1000, 9999)}",
                is_primary=number == 0,
            )
            save_with_history(contact, user=author, reason=DEMO_REASON)
            created["contacts"] += 1
    return created


# How each demo status was reached, for the status history shown on the CMO page.
_PATHS = {
    QualificationStatus.UNDER_EVALUATION: [QualificationStatus.UNDER_EVALUATION],
    QualificationStatus.APPROVED: [
        QualificationStatus.UNDER_EVALUATION,
        QualificationStatus.APPROVED,
    ],
    QualificationStatus.CONDITIONALLY_APPROVED: [
        QualificationStatus.UNDER_EVALUATION,
        QualificationStatus.CONDITIONALLY_APPROVED,
    ],
    QualificationStatus.SUSPENDED: [
        QualificationStatus.UNDER_EVALUATION,
        QualificationStatus.APPROVED,
        QualificationStatus.SUSPENDED,
    ],
    QualificationStatus.DISQUALIFIED: [
        QualificationStatus.UNDER_EVALUATION,
        QualificationStatus.DISQUALIFIED,
    ],
    QualificationStatus.INACTIVE: [QualificationStatus.INACTIVE],
}
_REASONS = {
    QualificationStatus.UNDER_EVALUATION: "Shortlisted for a sourcing evaluation",
    QualificationStatus.APPROVED: "Qualification audit passed; quality agreement signed",
    QualificationStatus.CONDITIONALLY_APPROVED: "Approved with open major findings under CAPA",
    QualificationStatus.SUSPENDED: "Class I recall under investigation",
    QualificationStatus.DISQUALIFIED: "Critical data-integrity findings at the qualification audit",
    QualificationStatus.INACTIVE: "No longer pursued",
}


def _demo_status_movers() -> tuple | None:
    """The demo users who make status moves (sourcing, QA), or None before they exist."""
    User = get_user_model()
    sourcing = User.objects.filter(username=DEMO_USERS[SOURCING][0]).first()
    qa = User.objects.filter(username=DEMO_USERS[QA][0]).first()
    return (sourcing, qa) if sourcing and qa else None


def _walk_demo_status(subject: Cmo | Site, status: str, movers, change, name: str) -> None:
    """Move a new demo CMO or site from prospect to `status` along a plausible path."""
    if movers is None:
        return
    sourcing, qa = movers
    for step in _PATHS.get(status, []):
        by = qa if step in QUALIFYING_STATUSES else sourcing
        change(**{name: subject}, status=step, user=by, reason=_REASONS[step], notify=False)


# Which capabilities a demo site plausibly has, by its site types.
CAPABILITIES_BY_TYPE = {
    "sterile": [
        "dosage-forms-sterile-liquid-vials",
        "dosage-forms-prefilled-syringes",
        "dosage-forms-lyophilized-products",
        "technologies-isolator-aseptic-filling",
        "services-sterilization",
    ],
    "biologics": [
        "modalities-monoclonal-antibodies-and-recombinant-proteins",
        "technologies-single-use-bioreactors",
        "modalities-vaccines",
        "modalities-cell-and-gene-therapy",
        "modalities-antibody-drug-conjugates",
    ],
    "api": [
        "modalities-small-molecule-api",
        "modalities-highly-potent-api",
        "modalities-peptides",
        "technologies-high-containment-oeb-5",
        "technologies-continuous-manufacturing",
    ],
    "drug-product": [
        "dosage-forms-tablets",
        "dosage-forms-capsules",
        "dosage-forms-oral-liquids",
        "technologies-hot-melt-extrusion",
        "technologies-spray-drying",
        "services-formulation-development",
    ],
    "packaging": ["services-packaging", "services-labeling", "services-serialization"],
    "laboratory": ["services-analytical-development-and-qc-testing", "services-stability-studies"],
    "warehouse": ["services-packaging"],
}
SCALES = ["scale-preclinical", "scale-phase-1-2", "scale-phase-3", "scale-commercial"]


def demo_cmo_names() -> list[str]:
    names = []
    for index, prefix in enumerate(PREFIXES):
        suffix, _types = SUFFIXES[index % len(SUFFIXES)]
        country, _cities = GEOGRAPHY[index % len(GEOGRAPHY)]
        names.append(f"{prefix} {suffix} {LEGAL_FORMS[country]}")
    return names


@transaction.atomic
def seed_capabilities_and_events(*, seed: int = 2026) -> dict[str, int]:
    """Give demo sites without any a plausible capability profile and regulatory record."""
    import datetime

    from django.utils import timezone

    from vendors.compliance import establishments_refresh_signal
    from vendors.models import (
        Agency,
        Capability,
        CapabilityLevel,
        Classification,
        Establishment,
        EventKind,
        RegulatoryEvent,
        SiteCapability,
    )
    from vendors.registry import registry_entry_for_site

    capabilities = {c.code: c for c in Capability.objects.all()}
    author = demo_user(SOURCING)
    today = timezone.localdate()
    created = {"capabilities": 0, "events": 0}
    sites = (
        Site.objects.filter(cmo__legal_name__in=demo_cmo_names())
        .prefetch_related("site_types")
        .order_by("pk")
    )
    for site in sites:
        rng = random.Random(f"{seed}-{site.name}")
        if not SiteCapability.objects.filter(site=site).exists():
            codes = set(rng.sample(SCALES, k=rng.randint(1, 3)))
            codes.add("services-commercial-manufacturing" if rng.random() > 0.3 else SCALES[1])
            for site_type in site.site_types.all():
                pool = CAPABILITIES_BY_TYPE.get(site_type.code, [])
                codes.update(rng.sample(pool, k=min(len(pool), rng.randint(2, 4))))
            for code in sorted(codes):
                if code not in capabilities:
                    continue
                # "Verified by audit" comes only from the demo's approved audits.
                level = rng.choices(CapabilityLevel.values, weights=[3, 4, 2])[0]
                level = min(level, CapabilityLevel.DEMONSTRATED)
                cell = SiteCapability(
                    site=site, capability=capabilities[code], level=level, notes="Demo data."
                )
                save_with_history(cell, user=author, reason=DEMO_REASON)
                created["capabilities"] += 1
        if RegulatoryEvent.objects.filter(site=site).exists():
            continue
        events = []
        for n in range(rng.randint(1, 4)):
            classification = rng.choices(
                [Classification.NAI, Classification.VAI, Classification.OAI], weights=[6, 4, 1]
            )[0]
            events.append(
                (EventKind.INSPECTION, classification, rng.randrange(60, 2600), f"INS-{n}")
            )
        if rng.random() < 0.12:
            events.append((EventKind.WARNING_LETTER, "", rng.randrange(100, 1800), "WL"))
        if rng.random() < 0.2:
            recall_class = rng.choice([Classification.CLASS_2, Classification.CLASS_3])
            if rng.random() < 0.2:
                recall_class = Classification.CLASS_1
            events.append((EventKind.RECALL, recall_class, rng.randrange(30, 1500), "RCL"))
        if rng.random() < 0.3:
            events.append((EventKind.GMP_CERTIFICATE, "", rng.randrange(30, 700), "GMP"))
        # The site's registry entry holds its FDA history, as an import would have filled it.
        establishment = registry_entry_for_site(site, user=author, reason=DEMO_REASON)
        for kind, classification, days_ago, tag in events:
            agency = Agency.EMA if kind == EventKind.GMP_CERTIFICATE else Agency.FDA
            event = RegulatoryEvent(
                site=site,
                establishment=establishment if agency == Agency.FDA else None,
                kind=kind,
                agency=agency,
                reference=f"DEMO-{site.pk}-{tag}",
                event_date=today - datetime.timedelta(days=days_ago),
                classification=classification,
                project_area="Drug Quality Assurance" if kind == EventKind.INSPECTION else "",
                product_type="Drugs",
                notes="Demo data.",
            )
            save_with_history(event, user=author, reason=DEMO_REASON)
            created["events"] += 1
    establishments_refresh_signal(Establishment.objects.all())
    return created


DEMO_REGISTRATIONS = Path(__file__).parent / "demo_data" / "decrs_drug_establishments_sample.xlsx"


def seed_registry() -> dict[str, int]:
    """Fill the FDA registry from a real DECRS extract (40 rows), imported as a person would,
    so the registry search, its firms and the needs search over it show real establishments."""
    from django.core.files import File

    from vendors.models import Establishment, ImportRun
    from vendors.services import import_run_create, import_run_execute

    if ImportRun.objects.filter(format=ImportRun.Format.DECRS).exists():
        return {"establishments": 0}
    before = Establishment.objects.filter(registered=True).count()
    with DEMO_REGISTRATIONS.open("rb") as handle:
        run = import_run_create(
            file=File(handle),
            name=DEMO_REGISTRATIONS.name,
            user=demo_user(SOURCING),
            via=ImportRun.Via.COMMAND,
            start=False,
        )
    import_run_execute(run=run, commit=True)
    return {"establishments": Establishment.objects.filter(registered=True).count() - before}


@transaction.atomic
def seed_duplicates() -> int:
    """One obvious duplicate: the first demo CMO entered again by hand, with one of its sites,
    so the likely-duplicates page has a pair to show and merge. Returns how many were made."""
    original = Cmo.objects.filter(legal_name=demo_cmo_names()[0]).first()
    site = original.sites.order_by("pk").first() if original else None
    name = original.legal_name.rsplit(" ", 1)[0].upper() if original else ""
    if site is None or Cmo.objects.filter(legal_name=name).exists():
        return 0
    author = demo_user(SOURCING)
    reason = f"{DEMO_REASON}: entered again from a trade-show contact list"
    twin = Cmo(
        legal_name=name,
        headquarters_country=original.headquarters_country,
        duns_number=original.duns_number,
    )
    save_with_history(twin, user=author, reason=reason)
    save_with_history(
        Site(cmo=twin, name=site.name, city=site.city, country=site.country),
        user=author,
        reason=reason,
    )
    first, last = FIRST[0], LAST[0]
    contact = Contact(
        cmo=twin,
        name=f"{first} {last}",
        role="Business development",
        email=demo_email(first, last, name.split()[0].title()),
    )
    save_with_history(contact, user=author, reason=reason)
    return 1
