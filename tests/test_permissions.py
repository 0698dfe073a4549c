"""Every URL in the URL conf × every role and anonymous, generated so new views are covered.

Each HTML view declares the permission it needs (`role_required`), each API view its
`read_perm`/`write_perm`/`action_perms`; this test reads those declarations, checks them against
the role matrix, and fails for a view that declares nothing.
"""

from dataclasses import dataclass

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from cmoselect.roles import MATRIX, Perm
from contracts.models import ContractDocument, Kpi, ResponsibilityItem, ScopeItem
from tests.factories import (
    CandidateFactory,
    CertificateFactory,
    CitationFactory,
    ContactFactory,
    ContractFactory,
    EstablishmentFactory,
    ImportRunFactory,
    MilestoneFactory,
    NotifiedChangeFactory,
    RegulatoryEventFactory,
    SiteCapabilityFactory,
    SiteFactory,
    make_audit,
    raise_finding,
)

# Account endpoints, the same for every user whatever the role (tests/test_login_safeguards.py).
# The favicon is a redirect to a static file: browsers fetch it before anyone logs in.
PUBLIC = {"login", "logout", "keepalive", "api_token", "api_token_revoke", "favicon"}
SKIP_PREFIXES = ("admin:",)
ROLE_PERSONAS = ["sourcing", "qa", "manager", "admin", "outsider"]


@dataclass
class Endpoint:
    name: str
    callback: object
    kwargs_names: list[str]

    @property
    def is_api(self) -> bool:
        return hasattr(self.callback, "cls")


