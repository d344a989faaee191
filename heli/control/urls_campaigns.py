"""Staff URLs of the campaigns pages (included by heli.control.urls)."""

from django.urls import path

from heli.control.views import campaigns

urlpatterns: list = [
    path("campaigns/", campaigns.campaign_list, name="campaign_list"),
    path("campaigns/new/", campaigns.campaign_create, name="campaign_create"),
    path("campaigns/<int:pk>/", campaigns.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:pk>/tasks/", campaigns.campaign_tasks, name="campaign_tasks"),
    path("campaigns/<int:pk>/close/", campaigns.campaign_close, name="campaign_close"),
    path("campaigns/<int:pk>/report/", campaigns.campaign_report, name="campaign_report"),
    path(
        "campaigns/<int:pk>/report.xlsx",
        campaigns.campaign_report_xlsx,
        name="campaign_report_xlsx",
    ),
    path("campaigns/tasks/<int:pk>/", campaigns.campaign_task, name="campaign_task"),
    path(
        "campaigns/tasks/assign/",
        campaigns.campaign_task_batch_assign,
        name="campaign_task_batch_assign",
    ),
    path(
        "campaigns/tasks/<int:pk>/decide/",
        campaigns.campaign_task_decide,
        name="campaign_task_decide",
    ),
    path(
        "campaigns/tasks/<int:pk>/assign/",
        campaigns.campaign_task_assign,
        name="campaign_task_assign",
    ),
]
