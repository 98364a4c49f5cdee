"""Citizen sign-in by SMS code, real-name verification (实名认证) and its staff-reviewed changes."""

import logging
import re
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from anmin.citizens import sms
from anmin.citizens.models import (
    Citizen,
    IdentityChangeRequest,
    IdentityChangeStatus,
    RealNameAttempt,
    SmsCode,
    hash_code,
)
from anmin.citizens.realname import Verdict, VerifierUnavailable, verifier
from anmin.core.actions import Action, write_transaction
from anmin.core.audit import Result, security_event
from anmin.core.errors import ActionError, Conflict, Denied
from anmin.core.idnumber import clean_id_number
from anmin.core.masking import mask_phone
from anmin.core.text import PERSON_NAME
from anmin.core.validation import clean_text
from anmin.org.models import Organization, Role

log = logging.getLogger("anmin.citizens")

MOBILE = re.compile(r"^1[3-9]\d{9}$")
CODE_TTL = timedelta(minutes=5)
MAX_ATTEMPTS = 5
#: Who reviews a change of a verified identity: the 派出所's 户政 officers and the leaders above them.
IDENTITY_REVIEWER_ROLES = {Role.STATION, Role.LEADER}


def clean_phone(value: str, field: str = "phone") -> str:
    phone = re.sub(r"[\s-]", "", value or "")
    if not phone:
        raise ActionError(_("请输入手机号码"), field=field, code="required")
    if not MOBILE.match(phone):
        raise ActionError(_("手机号码应为 11 位、以 1 开头"), field=field, code="invalid")
    return phone


class RateLimited(ActionError):
    status = 429


class ServiceUnavailable(ActionError):
    status = 503


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
        recent = SmsCode.objects.by_phone(self.phone).filter(sent_at__gt=hour)
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


#: SignIn.run()'s answer for a wrong code: the transaction commits (keeping the attempt it
#: reserved) and execute() refuses afterwards.
_WRONG_CODE = object()


class SignIn(Action):
    """Check the code (the latest unexpired one for the number, at most MAX_ATTEMPTS tries, used
    once) and return the citizen, created on first sign-in."""

    audit_action = "citizen.sign_in"

    def __init__(self, *, phone: str, code: str, ip: str | None = None, now=None):
        self.raw_phone = phone
        self.code = (code or "").strip()
        self.ip = ip
        self.now = now or timezone.now()

    def check(self):
        self.phone = clean_phone(self.raw_phone)
        if not re.fullmatch(r"\d{6}", self.code):
            raise ActionError(_("请输入 6 位数字验证码"), field="code", code="invalid")

    def run(self) -> Citizen | object:
        row = (
            SmsCode.objects.select_for_update()
            .by_phone(self.phone)
            .filter(used_at__isnull=True, expires_at__gt=self.now)
            .order_by("-sent_at")
            .first()
        )
        if row is None:
            raise ActionError(_("验证码已失效或已使用，请重新获取"), field="code", code="expired")
        # The attempt is reserved before the code is compared, by a conditional UPDATE in this
        # transaction, under the row's lock, and it stays counted whatever the comparison says.
        # Counting a wrong code afterwards, in a transaction of its own, let every request that
        # got the lock before the first count was written compare too: 20 wrong codes sent at
        # once were 20 guesses on PostgreSQL, not MAX_ATTEMPTS.
        reserved = SmsCode.objects.filter(pk=row.pk, attempts__lt=MAX_ATTEMPTS).update(attempts=F("attempts") + 1)
        if not reserved:
            raise ActionError(_("验证码错误次数过多，请重新获取"), field="code", code="too_many_attempts")
        if not secrets.compare_digest(row.code_hash, hash_code(self.phone, self.code)):
            return _WRONG_CODE
        row.used_at = self.now
        row.save(update_fields=["used_at"])
        citizen, created = Citizen.objects.by_phone(self.phone).get_or_create(
            defaults={"phone": self.phone, "created_at": self.now}
        )
        citizen.last_login_at = self.now
        citizen.save(update_fields=["last_login_at"])
        self.audit(citizen, {"new": created}, actor=citizen)  # the actor exists only from here on
        return citizen

    def execute(self) -> Citizen:
        result = super().execute()
        if result is _WRONG_CODE:
            security_event(
                "citizen.sign_in",
                actor_label=f"phone {mask_phone(self.phone)}",
                object_type="citizens.smscode",
                result=Result.FAILED,
                data={"reason": "wrong_code"},
            )
            raise ActionError(_("验证码不正确"), field="code", code="wrong")
        return result


