"""Demo approved supplier list: earlier approved audits of some demo sites (the backstory, so
requalifications fall overdue, due soon and later), the list built from every approval, and
changes CMOs notified."""

from datetime import timedelta

from dateutil.relativedelta import relativedelta
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from audits.demo import DEMO_SCOPE
from audits.models import Audit, TemplateVersion
from audits.question_bank import TEMPLATE_NAME
from audits.services import audit_create
from cmoselect.history import save_with_history
from qualification.changes import notified_change_save
from qualification.models import NotifiedChange, SiteQualification
from qualification.services import asl_record_audit, asl_sync_cmos
from vendors.models import Capability, Cmo, EventKind, RegulatoryEvent, Site

PAPER = "(recorded from the paper file)"
# (CMO prefix, months since the earlier approved audit ended)
BACKSTORY = [
    ("Iris", 14),
    ("Juniper", 23),
    ("Kestrel", 38),
    ("Lumen", 10),
    ("Meridian", 30),
    ("Northwind", 20),
    ("Orchid", 6),
]


def seed_qualification() -> dict[str, int]:
    """Add the backstory audits and build the list, once; touch nothing else."""
    created = {"audits": 0, "sites": 0}
    auditor = get_user_model().objects.filter(username="qa").first()
    version = TemplateVersion.objects.filter(template__name=TEMPLATE_NAME).published().first()
    if auditor is None or version is None or Audit.objects.filter(scope__contains=PAPER).exists():
        return created
    today = timezone.localdate()
    with transaction.atomic():
        for prefix, months in BACKSTORY:
            site = Site.objects.filter(cmo__legal_name__startswith=f"{prefix} ").first()
            if site is None:
                continue
            end = today - relativedelta(months=months)
            audit = audit_create(
                audit=Audit(
                    site=site,
                    template_version=version,
                    audit_type=Audit.Type.QUALIFICATION,
                    planned_start=end - timedelta(days=2),
                    planned_end=end,
                    lead_auditor=auditor,
                    scope=f"{DEMO_SCOPE}GMP qualification audit of manufacturing and the QC "
                    f"laboratory {PAPER}.",
                ),
                team=[],
                capabilities=Capability.objects.filter(site_capabilities__site=site).order_by("pk")[
                    :3
                ],
                user=auditor,
            )
            # The backstory: decided before the app was used, so no signature is on file.
            Audit.objects.filter(pk=audit.pk).update(
                status=Audit.Status.APPROVED,
                decided_at=timezone.now() - relativedelta(months=months),
            )
            audit.refresh_from_db()
            asl_record_audit(audit=audit, user=auditor)
            created["audits"] += 1
        _warning_letter_since_audit(auditor)
        _changes_notified(auditor)
        cmo_ids = Cmo.objects.filter(
            sites__audits__status__in=[Audit.Status.APPROVED, Audit.Status.CONDITIONALLY_APPROVED]
        ).values_list("pk", flat=True)
        asl_sync_cmos(cmo_ids=set(cmo_ids))
    created["sites"] = SiteQualification.objects.count()
    return created


def _warning_letter_since_audit(auditor) -> None:
    """Iris received a warning letter after its last audit: high risk, a for-cause audit due."""
    site = Site.objects.filter(cmo__legal_name__startswith="Iris ").first()
    if site is None:
        return
    letter = RegulatoryEvent(
        site=site,
        kind=EventKind.WARNING_LETTER,
        event_date=timezone.localdate() - relativedelta(months=5),
        reference="320-26-DEMO",
        description="CGMP violations: inadequate investigation of out-of-specification results "
        "(21 CFR 211.192).",
    )
    save_with_history(letter, user=auditor, reason="Warning letter received")


def _changes_notified(auditor) -> None:
    """Lumen notified a major change since its audit (awaiting QA) and a minor one QA accepted."""
    site = Site.objects.filter(cmo__legal_name__startswith="Lumen ").first()
    if site is None:
        return
    today = timezone.localdate()
    notified_change_save(
        change=NotifiedChange(
            site=site,
            notified_on=today - timedelta(days=40),
            title="Second freeze-dryer installed on the aseptic filling line",
            category=NotifiedChange.Category.FACILITY,
            significance=NotifiedChange.Significance.MAJOR,
            description="Change notification CN-2026-031: a second lyophiliser, qualified by the "
            "site (IQ/OQ done, PQ planned), to run commercial batches from next quarter.",
        ),
        user=auditor,
    )
    notified_change_save(
        change=NotifiedChange(
            site=site,
            notified_on=today - timedelta(days=75),
            title="New head of quality control",
            category=NotifiedChange.Category.PEOPLE,
            significance=NotifiedChange.Significance.MINOR,
            assessment=NotifiedChange.Assessment.ACCEPTED,
            assessment_notes="CV reviewed; the deputy covered the handover. No impact.",
        ),
        user=auditor,
    )
