"""走失/被拐: missing-person cases and the clues gathered on them.

The broadcast to work groups (groups, the widening rings, every send) is in `anmin.missing.broadcast`
and its models below the case; a case only says where and when the person was last seen and in what
category, and the broadcast derives the rings from that.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anmin.core.crypto import EncryptedCharField
from anmin.core.uploads import private_storage
from anmin.geo.models import lat_validators, lon_validators
from anmin.org.models import Organization, scope_path


class MissingCaseQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A station sees the cases it is responsible for; a branch its stations'; the bureau all."""
        path = scope_path(user)
        if path is None:
            return self.none()
        return self.filter(station__path__startswith=path) if path else self


class MissingCase(models.Model):
    """A person reported missing (走失) or feared abducted (被拐): who, what they look like, where and
    when they were last seen. Opened from the portal's lost-person report, a 110 incident or by an
    officer; 'found' ends the search and the broadcast."""

    class Category(models.TextChoices):
        ELDERLY = "elderly", _("老人/失智")
        CHILD = "child", _("儿童")
        OTHER = "other", _("其他")

    class Source(models.TextChoices):
        PORTAL = "portal", _("网上报告")
        INCIDENT = "incident", _("110警情")
        OFFICER = "officer", _("民警登记")
        PFIF = "pfif", _("PFIF导入")

    class Status(models.TextChoices):
        SEARCHING = "searching", _("查找中")
        FOUND = "found", _("已找到")
        CLOSED = "closed", _("已结束")

    number = models.CharField(_("编号"), max_length=24, unique=True)
    full_name = EncryptedCharField(_("姓名"), max_length=30)
    category = models.CharField(_("类别"), max_length=10, choices=Category.choices)
    sex = models.CharField(_("性别"), max_length=1, blank=True, choices=[("M", _("男")), ("F", _("女"))])
    age = models.PositiveSmallIntegerField(_("年龄"), null=True, blank=True)
    description = models.TextField(_("体貌特征及衣着"), max_length=1000)
    last_seen_at = models.DateTimeField(_("最后出现时间"))
    last_seen_place = models.CharField(_("最后出现地点"), max_length=200, blank=True)
    lat = models.FloatField(_("纬度"), validators=lat_validators)
    lon = models.FloatField(_("经度"), validators=lon_validators)
    station = models.ForeignKey(Organization, verbose_name=_("责任派出所"), related_name="+", on_delete=models.PROTECT)
    photo = models.FileField(_("照片"), storage=private_storage, upload_to="missing/%Y/%m/", blank=True)
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices)
    incident = models.ForeignKey(
        "incidents.Incident", verbose_name=_("警情"), null=True, blank=True, related_name="+", on_delete=models.SET_NULL
    )
    report = models.OneToOneField(
        "reports.MissingPersonReport",
        verbose_name=_("网上报告"),
        null=True,
        blank=True,
        related_name="case",
        on_delete=models.SET_NULL,
    )
    # PFIF person_record_id ("domain/unique") — ours for cases opened here, the other repository's for imports.
    pfif_id = models.CharField(_("PFIF 记录号"), max_length=200, unique=True, null=True, blank=True)
    # PIPL: a name and photo go beyond the police (PFIF export) only with the family's consent; the
    # alert to the bureau's own work groups is part of the search and needs none.
    may_publish = models.BooleanField(
        _("同意公开"), default=False, help_text=_("家属同意将寻人信息公开（如导出到 Person Finder）")
    )
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.SEARCHING)
    found_at = models.DateTimeField(_("找到时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.PROTECT,
    )
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    objects = MissingCaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("走失/被拐案件")
        verbose_name_plural = _("走失/被拐案件")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.number


class Clue(models.Model):
    """A reply or clue on a case (PFIF note): entered by an officer, or posted back by a member of a
    work group through the link in the alert."""

    class Source(models.TextChoices):
        OFFICER = "officer", _("民警录入")
        GROUP = "group", _("群成员回复")
        PFIF = "pfif", _("PFIF导入")

    case = models.ForeignKey(MissingCase, verbose_name=_("案件"), related_name="clues", on_delete=models.CASCADE)
    source = models.CharField(_("来源"), max_length=8, choices=Source.choices)
    author_name = EncryptedCharField(_("提供人"), max_length=30, blank=True)
    text = models.TextField(_("内容"), max_length=2000)
    seen_at = models.DateTimeField(_("目击时间"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True, validators=lat_validators)
    lon = models.FloatField(_("经度"), null=True, blank=True, validators=lon_validators)
    # True when the clue says the person is found (PFIF author_made_contact / status "is_note_author").
    says_found = models.BooleanField(_("报告已找到"), default=False)
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, related_name="+", on_delete=models.PROTECT
    )
    pfif_id = models.CharField(_("PFIF 记录号"), max_length=200, unique=True, null=True, blank=True)
    # The work group whose alert link the clue came through (the broadcast's clue page).
    via_group = models.ForeignKey(
        "missing.Group",
        verbose_name=_("来自工作群"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
    )
    at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("线索")
        verbose_name_plural = _("线索")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.case} {self.at:%Y-%m-%d %H:%M}"


# The broadcast's models (groups, rings, sends) live in their own module; imported here so Django
# finds them as this app's models.
from anmin.missing.broadcast_models import *  # noqa: E402, F403
