"""The two trees: administrative regions (区/镇/街道/村/社区/网格) and party organizations."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from heli.core.models import NameInitials
from heli.core.scoping import Scope, ScopedManager, UnscopedManager
from heli.core.tree import TreeNode


class RegionKind(models.TextChoices):
    DISTRICT = "district", _("District")
    STREET = "street", _("Street")
    TOWN = "town", _("Town")
    COMMUNITY = "community", _("Community")
    VILLAGE = "village", _("Village")
    AREA = "area", _("Area")
    GRID = "grid", _("Grid")


TOWN_LEVEL = (RegionKind.TOWN, RegionKind.STREET)
VILLAGE_LEVEL = (RegionKind.VILLAGE, RegionKind.COMMUNITY)


class Region(NameInitials, TreeNode):
    """A node of the administrative tree. Grids (网格) are its leaves."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=RegionKind.choices, db_index=True)
    code = models.CharField(_("code"), max_length=32, blank=True)
    boundary = models.JSONField(_("boundary (GeoJSON)"), null=True, blank=True)

    objects = ScopedManager()
    unscoped = UnscopedManager()

    class Meta(TreeNode.Meta):
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        indexes = [models.Index(fields=["kind", "path"])]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def scope_q(cls, scope: Scope) -> models.Q:
        return scope.region_q("path")

    @property
    def is_grid(self) -> bool:
        return self.kind == RegionKind.GRID


class OrgLevel(models.TextChoices):
    WORKING_COMMITTEE = "working_committee", _("Party working committee")
    COMMITTEE = "committee", _("Party committee")
    GENERAL_BRANCH = "general_branch", _("General party branch")
    BRANCH = "branch", _("Party branch")


class OrgCategory(models.TextChoices):
    REGIONAL = "regional", _("Regional (village/community/grid)")
    ENTERPRISE = "enterprise", _("Enterprise / new economic and social organization")
    INDUSTRY_CHAIN = "industry_chain", _("Industry chain")
    FLOATING = "floating", _("Floating members")
    RED_MAGNET = "red_magnet", _("Red magnetic field")
    SCHOOL = "school", _("School-based floating members")
    EXTERNAL = "external", _("Outside the zone")


class PartyOrg(NameInitials, TreeNode):
    """A party organization: 党工委/党委 → 党总支 → 党支部.

    Regional organizations govern the region they serve, so their users also see that region's
    subtree. Organizations outside the zone (关系在区外) are roots of their own and form a shared
    directory every staff user may read.
    """

    name = models.CharField(_("name"), max_length=150)
    level = models.CharField(_("level"), max_length=24, choices=OrgLevel.choices)
    category = models.CharField(
        _("type"), max_length=24, choices=OrgCategory.choices, db_index=True
    )
    region = models.ForeignKey(
        Region,
        verbose_name=_("region served"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="party_orgs",
    )
    secretary = models.CharField(_("secretary"), max_length=50, blank=True)
    phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    temporary = models.BooleanField(
        _("temporary branch"),
        default=False,
        help_text=_("Formed by three or more floating members from the same place."),
    )
    external_place = models.CharField(_("place (province/city/county)"), max_length=150, blank=True)

    objects = ScopedManager()
    unscoped = UnscopedManager()

    class Meta(TreeNode.Meta):
        verbose_name = _("party organization")
        verbose_name_plural = _("party organizations")
        indexes = [models.Index(fields=["region", "level"])]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def scope_q(cls, scope: Scope) -> models.Q:
        if scope.org_path is None:
            return models.Q(pk__in=[])
        return scope.org_q("path") | models.Q(category=OrgCategory.EXTERNAL)

    @property
    def governs_region(self) -> bool:
        return self.category == OrgCategory.REGIONAL and self.region_id is not None

    @property
    def is_external(self) -> bool:
        return self.category == OrgCategory.EXTERNAL


def region_ids_q(scope: Scope, field: str) -> models.Q:
    """`scope.region_q(f"{field}__path")` as a semi-join on the regions' ids: the row's foreign
    key `field` among the ids of the scope's region subtree (one index range), with no join to
    the region table. The planners take an OR of these semi-joins without planning one join
    per path (PostgreSQL spent 10 ms planning a sweep's five joined paths for 1 ms of work)."""
    if not scope.region_path:
        return scope.region_q(field)  # nothing, or everything: no ids to ask for
    return models.Q(**{f"{field}__in": Region.unscoped.filter(scope.region_q("path")).values("pk")})


def org_ids_q(scope: Scope, field: str) -> models.Q:
    """`scope.org_q(f"{field}__path")` as a semi-join on the organizations' ids (see
    `region_ids_q`)."""
    if not scope.org_path:
        return scope.org_q(field)
    return models.Q(**{f"{field}__in": PartyOrg.unscoped.filter(scope.org_q("path")).values("pk")})
