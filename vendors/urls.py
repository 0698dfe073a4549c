from django.urls import path

from vendors import views

app_name = "vendors"
urlpatterns = [
    path("", views.cmo_list, name="cmo_list"),
    path("new/", views.cmo_create, name="cmo_create"),
    path("<int:cmo_id>/", views.cmo_detail, name="cmo_detail"),
    path("<int:cmo_id>/edit/", views.cmo_edit, name="cmo_edit"),
    path("<int:cmo_id>/status/", views.cmo_status, name="cmo_status"),
    path("<int:cmo_id>/sites/new/", views.site_create, name="site_create"),
    path("<int:cmo_id>/contacts/new/", views.contact_create, name="contact_create"),
    path("<int:cmo_id>/merge/", views.cmo_merge_view, name="cmo_merge"),
    path("duplicates/", views.duplicates, name="duplicates"),
    path("search/", views.cmo_search, name="cmo_search"),
    path("sites/search/", views.site_search, name="site_search"),
    path("sites/<int:site_id>/", views.site_detail, name="site_detail"),
    path("sites/<int:site_id>/edit/", views.site_edit, name="site_edit"),
    path("sites/<int:site_id>/merge/", views.site_merge_view, name="site_merge"),
    path("sites/<int:site_id>/status/", views.site_status, name="site_status"),
    path("sites/<int:site_id>/events/new/", views.event_create, name="event_create"),
    path(
        "sites/<int:site_id>/certificates/new/",
        views.certificate_create,
        name="certificate_create",
    ),
    path(
        "certificates/<int:certificate_id>/",
        views.certificate_download,
        name="certificate_download",
    ),
    path(
        "certificates/<int:certificate_id>/edit/", views.certificate_edit, name="certificate_edit"
    ),
    path(
        "certificates/<int:certificate_id>/replace/",
        views.certificate_replace_view,
        name="certificate_replace",
    ),
    path(
        "certificates/<int:certificate_id>/remove/",
        views.certificate_remove_view,
        name="certificate_remove",
    ),
    path(
        "sites/<int:site_id>/capabilities/<int:capability_id>/",
        views.matrix_cell,
        name="matrix_cell",
    ),
    path("contacts/<int:contact_id>/edit/", views.contact_edit, name="contact_edit"),
    path("capabilities/", views.capability_matrix, name="matrix"),
    path("capabilities/needs/", views.needs, name="needs"),
    path("events/<int:regulatoryevent_id>/", views.event_detail, name="event_detail"),
    path("events/<int:regulatoryevent_id>/edit/", views.event_edit, name="event_edit"),
    path(
        "events/<int:regulatoryevent_id>/citations/new/",
        views.citation_create,
        name="citation_create",
    ),
    path("citations/<int:citation_id>/edit/", views.citation_edit, name="citation_edit"),
    path("citations/<int:citation_id>/remove/", views.citation_remove_view, name="citation_remove"),
    path("registry/", views.registry_search, name="registry"),
    path("registry/add/", views.registry_add, name="registry_add"),
    path("registry/firm/", views.registry_firm, name="registry_firm"),
    path(
        "registry/<int:establishment_id>/",
        views.establishment_detail,
        name="establishment_detail",
    ),
    path("imports/", views.import_list, name="import_list"),
    path("imports/<int:importrun_id>/", views.import_detail, name="import_detail"),
    path("imports/<int:importrun_id>/commit/", views.import_commit, name="import_commit"),
    path("imports/<int:importrun_id>/problems/", views.import_problems, name="import_problems"),
    path(
        "imports/<int:importrun_id>/problems.csv",
        views.import_problems_csv,
        name="import_problems_csv",
    ),
    path("imports/<int:importrun_id>/retry/", views.import_retry, name="import_retry"),
]