def walk(patterns, namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or ""
            yield from walk(entry.url_patterns, f"{namespace}{ns}:" if ns else namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            names = list(entry.pattern.regex.groupindex)
            if "format" in names:
                continue
            yield Endpoint(f"{namespace}{entry.name}", entry.callback, names)


ENDPOINTS = [
    e
    for e in walk(get_resolver().url_patterns)
    if e.name not in PUBLIC and not e.name.startswith(SKIP_PREFIXES)
]


def model_for(endpoint: Endpoint, kwarg: str):
    if kwarg == "pk" and endpoint.is_api:
        return endpoint.callback.cls.queryset.model
    model_name = kwarg.removesuffix("_id")
    for model in apps.get_models():
        if model._meta.model_name == model_name:
            return model
    raise LookupError(f"No model for URL argument {kwarg!r} of {endpoint.name}")


def url_of(endpoint: Endpoint) -> str:
    kwargs = {}
    for kwarg in endpoint.kwargs_names:
        model = model_for(endpoint, kwarg)
        obj = model._default_manager.order_by("pk").first()
        assert obj is not None, f"add a sample {model.__name__} to the `world` fixture"
        kwargs[kwarg] = obj.pk
    return reverse(endpoint.name, kwargs=kwargs)


def api_perm(endpoint: Endpoint, method: str) -> Perm | None:
    cls = endpoint.callback.cls
    actions = getattr(endpoint.callback, "actions", None) or {}
    action = actions.get(method.lower())
    if actions and action is None:
        return None  # method not routed here
    if action in getattr(cls, "action_perms", {}):
        return cls.action_perms[action]
    if method in ("GET", "HEAD", "OPTIONS"):
        return getattr(cls, "read_perm", Perm.VIEW)
    return getattr(cls, "write_perm", Perm.ADMINISTER)


def html_perm(endpoint: Endpoint, method: str) -> Perm:
    perm = getattr(endpoint.callback, "required_perm", None)
    assert perm is not None, f"{endpoint.name} declares no role requirement (use role_required)"
    write = getattr(endpoint.callback, "write_perm", None)
    return write if (method == "POST" and write) else perm


def allowed(perm: Perm, persona: str) -> bool:
    role = {"sourcing": "Sourcing", "qa": "QA", "manager": "Manager", "admin": "Admin"}.get(persona)
    return role in MATRIX[perm][1]


@pytest.fixture
def world(db):
    """One sample of every object a URL can name."""
    site = SiteFactory()
    ContactFactory(cmo=site.cmo, site=site)
    SiteCapabilityFactory(site=site)
    # The first event is an inspection, so its citation pages exist.
    CitationFactory(inspection=RegulatoryEventFactory(site=site, kind="inspection"))
    ImportRunFactory()
    EstablishmentFactory()
    CertificateFactory(site=site)
    NotifiedChangeFactory(site=site)
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile

    # The first contract is a quality agreement, so its matrix page exists.
    quality = ContractFactory(cmo=site.cmo, contract_type="quality", title="Quality agreement")
    ResponsibilityItem.objects.create(contract=quality, activity="Change control")
    msa = ContractFactory(cmo=site.cmo, contract_type="msa")
    ScopeItem.objects.create(contract=msa, product="mAb-1", site=site)
    MilestoneFactory(contract=msa)
    otif = Kpi.objects.create(contract=msa, kind="otif", target=95, unit="%")
    from contracts.models import KpiMeasurement
    from vendors.models import Notification

    someone = get_user_model().objects.create(username="someone")
    KpiMeasurement.objects.create(
        kpi=otif,
        period_start="2026-01-01",
        period_end="2026-03-31",
        actual=96,
        recorded_by=someone,
    )
    Notification.objects.create(recipient=someone, subject="For someone else")
    ContractDocument.objects.create(
        contract=quality,
        file=SimpleUploadedFile("signed.pdf", b"%PDF-1.7 signed"),
        size=15,
        uploaded_by=get_user_model().objects.create(username="uploader"),
    )
    signed = ContractFactory(
        cmo=site.cmo, status="active", signed_on="2026-01-15", effective_date="2026-01-15"
    )
    from contracts.models import Amendment

    Amendment.objects.create(
        contract=signed,
        number=1,
        reason="Higher cap",
        effective_date="2026-06-01",
        changes={"fields": {"liability_cap": "2.00"}, "tables": {}},
        base={"fields": {"liability_cap": None}, "tables": {}},
        raised_by=someone,
    )
    world_audits(site)
    from qualification.models import SiteQualification

    SiteQualification.objects.create(site=site, status=SiteQualification.Status.APPROVED)
    return site


def world_audits(site):
    """An audit in progress with an answer, evidence, a finding with its CAPA and a report."""
    from django.core.files.base import ContentFile
    from django.core.files.uploadedfile import SimpleUploadedFile

    from audits.models import Audit, AuditReport, Severity
    from audits.services import evidence_add

    audit = make_audit(site=site, status=Audit.Status.IN_PROGRESS)
    answer = audit.answers.select_related("audit").first()
    evidence_add(
        answer=answer, upload=SimpleUploadedFile("note.txt", b"seen"), user=audit.lead_auditor
    )
    raise_finding(audit, audit.lead_auditor, Severity.MINOR, answer=answer)
    report = AuditReport(audit=audit, revision=1, status="ready", requested_by=audit.lead_auditor)
    report.file.save("world.pdf", ContentFile(b"%PDF-1.4"), save=True)
    _scoring_world(site)
    return site


def _scoring_world(site):
    import importlib

    from django.core.files.base import ContentFile

    from scoring.models import ComparisonReport

    importlib.import_module("scoring.migrations.0002_default_model").forwards(apps, None)
    candidate = CandidateFactory(cmo=site.cmo)
    report = ComparisonReport.objects.create(
        evaluation=candidate.evaluation, requested_by=candidate.added_by, status="ready"
    )
    report.file.save("sample.pdf", ContentFile(b"%PDF-1.7 sample"))


def test_the_url_conf_has_endpoints_to_check():
    names = {e.name for e in ENDPOINTS}
    assert {"vendors:cmo_list", "vendors:cmo_edit", "cmo-list", "cmo-detail", "schema"} <= names


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_anonymous_users_are_sent_to_log_in(client, world, endpoint):
    url = url_of(endpoint)
    response = client.get(url)
    if endpoint.is_api:
        assert response.status_code in (401, 403)
    else:
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("persona", ROLE_PERSONAS)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_each_role_reads_only_what_the_matrix_allows(client, personas, world, endpoint, persona):
    client.force_login(personas[persona])
    response = client.get(url_of(endpoint))
    perm = api_perm(endpoint, "GET") if endpoint.is_api else html_perm(endpoint, "GET")
    if perm is None or response.status_code == 405:
        return  # POST-only endpoint: covered by the write test below
    if allowed(perm, persona):
        assert response.status_code == 200, f"{persona} should read {endpoint.name}"
    else:
        assert response.status_code == 403, f"{persona} must not read {endpoint.name}"


@pytest.mark.parametrize("persona", ROLE_PERSONAS)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_each_role_writes_only_what_the_matrix_allows(client, personas, world, endpoint, persona):
    client.force_login(personas[persona])
    url = url_of(endpoint)
    if endpoint.is_api:
        actions = getattr(endpoint.callback, "actions", {}) or {}
        method = next((m for m in ("post", "patch") if m in actions), None)
        if method is None:
            return  # read-only endpoint
        perm = api_perm(endpoint, method.upper())
        response = getattr(client, method)(url, {}, content_type="application/json")
    else:
        perm = html_perm(endpoint, "POST")
        response = client.post(url, {})
    if response.status_code == 405:
        return
    if allowed(perm, persona):
        assert response.status_code != 403, f"{persona} should be able to write {endpoint.name}"
        assert response.status_code < 500
    else:
        assert response.status_code == 403, f"{persona} must not write {endpoint.name}"


DELETABLE = [e for e in ENDPOINTS if "delete" in (getattr(e.callback, "actions", None) or {})]


def test_the_api_endpoints_that_remove_records_are_checked():
    assert {e.name for e in DELETABLE} == {
        "certificate-detail",
        "citation-detail",
        "sitecapability-detail",
    }


@pytest.mark.parametrize("persona", ROLE_PERSONAS)
@pytest.mark.parametrize("endpoint", DELETABLE, ids=lambda e: e.name)
def test_each_role_removes_only_what_the_matrix_allows(client, personas, world, endpoint, persona):
    client.force_login(personas[persona])
    url = url_of(endpoint)
    model = endpoint.callback.cls.queryset.model
    before = model._default_manager.count()
    response = client.delete(url)  # no reason given: refused either way, nothing removed
    if allowed(api_perm(endpoint, "DELETE"), persona):
        assert response.status_code == 400, f"{persona} should reach {endpoint.name}"
    else:
        assert response.status_code == 403, f"{persona} must not remove via {endpoint.name}"
    assert model._default_manager.count() == before


@pytest.mark.parametrize("persona", ROLE_PERSONAS)
def test_only_the_admin_role_opens_the_admin_site(client, personas, persona):
    client.force_login(personas[persona])
    response = client.get(reverse("admin:index"))
    assert response.status_code == (200 if persona == "admin" else 302)


def test_the_admin_role_manages_every_model_in_the_admin(client, admin_user, world):
    client.force_login(admin_user)
    from django.contrib import admin

    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        assert client.get(url).status_code == 200, url
