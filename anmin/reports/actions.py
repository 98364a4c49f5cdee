"""Actions on reports from the public. Each validates everything before writing anything, runs in
one transaction and leaves an audit entry; photo files written by a refused action are removed."""

import hashlib
import hmac
import math
import re
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from anmin.citizens import sms
from anmin.citizens.actions import clean_phone
from anmin.citizens.models import Citizen
from anmin.core.actions import Action, after_commit
from anmin.core.errors import ActionError, Conflict, Denied
from anmin.core.idnumber import clean_id_number
from anmin.core.pii import mask_name
from anmin.core.sequences import increment
from anmin.core.validation import clean_text
from anmin.geo.models import GridCell
from anmin.incidents.actions import ReceiveCall, active_category
from anmin.org.models import Officer, Organization, Role
from anmin.property.actions import CheckedPhoto, check_photo
from anmin.reports.documents import agreement_pdf, decision_pdf
from anmin.reports.models import (
    AccidentParty,
    AccidentPhoto,
    Liability,
    Message,
    MissingPersonReport,
    OnlineReport,
    QuickAccident,
    ReportSequence,
    Tip,
    hash_tracking_code,
)
from anmin.reports.plates import clean_plate
from anmin.reports.signals import missing_reported

MIN_ACCIDENT_PHOTOS = 3
MAX_ACCIDENT_PHOTOS = 12
#: How far back an accident may be reported for 快处: the scene has to be fresh to be judged online.
MAX_ACCIDENT_AGE = timedelta(days=3)
CLOCK_SKEW = timedelta(minutes=5)
CODE_TTL = timedelta(minutes=30)
CODE_RESEND = timedelta(seconds=60)
MAX_CODE_ATTEMPTS = 5
MAX_MESSAGE = 1000

#: The categories a citizen may report online: none that needs police on the way at once. A crime in
#: progress, a fight, a fire, a traffic accident with injuries or a person in danger is a 110 call.
ONLINE_CATEGORIES = (
    "0110",  # 盗窃 (discovered afterwards)
    "0113",  # 诈骗
    "0114",  # 电信网络诈骗
    "0206",  # 噪声扰民
    "0303",  # 交通拥堵
    "0304",  # 交通违法
    "0402",  # 火情隐患
    "0503",  # 孤寡病残求助
    "0509",  # 其他求助
    "0602",  # 邻里纠纷
    "0603",  # 经济纠纷
    "0604",  # 劳资纠纷
    "0801",  # 咨询
    "0802",  # 其他警情
)

#: The account the portal receives online reports under. ReceiveCall is the one way an incident is
#: made (numbering, grid, arrival target, timeline, live board) and it requires a call-taker; the
#: citizen is not one, so the portal acts as this account — inactive, no password, no unit (so it
#: can never sign in, and sees no other incident when repeat calls are looked for). The citizen is
#: named in the caller fields and in our own audit entry.
PORTAL_ACCOUNT = "portal-intake"


def portal_account() -> Officer:
    officer, created = Officer.objects.get_or_create(
        username=PORTAL_ACCOUNT,
        defaults={"full_name": "网上报警平台", "role": Role.DISPATCHER, "is_active": False},
    )
    if created:
        officer.set_unusable_password()
        officer.save(update_fields=["password"])
    return officer


# --- helpers ---------------------------------------------------------------------------------------


def _coordinate(raw, field: str, label: str, low: float, high: float) -> float:
    if raw is None or raw == "":
        raise ActionError(_("请在地图上点选%(label)s") % {"label": label}, field=field, code="required")
    if isinstance(raw, bool):
        raise ActionError(_("%(label)s应为数字") % {"label": label}, field=field)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ActionError(_("%(label)s应为数字") % {"label": label}, field=field) from None
    if not math.isfinite(value) or not low <= value <= high:
        raise ActionError(_("%(label)s超出范围") % {"label": label}, field=field, code="out_of_range")
    return value


