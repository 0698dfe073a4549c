from django.urls import path

from scoring import views

app_name = "scoring"
urlpatterns = [
    path("", views.evaluation_list, name="evaluation_list"),
    path("new/", views.evaluation_create, name="evaluation_create"),
    path("<int:evaluation_id>/", views.evaluation_detail, name="evaluation_detail"),
    path("<int:evaluation_id>/edit/", views.evaluation_edit, name="evaluation_edit"),
    path(
        "<int:evaluation_id>/candidates/",
        views.evaluation_add_candidates,
        name="evaluation_add_candidates",
    ),
    path("<int:evaluation_id>/recompute/", views.evaluation_recompute, name="evaluation_recompute"),
    path("<int:evaluation_id>/weights/", views.evaluation_save_weights, name="evaluation_weights"),
    path("<int:evaluation_id>/version/", views.evaluation_move_version, name="evaluation_version"),
    path("<int:evaluation_id>/cancel/", views.evaluation_cancel_view, name="evaluation_cancel"),
    path("<int:evaluation_id>/decision/", views.evaluation_decide, name="evaluation_decide"),
    path("<int:evaluation_id>/reports/", views.evaluation_request_report, name="evaluation_report"),
    path("<int:evaluation_id>/scores.csv", views.evaluation_export, name="evaluation_csv"),
    path(
        "<int:evaluation_id>/scores.xlsx",
        views.evaluation_export,
        {"fmt": "xlsx"},
        name="evaluation_xlsx",
    ),
    path("candidates/add/", views.candidates_add_from_search, name="candidates_add"),
    path("candidates/<int:candidate_id>/", views.candidate_detail, name="candidate_detail"),
    path(
        "candidates/<int:candidate_id>/remove/",
        views.candidate_remove_view,
        name="candidate_remove",
    ),
    path(
        "reports/<int:comparisonreport_id>/",
        views.report_status,
        name="comparisonreport_status",
    ),
    path(
        "reports/<int:comparisonreport_id>/download/",
        views.report_download,
        name="comparisonreport_download",
    ),
    path("models/", views.scoringmodel_list, name="scoringmodel_list"),
    path("models/new/", views.scoringmodel_create, name="scoringmodel_create"),
    path("models/<int:scoringmodel_id>/", views.scoringmodel_detail, name="scoringmodel_detail"),
    path("models/<int:scoringmodel_id>/edit/", views.scoringmodel_edit, name="scoringmodel_edit"),
]
