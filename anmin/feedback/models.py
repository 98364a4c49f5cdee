"""群众满意度回访: one survey per closed matter (a 110 incident reported back, an application
finished), answered once by the citizen through an SMS link or recorded by staff on a phone
回访; a dissatisfied answer opens a follow-up (整改/回复) for the responsible unit's leader.

The matter is generic (content type + id) so the incident and the services apps need no column
for it; what the statistics count by (responsible organization, officer, service item, kind) is
copied onto the survey when it opens, so the satisfaction rate is one rollup like the others.
"""

import hashlib
import secrets

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anmin.core.crypto import EncryptedCharField
from anmin.core.masking import mask_phone
from anmin.org.models import Organization, scope_path


class MatterKind(models.TextChoices):
    INCIDENT = "incident", _("警情")
    APPLICATION = "application", _("政务服务办件")


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASIC = "basic", _("基本满意")
    DISSATISFIED = "dissatisfied", _("不满意")


class Reason(models.TextChoices):
    SLOW_ARRIVAL = "slow_arrival", _("出警慢")
    ATTITUDE = "attitude", _("态度不好")
    UNFAIR = "unfair", _("处置不公")
    SLOW_SERVICE = "slow_service", _("办理慢")
    OTHER = "other", _("其他")


class Channel(models.TextChoices):
    LINK = "link", _("短信链接")
    CALLBACK = "callback", _("电话回访")


def hash_token(token: str) -> str:
    """Links carry a random token; only its hash is stored, so a database dump opens no survey."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(24)


class SurveyQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Staff see the surveys of matters their organization subtree was responsible for."""
        path = scope_path(user)
        if path is None:
            return self.none()
        return self.filter(organization__path__startswith=path) if path else self

    def unanswered(self):
        return self.filter(answered_at__isnull=True)


class Survey(models.Model):
    """A 回访 of one closed matter: the citizen's satisfaction with how the police handled it."""

    content_type = models.ForeignKey(ContentType, verbose_name=_("事项类型"), on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField(_("事项编号"))
    matter = GenericForeignKey("content_type", "object_id")
    kind = models.CharField(_("类型"), max_length=12, choices=MatterKind.choices)
    matter_label = models.CharField(_("事项"), max_length=60, help_text=_("接警单号或办件编号"))
    phone = EncryptedCharField(_("回访电话"), max_length=20, blank=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    # Denormalised for the statistics and for scoping: who was responsible when the matter closed.
    organization = models.ForeignKey(
        Organization, verbose_name=_("责任单位"), related_name="surveys", on_delete=models.PROTECT
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("责任民警"),
        null=True,
        blank=True,
        related_name="surveys",
        on_delete=models.SET_NULL,
    )
    service_item_id = models.PositiveIntegerField(_("服务事项"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"))
    opened_at = models.DateTimeField(_("发起时间"), default=timezone.now, db_index=True)
    expires_at = models.DateTimeField(_("链接失效时间"))
    sms_sent_at = models.DateTimeField(_("短信发送时间"), null=True, blank=True)
    # The answer (one per survey).
    rating = models.CharField(_("评价"), max_length=12, choices=Rating.choices, blank=True)
    reasons = models.JSONField(_("不满意原因"), default=list, blank=True)
    comment = models.TextField(_("意见建议"), max_length=500, blank=True)
    answered_at = models.DateTimeField(_("评价时间"), null=True, blank=True, db_index=True)
    channel = models.CharField(_("评价渠道"), max_length=10, choices=Channel.choices, blank=True)
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("回访人"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
    )

    objects = SurveyQuerySet.as_manager()

    class Meta:
        verbose_name = _("满意度回访")
        verbose_name_plural = _("满意度回访")
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["content_type", "object_id"], name="feedback_one_survey_per_matter")
        ]
        indexes = [models.Index(fields=["organization", "answered_at"])]

    def __str__(self):
        return f"{self.get_kind_display()} {self.matter_label}"

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None

    def is_expired(self, now=None) -> bool:
        return (now or timezone.now()) >= self.expires_at

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def reason_labels(self) -> list[str]:
        return [str(Reason(r).label) for r in self.reasons if r in Reason.values]


class FollowUpQuerySet(models.QuerySet):
    def visible_to(self, user):
        path = scope_path(user)
        if path is None:
            return self.none()
        return self.filter(organization__path__startswith=path) if path else self

    def open(self):
        return self.filter(closed_at__isnull=True)


class FollowUp(models.Model):
    """不满意回访的核查整改: the responsible unit's leader looks into a dissatisfied answer, puts
    right what was wrong and answers the citizen, by a deadline in working days."""

    survey = models.OneToOneField(Survey, verbose_name=_("回访"), related_name="follow_up", on_delete=models.CASCADE)
    organization = models.ForeignKey(
        Organization, verbose_name=_("责任单位"), related_name="follow_ups", on_delete=models.PROTECT
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("责任领导"),
        null=True,
        blank=True,
        related_name="follow_ups",
        on_delete=models.SET_NULL,
    )
    opened_at = models.DateTimeField(_("发起时间"), default=timezone.now)
    due_at = models.DateTimeField(_("办理期限"))
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("办结人"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
    )
    note = models.TextField(_("核查整改情况"), max_length=2000, blank=True)

    objects = FollowUpQuerySet.as_manager()

    class Meta:
        verbose_name = _("不满意整改")
        verbose_name_plural = _("不满意整改")
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["organization", "closed_at"])]

    def __str__(self):
        return f"{self.survey} → {self.organization}"

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None

    def is_overdue(self, now=None) -> bool:
        return (self.closed_at or now or timezone.now()) > self.due_at
