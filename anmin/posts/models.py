"""警务站 and 路面检查站 (四道防控圈): duty rosters with measured on/off-duty times, the checks made at
checkpoints, the wanted lists they are held against, and the 达标 criteria as data.

The posts themselves are `anmin.geo.models.Post`; this app hangs its records on them.
"""

from datetime import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anmin.core.crypto import BlindIndexField, EncryptedCharField
from anmin.core.pii import mask
from anmin.geo.models import Post
from anmin.org.models import Organization, Role, scope_path

#: The kinds of post this app keeps rosters for: the 32 城区警务站 and the 9 路面检查站.
ROSTERED_KINDS = (Post.Kind.STREET, Post.Kind.CHECKPOINT)

#: Three eight-hour shifts, the pattern the bureau's posts and checkpoints run when no other is set.
DEFAULT_PATTERN = ["08:00-16:00", "16:00-24:00", "00:00-08:00"]


def visible_posts(user):
    """The posts in the user's unit subtree: a station sees its 警务站, the 巡警 detachment its
    checkpoints, the bureau all of them."""
    path = scope_path(user)
    if path is None:
        return Post.objects.none()
    posts = Post.objects.filter(kind__in=ROSTERED_KINDS)
    return posts.filter(organization__path__startswith=path) if path else posts


def manages_wanted_list(user) -> bool:
    """The wanted lists are kept by leaders and the command centre; every officer's checks are held
    against them, but only they add, change or withdraw an entry."""
    if not getattr(user, "is_authenticated", False):
        return False
    org = user.organization
    return user.is_superuser or user.role == Role.LEADER or (org is not None and org.commands_all)


def parse_pattern(pattern) -> list[tuple[time, int]]:
    """["08:00-16:00", "16:00-24:00"] → [(08:00, 480), (16:00, 480)]: each shift's start and length in
    minutes; "24:00" ends at midnight and an end before the start runs into the next day. Raises
    ValueError with the bad item."""
    if not isinstance(pattern, list) or not pattern or len(pattern) > 6:
        raise ValueError("1-6 shifts")
    shifts = []
    for item in pattern:
        try:
            start, end = str(item).split("-")
            sh, sm = (int(v) for v in start.split(":"))
            eh, em = (int(v) for v in end.split(":"))
        except ValueError:
            raise ValueError(item) from None
        if not (0 <= sh < 24 and 0 <= sm < 60 and 0 <= eh <= 24 and 0 <= em < 60) or (eh == 24 and em):
            raise ValueError(item)
        minutes = (eh * 60 + em - sh * 60 - sm) % (24 * 60) or 24 * 60
        shifts.append((time(sh, sm), minutes))
    return shifts


class PostStandard(models.Model):
    """The 达标 criteria of a kind of post (警务站, 检查站), or of one post overriding its kind's: how
    many hours a day it must be manned, how many checks a checkpoint shift must make, how late a
    shift may start, the radius within which incidents are the post's business (for 管事率), and the
    shift pattern its rosters are built on. Kept as data because the bureau revises its standards."""

    post_kind = models.CharField(_("点位类型"), max_length=12, choices=Post.Kind.choices)
    post = models.OneToOneField(
        Post,
        verbose_name=_("点位（单独标准）"),
        null=True,
        blank=True,
        related_name="standard",
        on_delete=models.CASCADE,
    )
    manned_hours_per_day = models.DecimalField(
        _("每日在岗时长（小时）"),
        max_digits=4,
        decimal_places=1,
        default=24,
        validators=[MinValueValidator(0), MaxValueValidator(24)],
    )
    min_checks_per_shift = models.PositiveIntegerField(_("每班最少核查数"), default=0)
    late_grace_minutes = models.PositiveIntegerField(_("上岗宽限（分钟）"), default=15)
    radius_m = models.PositiveIntegerField(_("管事半径（米）"), default=1000)
    shift_pattern = models.JSONField(_("班次"), default=list, help_text=_('如 ["08:00-16:00", "16:00-24:00"]'))

    class Meta:
        verbose_name = _("达标标准")
        verbose_name_plural = _("达标标准")
        constraints = [
            models.UniqueConstraint(
                fields=["post_kind"], condition=models.Q(post__isnull=True), name="post_standard_one_per_kind"
            )
        ]

    def __str__(self):
        return str(self.post or self.get_post_kind_display())

    @classmethod
    def for_post(cls, post: Post) -> "PostStandard":
        """The post's own standard, else its kind's, else the defaults (unsaved)."""
        found = {
            s.post_id: s
            for s in cls.objects.filter(models.Q(post=post) | models.Q(post__isnull=True, post_kind=post.kind))
        }
        return found.get(post.pk) or found.get(None) or cls(post_kind=post.kind, shift_pattern=list(DEFAULT_PATTERN))

    def clean(self):
        try:
            parse_pattern(self.shift_pattern or DEFAULT_PATTERN)
        except ValueError:
            raise ValidationError(
                {"shift_pattern": _('班次格式应为 ["08:00-16:00", "16:00-24:00"]，1至6个班次')}
            ) from None
        if self.post_id is not None and self.post.kind != self.post_kind:
            raise ValidationError({"post_kind": _("点位类型应与所选点位一致")})

    def pattern(self) -> list[tuple[time, int]]:
        return parse_pattern(self.shift_pattern or DEFAULT_PATTERN)


