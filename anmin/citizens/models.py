"""The public's accounts on the portal (网上办、掌上办): a phone number proved by an SMS code, and a
real-name check (实名认证) with name and 居民身份证号码 (GB 11643) before anything is applied for.

Citizens are not officers: they sign in on the portal only (their own session key, never Django's
login), see only their own matters, and appear in the audit trail by label.
"""

import hashlib
import hmac

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anmin.core.masking import mask_id_number, mask_phone


class Citizen(models.Model):
    """A member of the public, known by a mobile number they proved they hold."""

    phone = models.CharField(_("手机号码"), max_length=11, unique=True)
    name = models.CharField(_("姓名"), max_length=30, blank=True)
    id_number = models.CharField(_("公民身份号码"), max_length=18, blank=True, db_index=True)
    verified_at = models.DateTimeField(_("实名认证时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("注册时间"), default=timezone.now)
    last_login_at = models.DateTimeField(_("最后登录"), null=True, blank=True)

    class Meta:
        verbose_name = _("群众")
        verbose_name_plural = _("群众")

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


class SmsCode(models.Model):
    """A one-time sign-in code sent to a phone: valid for a few minutes, used once, a few tries."""

    phone = models.CharField(_("手机号码"), max_length=11, db_index=True)
    code_hash = models.CharField(max_length=64)
    ip = models.GenericIPAddressField(_("请求地址"), null=True, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), default=timezone.now, db_index=True)
    expires_at = models.DateTimeField(_("失效时间"))
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)

    class Meta:
        verbose_name = _("短信验证码")
        verbose_name_plural = _("短信验证码")
        indexes = [models.Index(fields=["ip", "sent_at"])]

    def __str__(self):
        return f"{mask_phone(self.phone)} {self.sent_at:%Y-%m-%d %H:%M}"