def locate(data: dict) -> tuple[float, float, GridCell]:
    """The point picked on the map and its grid cell; outside the city's grid is refused."""
    lat = _coordinate(data.get("lat"), "lat", _("位置"), -90, 90)
    lon = _coordinate(data.get("lon"), "lon", _("位置"), -180, 180)
    cell = GridCell.locate(lat, lon)
    if cell is None:
        raise ActionError(_("该位置不在本市辖区内，请在地图上重新点选"), field="lat", code="outside_city")
    return lat, lon, cell


def traffic_unit_for(station: Organization) -> Organization:
    """The traffic police unit responsible where `station` is: the 交警大队 under its branch, else the
    交警支队 under the bureau — the nearest 交警 unit going up the tree; the bureau if there is none."""
    node = station
    while node is not None:
        unit = Organization.objects.filter(parent=node, kind=Organization.Kind.TRAFFIC).order_by("id").first()
        if unit is not None:
            return unit
        if node.parent_id is None:
            return node
        node = node.parent
    return station  # pragma: no cover - a station always has a root above it


def clean_when(raw, field: str, label: str, *, now: datetime, max_age: timedelta | None = None) -> datetime:
    if isinstance(raw, datetime):
        value = raw
    else:
        text = clean_text(raw, field, label, 40, required=True)
        try:
            value = parse_datetime(text)
        except ValueError:
            value = None
        if value is None:
            raise ActionError(_("%(label)s格式不正确") % {"label": label}, field=field)
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if value > now + CLOCK_SKEW:
        raise ActionError(_("%(label)s不能晚于现在") % {"label": label}, field=field, code="future")
    if max_age is not None and value < now - max_age:
        raise ActionError(
            _("%(label)s距今超过 %(days)s 天，请拨打 122 或到交警队处理") % {"label": label, "days": max_age.days},
            field=field,
            code="too_old",
        )
    return value


def next_number(prefix: str, at: datetime) -> str:
    day = timezone.localtime(at).date()
    last = increment(ReportSequence, kind=prefix, day=day)
    return f"{prefix}{day:%Y%m%d}{last:04d}"


def _code_hash(accident_pk: int, code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"accident:{accident_pk}:{code}".encode(), hashlib.sha256).hexdigest()


def _store_document(accident: QuickAccident, content: bytes, name: str) -> None:
    accident.document.save(f"{name}-{uuid.uuid4().hex[:8]}.pdf", ContentFile(content), save=False)
    accident.document_sha256 = hashlib.sha256(content).hexdigest()


class WritesFiles(Action):
    """Files written by a refused or failed action are removed: the rows roll back, files do not."""

    def execute(self):
        self.written = []
        try:
            return super().execute()
        except BaseException:
            for field in self.written:
                field.delete(save=False)
            raise


# --- 事故快处 --------------------------------------------------------------------------------------


@dataclass
class PartyData:
    role: str
    name: str
    phone: str
    licence_number: str
    plate: str
    insurer: str
    policy_number: str


def _party(data: dict, role: str) -> PartyData:
    prefix = role.lower() + "_"
    side = _("甲方") if role == AccidentParty.Role.A else _("乙方")

    def text(name, label, limit):
        return clean_text(data.get(prefix + name), prefix + name, f"{side}{label}", limit, required=True)

    name = text("name", _("姓名"), 30)
    phone = clean_phone(data.get(prefix + "phone") or "", field=prefix + "phone")
    licence = clean_id_number(text("licence_number", _("驾驶证号"), 40), field=prefix + "licence_number")
    plate = clean_plate(data.get(prefix + "plate"), field=prefix + "plate")
    insurer = text("insurer", _("保险公司"), 60)
    policy = text("policy_number", _("保单号"), 40)
    if not re.fullmatch(r"[0-9A-Za-z-]{6,40}", policy):
        raise ActionError(_("%(side)s保单号应为 6–40 位字母或数字") % {"side": side}, field=prefix + "policy_number")
    return PartyData(role, name, phone, licence, plate, insurer, policy.upper())


