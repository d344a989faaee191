"""Floating party members (流动党员): their floating records with a shared timeline, check-ins
at stations (报到) and, for people heli does not know yet, check-ins waiting for confirmation."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from heli.core import freetext
from heli.core.models import AppendOnly
from heli.core.scoping import Scope, ScopedManager, UnscopedManager
from heli.members.choices import FloatingDirection
from heli.members.models import Member
from heli.orgs.models import OrgCategory, PartyOrg, Region, org_ids_q, region_ids_q
from heli.stations.models import Station


class CheckInSource(models.TextChoices):
    """How a check-in came in. Which of these are verified contacts is the rule of
    `checkins.VERIFIED_SOURCES` (a member's own login, a later issue, joins as a source there)."""

    QR = "qr", _("QR code")
    STAFF = "staff", _("Recorded by staff")


class CheckInStatus(models.TextChoices):
    """Whether a check-in is known to be the member's own. A QR check-in is anyone's claim
    (whoever knows a name and a number can make it): self-reported until staff confirm or
    reject it. Only a verified one settles letters and the lost-contact clock."""

    SELF_REPORTED = "self_reported", _("Self-reported, not confirmed yet")
    VERIFIED = "verified", _("Verified")
    REJECTED = "rejected", _("Rejected: not this person")


class CheckIn(models.Model):
    """A member reported at a station. One per member, station and day: a second scan the same
    day is the same check-in (the unique constraint makes that hold under concurrency too)."""

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="check_ins"
    )
    station = models.ForeignKey(
        Station, verbose_name=_("station"), on_delete=models.PROTECT, related_name="check_ins"
    )
    day = models.DateField(_("day"))
    at = models.DateTimeField(_("time"), auto_now_add=True)
    source = models.CharField(
        _("source"), max_length=8, choices=CheckInSource.choices, default=CheckInSource.QR
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Unverified unless a verified source or a staff decision says otherwise (fails closed).
    status = models.CharField(
        _("verification"),
        max_length=16,
        choices=CheckInStatus.choices,
        default=CheckInStatus.SELF_REPORTED,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    reject_reason = models.CharField(_("reason for rejecting"), max_length=255, blank=True)

    objects = ScopedManager()
    unscoped = UnscopedManager()

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        ordering = ["-at", "-id"]
        # The history list, newest first, reads the time index backwards; the desk counts the
        # self-reports waiting for a decision, a few among every check-in of a year.
        indexes = [
            models.Index(fields=["at", "id"], name="checkin_at_id"),
            models.Index(
                fields=["member"],
                name="checkin_self_reported",
                condition=models.Q(status="self_reported"),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "station", "day"], name="one_check_in_per_member_station_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member} @ {self.station} {self.day}"

    # A check-in is an entry of the floating record's timeline as it is (floating.timeline).
    kind = "checked_in"
    username = ""

    @property
    def label(self) -> str:
        return str(EVENT_LABELS["checked_in"])

    @property
    def details(self) -> list[str]:
        return [self.station.name, str(self.verification_label)]

    @property
    def verification_label(self) -> str:
        """自报 and what became of it, or who recorded it: the timeline's and the lists' mark."""
        if self.source != CheckInSource.QR:
            return str(self.get_source_display())
        if self.status == CheckInStatus.REJECTED:
            label = _("Self-reported, rejected as not this person: %(reason)s")
            return str(label) % {"reason": freetext.mask(self.reject_reason)}
        labels = {
            CheckInStatus.SELF_REPORTED: _("Self-reported, not confirmed yet"),
            CheckInStatus.VERIFIED: _("Self-reported, confirmed by staff"),
        }
        return str(labels[self.status])

    @classmethod
    def home_q(cls, scope: Scope) -> models.Q:
        """Check-ins of members at home in the scope: their relationship is held inside it, or
        (a member whose relationship is outside the zone, as an inflow member's) they live in
        it. Their self-reports are this scope's to confirm, wherever the station is."""
        external = models.Q(member__org__category=OrgCategory.EXTERNAL)
        return scope.org_q("member__org__path") | (
            external & scope.region_q("member__residence_grid__path")
        )

    @classmethod
    def scope_q(cls, scope: Scope) -> models.Q:
        """Seen by those who see the station, or the member's organization, place or
        industry-chain committee (the home branch and the chain see a check-in at once)."""
        # Semi-joins on the trees' ids (orgs.models.region_ids_q): the station and the member
        # are joined, the trees are not (eight joins a row were planned for every count).
        return (
            region_ids_q(scope, "station__grid")
            | org_ids_q(scope, "station__org")
            | org_ids_q(scope, "member__org")
            | region_ids_q(scope, "member__residence_grid")
            | org_ids_q(scope, "member__industry_chain")
        )


class PendingStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    REJECTED = "rejected", _("Rejected")


class PendingCheckIn(models.Model):
    """Someone heli does not know checked in: a pending inflow registration for the station's
    branch to confirm or reject. The identity is kept like a member's: encrypted and masked."""

    station = models.ForeignKey(
        Station, verbose_name=_("station"), on_delete=models.PROTECT, related_name="pending"
    )
    day = models.DateField(_("day"))
    at = models.DateTimeField(_("time"), auto_now_add=True)
    name = models.CharField(pgettext_lazy("person", "name"), max_length=50)
    identity_cipher = models.BinaryField(editable=False)
    identity_digest = models.CharField(max_length=64, editable=False)
    identity_mask = models.CharField(_("ID number or phone"), max_length=18, editable=False)
    status = models.CharField(
        _("status"), max_length=16, choices=PendingStatus.choices, default=PendingStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ScopedManager()
    unscoped = UnscopedManager()

    class Meta:
        verbose_name = _("pending check-in")
        verbose_name_plural = _("pending check-ins")
        ordering = ["-at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["station", "day", "identity_digest"],
                name="one_pending_check_in_per_person_station_day",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} @ {self.station} {self.day}"

    @classmethod
    def scope_q(cls, scope: Scope) -> models.Q:
        return scope.region_q("station__grid__path") | scope.org_q("station__org__path")


class FlowRange(models.TextChoices):
    CITY = "city", _("Within the city")
    PROVINCE = "province", _("Within the province")
    OTHER_PROVINCE = "other_province", _("Another province")


class FlowReason(models.TextChoices):
    WORK = "work", _("Work")
    BUSINESS = "business", _("Business")
    STUDY = "study", _("Study")
    FAMILY = "family", _("Family")
    OTHER = "other", _("Other")


class Document(models.TextChoices):
    """The document a floating member carries, by the Party's rules on floating members."""

    TRANSFER = "transfer", _("Formal relationship transfer")
    CERTIFICATE_LETTER = "certificate_letter", _("Certificate letter")
    ACTIVITY_CARD = "activity_card", _("Floating member activity card")


class RecordStatus(models.TextChoices):
    ACTIVE = "active", _("Floating")
    RETURNED = "returned", _("Returned")


class ContactKind(models.TextChoices):
    """What restarts the lost-contact clock of a floating record."""

    CHECK_IN = "checked_in", _("Check-in at a station")
    VISIT = "visit", _("Service visit")
    POINTS = "points", _("Points activity")
    CALL = "call", _("Liaison call")


class FloatingRecord(models.Model):
    """One period of floating of one member (流出 or 流入 registration), ended by a return
    registration. The member's own floating fields mirror the active record."""

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="floating"
    )
    direction = models.CharField(_("direction"), max_length=3, choices=FloatingDirection.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=RecordStatus.choices, default=RecordStatus.ACTIVE
    )
    outflow_org = models.ForeignKey(
        PartyOrg, verbose_name=_("outflow organization"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="outflow_records",
    )  # fmt: skip
    inflow_org = models.ForeignKey(
        PartyOrg, verbose_name=_("inflow organization"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="inflow_records",
    )  # fmt: skip
    industry_chain = models.ForeignKey(
        PartyOrg, verbose_name=_("industry chain committee"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="chain_records",
    )  # fmt: skip
    place = models.CharField(
        _("place (province/city/county)"), max_length=150,
        help_text=_("Where the member went to (outflow) or came from (inflow)."),
    )  # fmt: skip
    other_org_name = models.CharField(_("organization there"), max_length=150, blank=True)
    other_contact = models.CharField(_("contact there (name, phone)"), max_length=100, blank=True)
    since = models.DateField(_("left / arrived on"))
    flow_range = models.CharField(_("flow range"), max_length=16, choices=FlowRange.choices)
    reason = models.CharField(_("reason"), max_length=16, choices=FlowReason.choices)
    expected_months = models.PositiveSmallIntegerField(
        _("expected months away"), null=True, blank=True
    )
    place_certain = models.BooleanField(_("place and time are certain"), default=True)
    document = models.CharField(_("document"), max_length=24, choices=Document.choices)
    occupation = models.CharField(_("occupation and industry"), max_length=100, blank=True)
    address = models.CharField(_("address there"), max_length=255, blank=True)
    grid = models.ForeignKey(
        Region, verbose_name=_("grid"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="floating_records",
    )  # fmt: skip
    # The member's phone while away (may differ from the registry's): encrypted and masked.
    contact_phone_cipher = models.BinaryField(null=True, editable=False)
    contact_phone_mask = models.CharField(
        _("contact phone"), max_length=11, blank=True, editable=False
    )
    card_number = models.CharField(_("activity card number"), max_length=50, blank=True)
    card_issued_on = models.DateField(_("activity card issued on"), null=True, blank=True)
    liaison = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("liaison officer"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    # 三方共管: a named owner per duty, from whichever of the three parties takes it on.
    contact_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner of contact"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    education_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner of education"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    services_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner of services"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    # The inflow side confirmed it has the member (流入地确认接收); closes reminder letters.
    inflow_confirmed_at = models.DateTimeField(_("inflow side confirmed"), null=True, blank=True)
    # 就近归队入列: the nearby branch the member joined for party life.
    joined_org = models.ForeignKey(
        PartyOrg, verbose_name=_("joined branch"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="joined_records",
    )  # fmt: skip
    joined_on = models.DateField(_("joined on"), null=True, blank=True)
    # The last verified contact: the lost-contact clock and letters go by it alone.
    last_contact_at = models.DateTimeField(_("last contact"), null=True, blank=True)
    # The last self-reported check-in (QR, not rejected), shown beside it.
    last_reported_at = models.DateTimeField(_("last self-reported check-in"), null=True, blank=True)
    ended_on = models.DateField(_("returned on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager()
    unscoped = UnscopedManager()

    class Meta:
        verbose_name = _("floating record")
        verbose_name_plural = _("floating records")
        ordering = ["-since", "-id"]
        # The lists and the clock's counts read active records by last contact (lost contact,
        # warnings, newly lost) or by when they left (letters due), never the whole table.
        indexes = [
            models.Index(fields=["status", "last_contact_at"], name="floating_status_contact"),
            models.Index(fields=["status", "since"], name="floating_status_since"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=models.Q(status="active"),
                name="one_active_floating_record_per_member",
            )
        ]

    def __str__(self) -> str:
        return f"{self.member} · {self.get_direction_display()}"

    @classmethod
    def scope_q(cls, scope: Scope) -> models.Q:
        """三方共管: the outflow side, the inflow side (organization or grid) and the industry
        chain committee each see the record."""
        # Each path a semi-join on the tree's ids (orgs.models.region_ids_q), not a join.
        return (
            scope.org_in("outflow_org", PartyOrg)
            | scope.org_in("inflow_org", PartyOrg)
            | scope.org_in("industry_chain", PartyOrg)
            | scope.region_in("grid", Region)
            | scope.org_in("joined_org", PartyOrg)
        )


EVENT_LABELS = {
    "registered": _("Registered as floating"),
    "returned": _("Returned"),
    "checked_in": _("Checked in at a station"),
    "visit": _("Service visit"),
    "points": _("Points activity"),
    "call": _("Liaison call"),
    "duties": _("Owners per duty named"),
    "inflow_confirmed": _("Inflow side confirmed"),
    "joined": _("Joined a nearby branch"),
    "campaign": _("Return-to-ranks sweep"),
    "relationship_moved": _("Relationship moved to another organization"),
}


# The vocabularies of the codes a timeline event's detail holds, by detail key. Apps above
# mobility that write events add their own (campaigns: a sweep task's outcome) through
# `describe_detail`, so the vocabulary stays with the app that owns it.
DETAIL_CHOICES: dict[str, type[models.TextChoices]] = {"document": Document, "kind": ContactKind}


def describe_detail(key: str, choices: type[models.TextChoices]) -> None:
    """Show the detail `key` of timeline events by the labels of `choices`."""
    DETAIL_CHOICES[key] = choices


class FloatingEvent(AppendOnly):
    """The shared timeline of a floating record (append-only, written by the services)."""

    record = models.ForeignKey(FloatingRecord, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=32)
    username = models.CharField(max_length=150, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind}"

    @property
    def label(self) -> str:
        return str(EVENT_LABELS.get(self.kind, self.kind))

    @property
    def details(self) -> list[str]:
        """The detail's values as the timeline shows them (codes by their labels)."""
        shown = []
        for key, value in self.detail.items():
            choices = DETAIL_CHOICES.get(key)
            shown.append(
                str(choices(value).label) if choices and value in choices.values else value
            )
        return [str(v) for v in shown if v not in ("", None)]


from heli.mobility.notice_models import Notice, NoticeKind  # noqa: E402,F401
