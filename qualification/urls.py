from django.urls import path

from qualification import views

app_name = "qualification"
urlpatterns = [
    path("asl/", views.asl_list, name="asl"),
    path("program/", views.program, name="program"),
    path("<int:sitequalification_id>/", views.qualification_detail, name="detail"),
    path("<int:sitequalification_id>/edit/", views.qualification_edit, name="edit"),
    path("<int:sitequalification_id>/risk/", views.risk_override, name="risk_override"),
    path(
        "sites/<int:site_id>/changes/new/",
        views.notified_change_create,
        name="notified_change_create",
    ),
    path(
        "changes/<int:notifiedchange_id>/edit/",
        views.notified_change_edit,
        name="notified_change_edit",
    ),
]
