"""Citizen sign-in by SMS code and real-name verification (实名认证)."""

import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from anmin.citizens import sms
from anmin.citizens.models import Citizen, SmsCode, hash_code
from anmin.core.actions import Action
from anmin.core.errors import ActionError
from anmin.core.idnumber import clean_id_number
from anmin.core.text import PERSON_NAME
from anmin.core.validation import clean_text

MOBILE = re.compile(r"^1[3-9]\d{9}$")
CODE_TTL = timedelta(minutes=5)
MAX_ATTEMPTS = 5


def clean_phone(value: str, field: str = "phone") -> str:
    phone = re.sub(r"[\s-]", "", value or "")
    if not phone:
        raise ActionError(_("请输入手机号码"), field=field, code="required")
    if not MOBILE.match(phone):
        raise ActionError(_("手机号码应为 11 位、以 1 开头"), field=field, code="invalid")
    return phone


class RateLimited(ActionError):
    status = 429


class RequestCode(Action):
    """Send a six-digit sign-in code. Limits: one a minute and SMS_PER_PHONE_HOUR an hour per
    number; SMS_PER_IP_HOUR an hour per address (a script trying many numbers is stopped too)."""

    not_audited = (
        "nobody is signed in yet: the code's row keeps number, address and time, and the sign-in it leads to is audited"
    )

    def __init__(self, *, phone: str, ip: str | None, now=None):
        self.raw_phone = phone
        self.ip = ip
        self.now = now or timezone.now()

    def check(self):
        self.phone = clean_phone(self.raw_phone)
        hour = self.now - timedelta(hours=1)
        recent = SmsCode.objects.filter(phone=self.phone, sent_at__gt=hour)
        if recent.filter(sent_at__gt=self.now - timedelta(seconds=60)).exists():
            raise RateLimited(_("验证码已发送，请 60 秒后再试"), field="phone", code="rate_limited")
        if recent.count() >= settings.SMS_PER_PHONE_HOUR:
            raise RateLimited(_("该号码一小时内获取验证码次数过多，请稍后再试"), field="phone", code="rate_limited")
        if self.ip and SmsCode.objects.filter(ip=self.ip, sent_at__gt=hour).count() >= settings.SMS_PER_IP_HOUR:
            raise RateLimited(_("本网络一小时内获取验证码次数过多，请稍后再试"), field="phone", code="rate_limited")

    def run(self) -> SmsCode:
        code = f"{secrets.randbelow(10**6):06d}"
        row = SmsCode.objects.create(
            phone=self.phone,
            code_hash=hash_code(self.phone, code),
            ip=self.ip,
            sent_at=self.now,
            expires_at=self.now + CODE_TTL,
        )
        sms.send(
            self.phone, _("【安民】您的登录验证码为 %(code)s，5 分钟内有效。如非本人操作，请忽略。") % {"code": code}
        )
        return row


class SignIn(Action):
    """Check the code (the latest unexpired one for the number, at most MAX_ATTEMPTS tries, used
    once) and return the citizen, created on first sign-in."""

    audit_action = "citizen.sign_in"

    def __init__(self, *, phone: str, code: str, now=None):
        self.raw_phone = phone
        self.code = (code or "").strip()
        self.now = now or timezone.now()

    def check(self):
        self.phone = clean_phone(self.raw_phone)
        if not re.fullmatch(r"\d{6}", self.code):
            raise ActionError(_("请输入 6 位数字验证码"), field="code", code="invalid")

    def run(self) -> Citizen:
        row = (
            SmsCode.objects.select_for_update()
            .filter(phone=self.phone, used_at__isnull=True, expires_at__gt=self.now)
            .order_by("-sent_at")
            .first()
        )
        if row is None:
            raise ActionError(_("验证码已失效或已使用，请重新获取"), field="code", code="expired")
        if row.attempts >= MAX_ATTEMPTS:
            raise ActionError(_("验证码错误次数过多，请重新获取"), field="code", code="too_many_attempts")
        if not secrets.compare_digest(row.code_hash, hash_code(self.phone, self.code)):
            raise _WrongCode(_("验证码不正确"), field="code", code="wrong")
        row.used_at = self.now
        row.save(update_fields=["used_at"])
        citizen, created = Citizen.objects.get_or_create(phone=self.phone, defaults={"created_at": self.now})
        citizen.last_login_at = self.now
        citizen.save(update_fields=["last_login_at"])
        self.audit(citizen, {"new": created}, actor=citizen)  # the actor exists only from here on
        return citizen

    def execute(self):
        try:
            return super().execute()
        except _WrongCode as exc:
            # The refusal rolled the action back; the failed attempt is counted after it, in a
            # transaction of its own, so guessing stops after MAX_ATTEMPTS.
            _count_attempt(self.phone, self.now)
            raise ActionError(exc.message, field=exc.field, code=exc.code) from None


class _WrongCode(ActionError):
    pass


def _count_attempt(phone: str, now) -> None:
    from django.db.models import F

    from anmin.core.actions import write_transaction

    with write_transaction():
        row = SmsCode.objects.filter(phone=phone, used_at__isnull=True, expires_at__gt=now).order_by("-sent_at")
        pk = row.values_list("pk", flat=True).first()
        if pk is not None:
            SmsCode.objects.filter(pk=pk).update(attempts=F("attempts") + 1)


class VerifyRealName(Action):
    """实名认证: the citizen's name and 居民身份证号码 (check digit, birth date, division code; a
    15-digit number is upgraded). A number already verified by another account is refused."""

    audit_action = "citizen.verify"

    def __init__(self, *, citizen: Citizen, name: str, id_number: str):
        self.citizen = citizen
        self.name = name
        self.id_number = id_number

    def check(self):
        self.clean_name = clean_text(self.name, "name", _("姓名"), 30, required=True)
        # Any CJK ideograph, Extensions A–J included: 王㛃, 张䶮 and 李𠮷 are names people have.
        if len(self.clean_name) < 2 or not PERSON_NAME.fullmatch(self.clean_name):
            raise ActionError(_("姓名应为 2–30 个汉字（少数民族姓名可含“·”）"), field="name", code="invalid")
        self.clean_number = clean_id_number(self.id_number, field="id_number")
        taken = Citizen.objects.filter(id_number=self.clean_number, verified_at__isnull=False)
        if taken.exclude(pk=self.citizen.pk).exists():
            raise ActionError(_("该身份证号码已由其他手机号完成实名认证"), field="id_number", code="taken")

    def audit_actor(self) -> Citizen:
        return self.citizen

    def run(self) -> Citizen:
        citizen = Citizen.objects.select_for_update().get(pk=self.citizen.pk)
        citizen.name = self.clean_name
        citizen.id_number = self.clean_number
        citizen.verified_at = timezone.now()
        citizen.save(update_fields=["name", "id_number", "verified_at"])
        self.audit(citizen, {"name": citizen.name})
        return citizen
