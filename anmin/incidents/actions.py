"""Actions on incidents at intake: receiving a 110 call, or merging a repeat call into an open incident."""

import hashlib
import json
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from anmin.core.actions import Action, after_commit
from anmin.core.cache import TtlCache
from anmin.core.crypto import matching
from anmin.core.errors import ActionError, Conflict, Denied
from anmin.core.events import publish
from anmin.core.pii import RevealPersonalData, mask_phone, reveal_entries
from anmin.core.sequences import increment
from anmin.core.validation import clean_text
from anmin.geo.coords import distance_m
from anmin.geo.models import GridCell
from anmin.incidents.categories import resolve_category
from anmin.incidents.models import INTAKE_KEY_TTL, Category, DailySequence, Incident, IncidentEvent, IntakeKey
from anmin.incidents.signals import announce_received
from anmin.org.models import Organization

#: Code-table rows and the bureau code, per process; cleared on any change (see IncidentsConfig.ready).
lookup_cache = TtlCache("incident-lookups", ttl=60)

MAX_ADDRESS = 200
MAX_DESCRIPTION = 2000
MAX_PHONE = 20
MAX_NAME = 30
#: An intake key is what fits an HTTP header unchanged: 1–100 printable ASCII characters.
MAX_INTAKE_KEY = 100
#: Where the API takes the key from, and so the field its errors name.
INTAKE_KEY_FIELD = "Idempotency-Key"


def valid_intake_key(key: object) -> bool:
    return isinstance(key, str) and 1 <= len(key) <= MAX_INTAKE_KEY and all(" " <= c <= "~" for c in key)


def incident_groups(incident: Incident, *, new: bool = False) -> set[str]:
    """Channels groups that must hear of a change: every organization above the station and above
    each unit sent to it (a branch console sees its stations' incidents). A new incident has no
    units yet, so it skips that query."""
    paths = [incident.station.path]
    if not new:
        paths += list(incident.assignments.values_list("unit__organization__path", flat=True))
    groups = set()
    for path in paths:
        groups.update(f"org-{part}" for part in path.strip("/").split("/") if part)
    return groups


def publish_incident(incident: Incident, *, new: bool = False, **extra) -> None:
    publish(incident_groups(incident, new=new), {"kind": "incident", "id": incident.pk, **extra})


def record(incident: Incident, kind: str, by=None, *, unit_label: str = "", detail: str = "", at=None):
    return IncidentEvent.objects.create(
        incident=incident,
        kind=kind,
        at=at or timezone.now(),
        actor=by if getattr(by, "pk", None) else None,
        unit_label=unit_label,
        detail=detail[:500],
    )


def bureau_code() -> str:
    """Six-digit division code of the bureau (the root of the unit tree), e.g. 131100."""

    def load():
        root = Organization.objects.filter(parent__isnull=True).order_by("id").values_list("code", flat=True).first()
        return root[:6] if root else None

    code = lookup_cache.get("bureau-code", load)
    if code is None:
        raise ActionError(_("尚未配置市局（组织机构根节点）"), field=None, code="not_configured")
    return code


def next_number(received_at: datetime) -> str:
    """Next 接警单号 of the bureau for the local day of `received_at`; call inside a transaction."""
    code = bureau_code()
    day = timezone.localtime(received_at).date()
    last = increment(DailySequence, bureau_code=code, day=day)
    return f"{code}-{day:%Y%m%d}-{last:06d}"


def active_category(code: str) -> Category | None:
    return lookup_cache.get(("category", code), lambda: Category.objects.filter(code=code, active=True).first())


@dataclass
class CallData:
    category: Category
    lat: float
    lon: float
    cell: GridCell
    address: str
    caller_phone: str
    caller_name: str
    description: str
    priority: int


def _text(raw: dict, field: str, limit: int, *, required: bool = False, label: str = "") -> str:
    return clean_text(raw.get(field), field, label, limit, required=required)