# --- 实名认证 ---------------------------------------------------------------------------------------


def clean_identity(name: str, id_number: str, *, name_field: str = "name", number_field: str = "id_number"):
    """A person's name (CJK ideographs of every extension, minority names with "·", or Latin
    letters) and 居民身份证号码 (check digit, birth date, division code; 15 digits upgraded)."""
    clean_name = clean_text(name, name_field, _("姓名"), 30, required=True)
    # Any CJK ideograph, Extensions A–J included: 王㛃, 张䶮 and 李𠮷 are names people have.
    if len(clean_name) < 2 or not PERSON_NAME.fullmatch(clean_name):
        raise ActionError(_("姓名应为 2–30 个汉字（少数民族姓名可含“·”）"), field=name_field, code="invalid")
    return clean_name, clean_id_number(id_number, field=number_field)


def verified_elsewhere(id_number: str, citizen: Citizen):
    return Citizen.objects.by_id_number(id_number).filter(verified_at__isnull=False).exclude(pk=citizen.pk)


def reserve_realname_attempt(citizen: Citizen, ip: str | None, now: datetime) -> None:
    """Count one real-name check against the citizen's and the address's daily allowance, in a
    transaction of its own (a refused check stays counted), or refuse with 429.

    Conditional UPDATEs: under concurrency no more than the allowance is granted."""
    limit = settings.REALNAME_ATTEMPTS_PER_DAY
    day = timezone.localdate(now)
    keys = [f"citizen:{citizen.pk}"] + ([f"ip:{ip}"] if ip else [])
    with write_transaction():
        for key in keys:
            RealNameAttempt.objects.get_or_create(key=key, day=day)
            granted = RealNameAttempt.objects.filter(key=key, day=day, count__lt=limit).update(count=F("count") + 1)
            if not granted:
                raise RateLimited(
                    _("今日实名认证次数已用完，请明天再试，或携身份证到派出所办理"),
                    field="id_number",
                    code="rate_limited",
                )
        RealNameAttempt.objects.filter(day__lt=day - timedelta(days=1)).delete()


def refused_identity() -> ActionError:
    """One answer whether the register says no or the number is verified on another account: a
    different message for the second told anyone with a phone whose ID number has an account."""
    return ActionError(
        _("无法完成实名认证：请核对姓名和公民身份号码；如确认无误，请携身份证到派出所办理"),
        field="id_number",
        code="refused",
    )


def ask_register(name: str, id_number: str) -> Verdict:
    try:
        return verifier().verify(name, id_number)
    except VerifierUnavailable:
        raise ServiceUnavailable(
            _("核验服务暂不可用，请稍后再试"), field="id_number", code="service_unavailable"
        ) from None
    except Exception:
        # A verifier that cannot even be built (the demo one in production) is as good as down:
        # nobody is verified, and the server log says why.
        log.exception("the real-name verifier failed")
        raise ServiceUnavailable(
            _("核验服务暂不可用，请稍后再试"), field="id_number", code="service_unavailable"
        ) from None


