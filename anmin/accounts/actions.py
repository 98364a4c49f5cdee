"""Account security actions: an officer's own password change, enrolling and resetting the second
factor, checking a sign-in code. Each writes its audit entry in its own transaction; none ever
puts a password, a secret or a code into the trail."""

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from anmin.accounts import totp
from anmin.accounts.models import Credential, RecoveryCode
from anmin.accounts.validators import own_change
from anmin.core.actions import Action
from anmin.core.errors import ActionError, Conflict, Denied
from anmin.org.models import Officer, Role


class ChangeOwnPassword(Action):
    """An officer replaces his own password (自主修改口令). The form has checked the old password
    and the policy; the hash goes to the history by `PasswordHistoryValidator.password_changed`,
    which, because the officer chose it himself, does not ask for another at the next sign-in."""

    audit_action = "account.password_changed"

    def __init__(self, *, by: Officer, new_password: str):
        self.by, self.new_password = by, new_password

    def run(self) -> None:
        with own_change():
            self.by.set_password(self.new_password)
            self.by.save(update_fields=["password"])
        self.audit(self.by, {"by": "self"})


class StartPasswordClock(Action):
    """Start the password's age for an account that signed in before ages were kept: its
    PASSWORD_MAX_AGE_DAYS count from this first sign-in, since when the password was set is unknown."""

    not_audited = "the sign-in it belongs to is audited as auth.login"

    def __init__(self, *, officer: Officer):
        self.officer = officer

    def run(self) -> Credential:
        credential, _created = Credential.objects.get_or_create(
            officer=self.officer, defaults={"password_changed_at": timezone.now()}
        )
        return credential


class EnrolTotp(Action):
    """An officer links an authenticator app (启用双因素认证): the secret shown as a QR code is kept
    once the officer has typed a code it makes, and ten recovery codes are issued (returned once,
    only their hashes kept)."""

    audit_action = "account.totp_enrolled"

    def __init__(self, *, by: Officer, secret: str, code: str):
        self.by, self.secret, self.code = by, secret, code

    def check(self) -> None:
        credential = Credential.objects.of(self.by)
        if credential is not None and credential.has_totp:
            raise Conflict(_("动态口令已启用；如需更换手机，请联系安全管理员重置。"))
        self.step = totp.matching_step(self.secret, self.code)
        if self.step is None:
            raise ActionError(_("验证码不正确，请输入验证器当前显示的 6 位数字。"), field="code")

    def run(self) -> list[str]:
        credential, _created = Credential.objects.get_or_create(officer=self.by)
        credential.totp_secret = self.secret
        credential.totp_confirmed_at = timezone.now()
        credential.last_totp_step = self.step
        credential.save(update_fields=["totp_secret", "totp_confirmed_at", "last_totp_step"])
        credential.recovery_codes.all().delete()
        codes = totp.new_recovery_codes()
        RecoveryCode.objects.bulk_create(
            RecoveryCode(credential=credential, code_hash=RecoveryCode.hash(code)) for code in codes
        )
        self.audit(self.by, {"recovery_codes": len(codes)})
        return codes


class ResetTwoFactor(Action):
    """The security administrator removes an officer's second factor (a lost phone): the officer
    enrols again at the next sign-in if his role requires it. Only the 安全管理员 may: accounts
    and their credentials are his part of the separation of duties (三权分立)."""

    audit_action = "account.totp_reset"

    def __init__(self, *, by: Officer, officer: Officer, reason: str = ""):
        self.by, self.officer, self.reason = by, officer, reason

    def check(self) -> None:
        if self.by.role != Role.SECURITY_ADMIN:
            raise Denied(_("只有安全管理员可以重置双因素认证"))
        credential = Credential.objects.of(self.officer)
        if credential is None or not credential.has_totp:
            raise ActionError(_("该民警尚未启用动态口令"), field="officer")

    def run(self) -> None:
        credential = Credential.objects.get(officer=self.officer)
        credential.totp_secret = ""
        credential.totp_confirmed_at = None
        credential.last_totp_step = None
        credential.save(update_fields=["totp_secret", "totp_confirmed_at", "last_totp_step"])
        credential.recovery_codes.all().delete()
        self.audit(self.officer, {"reason": self.reason} if self.reason else None)


class VerifySecondFactor(Action):
    """The second step of a sign-in: a code from the authenticator (each 30-second code accepted
    once: a conditional UPDATE on the last step, so two requests racing with one code cannot both
    pass) or a recovery code (spent by a conditional UPDATE for the same reason). Returns the factor
    used. A recovery code's use is audited here; the sign-in itself is audited as auth.login."""

    audit_action = "auth.recovery_code_used"

    def __init__(self, *, officer: Officer, code: str):
        self.by, self.code = officer, code

    def run(self) -> str:
        credential = Credential.objects.of(self.by)
        if credential is None or not credential.has_totp:
            raise ActionError(_("该账号未启用动态口令"), field="code")
        if totp.looks_like_totp(self.code):
            step = totp.matching_step(credential.totp_secret, self.code)
            if step is None:
                raise ActionError(_("验证码不正确"), field="code", code="wrong_code")
            fresh = Q(last_totp_step__isnull=True) | Q(last_totp_step__lt=step)
            if not Credential.objects.filter(fresh, pk=credential.pk).update(last_totp_step=step):
                raise ActionError(_("该验证码已使用过，请等待验证器显示下一个验证码"), field="code", code="reused")
            return "totp"
        spent = RecoveryCode.objects.filter(
            credential=credential, code_hash=RecoveryCode.hash(self.code), used_at__isnull=True
        ).update(used_at=timezone.now())
        if not spent:
            raise ActionError(_("验证码不正确"), field="code", code="wrong_code")
        left = credential.recovery_codes.filter(used_at__isnull=True).count()
        self.audit(self.by, {"recovery_codes_left": left})
        return "recovery_code"
