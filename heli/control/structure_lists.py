"""Lists of the zone's structure: stations (阵地, with their posters printed in one go) and party
organizations."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from heli.accounts.roles import Right
from heli.control.lists.columns import column, detail_link
from heli.control.lists.export import exportable
from heli.control.lists.filters import ChoiceFilter, TreeFilter
from heli.control.lists.page import BatchAction, ListPage, Search
from heli.orgs.models import OrgCategory, OrgLevel, PartyOrg, Region
from heli.stations.models import Station, StationKind


@exportable
class StationList(ListPage):
    key = "stations"
    testid = "station"
    title = _("Stations")
    columns = (
        column("name", _("Name"), "name", sort="name", link=detail_link("control:station_detail")),
        column("kind", _("Type"), "get_kind_display", sort="kind"),
        column("grid", _("Grid"), lambda s: f"{s.grid.name} · {s.grid.parent.name}"
               if s.grid.parent_id else s.grid.name, sort="grid__path"),
        column("org", _("Party organization in charge"), "org.name", sort="org__path"),
        column("hours", _("Opening hours"), "opening_hours"),
        column("address", _("Address"), "address"),
    )  # fmt: skip
    filters = (
        TreeFilter("region", _("Area"), Region, ("grid__path",)),
        ChoiceFilter("kind", _("Type"), StationKind.choices, field="kind"),
    )
    search = Search(_("Name, address or grid"), None, ("name", "address", "grid__name"))
    default_sort = "grid"
    template = "control/station_list.html"
    actions = (
        BatchAction(
            "control:station_batch_posters",
            _("Print the QR posters"),
            Right.VIEW,
            _("Make one PDF with the QR posters of the %(count)s ticked stations (one A4 each)?"),
        ),
    )
    empty_text = _("No stations yet.")
    export_action = "station.export"

    def base_queryset(self) -> QuerySet:
        return Station.objects.select_related("grid__parent", "org")


IN_ZONE = "zone"


def _category_q(value: str) -> Q:
    """The zone's own organizations by default; the directory of organizations outside the
    zone (shared by every office) only when asked for."""
    if value == IN_ZONE:
        return ~Q(category=OrgCategory.EXTERNAL)
    return Q(category=value)


@exportable
class OrgList(ListPage):
    key = "orgs"
    testid = "org"
    title = _("Party organizations")
    columns = (
        column("name", _("Name"), "name", sort="name", link=detail_link("control:org_detail")),
        column("level", _("Level"), "get_level_display", sort="level"),
        column("category", _("Type"), "get_category_display", sort="category"),
        column("region", _("Region served"), "region.name", sort="region__path"),
        column("parent", _("Parent"), "parent.name", sort="path"),
        column("secretary", _("Secretary"), "secretary"),
    )
    filters = (
        TreeFilter("org", _("Under"), PartyOrg, ("path",), tree="orgs"),
        TreeFilter("region", _("Area"), Region, ("region__path",)),
        ChoiceFilter("level", _("Level"), OrgLevel.choices, field="level"),
        ChoiceFilter("category", _("Type"), [(IN_ZONE, _("All of the zone")), *OrgCategory.choices],
                     query=_category_q, default=IN_ZONE,
                     all_label=_("All (incl. the directory outside the zone)")),
    )  # fmt: skip
    search = Search(
        _("Name, pinyin initials or secretary"), None, ("name", "secretary"), "name_initials"
    )
    default_sort = "parent"
    template = "control/org_list.html"
    empty_text = _("No organizations yet.")
    export_action = "org.export"

    def base_queryset(self) -> QuerySet:
        return PartyOrg.objects.select_related("parent", "region")