def check_accident_photos(uploads: Sequence) -> list[CheckedPhoto]:
    uploads = [u for u in uploads if u is not None]
    if len(uploads) < MIN_ACCIDENT_PHOTOS:
        raise ActionError(
            _("请至少上传 %(min)s 张现场照片（车辆全景、碰撞部位、号牌），本次 %(n)s 张")
            % {"min": MIN_ACCIDENT_PHOTOS, "n": len(uploads)},
            field="photos",
            code="too_few",
        )
    if len(uploads) > MAX_ACCIDENT_PHOTOS:
        raise ActionError(_("现场照片最多 %(max)s 张") % {"max": MAX_ACCIDENT_PHOTOS}, field="photos", code="too_many")
    checked = []
    for number, upload in enumerate(uploads, start=1):
        try:
            checked.append(check_photo(upload, "photos"))
        except ActionError as exc:
            raise ActionError(
                _("第 %(number)s 张照片（%(name)s）：%(reason)s")
                % {"number": number, "name": str(getattr(upload, "name", ""))[:60], "reason": exc.message},
                field="photos",
                code=exc.code,
            ) from None
    return checked


class ReportAccident(WritesFiles):
    """事故快处 reported by party A (the signed-in, real-name citizen): place on the map, time, at
    least three scene photos, both parties and either the liability both agree on (B then confirms
    with the code sent to B's phone) or a request for the traffic police to decide online."""

    audit_action = "reports.accident.report"

    def audit_actor(self):
        return self.citizen

    def __init__(self, *, citizen: Citizen, data: dict, photos: Sequence, now: datetime | None = None):
        self.citizen = citizen
        self.data = data
        self.photos = list(photos)
        self.now = now or timezone.now()

    def check(self):
        if not self.citizen.is_verified:
            raise Denied(_("请先完成实名认证"))
        d = self.data
        self.lat, self.lon, self.cell = locate(d)
        self.address = clean_text(d.get("address"), "address", _("事故地点"), 200, required=True)
        self.occurred_at = clean_when(
            d.get("occurred_at"), "occurred_at", _("事故时间"), now=self.now, max_age=MAX_ACCIDENT_AGE
        )
        self.description = clean_text(d.get("description"), "description", _("事故经过"), 1000, required=False)
        self.parties = [_party(d, AccidentParty.Role.A), _party(d, AccidentParty.Role.B)]
        a, b = self.parties
        if a.plate == b.plate:
            raise ActionError(_("双方号牌号码相同，请核对"), field="b_plate", code="same_plate")
        if a.phone == b.phone:
            raise ActionError(
                _("乙方手机号码须与甲方不同：乙方要用自己的手机接收确认验证码"), field="b_phone", code="same_phone"
            )
        if a.licence_number == b.licence_number:
            raise ActionError(_("双方驾驶证号相同，请核对"), field="b_licence_number", code="same_licence")
        self.mode = d.get("mode")
        if self.mode not in QuickAccident.Mode.values:
            raise ActionError(_("请选择处理方式：自行协商或申请民警在线定责"), field="mode", code="required")
        self.liability = ""
        if self.mode == QuickAccident.Mode.AGREEMENT:
            self.liability = d.get("liability") or ""
            if self.liability not in Liability.values:
                raise ActionError(_("请选择双方协商的责任划分"), field="liability", code="required")
            if str(d.get("confirm") or "") not in ("1", "on", "true", "True"):
                raise ActionError(
                    _("请勾选确认：事故未造成人员伤亡，双方对事实无争议"), field="confirm", code="required"
                )
        self.checked = check_accident_photos(self.photos)

    def run(self) -> QuickAccident:
        agreement = self.mode == QuickAccident.Mode.AGREEMENT
        station = self.cell.jurisdiction
        accident = QuickAccident.objects.create(
            number=next_number("KC", self.now),
            citizen=self.citizen,
            occurred_at=self.occurred_at,
            address=self.address,
            lat=self.lat,
            lon=self.lon,
            grid_cell=self.cell,
            station=station,
            traffic_unit=traffic_unit_for(station),
            description=self.description,
            mode=self.mode,
            status=(QuickAccident.Status.AWAITING_CONFIRMATION if agreement else QuickAccident.Status.PENDING_DECISION),
            liability=self.liability,
            created_at=self.now,
        )
        for party in self.parties:
            AccidentParty.objects.create(
                accident=accident,
                confirmed_at=self.now if party.role == AccidentParty.Role.A and agreement else None,
                **party.__dict__,
            )
        for checked in self.checked:
            photo = AccidentPhoto(
                accident=accident,
                content_type=checked.content_type.value,
                size=checked.upload.size,
                sha256=checked.sha256,
            )
            photo.file.save(checked.name, checked.upload, save=False)
            self.written.append(photo.file)
            photo.save()
        self.audit(
            accident,
            {
                "number": accident.number,
                "mode": self.mode,
                "liability": self.liability,
                "plates": [p.plate for p in self.parties],
                "photos": [c.sha256 for c in self.checked],
            },
        )
        if agreement:
            _send_confirm_code(accident, self.now)
        return accident