def _number(raw: dict, field: str, label: str, low: float, high: float) -> float:
    value = raw.get(field)
    if value is None or value == "":
        raise ActionError(_("请填写%(label)s（可在地图上点选位置）") % {"label": label}, field=field, code="required")
    if isinstance(value, bool):
        raise ActionError(_("%(label)s应为数字") % {"label": label}, field=field)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ActionError(_("%(label)s应为数字") % {"label": label}, field=field) from None
    if not math.isfinite(number) or not low <= number <= high:
        raise ActionError(
            _("%(label)s应在 %(low)s 到 %(high)s 之间") % {"label": label, "low": low, "high": high},
            field=field,
            code="out_of_range",
        )
    return number


def clean_call(raw: dict) -> CallData:
    """Validate an intake from any entry point (form, API, import); raise ActionError naming the field."""
    # A code, a name or part of one (殴打 → 殴打他人); several matches are refused with the candidates.
    category = resolve_category(raw.get("category"))
    lat = _number(raw, "lat", _("纬度"), -90, 90)
    lon = _number(raw, "lon", _("经度"), -180, 180)
    cell = GridCell.locate(lat, lon)
    if cell is None:
        raise ActionError(_("该位置不在本市网格范围内，请核对坐标"), field="lat", code="outside_city")
    phone = _text(raw, "caller_phone", MAX_PHONE, label=_("报警电话"))
    if phone and not phone.replace("-", "").replace("+", "").isdigit():
        raise ActionError(_("报警电话只能包含数字"), field="caller_phone")
    priority = raw.get("priority")
    if priority in (None, ""):
        priority = Incident.Priority.URGENT if category.serious_violence else Incident.Priority.NORMAL
    if isinstance(priority, bool):
        raise ActionError(_("等级应为 1、2 或 3"), field="priority")
    try:
        priority = int(priority)
    except (TypeError, ValueError):
        raise ActionError(_("等级应为 1、2 或 3"), field="priority") from None
    if priority not in (1, 2, 3):
        raise ActionError(_("等级应为 1、2 或 3"), field="priority", code="out_of_range")
    return CallData(
        category=category,
        lat=lat,
        lon=lon,
        cell=cell,
        address=_text(raw, "address", MAX_ADDRESS, required=True, label=_("地址")),
        caller_phone=phone,
        caller_name=_text(raw, "caller_name", MAX_NAME, label=_("报警人")),
        description=_text(raw, "description", MAX_DESCRIPTION, label=_("简要警情")),
        priority=priority,
    )


def find_repeat_calls(
    category: Category, lat: float, lon: float, now=None, *, user=None, phone: str = ""
) -> list[Incident]:
    """Open incidents of the same category near the same place in the last minutes (重复报警), and
    open incidents called in from the same number in those minutes (the caller calling back, who
    may now name another place or category), among those `user` may see: a call-taker is never
    shown another jurisdiction's incident. Most recent first, at most five."""
    now = now or timezone.now()
    since = now - timedelta(minutes=settings.REPEAT_CALL_MINUTES)
    radius = settings.REPEAT_CALL_METERS
    dlat = radius / 111_000
    dlon = radius / (111_000 * max(0.1, math.cos(math.radians(lat))))
    incidents = Incident.objects.all() if user is None else Incident.objects.visible_to(user)
    recent = incidents.open().filter(received_at__gte=since).select_related("category", "station")
    candidates = recent.filter(
        category=category,
        lat__range=(lat - dlat, lat + dlat),
        lon__range=(lon - dlon, lon + dlon),
    ).order_by("-received_at")[:5]
    found = {i.pk: i for i in candidates if distance_m(lat, lon, i.lat, i.lon) <= radius}
    for incident in found.values():
        incident.same_number = False
    if phone:
        # The number is stored encrypted: equal numbers are found through its blind index.
        same_number = recent.filter(matching(Incident, "caller_phone", phone)).order_by("-received_at")[:5]
        for incident in same_number:
            incident.same_number = incident.pk not in found
            found.setdefault(incident.pk, incident)
    return sorted(found.values(), key=lambda i: (i.received_at, i.pk), reverse=True)[:5]


