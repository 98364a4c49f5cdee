"""The password policy (身份鉴别: 口令复杂度并定期更换, GB/T 22239-2019 8.1.4.1 a), as Django password
validators, so that every place Django sets a password by a form — the officer's own change, the
admin's add and "change password" forms, `createsuperuser` — applies the same rules:

- at least PASSWORD_MIN_LENGTH characters (8), of at least PASSWORD_MIN_CLASSES (3) of the four
  classes lower case, upper case, digit, symbol;
- not containing the account name or the 警号;
- none of the last PASSWORD_HISTORY (5) passwords of the officer.

`PasswordHistoryValidator.password_changed` is also the one place a password change is recorded:
Django calls it from `Officer.save()` after every `set_password()`, whoever called it.
"""

import contextvars
from contextlib import contextmanager

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

#: True while an officer sets his own password (ChangeOwnPassword): only a password set by someone
#: else (an administrator, a command) must be changed at the next sign-in.
_own_change = contextvars.ContextVar("anmin_own_password_change", default=False)


@contextmanager
def own_change():
    token = _own_change.set(True)
    try:
        yield
    finally:
        _own_change.reset(token)


def character_classes(password: str) -> int:
    lower = any(ch.islower() for ch in password)
    upper = any(ch.isupper() for ch in password)
    digit = any(ch.isdigit() for ch in password)
    symbol = any(not ch.isalnum() for ch in password)
    return lower + upper + digit + symbol


class LengthValidator:
    """At least PASSWORD_MIN_LENGTH characters."""

    def validate(self, password, user=None):
        n = settings.PASSWORD_MIN_LENGTH
        if len(password) < n:
            raise ValidationError(
                ngettext("密码至少 %(n)d 位。", "密码至少 %(n)d 位。", n) % {"n": n}, code="password_too_short"
            )

    def get_help_text(self):
        n = settings.PASSWORD_MIN_LENGTH
        return ngettext("至少 %(n)d 位", "至少 %(n)d 位", n) % {"n": n}


class CharacterClassValidator:
    """At least PASSWORD_MIN_CLASSES of lower case, upper case, digits and symbols."""

    def validate(self, password, user=None):
        n = settings.PASSWORD_MIN_CLASSES
        if character_classes(password) < n:
            raise ValidationError(
                _("密码须包含小写字母、大写字母、数字、符号中的至少 %(n)d 类。") % {"n": n}, code="password_too_simple"
            )

    def get_help_text(self):
        return _("包含小写字母、大写字母、数字、符号中的至少 %(n)d 类") % {"n": settings.PASSWORD_MIN_CLASSES}


class AccountNameValidator:
    """Not the account name or the 警号, nor a password containing either: both are printed on
    duty rosters and shown on every page header."""

    #: Shorter names ("li") would refuse too many good passwords by chance; equality still counts.
    MIN_CONTAINED = 4

    def validate(self, password, user=None):
        if user is None:
            return
        lowered = password.lower()
        for value in (getattr(user, "username", ""), getattr(user, "badge_number", "")):
            value = (value or "").strip().lower()
            if not value:
                continue
            if lowered == value or (len(value) >= self.MIN_CONTAINED and value in lowered):
                raise ValidationError(_("密码不能包含账号名或警号。"), code="password_contains_account")

    def get_help_text(self):
        return _("不能包含账号名或警号")


class PasswordHistoryValidator:
    """None of the officer's last PASSWORD_HISTORY passwords (the current one included)."""

    def validate(self, password, user=None):
        if user is None or user.pk is None:
            return
        if any(check_password(password, encoded) for encoded in recent_hashes(user)):
            n = settings.PASSWORD_HISTORY
            raise ValidationError(
                ngettext("不能使用最近 %(n)d 次用过的密码。", "不能使用最近 %(n)d 次用过的密码。", n) % {"n": n},
                code="password_reused",
            )

    def password_changed(self, password, user=None):
        if user is not None and user.pk is not None:
            record_password_change(user, own=_own_change.get())

    def get_help_text(self):
        return _("不能与最近 %(n)d 次用过的密码相同") % {"n": settings.PASSWORD_HISTORY}


def recent_hashes(user) -> list[str]:
    from anmin.accounts.models import PasswordRecord

    n = settings.PASSWORD_HISTORY
    if n <= 0:
        return []
    hashes = list(PasswordRecord.objects.filter(officer=user).values_list("password", flat=True)[:n])
    # The password in use before records were kept counts too. The hash is read from the database:
    # the admin's form has already put the new one on the instance it validates.
    current = get_user_model().objects.filter(pk=user.pk).values_list("password", flat=True).first()
    if current and current not in hashes:
        hashes.append(current)
    return hashes


def record_password_change(user, *, own: bool) -> None:
    """Keep the new hash, drop those beyond PASSWORD_HISTORY, restart the password's age, and say
    whether the officer must choose another at the next sign-in (not when he chose this one).

    Called from inside `Officer.save()`, so in the transaction of whoever saved the officer;
    writing here rather than in each caller is what makes the admin's forms record too.
    """
    from anmin.accounts.models import Credential, PasswordRecord

    now = timezone.now()
    if user.password and not user.password.startswith("!"):  # "!" marks an unusable password
        PasswordRecord.objects.create(officer=user, password=user.password, created_at=now)
        keep = PasswordRecord.objects.filter(officer=user).values_list("pk", flat=True)[: settings.PASSWORD_HISTORY]
        PasswordRecord.objects.filter(officer=user).exclude(pk__in=list(keep)).delete()
    must_change = not own and settings.PASSWORD_CHANGE_FIRST_LOGIN
    Credential.objects.update_or_create(officer=user, defaults={"password_changed_at": now, "must_change": must_change})