def _send_confirm_code(accident: QuickAccident, now: datetime) -> None:
    code = f"{secrets.randbelow(10**6):06d}"
    accident.confirm_code_hash = _code_hash(accident.pk, code)
    accident.confirm_code_sent_at = now
    accident.confirm_attempts = 0
    accident.save(update_fields=["confirm_code_hash", "confirm_code_sent_at", "confirm_attempts"])
    a = accident.parties.get(role=AccidentParty.Role.A)
    b = accident.parties.get(role=AccidentParty.Role.B)
    sms.send(
        b.phone,
        _(
            "【安民】%(a)s（%(plate)s）提交了与您的事故快处协议 %(number)s，责任划分：%(liability)s。"
            "如您同意，请将确认码 %(code)s 告知对方或在现场输入，30 分钟内有效。"
        )
        % {
            # An SMS passes through the gateway and sits on a phone: the other party's name masked.
            "a": mask_name(a.name),
            "plate": a.plate,
            "number": accident.number,
            "liability": Liability(accident.liability).label,
            "code": code,
        },
    )


def _locked(accident: QuickAccident) -> QuickAccident:
    return QuickAccident.objects.select_for_update().get(pk=accident.pk)


class ResendConfirmCode(Action):
    """A new confirmation code to party B (the last one expired or was lost); once a minute."""

    audit_action = "reports.accident.resend_code"

    def audit_actor(self):
        return self.citizen

    def __init__(self, *, accident: QuickAccident, citizen: Citizen, now: datetime | None = None):
        self.accident = accident
        self.citizen = citizen
        self.now = now or timezone.now()

    def check(self):
        if self.accident.citizen_id != self.citizen.pk:
            raise Denied()

    def run(self) -> QuickAccident:
        accident = _locked(self.accident)
        if accident.status != QuickAccident.Status.AWAITING_CONFIRMATION:
            raise Conflict(_("该事故已不在待确认状态"), field="code")
        if accident.confirm_code_sent_at and self.now - accident.confirm_code_sent_at < CODE_RESEND:
            raise ActionError(_("确认码已发送，请 60 秒后再试"), field="code", code="rate_limited")
        _send_confirm_code(accident, self.now)
        self.audit(accident)
        return accident


