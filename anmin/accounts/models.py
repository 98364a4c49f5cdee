"""An officer's credentials beyond the password hash (身份鉴别, GB/T 22239-2019 8.1.4.1): when the
password was last set and whether it must be changed, the second factor (TOTP) and its recovery
codes, and the hashes of earlier passwords so that none of the last few comes back."""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anmin.core.crypto import EncryptedCharField


class CredentialQuerySet(models.QuerySet):
    def of(self, officer) -> "Credential | None":
        return self.filter(officer=officer).first()


class Credential(models.Model):
    """What Anmin knows of an officer's sign-in beyond Django's password hash, created when first
    needed: an officer without one (created by the demo or a test) is never forced to change a
    password, and has no second factor.

    `must_change` is set when an administrator sets the password (a new account, a reset): the
    officer then chooses one nobody else knows at the next sign-in. `password_changed_at` starts
    the PASSWORD_MAX_AGE_DAYS clock.
    """

    officer = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("民警"), related_name="credential", on_delete=models.CASCADE
    )
    password_changed_at = models.DateTimeField(_("密码设置时间"), null=True, blank=True)
    must_change = models.BooleanField(_("须修改密码"), default=False)
    # 160 bits in base32, as authenticator apps expect (RFC 4226 recommends at least 128).
    totp_secret = EncryptedCharField(_("动态口令密钥"), max_length=32)
    totp_confirmed_at = models.DateTimeField(_("动态口令启用时间"), null=True, blank=True)
    # The 30-second step of the last code accepted: a code is good once, even within its window.
    last_totp_step = models.BigIntegerField(null=True, blank=True, editable=False)

    objects = CredentialQuerySet.as_manager()

    class Meta:
        verbose_name = _("登录凭据")
        verbose_name_plural = _("登录凭据")

    def __str__(self):
        return str(self.officer)

    @property
    def has_totp(self) -> bool:
        return self.totp_confirmed_at is not None and bool(self.totp_secret)

    def password_expired(self, now=None) -> bool:
        days = settings.PASSWORD_MAX_AGE_DAYS
        if not days or self.password_changed_at is None:
            return False
        return (now or timezone.now()) - self.password_changed_at > timedelta(days=days)


class RecoveryCode(models.Model):
    """A one-time code that stands in for the authenticator app when the phone is lost. Only a
    SHA-256 hash is kept: a code carries 80 random bits, too many to find from the hash."""

    credential = models.ForeignKey(Credential, related_name="recovery_codes", on_delete=models.CASCADE)
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("恢复码")
        verbose_name_plural = _("恢复码")
        constraints = [models.UniqueConstraint(fields=["credential", "code_hash"], name="recovery_code_once")]

    def __str__(self):
        return f"{self.credential} ({self.pk})"

    @staticmethod
    def hash(code: str) -> str:
        return hashlib.sha256(normalize_code(code).encode()).hexdigest()


def normalize_code(code: str) -> str:
    """A recovery code as typed (any case, with or without dashes or spaces) in its stored form."""
    return "".join(ch for ch in code.lower() if ch.isalnum())


class PasswordRecord(models.Model):
    """The hash of a password an officer had, so that none of the last PASSWORD_HISTORY comes
    back (a password known to a colleague or leaked stays retired). Older records are deleted."""

    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("民警"), related_name="password_records", on_delete=models.CASCADE
    )
    password = models.CharField(max_length=128)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("历史密码")
        verbose_name_plural = _("历史密码")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.officer} {self.created_at:%Y-%m-%d}"
