"""URLs of the member import pages (included in the control namespace)."""

from django.urls import path

from heli.control.views import member_import as views

urlpatterns = [
    path("members/import/", views.member_import, name="member_import"),
    path(
        "members/import/template.xlsx",
        views.member_import_template,
        name="member_import_template",
    ),
    path("members/import/<uuid:pk>/", views.member_import_job, name="member_import_job"),
    path(
        "members/import/<uuid:pk>/status/",
        views.member_import_status,
        name="member_import_status",
    ),
    path(
        "members/import/<uuid:pk>/errors.xlsx",
        views.member_import_errors,
        name="member_import_errors",
    ),
    path("members/import/<uuid:pk>/setup/", views.member_import_setup, name="member_import_setup"),
    path("members/import/<uuid:pk>/save/", views.member_import_save, name="member_import_save"),
]