class ConfirmAgreement(Action):
    """乙方确认: party B's code (sent to B's phone), entered on A's phone in front of A or by B. With
    it the agreement is complete and the 协议书 is generated."""

    audit_action = "reports.accident.agree"

    def audit_actor(self):
        return self.citizen

    def __init__(self, *, accident: QuickAccident, code: str, citizen: Citizen, now: datetime | None = None):
        self.accident = accident
        self.code = (code or "").strip()
        self.citizen = citizen
        self.now = now or timezone.now()

    def check(self):
        if self.accident.citizen_id != self.citizen.pk:
            raise Denied()
        if not re.fullmatch(r"\d{6}", self.code):
            raise ActionError(_("请输入乙方手机收到的 6 位确认码"), field="code", code="invalid")

    def run(self) -> QuickAccident:
        accident = _locked(self.accident)
        if accident.status != QuickAccident.Status.AWAITING_CONFIRMATION:
            raise Conflict(_("该事故已不在待确认状态"), field="code")
        expired = accident.confirm_code_sent_at is None or self.now - accident.confirm_code_sent_at > CODE_TTL
        if expired:
            raise ActionError(_("确认码已失效，请重新发送"), field="code", code="expired")
        if accident.confirm_attempts >= MAX_CODE_ATTEMPTS:
            raise ActionError(_("确认码错误次数过多，请重新发送"), field="code", code="too_many_attempts")
        if not secrets.compare_digest(accident.confirm_code_hash, _code_hash(accident.pk, self.code)):
            raise _WrongCode(_("确认码不正确"), field="code", code="wrong")
        AccidentParty.objects.filter(accident=accident, role=AccidentParty.Role.B).update(confirmed_at=self.now)
        accident.status = QuickAccident.Status.AGREED
        accident.confirm_code_hash = ""
        accident = _finish(accident, agreement_pdf, "xieyishu", self)
        self.audit(accident, {"liability": accident.liability, "document_sha256": accident.document_sha256})
        _notify_parties(accident, _("协议书"))
        return accident

    def execute(self):
        self.written = []
        try:
            return super().execute()
        except _WrongCode as exc:
            # Counted after the rollback, in a transaction of its own, so guessing stops.
            from django.db.models import F

            from anmin.core.actions import write_transaction

            with write_transaction():
                QuickAccident.objects.filter(pk=self.accident.pk).update(confirm_attempts=F("confirm_attempts") + 1)
            raise ActionError(exc.message, field=exc.field, code=exc.code) from None
        except BaseException:
            for field in self.written:
                field.delete(save=False)
            raise


class _WrongCode(ActionError):
    pass


def _finish(accident: QuickAccident, render, name: str, action) -> QuickAccident:
    accident.save()
    accident = QuickAccident.objects.select_related("traffic_unit", "decided_by").get(pk=accident.pk)
    _store_document(accident, render(accident), name)
    action.written.append(accident.document)
    accident.save(update_fields=["document", "document_sha256"])
    return accident


def _notify_parties(accident: QuickAccident, what: str) -> None:
    for party in accident.parties.all():
        sms.send(
            party.phone,
            _("【安民】事故快处 %(number)s 的%(what)s已生成，请登录掌上办“我的事项”下载。")
            % {"number": accident.number, "what": what},
        )


class RequestDecision(Action):
    """Party B did not confirm, or the parties disagree: ask the traffic police to decide online."""

    audit_action = "reports.accident.request_decision"

    def audit_actor(self):
        return self.citizen

    def __init__(self, *, accident: QuickAccident, citizen: Citizen):
        self.accident = accident
        self.citizen = citizen

    def check(self):
        if self.accident.citizen_id != self.citizen.pk:
            raise Denied()

    def run(self) -> QuickAccident:
        accident = _locked(self.accident)
        if accident.status != QuickAccident.Status.AWAITING_CONFIRMATION:
            raise Conflict(_("只有待乙方确认的事故可以改为申请民警定责"))
        accident.mode = QuickAccident.Mode.OFFICER
        accident.status = QuickAccident.Status.PENDING_DECISION
        accident.liability = ""
        accident.confirm_code_hash = ""
        accident.save(update_fields=["mode", "status", "liability", "confirm_code_hash"])
        AccidentParty.objects.filter(accident=accident).update(confirmed_at=None)
        self.audit(accident)
        return accident