class ReceiveCall(Action):
    """接警: a call-taker records a 110 call. It becomes an incident in its grid cell and jurisdiction,
    with the arrival target of that cell — or, for a repeat call, is merged into the open incident.

    `merge_into` merges into that incident; `force_new` records a new incident even though a repeat
    candidate exists. Without either, a repeat candidate raises RepeatCall so the call-taker chooses.

    `key` (the API's Idempotency-Key, the intake form's one-time token) makes a retry safe: the same
    officer sending the same call with the same key within INTAKE_KEY_TTL gets the first answer's
    incident back (`replayed` is then True) instead of a second incident; the same key with a
    different call is refused with IntakeKeyReused.
    """

    audit_action = "incident.receive"

    def __init__(
        self,
        *,
        by,
        data: dict,
        merge_into: Incident | None = None,
        force_new: bool = False,
        at=None,
        key: str | None = None,
    ):
        self.by = by
        self.raw = data
        self.merge_into = merge_into
        self.force_new = force_new
        self.at = at
        self.key = key
        #: True when `key` had already been answered and the first answer's incident is returned.
        self.replayed = False

    def check(self):
        if not (self.by and self.by.is_authenticated and self.by.can_command):
            raise Denied(_("只有接警员、指挥员可以接警"))
        if (
            self.merge_into is not None
            and not Incident.objects.visible_to(self.by).filter(pk=self.merge_into.pk).exists()
        ):
            raise Denied(_("无权操作该警情"), field="merge_into")
        if self.key is not None and not valid_intake_key(self.key):
            raise ActionError(
                _("幂等键应为 1–%(n)s 个可打印 ASCII 字符") % {"n": MAX_INTAKE_KEY},
                field=INTAKE_KEY_FIELD,
                code="invalid",
            )

    def run(self) -> tuple[Incident, bool]:
        if self.key is not None:
            # The key is claimed before anything else is looked at: a retry racing the first request
            # waits here for it, rather than finding its incident as a "repeat call".
            earlier = self._claim_key()
            if earlier is not None:
                return earlier
            incident, created = self._receive()
            IntakeKey.objects.filter(creator=self.by, key=self.key).update(incident=incident, created_incident=created)
            return incident, created
        return self._receive()

    def _fingerprint(self) -> str:
        asked = {
            "data": self.raw,
            "merge_into": self.merge_into.pk if self.merge_into is not None else None,
            "force_new": self.force_new,
        }
        text = json.dumps(asked, sort_keys=True, default=str, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()

    def _claim_key(self) -> tuple[Incident, bool] | None:
        """Insert this officer's key, or return the answer of the request that used it first."""
        now = timezone.now()
        mine = IntakeKey.objects.filter(creator=self.by, key=self.key)
        mine.filter(at__lt=now - INTAKE_KEY_TTL).delete()  # a forgotten key may be used again
        fingerprint = self._fingerprint()
        earlier = mine.select_related("incident__category", "incident__station").first()
        if earlier is None:
            try:
                with transaction.atomic():
                    IntakeKey.objects.create(creator=self.by, key=self.key, fingerprint=fingerprint, at=now)
            except IntegrityError:
                # A request with this key committed while this one was looking: on PostgreSQL the
                # INSERT waited for it, and its row is visible now. Answer with its incident.
                earlier = mine.select_related("incident__category", "incident__station").first()
                if earlier is None:
                    raise
            else:
                return None
        if earlier.fingerprint != fingerprint or earlier.incident is None:
            raise IntakeKeyReused(earlier.incident)
        self.replayed = True
        return earlier.incident, earlier.created_incident

    def _receive(self) -> tuple[Incident, bool]:
        call = clean_call(self.raw)
        now = self.at or timezone.now()
        if self.merge_into is not None:
            return self._merge(self.merge_into, call), False
        if not self.force_new:
            repeats = find_repeat_calls(call.category, call.lat, call.lon, now, user=self.by, phone=call.caller_phone)
            if repeats:
                raise RepeatCall(repeats)
        minutes = call.cell.arrival_minutes()
        incident = Incident.objects.create(
            number=next_number(now),
            received_at=now,
            category=call.category,
            priority=call.priority,
            caller_phone=call.caller_phone,
            caller_name=call.caller_name,
            address=call.address,
            lat=call.lat,
            lon=call.lon,
            description=call.description,
            grid_cell=call.cell,
            station=call.cell.jurisdiction,
            area_type=call.cell.area_type,
            target_minutes=minutes,
            arrival_due_at=now + timedelta(minutes=minutes),
            received_by=self.by,
        )
        received = record(
            incident, IncidentEvent.Kind.RECEIVED, self.by, at=now, detail=f"{call.category.name} {call.address}"
        )
        incident.new_timeline = [received]  # the API answers with it without reading it back
        self.audit(
            incident,
            {"number": incident.number, "category": call.category.code, "station": incident.station.code},
        )
        publish_incident(incident, new=True, event="received")
        after_commit(lambda: announce_received(incident, self.by))
        return incident, True

    def _merge(self, incident: Incident, call: CallData) -> Incident:
        if not incident.is_open:
            raise ActionError(_("该警情已结束，不能合并"), field="merge_into", code="closed")
        Incident.objects.filter(pk=incident.pk).update(call_count=F("call_count") + 1)
        incident.refresh_from_db()
        # The timeline is read by everyone in scope: no phone number goes into its text, not even
        # masked (个人信息保护法: 最小必要). Whether it is the first caller again is what the
        # commander needs; the first caller's number is one "显示" away on the incident.
        same = bool(call.caller_phone) and call.caller_phone == incident.caller_phone
        if same:
            detail = _("重复来电（同一号码）：%(text)s") % {"text": call.description[:200]}
        elif call.caller_phone:
            detail = _("重复来电（另一号码）：%(text)s") % {"text": call.description[:200]}
        else:
            detail = _("重复来电（未显示号码）：%(text)s") % {"text": call.description[:200]}
        record(incident, IncidentEvent.Kind.REPEAT_CALL, self.by, detail=detail)
        self.audit(
            incident, {"phone": mask_phone(call.caller_phone), "same_caller": same}, action="incident.merge_call"
        )
        publish_incident(incident, event="repeat_call")
        return incident


class RepeatCall(ActionError):  # noqa: N818 - it is an outcome the call-taker acts on, not a failure
    """A repeat call was detected: offer merging into one of `candidates` instead of a new incident."""

    status = 409

    def __init__(self, candidates: list[Incident]):
        first = candidates[0]
        if getattr(first, "same_number", False):
            message = _("%(minutes)s 分钟内同一号码已报警 %(number)s，是否合并？")
        else:
            message = _("%(minutes)s 分钟内同一地点已有同类警情 %(number)s，是否合并？")
        super().__init__(
            message % {"minutes": settings.REPEAT_CALL_MINUTES, "number": first.number},
            field="merge_into",
            code="repeat_call",
            extra={"candidates": [{"id": c.pk, "number": c.number, "address": c.address} for c in candidates]},
        )
        self.candidates = candidates


class IntakeKeyReused(Conflict):  # noqa: N818 - named for what the client did
    """The officer sent a different call with a key already used for another within INTAKE_KEY_TTL:
    a client bug (a key reused for a new call), refused rather than guessed at."""

    code = "idempotency_key_reused"

    def __init__(self, incident: Incident | None):
        number = incident.number if incident is not None else "-"
        super().__init__(
            _("该幂等键已用于另一份接警内容（%(number)s）；新的来电请使用新的键") % {"number": number},
            field=INTAKE_KEY_FIELD,
            code=self.code,
        )
        self.incident = incident


class RevealCaller(Action):
    """查看报警人完整信息: lists show the caller's number masked; seeing it in full is asked for
    explicitly and each viewing is an audit entry (个人信息保护法: log who saw personal data)."""

    # The same entries as "显示" on the page writes (anmin.core.pii), one for each field shown.
    audit_action = RevealPersonalData.audit_action

    def __init__(self, *, incident: Incident, by):
        self.incident = incident
        self.by = by

    def check(self):
        if not Incident.objects.visible_to(self.by).filter(pk=self.incident.pk).exists():
            raise Denied(_("无权查看该警情"))

    def run(self) -> Incident:
        keys = ["incident.caller_phone"] + (["incident.caller_name"] if self.incident.caller_name else [])
        reveal_entries(self, self.incident, keys)
        return self.incident