class PostRing(models.Model):
    """Which of the four rings of prevention (四道防控圈) a post belongs to."""

    class Ring(models.IntegerChoices):
        CORE = 1, _("第一道：中心城区圈")
        URBAN = 2, _("第二道：城区圈")
        OUTER = 3, _("第三道：城区外围圈")
        GATEWAY = 4, _("第四道：进出城检查站圈")

    post = models.OneToOneField(Post, verbose_name=_("点位"), related_name="ring", on_delete=models.CASCADE)
    ring = models.PositiveSmallIntegerField(_("防控圈"), choices=Ring.choices)

    class Meta:
        verbose_name = _("防控圈")
        verbose_name_plural = _("防控圈")

    def __str__(self):
        return f"{self.post} · {self.get_ring_display()}"


class DutyShiftQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Shifts of the posts in the user's subtree."""
        return self.filter(post__in=visible_posts(user))


class DutyShift(models.Model):
    """One shift (班次) at a post: when it is planned, who is on duty (民警, the 辅警 by name) and who
    leads it, and when the post was actually taken over (上岗) and left (下岗) — recorded by the
    officer, so manned hours are measured rather than assumed from the roster."""

    post = models.ForeignKey(Post, verbose_name=_("点位"), related_name="shifts", on_delete=models.CASCADE)
    starts_at = models.DateTimeField(_("计划上岗"))
    ends_at = models.DateTimeField(_("计划下岗"))
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("带班民警"),
        null=True,
        blank=True,
        related_name="led_post_shifts",
        on_delete=models.SET_NULL,
    )
    officers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("值班民警"), related_name="post_shifts", blank=True
    )
    auxiliaries = models.CharField(_("辅警"), max_length=200, blank=True, help_text=_("姓名，以顿号分隔"))
    on_duty_at = models.DateTimeField(_("实际上岗"), null=True, blank=True)
    off_duty_at = models.DateTimeField(_("实际下岗"), null=True, blank=True)

    objects = DutyShiftQuerySet.as_manager()

    class Meta:
        verbose_name = _("班次")
        verbose_name_plural = _("班次")
        ordering = ["starts_at", "post__name"]
        constraints = [models.UniqueConstraint(fields=["post", "starts_at"], name="post_shift_start_unique")]
        indexes = [models.Index(fields=["post", "starts_at"], name="post_shift_post_start")]

    def __str__(self):
        local = timezone.localtime(self.starts_at)
        return f"{self.post} {local:%m-%d %H:%M}"

    def manned_interval(self, now=None):
        """(from, to) of the time the post was actually manned in this shift, or None if it never was;
        a shift still on duty counts up to `now`."""
        if self.on_duty_at is None:
            return None
        end = self.off_duty_at or min(now or timezone.now(), max(self.ends_at, self.on_duty_at))
        return (self.on_duty_at, end) if end > self.on_duty_at else None

    def late_minutes(self) -> int | None:
        if self.on_duty_at is None:
            return None
        return max(0, int((self.on_duty_at - self.starts_at).total_seconds() // 60))

    def auxiliary_names(self) -> list[str]:
        return [n for n in self.auxiliaries.replace(",", "、").replace("，", "、").split("、") if n.strip()]


class WantedEntry(models.Model):
    """An entry of the bureau's wanted lists: a fugitive (在逃人员, by ID number) or a vehicle under
    control (布控车辆, by plate), with the reason and the issuing unit. Checks at the posts are held
    against the active entries; a match is shown to the checking officer, who decides what to do."""

    class Kind(models.TextChoices):
        PERSON = "person", _("在逃人员")
        VEHICLE = "vehicle", _("布控车辆")

    kind = models.CharField(_("类型"), max_length=8, choices=Kind.choices)
    id_number = EncryptedCharField(_("身份证号码"), max_length=18, blank=True)
    id_number_index = BlindIndexField(source="id_number", kind="id_number")
    plate = models.CharField(_("号牌号码"), max_length=10, blank=True, db_index=True)
    reason = models.CharField(_("事由"), max_length=200)
    issuing_unit = models.ForeignKey(
        Organization, verbose_name=_("发布单位"), related_name="wanted_entries", on_delete=models.PROTECT
    )
    active = models.BooleanField(_("有效"), default=True)
    created_at = models.DateTimeField(_("发布时间"), default=timezone.now)

    class Meta:
        verbose_name = _("布控名单")
        verbose_name_plural = _("布控名单")
        ordering = ["-active", "-created_at"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.subject}"

    @property
    def subject(self) -> str:
        """What the entry is about, as a page may show it: the plate, or the masked ID number."""
        return self.plate if self.kind == self.Kind.VEHICLE else mask("id_number", self.id_number)


class CheckRecordQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(shift__in=DutyShift.objects.visible_to(user))


class CheckRecord(models.Model):
    """One check (盘查/核查) at a post: the person (ID number, stored encrypted, shown masked) and/or
    vehicle (GA 36 plate, type) checked, when, by whom, and the result.

    When the ID number or plate matched an active wanted-list entry, `wanted` holds that entry and
    the officer records how the hit was handled (`hit_handling`, `hit_note`). The hit is a record
    of the check, never an automated decision: the system only shows the match; the officer verifies
    the person or vehicle and decides, and both the match and the decision stay on the record.
    """

    class VehicleType(models.TextChoices):
        CAR = "car", _("小型汽车")
        LARGE = "large", _("大型汽车")
        TRUCK = "truck", _("货车")
        MOTORCYCLE = "motorcycle", _("摩托车")
        TRAILER = "trailer", _("挂车")
        OTHER = "other", _("其他")

    class Result(models.TextChoices):
        CLEARED = "cleared", _("正常放行")
        WARNED = "warned", _("批评教育")
        FINED = "fined", _("违法处理")
        HANDED_OVER = "handed_over", _("移交处理")

    class Handling(models.TextChoices):
        EXCLUDED = "excluded", _("核实排除")
        HANDED_OVER = "handed_over", _("带离移交")
        VEHICLE_HELD = "vehicle_held", _("扣留车辆")
        REPORTED = "reported", _("上报待核")

    shift = models.ForeignKey(DutyShift, verbose_name=_("班次"), related_name="checks", on_delete=models.CASCADE)
    checked_at = models.DateTimeField(_("核查时间"), default=timezone.now)
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("核查民警"), related_name="post_checks", on_delete=models.PROTECT
    )
    id_number = EncryptedCharField(_("身份证号码"), max_length=18, blank=True)
    id_number_index = BlindIndexField(source="id_number", kind="id_number")
    plate = models.CharField(_("号牌号码"), max_length=10, blank=True)
    vehicle_type = models.CharField(_("车辆类型"), max_length=12, choices=VehicleType.choices, blank=True)
    result = models.CharField(_("核查结果"), max_length=12, choices=Result.choices, default=Result.CLEARED)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    wanted = models.ForeignKey(
        WantedEntry,
        verbose_name=_("比中名单"),
        null=True,
        blank=True,
        related_name="hits",
        on_delete=models.PROTECT,
    )
    hit_handling = models.CharField(_("比中处置"), max_length=12, choices=Handling.choices, blank=True)
    hit_note = models.CharField(_("处置说明"), max_length=200, blank=True)
    hit_handled_at = models.DateTimeField(_("处置时间"), null=True, blank=True)
    hit_handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处置民警"),
        null=True,
        blank=True,
        related_name="post_hits_handled",
        on_delete=models.PROTECT,
    )

    objects = CheckRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("核查记录")
        verbose_name_plural = _("核查记录")
        ordering = ["-checked_at", "-id"]

    def __str__(self):
        return f"{self.shift} {self.plate or self.masked_id_number}"

    @property
    def masked_id_number(self) -> str:
        return mask("id_number", self.id_number)

    @property
    def hit_pending(self) -> bool:
        return self.wanted_id is not None and not self.hit_handling
