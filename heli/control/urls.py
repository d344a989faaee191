from django.urls import path

from heli.control import urls_member_import
from heli.control.views import accounts, audit, dashboard, lookup, orgs, regions, stations

app_name = "control"

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("invariant/", dashboard.invariant, name="invariant"),
    path("lookup/<slug:kind>/", lookup.lookup, name="lookup"),
    path("regions/", regions.region_list, name="region_list"),
    path("regions/tree/", regions.region_tree, name="region_tree"),
    path("regions/<int:pk>/", regions.region_detail, name="region_detail"),
    path("regions/<int:pk>/edit/", regions.region_edit, name="region_edit"),
    path("regions/<int:parent_pk>/new/", regions.region_create, name="region_create"),
    path("orgs/", orgs.org_list, name="org_list"),
    path("orgs/tree/", orgs.org_tree, name="org_tree"),
    path("orgs/external/new/", orgs.external_org_create, name="external_org_create"),
    path("orgs/<int:pk>/", orgs.org_detail, name="org_detail"),
    path("orgs/<int:pk>/edit/", orgs.org_edit, name="org_edit"),
    path("orgs/<int:parent_pk>/new/", orgs.org_create, name="org_create"),
    path("stations/", stations.station_list, name="station_list"),
    path("stations/new/", stations.station_create, name="station_create"),
    path("stations/<int:pk>/", stations.station_detail, name="station_detail"),
    path("stations/<int:pk>/edit/", stations.station_edit, name="station_edit"),
    path("stations/<int:pk>/poster/", stations.station_poster, name="station_poster"),
    path("stations/<int:pk>/poster.svg", stations.station_poster_svg, name="station_poster_svg"),
    path("stations/<int:pk>/poster.pdf", stations.station_poster_pdf, name="station_poster_pdf"),
    path("audit/", audit.audit_log, name="audit_log"),
    path("accounts/", accounts.account_list, name="account_list"),
    path("accounts/new/", accounts.account_create, name="account_create"),
    path("accounts/<int:pk>/edit/", accounts.account_edit, name="account_edit"),
    *urls_member_import.urlpatterns,
]