class DecideLiability(WritesFiles):
    """在线定责: a traffic officer of the responsible unit looks at the photos and the parties'
    account and decides liability under the simple procedure; the 认定书 is generated."""

    audit_action = "reports.accident.decide"

    def __init__(self, *, accident: QuickAccident, by: Officer, liability: str, facts: str, now=None):
        self.accident = accident
        self.by = by
        self.liability = liability
        self.facts = facts
        self.now = now or timezone.now()

    def check(self):
        if not QuickAccident.objects.visible_to(self.by).filter(pk=self.accident.pk).exists():
            raise Denied(_("无权查看该事故"))
        if not QuickAccident.objects.decidable_by(self.by).filter(pk=self.accident.pk).exists():
            raise Denied(_("只有责任交警单位的交通民警可以定责"))
        if self.liability not in Liability.values:
            raise ActionError(_("请选择责任划分"), field="liability", code="required")
        self.clean_facts = clean_text(self.facts, "facts", _("事故事实及认定理由"), 2000, required=True)

    def run(self) -> QuickAccident:
        accident = _locked(self.accident)
        if accident.status != QuickAccident.Status.PENDING_DECISION:
            raise Conflict(_("该事故不在待定责状态"), field="liability")
        accident.liability = self.liability
        accident.decision_facts = self.clean_facts
        accident.decided_by = self.by
        accident.decided_at = self.now
        accident.status = QuickAccident.Status.DECIDED
        accident = _finish(accident, decision_pdf, "rendingshu", self)
        self.audit(accident, {"liability": self.liability, "document_sha256": accident.document_sha256})
        _notify_parties(accident, _("认定书"))
        return accident


# --- 网上报警/求助 ----------------------------------------------------------------------------------


class SubmitOnlineReport(Action):
    """网上报警/求助 (non-emergency): becomes an incident in the dispatch queue through ReceiveCall,
    linked to the citizen so they can follow its status and talk to the police about it."""

    audit_action = "reports.online.submit"

    def audit_actor(self):
        return self.citizen

    def __init__(self, *, citizen: Citizen, data: dict):
        self.citizen = citizen
        self.data = data

    def check(self):
        code = self.data.get("category")
        if not isinstance(code, str) or code not in ONLINE_CATEGORIES or active_category(code) is None:
            raise ActionError(_("请选择类别（紧急情况请直接拨打 110）"), field="category", code="required")
        self.lat, self.lon, _cell = locate(self.data)
        self.address = clean_text(self.data.get("address"), "address", _("地点"), 200, required=True)
        self.description = clean_text(self.data.get("description"), "description", _("情况描述"), 1800, required=True)

    def run(self) -> OnlineReport:
        intake = ReceiveCall(
            by=portal_account(),
            force_new=True,
            data={
                "category": self.data["category"],
                "lat": self.lat,
                "lon": self.lon,
                "address": self.address,
                "caller_phone": self.citizen.phone,
                "caller_name": self.citizen.name,
                "description": f"【网上报警】{self.description}",
                "priority": 3,
            },
        )
        # Checked and run inside this action's transaction: the incident and the link commit together.
        intake.check()
        incident, _created = intake.run()
        intake.write_audit()  # its incident.receive entry, as execute() would have written it
        report = OnlineReport.objects.create(citizen=self.citizen, incident=incident)
        self.audit(report, {"incident": incident.number})
        return report


# --- 举报线索 ---------------------------------------------------------------------------------------


class _Anonymous:
    """The actor of an anonymous tip in the audit trail: nobody in particular."""

    pk = None
    audit_label = "anonymous"


