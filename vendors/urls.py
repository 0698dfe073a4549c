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
    path("sites/<int:site_id>/", views.site_detail, name="site_detail"),
    path("sites/<int:site_id>/edit/", views.site_edit, name="site_edit"),
    path("sites/<int:site_id>/status/", views.site_status, name="site_status"),
    path("contacts/<int:contact_id>/edit/", views.contact_edit, name="contact_edit"),
]
