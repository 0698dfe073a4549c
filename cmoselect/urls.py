from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from audits import api as audits_api
from cmoselect import audit_trail_views, auth
from contracts import api as contracts_api
from qualification import api as qualification_api
from scoring import api as scoring_api
from vendors import api as vendors_api
from vendors import views as vendors_views
from vendors.api import merges as merges_api
from vendors.api import registry as registry_api

router = DefaultRouter()
router.register("cmos", vendors_api.CmoViewSet, basename="cmo")
router.register("sites", vendors_api.SiteViewSet, basename="site")
router.register("contacts", vendors_api.ContactViewSet, basename="contact")
router.register("capabilities", vendors_api.CapabilityViewSet, basename="capability")
router.register("site-capabilities", vendors_api.SiteCapabilityViewSet, basename="sitecapability")
router.register("needs", vendors_api.NeedsViewSet, basename="needs")
router.register("regulatory-events", vendors_api.RegulatoryEventViewSet, basename="regulatoryevent")
router.register("citations", vendors_api.CitationViewSet, basename="citation")
router.register("certificates", vendors_api.CertificateViewSet, basename="certificate")
router.register("imports", vendors_api.ImportRunViewSet, basename="importrun")
router.register("registry", registry_api.EstablishmentViewSet, basename="establishment")
router.register("duplicates", merges_api.DuplicatesViewSet, basename="duplicates")
router.register("contracts", contracts_api.ContractViewSet, basename="contract")
router.register("contract-scope", contracts_api.ScopeItemViewSet, basename="contract-scope")
router.register("amendments", contracts_api.AmendmentViewSet, basename="amendment")
router.register("milestones", contracts_api.MilestoneViewSet, basename="milestone")
router.register("kpis", contracts_api.KpiViewSet, basename="kpi")
router.register("kpi-measurements", contracts_api.KpiMeasurementViewSet, basename="kpimeasurement")
router.register(
    "quality-responsibilities", contracts_api.ResponsibilityViewSet, basename="responsibility"
)
router.register(
    "checklist-versions", audits_api.TemplateVersionViewSet, basename="checklistversion"
)
router.register("audits", audits_api.AuditViewSet, basename="audit")
router.register("answers", audits_api.AnswerViewSet, basename="answer")
router.register("findings", audits_api.FindingViewSet, basename="finding")
router.register("capas", audits_api.CapaViewSet, basename="capa")
router.register("audit-reports", audits_api.AuditReportViewSet, basename="auditreport")
router.register(
    "qualifications", qualification_api.QualificationViewSet, basename="sitequalification"
)
router.register(
    "notified-changes", qualification_api.NotifiedChangeViewSet, basename="notifiedchange"
)
router.register("scoring-models", scoring_api.ScoringModelViewSet, basename="scoringmodel")
router.register("evaluations", scoring_api.EvaluationViewSet, basename="evaluation")
router.register("candidates", scoring_api.CandidateViewSet, basename="candidate")
router.register("comparison-reports", scoring_api.ComparisonReportViewSet, basename="report")


@login_not_required
def favicon(request: HttpRequest) -> HttpResponse:
    # Browsers ask for /favicon.ico whatever the page says, logged in or not.
    return redirect(static("favicon.svg"))


urlpatterns = [
    path("", vendors_views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/keepalive/", auth.keepalive, name="keepalive"),
    path("favicon.ico", favicon, name="favicon"),
    path("notifications/", vendors_views.notifications, name="notifications"),
    path(
        "notifications/<int:notification_id>/read/",
        vendors_views.notification_read,
        name="notification_read",
    ),
    path("audit-trail/", audit_trail_views.audit_trail, name="audit_trail"),
    path("audit-trail/export.csv", audit_trail_views.audit_trail_csv, name="audit_trail_csv"),
    path("cmos/", include("vendors.urls")),
    path("contracts/", include("contracts.urls")),
    path("audits/", include("audits.urls")),
    path("qualification/", include("qualification.urls")),
    path("evaluations/", include("scoring.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/auth/token/", auth.TokenCreateView.as_view(), name="api_token"),
    path("api/v1/auth/token/revoke/", auth.TokenRevokeView.as_view(), name="api_token_revoke"),
    path("api/v1/", include(router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api_docs"),
]

handler404 = "cmoselect.errors.not_found"
handler500 = "cmoselect.errors.server_error"
