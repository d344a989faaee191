"""The member registry (党员信息库). ID numbers and phones are stored encrypted (SM4), found
through keyed digests, and shown masked; see heli.core.crypto and heli.members.sensitive."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from heli.audit import describe
from heli.core.models import AppendOnly, NameInitials
from heli.core.scoping import Scope, ScopedManager, UnscopedManager
from heli.members.choices import (
    ETHNICITY_CHOICES,
    Education,
    FloatingDirection,
    Gender,
    Membership,
    MemberStatus,
    Occupation,
)
from heli.orgs.models import PartyOrg, Region


class ActiveMemberManager(ScopedManager):
    """Members in scope that are not soft-deleted (the default everywhere)."""

    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().filter(deleted_at__isnull=True)


# The roll's sortable columns besides the name, each with an index of (column, id). Gender,
# education, membership and occupation are filters, not sorts: an index each would be
# written on every insert of an import to order a million rows by two to eight values.
SORTED_BY = ("joined_on", "status", "org", "residence_grid")


class Member(NameInitials):
    name = models.CharField(pgettext_lazy("person", "name"), max_length=50)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    ethnicity = models.CharField(_("ethnicity"), max_length=10, choices=ETHNICITY_CHOICES)
    birth_date = models.DateField(_("birth date"))
    id_cipher = models.BinaryField(editable=False)
    id_digest = models.CharField(max_length=64, unique=True, editable=False)
    id_mask = models.CharField(_("ID number"), max_length=18, editable=False)
    # Keyed digests of the last four characters: search by 后四位 without keeping them in clear.
    id_tail_digest = models.CharField(max_length=64, blank=True, editable=False)
    phone_cipher = models.BinaryField(null=True, editable=False)
    phone_digest = models.CharField(max_length=64, blank=True, editable=False)
    phone_mask = models.CharField(_("phone"), max_length=11, blank=True, editable=False)
    phone_tail_digest = models.CharField(max_length=64, blank=True, editable=False)
    education = models.CharField(_("education"), max_length=16, choices=Education.choices)
    joined_on = models.DateField(_("date joined the Party"))
    membership = models.CharField(
        _("membership"), max_length=16, choices=Membership.choices, default=Membership.FULL
    )
    full_on = models.DateField(_("date became a full member"), null=True, blank=True)
    # Dates known only to the month (rosters write 入党时间 2010.07): stored as the first of
    # the month, one bit per date field (heli.members.dates), and shown as year-month.
    month_dates = models.PositiveSmallIntegerField(default=0, editable=False)
    org = models.ForeignKey(
        PartyOrg,
        verbose_name=_("organization holding the relationship"),
        on_delete=models.PROTECT,
        related_name="members",
        db_index=False,  # Meta.indexes: (org, id)
    )
    residence_grid = models.ForeignKey(
        Region,
        verbose_name=_("residence grid"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="residents",
        db_index=False,  # Meta.indexes: (residence_grid, id)
    )
    employer = models.CharField(_("employer"), max_length=150, blank=True)
    industry_chain = models.ForeignKey(
        PartyOrg,
        verbose_name=_("industry chain"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="chain_members",
    )
    occupation = models.CharField(
        _("occupation"), max_length=16, choices=Occupation.choices, default=Occupation.OTHER
    )
    status = models.CharField(
        _("status"), max_length=16, choices=MemberStatus.choices, default=MemberStatus.NORMAL
    )
    reported_to = models.ForeignKey(
        Region,
        verbose_name=_("community reported to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reported_members",
        help_text=_("For members employed elsewhere who report where they live (在职党员报到)."),
    )
    reported_on = models.DateField(_("date reported"), null=True, blank=True)
    floating_direction = models.CharField(
        _("floating direction"), max_length=3, choices=FloatingDirection.choices, blank=True
    )
    floating_place = models.CharField(_("floating to / from"), max_length=150, blank=True)
    floating_since = models.DateField(_("floating since"), null=True, blank=True)
    floating_until = models.DateField(_("floating until"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)
    deleted_reason = models.CharField(_("reason for deletion"), max_length=255, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    # Set once the personal fields were replaced past the retention period (heli.privacy.
    # retention): irreversible, so such a member is never restored.
    anonymized_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ActiveMemberManager()
    with_deleted = ScopedManager()
    unscoped = UnscopedManager()

    class Meta:
        verbose_name = _("party member")
        verbose_name_plural = _("party members")
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["status", "floating_direction"]),
            models.Index(fields=["name"]),
            # The digests are looked up whole: declared here, not with db_index on the field,
            # because PostgreSQL then adds a LIKE index beside each (migration 0012 drops
            # those, the unique ID digest's too: some 350 MB at a million members that no
            # query reads, each written on every insert).
            models.Index(fields=["id_tail_digest"], name="member_id_tail"),
            models.Index(fields=["phone_digest"], name="member_phone"),
            models.Index(fields=["phone_tail_digest"], name="member_phone_tail"),
            # Every sortable column of the roll, with the id that breaks its ties: a page sorted
            # by it reads its first rows (and the keyset pages after them) in index order
            # instead of sorting a million rows. An organization or a grid: the member's
            # organization (or grid) and id, walked in the path order of the other table.
            *(
                models.Index(fields=[column, "id"], name=f"member_by_{column}")
                for column in SORTED_BY
            ),
            # Search by what the employer starts with (`__prefix`): on PostgreSQL LIKE 'x%',
            # which needs the pattern operator class under any collation. (The name's own
            # pattern index, PostgreSQL only, is made by migration 0010: on SQLite the index
            # above serves the range.)
            models.Index(
                fields=["employer"],
                name="member_employer_prefix",
                opclasses=["varchar_pattern_ops"],
            ),
            # A district's or a town's floating ledger in name order (members.ledgers).
            models.Index(
                fields=["name", "id"],
                name="member_floating_name",
                condition=models.Q(status="floating", deleted_at__isnull=True),
            ),
            # The deleted list: the few deleted members, newest first, without a scan.
            models.Index(
                fields=["deleted_at"],
                name="member_deleted",
                condition=models.Q(deleted_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def scope_q(cls, scope: Scope) -> models.Q:
        """Visible through the organization holding the relationship, or through the place
        where the member lives or has reported (a community sees its 在职 and 流入 members)."""
        return (
            scope.org_in("org", PartyOrg)
            | scope.region_in("residence_grid", Region)
            | scope.region_in("reported_to", Region)
        )

    @property
    def is_floating(self) -> bool:
        return self.status == MemberStatus.FLOATING


class MemberChange(AppendOnly):
    """The history of one member (append-only and sealed, written by the member services and
    the import's writer, which seals each row itself)."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="changes")
    at = models.DateTimeField(auto_now_add=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        # No constraint and no SET NULL: a sealed row keeps the id of a removed account.
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
    )
    username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=32)
    fields = models.JSONField(default=dict)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action}"

    @property
    def phrase(self) -> str:
        """The action as the audit log calls it (修改党员信息)."""
        return describe.change_phrase(self)

    @property
    def sentence(self) -> str:
        """The fields as the audit log reads them (学历：大学本科 → 硕士研究生)."""
        return describe.change_sentence(self)


from heli.members.import_models import ImportJob  # noqa: E402,F401
