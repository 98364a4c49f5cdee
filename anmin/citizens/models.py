"""The public's accounts on the portal (网上办、掌上办): a phone number proved by an SMS code, and a
real-name check (实名认证) with name and 居民身份证号码 (GB 11643) before anything is applied for.

Citizens are not officers: they sign in on the portal only (their own session key, never Django's
login), see only their own matters, and appear in the audit trail by label.

Phone and ID numbers are stored encrypted (个人信息保护法 art. 51) and found by their blind index:
`Citizen.objects.by_phone(phone)`, `.by_id_number(number)`, never by the column itself.
"""

import hashlib
import hmac

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anmin.core.crypto import BlindIndexField, EncryptedCharField, matching
from anmin.core.masking import mask_id_number, mask_phone
from anmin.org.models import Organization, scope_path


class CitizenQuerySet(models.QuerySet):
    # Through `matching`: during a key rotation, rows still carry the old key's index.
    def by_phone(self, phone: str):
        return self.filter(matching(self.model, "phone", phone))

    def by_id_number(self, id_number: str):
        return self.filter(matching(self.model, "id_number", id_number))


class Citizen(models.Model):
    """A member of the public, known by a mobile number they proved they hold; once verified
    (实名认证), their name and 居民身份证号码 are locked and change only through staff review
    (IdentityChangeRequest)."""

    phone = EncryptedCharField(_("手机号码"), max_length=11)
    phone_index = BlindIndexField(source="phone", kind="phone", unique=True)
    name = models.CharField(_("姓名"), max_length=30, blank=True)
    id_number = EncryptedCharField(_("公民身份号码"), max_length=18)
    id_number_index = BlindIndexField(source="id_number", kind="id_number")
    verified_at = models.DateTimeField(_("实名认证时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("注册时间"), default=timezone.now)
    last_login_at = models.DateTimeField(_("最后登录"), null=True, blank=True)

    objects = CitizenQuerySet.as_manager()

    class Meta:
        verbose_name = _("群众")
        verbose_name_plural = _("群众")
        constraints = [
            # One real name per ID number: the action checks first and says so politely; this
            # index makes two verifications racing for one number impossible, not just unlikely.
            models.UniqueConstraint(
                fields=["id_number_index"],
                condition=Q(verified_at__isnull=False),
                name="citizen_one_verified_account_per_id_number",
            )
        ]

    def __str__(self):
        return f"{self.name or _('未实名')} {mask_phone(self.phone)}"

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def audit_label(self) -> str:
        return f"citizen#{self.pk} {mask_phone(self.phone)}"

    is_authenticated = True  # for code that asks a principal whether it is signed in


def hash_code(phone: str, code: str) -> str:
    """Codes are stored as a keyed hash: a database dump does not reveal a code still valid."""
    return hmac.new(settings.SECRET_KEY.encode(), f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()


class SmsCodeQuerySet(models.QuerySet):
    def by_phone(self, phone: str):
        return self.filter(matching(self.model, "phone", phone))


class SmsCode(models.Model):
    """A one-time sign-in code sent to a phone: valid for a few minutes, used once, a few tries."""

    phone = EncryptedCharField(_("手机号码"), max_length=11)
    phone_index = BlindIndexField(source="phone", kind="phone")
    code_hash = models.CharField(max_length=64)
    ip = models.GenericIPAddressField(_("请求地址"), null=True, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), default=timezone.now, db_index=True)
    expires_at = models.DateTimeField(_("失效时间"))
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)

    objects = SmsCodeQuerySet.as_manager()

    class Meta:
        verbose_name = _("短信验证码")
        verbose_name_plural = _("短信验证码")
        indexes = [models.Index(fields=["ip", "sent_at"])]

    def __str__(self):
        return f"{mask_phone(self.phone)} {self.sent_at:%Y-%m-%d %H:%M}"


class RealNameAttempt(models.Model):
    """How many real-name checks one citizen, or one network address, asked for on one day: the
    limit keeps anyone from probing which ID numbers belong to whom, name by name."""

    key = models.CharField(max_length=80)  # "citizen:<id>" or "ip:<address>"
    day = models.DateField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "day"], name="realname_attempt_one_row_a_day")]

    def __str__(self):
        return f"{self.key} {self.day}: {self.count}"


class IdentityChangeStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("已通过")
    REFUSED = "refused", _("未通过")


class IdentityChangeQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Staff see the requests addressed to a 派出所 in their organization subtree."""
        path = scope_path(user)
        if path is None:
            return self.none()
        return self.filter(organization__path__startswith=path) if path else self

    def pending(self):
        return self.filter(status=IdentityChangeStatus.PENDING)


class IdentityChangeRequest(models.Model):
    """实名信息变更申请: a verified citizen asks to change the name or 居民身份证号码 on their account
    (a mistyped number, a changed name under 户口登记条例 art. 18). The 派出所 the citizen chose
    reviews it — the population service is asked again and the number must not be verified on
    another account — before the account's identity changes."""

    citizen = models.ForeignKey(
        Citizen, verbose_name=_("群众"), related_name="identity_changes", on_delete=models.CASCADE
    )
    organization = models.ForeignKey(
        Organization, verbose_name=_("受理单位"), related_name="identity_changes", on_delete=models.PROTECT
    )
    new_name = models.CharField(_("变更后姓名"), max_length=30)
    new_id_number = EncryptedCharField(_("变更后公民身份号码"), max_length=18)
    new_id_number_index = BlindIndexField(source="new_id_number", kind="id_number")
    reason = models.CharField(_("变更原因"), max_length=500)
    status = models.CharField(
        _("状态"), max_length=10, choices=IdentityChangeStatus.choices, default=IdentityChangeStatus.PENDING
    )
    submitted_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.PROTECT,
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    review_note = models.CharField(_("审核意见"), max_length=500, blank=True)

    objects = IdentityChangeQuerySet.as_manager()

    class Meta:
        verbose_name = _("实名信息变更申请")
        verbose_name_plural = _("实名信息变更申请")
        constraints = [
            models.UniqueConstraint(
                fields=["citizen"],
                condition=Q(status="pending"),
                name="identity_change_one_pending_per_citizen",
            )
        ]

    def __str__(self):
        return f"{self.citizen} → {self.new_name} {self.masked_new_id_number}"

    @property
    def masked_new_id_number(self) -> str:
        return mask_id_number(self.new_id_number)

    @property
    def is_pending(self) -> bool:
        return self.status == IdentityChangeStatus.PENDING
