"""Staff URLs of the floating-member pages (included by heli.control.urls)."""

from django.urls import path

from heli.control.views import floating, floating_report, floating_work, notices

urlpatterns = [
    path("floating/", floating.floating_list, name="floating_list"),
    path("floating/export.xlsx", floating_work.floating_export, name="floating_export"),
    path("floating/lost/", floating_work.floating_lost, name="floating_lost"),
    path("floating/report/", floating_report.floating_report, name="floating_report"),
    path("floating/report.xlsx", floating_report.floating_report_xlsx, name="floating_report_xlsx"),
    path(
        "floating/temporary-branch/",
        floating_work.floating_temporary_branch,
        name="floating_temporary_branch",
    ),
    path("floating/<int:pk>/", floating.floating_detail, name="floating_detail"),
    path("floating/<int:pk>/reveal/", floating.floating_reveal, name="floating_reveal"),
    path("floating/<int:pk>/contact/", floating.floating_contact, name="floating_contact"),
    path("floating/<int:pk>/duties/", floating.floating_duties, name="floating_duties"),
    path(
        "floating/<int:pk>/confirm-inflow/",
        floating.floating_confirm_inflow,
        name="floating_confirm_inflow",
    ),
    path("floating/<int:pk>/return/", floating.floating_return, name="floating_return"),
    path("floating/<int:pk>/nearby/", floating_work.floating_nearby, name="floating_nearby"),
    path("members/<int:pk>/floating/new/", floating.floating_create, name="floating_create"),
    path("notices/", notices.notice_list, name="notice_list"),
    path("notices/read/", notices.notice_batch_read, name="notice_batch_read"),
]
