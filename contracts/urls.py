from django.urls import path

from contracts.views import amendments
from contracts.views import contracts as views

app_name = "contracts"
urlpatterns = [
    path("", views.contract_list, name="contract_list"),
    path("new/", views.contract_create, name="contract_create"),
    path("dashboard/", views.contract_dashboard, name="dashboard"),
    path("<int:contract_id>/", views.contract_detail, name="contract_detail"),
    path("<int:contract_id>/edit/", views.contract_edit, name="contract_edit"),
    path("<int:contract_id>/status/", views.contract_status, name="contract_status"),
    path("<int:contract_id>/scope/", views.contract_scope, name="contract_scope"),
    path("<int:contract_id>/milestones/", views.contract_milestones, name="contract_milestones"),
    path("<int:contract_id>/kpis/", views.contract_kpis, name="contract_kpis"),
    path("<int:contract_id>/kpis/results/", views.kpi_result_create, name="kpi_result_create"),
    path("<int:contract_id>/matrix/", views.contract_matrix, name="contract_matrix"),
    path("<int:contract_id>/documents/", views.document_upload, name="document_upload"),
    path("<int:contract_id>/terms/", amendments.contract_terms_version, name="terms_version"),
    path("<int:contract_id>/amendments/new/", amendments.amendment_create, name="amendment_create"),
    path(
        "<int:contract_id>/amendments/new/matrix/",
        amendments.amendment_create_matrix,
        name="amendment_create_matrix",
    ),
    path("amendments/<int:amendment_id>/", amendments.amendment_detail, name="amendment_detail"),
    path(
        "amendments/<int:amendment_id>/approve/",
        amendments.amendment_approve_view,
        name="amendment_approve",
    ),
    path(
        "amendments/<int:amendment_id>/reject/",
        amendments.amendment_reject_view,
        name="amendment_reject",
    ),
    path(
        "amendments/<int:amendment_id>/withdraw/",
        amendments.amendment_withdraw_view,
        name="amendment_withdraw",
    ),
    path(
        "amendments/<int:amendment_id>/documents/",
        amendments.amendment_document_upload,
        name="amendment_document_upload",
    ),
    path(
        "documents/<int:contractdocument_id>/",
        views.document_download,
        name="document_download",
    ),
]