class VerifyRealName(Action):
    """实名认证 (网络安全法 art. 24; 居民身份证法): the citizen's name and 居民身份证号码, checked
    against the population register (REALNAME_VERIFIER). Once verified the identity is locked: a
    change goes through IdentityChangeRequest. A number verified on another account is refused
    with the same words as a mismatch, and each citizen and address has REALNAME_ATTEMPTS_PER_DAY
    checks a day, so the page cannot be used to find out whose number is registered."""

    audit_action = "citizen.verify"

    def __init__(self, *, citizen: Citizen, name: str, id_number: str, ip: str | None = None, now=None):
        self.citizen = citizen
        self.name = name
        self.id_number = id_number
        self.ip = ip
        self.now = now or timezone.now()

    def _refuse_if_verified(self, citizen: Citizen) -> None:
        if citizen.is_verified:
            raise Conflict(_("已完成实名认证，如需变更请提交变更申请"), field="id_number", code="verified")

    def _failed(self, reason: str) -> ActionError:
        security_event(
            "citizen.verify", actor=self.citizen, obj=self.citizen, result=Result.FAILED, data={"reason": reason}
        )
        return refused_identity()

    def execute(self) -> Citizen:
        # The register is asked outside the transaction (a remote call must not hold the writer
        # lock), after the cheap checks and after the attempt is counted.
        self.clean_name, self.clean_number = clean_identity(self.name, self.id_number)
        self._refuse_if_verified(Citizen.objects.get(pk=self.citizen.pk))
        reserve_realname_attempt(self.citizen, self.ip, self.now)
        verdict = ask_register(self.clean_name, self.clean_number)
        if not verdict.ok:
            raise self._failed(verdict.reason or "mismatch")
        try:
            return super().execute()
        except _Taken:
            raise self._failed("taken") from None

    def check(self):
        if verified_elsewhere(self.clean_number, self.citizen).exists():
            raise _Taken("taken")

    def audit_actor(self) -> Citizen:
        return self.citizen

    def run(self) -> Citizen:
        citizen = Citizen.objects.select_for_update().get(pk=self.citizen.pk)
        self._refuse_if_verified(citizen)
        citizen.name = self.clean_name
        citizen.id_number = self.clean_number
        citizen.verified_at = self.now
        try:
            with write_transaction():  # a savepoint: the unique index is the backstop of check()
                citizen.save(update_fields=["name", "id_number", "id_number_index", "verified_at"])
        except IntegrityError:
            raise _Taken("taken") from None
        self.audit(citizen, {"name": citizen.name})
        return citizen


class _Taken(ActionError):
    pass


# --- 实名信息变更 -----------------------------------------------------------------------------------


class RequestIdentityChange(Action):
    """实名信息变更申请: a verified citizen asks the 派出所 of their choice to change the name or
    number on their account; nothing changes until an officer approves it."""

    audit_action = "citizen.identity_change.request"

    def __init__(self, *, citizen: Citizen, station: int, name: str, id_number: str, reason: str, now=None):
        self.citizen = citizen
        self.station = station
        self.name = name
        self.id_number = id_number
        self.reason = reason
        self.now = now or timezone.now()

    def audit_actor(self) -> Citizen:
        return self.citizen

    def check(self):
        if not self.citizen.is_verified:
            raise ActionError(_("尚未实名认证，请先完成实名认证"), field="id_number", code="not_verified")
        self.organization = Organization.objects.filter(pk=self.station, kind=Organization.Kind.STATION).first()
        if self.organization is None:
            raise ActionError(_("请选择办理的派出所"), field="station", code="invalid")
        self.clean_name, self.clean_number = clean_identity(self.name, self.id_number)
        if (self.clean_name, self.clean_number) == (self.citizen.name, self.citizen.id_number):
            raise ActionError(_("变更后的姓名和公民身份号码与当前相同"), field="id_number", code="unchanged")
        self.clean_reason = clean_text(self.reason, "reason", _("变更原因"), 500, required=True)

    def run(self) -> IdentityChangeRequest:
        Citizen.objects.select_for_update().get(pk=self.citizen.pk)  # one request at a time
        if IdentityChangeRequest.objects.filter(citizen=self.citizen).pending().exists():
            raise Conflict(_("已有一份变更申请正在审核中"), field="reason", code="pending")
        change = IdentityChangeRequest.objects.create(
            citizen=self.citizen,
            organization=self.organization,
            new_name=self.clean_name,
            new_id_number=self.clean_number,
            reason=self.clean_reason,
            submitted_at=self.now,
        )
        self.audit(change, {"organization": self.organization.label})
        return change