def new_tracking_code() -> str:
    """80 random bits in Crockford-style base32 (no I, L, O, U), grouped: 7K3M-9XQ2-…"""
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    raw = "".join(secrets.choice(alphabet) for _i in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def normalize_code(code: str) -> str:
    raw = re.sub(r"[^0-9A-Za-z]", "", code or "").upper()
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


class SubmitTip(Action):
    """举报线索: anonymous. Takes only what the tipster wrote (and an optional point on the map, to
    send it to the right station); stores no citizen, address or session. Returns the tip and the
    tracking code, which exists nowhere else once the page showing it is closed."""

    audit_action = "reports.tip.submit"

    def audit_actor(self):
        return _Anonymous()

    def __init__(self, *, data: dict):
        self.data = data

    def check(self):
        d = self.data
        self.kind = d.get("kind")
        if self.kind not in Tip.Kind.values:
            raise ActionError(_("请选择线索类别"), field="kind", code="required")
        self.content = clean_text(d.get("content"), "content", _("线索内容"), 3000, required=True)
        if len(self.content) < 10:
            raise ActionError(_("线索内容请至少写 10 个字"), field="content", code="too_short")
        self.place = clean_text(d.get("place"), "place", _("涉及地点"), 200, required=False)
        self.organization = None
        if d.get("lat") not in (None, "") or d.get("lon") not in (None, ""):
            self.organization = locate(d)[2].jurisdiction
        if self.organization is None:
            self.organization = Organization.objects.filter(parent__isnull=True).order_by("id").first()
            if self.organization is None:
                raise ActionError(_("尚未配置市局（组织机构根节点）"), code="not_configured")

    def run(self) -> tuple[Tip, str]:
        code = new_tracking_code()
        tip = Tip.objects.create(
            code_hash=hash_tracking_code(code),
            kind=self.kind,
            content=self.content,
            place=self.place,
            organization=self.organization,
        )
        self.audit(tip, {"kind": self.kind})
        return tip, code


def tip_by_code(code: str) -> Tip | None:
    code = normalize_code(code)
    if len(code) != 19:
        return None
    return Tip.objects.filter(code_hash=hash_tracking_code(code)).first()


class CloseTip(Action):
    """办结 a tip: the thread stays readable for the tipster, who can add no more."""

    audit_action = "reports.tip.close"

    def __init__(self, *, tip: Tip, by: Officer):
        self.tip = tip
        self.by = by

    def check(self):
        if not Tip.objects.visible_to(self.by).filter(pk=self.tip.pk).exists():
            raise Denied(_("无权处理该线索"))

    def run(self) -> Tip:
        Tip.objects.filter(pk=self.tip.pk).update(status=Tip.Status.CLOSED)
        self.tip.refresh_from_db()
        self.audit(self.tip)
        return self.tip


# --- 走失人员 ---------------------------------------------------------------------------------------


class ReportMissingPerson(WritesFiles):
    """走失人员: a family member reports someone missing, with a recent photo; the report goes to the
    station where the person was last seen. (No waiting period: the police take a missing child or
    a person with dementia at once.)"""

    audit_action = "reports.missing.report"

    def audit_actor(self):
        return self.citizen

    def __init__(self, *, citizen: Citizen, data: dict, photo, now: datetime | None = None):
        self.citizen = citizen
        self.data = data
        self.photo = photo
        self.now = now or timezone.now()

    def check(self):
        if not self.citizen.is_verified:
            raise Denied(_("请先完成实名认证"))
        d = self.data
        self.name = clean_text(d.get("name"), "name", _("走失人员姓名"), 30, required=True)
        self.sex = d.get("sex")
        if self.sex not in MissingPersonReport.Sex.values:
            raise ActionError(_("请选择性别"), field="sex", code="required")
        try:
            self.age = int(str(d.get("age", "")).strip())
        except ValueError:
            raise ActionError(_("年龄应为 0–120 的整数"), field="age") from None
        if not 0 <= self.age <= 120:
            raise ActionError(_("年龄应为 0–120 的整数"), field="age", code="out_of_range")
        self.description = clean_text(d.get("description"), "description", _("体貌特征及衣着"), 1000, required=True)
        self.last_seen_at = clean_when(d.get("last_seen_at"), "last_seen_at", _("最后出现时间"), now=self.now)
        self.address = clean_text(
            d.get("last_seen_address"), "last_seen_address", _("最后出现地点"), 200, required=True
        )
        self.lat, self.lon, self.cell = locate(d)
        if self.photo is None:
            raise ActionError(_("请上传走失人员近期照片"), field="photo", code="required")
        self.checked = check_photo(self.photo, "photo")

    def run(self) -> MissingPersonReport:
        report = MissingPersonReport(
            number=next_number("ZS", self.now),
            citizen=self.citizen,
            name=self.name,
            sex=self.sex,
            age=self.age,
            description=self.description,
            last_seen_at=self.last_seen_at,
            last_seen_address=self.address,
            lat=self.lat,
            lon=self.lon,
            station=self.cell.jurisdiction,
            photo_type=self.checked.content_type.value,
            created_at=self.now,
        )
        report.photo.save(self.checked.name, self.checked.upload, save=False)
        self.written.append(report.photo)
        report.save()
        self.audit(report, {"number": report.number, "station": report.station.code, "photo": self.checked.sha256})
        after_commit(lambda: missing_reported.send(sender=MissingPersonReport, report=report))
        return report


class SetMissingStatus(Action):
    """已找到 / 已结束: the station records the outcome; the family is told by SMS."""

    audit_action = "reports.missing.status"

    def __init__(self, *, report: MissingPersonReport, by: Officer, status: str):
        self.report = report
        self.by = by
        self.status = status

    def check(self):
        if not MissingPersonReport.objects.visible_to(self.by).filter(pk=self.report.pk).exists():
            raise Denied(_("无权处理该报告"))
        if self.status not in MissingPersonReport.Status.values:
            raise ActionError(_("状态无效"), field="status")

    def run(self) -> MissingPersonReport:
        MissingPersonReport.objects.filter(pk=self.report.pk).update(status=self.status)
        self.report.refresh_from_db()
        self.audit(self.report, {"status": self.status})
        sms.send(
            self.report.citizen.phone,
            _("【安民】您报告的走失人员 %(number)s 状态：%(status)s。")
            % {"number": self.report.number, "status": self.report.get_status_display()},
        )
        return self.report


# --- 警民互动 ---------------------------------------------------------------------------------------

MATTER_FIELDS = {
    QuickAccident: "accident",
    OnlineReport: "online_report",
    Tip: "tip",
    MissingPersonReport: "missing",
}


def matter_number(matter) -> str:
    if isinstance(matter, OnlineReport):
        return matter.incident.number
    if isinstance(matter, Tip):
        return str(_("举报线索"))
    return matter.number


class PostMessage(Action):
    """A message on a matter's thread. `citizen` must own the matter; `tipster=True` is the holder of
    a tip's tracking code (the caller looked the tip up by it); an officer must see the matter."""

    audit_action = "reports.message"

    def audit_actor(self):
        if self.officer is not None:
            return self.officer
        return _Anonymous() if self.tipster else self.citizen

    def __init__(self, *, matter, text: str, citizen: Citizen | None = None, officer=None, tipster: bool = False):
        self.matter = matter
        self.text = text
        self.citizen = citizen
        self.officer = officer
        self.tipster = tipster

    def check(self):
        field = MATTER_FIELDS.get(type(self.matter))
        if field is None:
            raise ActionError(_("未知事项"))
        self.field = field
        if self.officer is not None:
            if not type(self.matter).objects.visible_to(self.officer).filter(pk=self.matter.pk).exists():
                raise Denied(_("无权查看该事项"))
        elif self.tipster:
            if not isinstance(self.matter, Tip):
                raise Denied()
            if self.matter.status == Tip.Status.CLOSED:
                raise ActionError(_("该线索已办结，不能再留言"), field="text", code="closed")
        elif self.citizen is None or isinstance(self.matter, Tip) or self.matter.citizen_id != self.citizen.pk:
            raise Denied()
        self.clean = clean_text(self.text, "text", _("留言"), MAX_MESSAGE, required=True)

    def run(self) -> Message:
        staff = self.officer is not None
        message = Message.objects.create(
            author=Message.Author.STAFF if staff else Message.Author.PUBLIC,
            officer=self.officer if staff else None,
            text=self.clean,
            **{self.field: self.matter},
        )
        self.audit(message, {"matter": self.field})
        if staff and isinstance(self.matter, Tip) and self.matter.status == Tip.Status.NEW:
            Tip.objects.filter(pk=self.matter.pk).update(status=Tip.Status.REPLIED)
        if staff and not isinstance(self.matter, Tip):
            sms.send(
                self.matter.citizen.phone,
                _("【安民】您的事项 %(number)s 有民警回复，请登录掌上办查看。")
                % {"number": matter_number(self.matter)},
            )
        return message
