import datetime

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from vendors.models import (
    Agency,
    Capability,
    CapabilityLevel,
    Certificate,
    Citation,
    Classification,
    Cmo,
    Contact,
    Establishment,
    EventKind,
    ImportRun,
    RegulatoryEvent,
    Site,
    SiteCapability,
    SiteType,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            for role in extracted:
                self.groups.add(Group.objects.get_or_create(name=role)[0])
        if create:
            self.save()


class CmoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cmo

    legal_name = factory.Sequence(lambda n: f"Acme Contract Manufacturing {n:05d} Ltd")
    headquarters_country = "DE"
    website = "https://www.example.com"


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site
        skip_postgeneration_save = True

    cmo = factory.SubFactory(CmoFactory)
    name = factory.Sequence(lambda n: f"Plant {n}")
    city = "Basel"
    country = "CH"
    fei_number = factory.Sequence(lambda n: str(3_000_000_000 + n))

    @factory.post_generation
    def types(self, create, extracted, **kwargs):
        if create and extracted:
            # get_or_create: a transactional test before this one may have flushed the
            # reference data that migrations load.
            self.site_types.set(
                SiteType.objects.get_or_create(code=code, defaults={"name": code.title()})[0]
                for code in extracted
            )


class EstablishmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Establishment

    fei = factory.Sequence(lambda n: str(3000000000 + n))
    firm_name = factory.Sequence(lambda n: f"Registered Plant {n:05d}")
    registrant_name = factory.LazyAttribute(lambda e: f"{e.firm_name} Holdings")
    city = "Cork"
    country = "IE"
    registered = True
    operations = "MANUFACTURE; PACK"
    operations_key = ";MANUFACTURE;PACK;"


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    cmo = factory.SubFactory(CmoFactory)
    name = factory.Faker("name")
    role = "Head of Quality"
    email = factory.Faker("email")


class SiteCapabilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SiteCapability

    site = factory.SubFactory(SiteFactory)
    capability = factory.LazyFunction(lambda: Capability.objects.order_by("pk").first())
    level = CapabilityLevel.DEMONSTRATED


class RegulatoryEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RegulatoryEvent

    site = factory.SubFactory(SiteFactory)
    kind = EventKind.INSPECTION
    agency = Agency.FDA
    event_date = datetime.date(2024, 3, 1)
    reference = factory.Sequence(lambda n: str(1_200_000 + n))
    classification = Classification.NAI


class CitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Citation

    inspection = factory.SubFactory(RegulatoryEventFactory)
    act_cfr_number = "21 CFR 211.22(d)"
    short_description = "Procedures not  in writing, fully followed"
    key = factory.Sequence(lambda n: f"{n:040d}")


class NotifiedChangeFactory(factory.django.DjangoModelFactory):
    """A major change a CMO notified about a site, awaiting QA's assessment."""

    class Meta:
        model = "qualification.NotifiedChange"

    site = factory.SubFactory(SiteFactory)
    notified_on = datetime.date(2026, 3, 2)
    title = factory.Sequence(lambda n: f"New filling line {n}")
    category = "facility"
    significance = "major"


class CertificateFactory(factory.django.DjangoModelFactory):
    """A current GMP certificate of a site, with a small PDF as its file."""

    class Meta:
        model = Certificate

    site = factory.SubFactory(SiteFactory)
    kind = Certificate.Kind.GMP
    reference = factory.Sequence(lambda n: f"DE_BY_04_GMP_2025_{n:04d}")
    issuer = "Regierung von Oberbayern"
    issued_on = datetime.date(2025, 1, 15)
    valid_until = datetime.date(2028, 1, 15)
    file = factory.django.FileField(filename="gmp.pdf", data=b"%PDF-1.4 certificate")
    original_name = "gmp.pdf"
    content_type = "application/pdf"
    size = 20


class ImportRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ImportRun

    original_name = "inspections.csv"
    file = factory.django.FileField(filename="inspections.csv", data=b"FEI Number\n")
    format = ImportRun.Format.INSPECTIONS
    status = ImportRun.Status.DONE


class ContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "contracts.Contract"

    cmo = factory.SubFactory(CmoFactory)
    contract_type = "msa"
    title = factory.Sequence(lambda n: f"Master services agreement {n}")
    currency = "EUR"


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "contracts.Milestone"

    contract = factory.SubFactory(ContractFactory)
    name = factory.Sequence(lambda n: f"Milestone {n}")
    planned_date = factory.Faker("date_between", start_date="+10d", end_date="+200d")


# ── audits ──────────────────────────────────────────────────────────────────────────────────


def make_checklist(
    sections=(
        ("Quality system", ("yes_no", "yes_no", "rating")),
        ("Laboratory", ("yes_no", "text")),
    ),
    *,
    name: str | None = None,
    published: bool = True,
    critical: tuple[int, ...] = (),
    weight: int = 2,
):
    """A checklist version: sections of questions given by answer type; `critical` are indexes."""
    from audits.models import (
        ChecklistQuestion,
        ChecklistSection,
        ChecklistTemplate,
        TemplateVersion,
    )

    make_checklist.counter = getattr(make_checklist, "counter", 0) + 1
    template = ChecklistTemplate.objects.create(name=name or f"Checklist {make_checklist.counter}")
    version = TemplateVersion.objects.create(
        template=template,
        number=1,
        status=TemplateVersion.Status.PUBLISHED if published else TemplateVersion.Status.DRAFT,
    )
    index = 0
    for s_pos, (title, kinds) in enumerate(sections, start=1):
        section = ChecklistSection.objects.create(version=version, position=s_pos, title=title)
        for q_pos, kind in enumerate(kinds, start=1):
            ChecklistQuestion.objects.create(
                section=section,
                position=q_pos,
                text=f"{title} question {q_pos}?",
                reference=f"21 CFR 211.{s_pos}{q_pos}",
                answer_type=kind,
                weight=weight,
                critical=index in critical,
            )
            index += 1
    return version


def make_audit(*, site=None, version=None, lead=None, status=None, **fields):
    """An audit planned through the service (so it has its answers), optionally moved on."""
    from datetime import date

    from audits.models import Audit
    from audits.services import audit_create

    version = version or make_checklist()
    lead = lead or UserFactory(roles=["QA"])
    audit = audit_create(
        audit=Audit(
            site=site or SiteFactory(),
            template_version=version,
            planned_start=fields.pop("planned_start", date(2026, 3, 2)),
            planned_end=fields.pop("planned_end", date(2026, 3, 4)),
            lead_auditor=lead,
            scope=fields.pop("scope", "Drug product manufacturing and QC laboratory"),
            **fields,
        ),
        team=[],
        user=lead,
    )
    if status:
        Audit.objects.filter(pk=audit.pk).update(status=status)
        audit.refresh_from_db()
    return audit


def answer_all(audit, user, **values: str) -> None:
    """Answer every question through the service: ratings 4, text "fine", the others "yes".

    `values` sets the answer per answer type instead, e.g. `yes_no="no"`.
    """
    from audits.services import answer_save

    values = {"rating": "4", "text": "fine", **values}
    for answer in audit.answers.select_related("audit", "question__section"):
        value = values.get(answer.question.answer_type, "yes")
        answer_save(answer=answer, user=user, value=value, comment="", expected_version=0)


def raise_finding(
    audit,
    user,
    severity: str,
    *,
    title: str = "Line clearance not recorded",
    requirement: str = "EU GMP 5.35",
    description: str = "Two batch records lack line clearance",
    answer=None,
):
    """A finding raised through the service (so a CAPA follows unless it is an observation)."""
    from audits.models import Finding
    from audits.services import finding_create

    finding = Finding(
        audit=audit,
        severity=severity,
        title=title,
        requirement=requirement,
        description=description,
    )
    return finding_create(finding=finding, user=user, answer=answer)


def submit_for_review(audit, user):
    """Move the audit to review through the service, and return it as it now is."""
    from audits.models import Audit
    from audits.services import audit_change_status

    audit_change_status(audit=audit, status=Audit.Status.IN_REVIEW, user=user)
    audit.refresh_from_db()
    return audit


# Scoring


def default_scoring_model():
    from scoring.models import ScoringModel

    return ScoringModel.objects.get(is_default=True)


class EvaluationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "scoring.Evaluation"

    name = factory.Sequence(lambda n: f"Fill-finish for ABX-{100 + n}")
    product = "ABX-101 monoclonal antibody"
    phase = "phase_2"
    annual_volume = 100_000
    volume_unit = "vials/year"
    scoring_model = factory.LazyFunction(default_scoring_model)
    created_by = factory.SubFactory(UserFactory)


class CandidateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "scoring.Candidate"

    evaluation = factory.SubFactory(EvaluationFactory)
    cmo = factory.SubFactory(CmoFactory)
    added_by = factory.SelfAttribute("evaluation.created_by")