class Decision:
    APPROVE = "approve"
    REFUSE = "refuse"


def can_review_identity(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and (
        user.is_superuser or user.role in IDENTITY_REVIEWER_ROLES
    )


class ReviewIdentityChange(Action):
    """审核实名信息变更: an officer of the chosen 派出所 (or a leader above it) approves — the
    population register is asked again and the number must not be verified on another account —
    or refuses with a reason. The citizen is told by SMS."""

    def __init__(self, *, change: IdentityChangeRequest, by, decision: str, note: str = "", now=None):
        self.change = change
        self.by = by
        self.decision = decision
        self.note = note
        self.now = now or timezone.now()

    def audit_action(self) -> str:
        return f"citizen.identity_change.{self.decision}"

    def execute(self) -> IdentityChangeRequest:
        self._check_reviewer()
        if self.decision == Decision.APPROVE:
            verdict = ask_register(self.change.new_name, self.change.new_id_number)
            if not verdict.ok:
                raise ActionError(
                    _("人口信息核查不一致：变更后的姓名与公民身份号码不匹配，不能通过"),
                    field="decision",
                    code="mismatch",
                )
        return super().execute()

    def _check_reviewer(self) -> None:
        if not can_review_identity(self.by):
            raise Denied(_("只有派出所民警或领导可以审核实名信息变更"))
        if not IdentityChangeRequest.objects.visible_to(self.by).filter(pk=self.change.pk).exists():
            raise Denied(_("无权审核该申请"))
        if self.decision not in (Decision.APPROVE, Decision.REFUSE):
            raise ActionError(_("请选择通过或不通过"), field="decision", code="invalid")
        self.clean_note = clean_text(self.note, "note", _("审核意见"), 500, required=self.decision == Decision.REFUSE)

    def check(self):
        self._check_reviewer()

    def run(self) -> IdentityChangeRequest:
        change = IdentityChangeRequest.objects.select_for_update().select_related("citizen").get(pk=self.change.pk)
        if not change.is_pending:
            raise Conflict(_("该申请已审核"), field="decision", code="reviewed")
        change.reviewed_by = self.by
        change.reviewed_at = self.now
        change.review_note = self.clean_note
        if self.decision == Decision.APPROVE:
            citizen = Citizen.objects.select_for_update().get(pk=change.citizen_id)
            if verified_elsewhere(change.new_id_number, citizen).exists():
                raise Conflict(_("该公民身份号码已在其他账号完成实名认证，不能通过"), field="decision", code="taken")
            citizen.name = change.new_name
            citizen.id_number = change.new_id_number
            citizen.verified_at = self.now
            try:
                with write_transaction():
                    citizen.save(update_fields=["name", "id_number", "id_number_index", "verified_at"])
            except IntegrityError:
                raise Conflict(
                    _("该公民身份号码已在其他账号完成实名认证，不能通过"), field="decision", code="taken"
                ) from None
            change.status = IdentityChangeStatus.APPROVED
            text = _("【安民】您的实名信息变更申请已通过。")
        else:
            change.status = IdentityChangeStatus.REFUSED
            text = _("【安民】您的实名信息变更申请未通过：%(note)s") % {"note": self.clean_note}
        change.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
        self.audit(change, {"citizen": change.citizen.audit_label, "note": self.clean_note})
        sms.send(change.citizen.phone, text)
        return change
