"""Actions of the posts app: rosters, 上岗/下岗, checks at checkpoints, wanted-list hits and entries."""

from datetime import date, datetime, timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from anmin.core.actions import Action
from anmin.core.crypto import matching
from anmin.core.errors import ActionError, Conflict, Denied
from anmin.core.idnumber import clean_id_number
from anmin.geo.models import Post
from anmin.org.models import Officer, Organization
from anmin.posts.models import (
    CheckRecord,
    DutyShift,
    PostStandard,
    WantedEntry,
    manages_wanted_list,
    visible_posts,
)
from anmin.reports.plates import clean_plate

MAX_NOTE = 200
MAX_AUXILIARIES = 200


def _require_post(post: Post, by) -> None:
    if not visible_posts(by).filter(pk=post.pk).exists():
        raise Denied(_("无权管理该点位"), field="post")


def _officers_of(post: Post, officers, field: str) -> list[Officer]:
    """The officers named for a shift must belong to the post's unit tree (its station or detachment and
    the posts below it) — a roster cannot put another station's officers on duty."""
    officers = list(officers or [])
    root = post.organization.station() or post.organization
    for officer in officers:
        if officer.organization_id is None or not officer.organization.path.startswith(root.path):
            raise ActionError(
                _("%(name)s 不属于 %(unit)s，不能排班")
                % {"name": officer.full_name or officer.username, "unit": root.name},
                field=field,
            )
    return officers


def _text(value: str, field: str, label: str, limit: int) -> str:
    value = " ".join((value or "").split())
    if len(value) > limit:
        raise ActionError(
            _("%(label)s不能超过 %(limit)s 个字") % {"label": label, "limit": limit}, field=field, code="too_long"
        )
    return value


class CreateWeekRoster(Action):
    """排班: one week of shifts at a post, on the post's shift pattern (its 达标 standard's, e.g.
    08:00–16:00 / 16:00–24:00 / 00:00–08:00), each with its leader, officers and 辅警. Days that
    already have a shift at that start are refused rather than overwritten — a roster is changed
    shift by shift (`ChangeShift`), so who was planned stays traceable."""

    audit_action = "posts.roster"

    def __init__(self, *, post: Post, by, week_start: date, leader=None, officers=(), auxiliaries: str = "", days=7):
        self.post, self.by, self.week_start, self.days = post, by, week_start, days
        self.leader, self.officers, self.auxiliaries = leader, officers, auxiliaries

    def check(self) -> None:
        _require_post(self.post, self.by)
        self.officers = _officers_of(self.post, self.officers, "officers")
        if self.leader is not None:
            _officers_of(self.post, [self.leader], "leader")
        self.auxiliaries = _text(self.auxiliaries, "auxiliaries", _("辅警"), MAX_AUXILIARIES)

    def planned(self) -> list[tuple[datetime, datetime]]:
        tz = timezone.get_current_timezone()
        windows = []
        for offset in range(self.days):
            day = self.week_start + timedelta(days=offset)
            for start, minutes in PostStandard.for_post(self.post).pattern():
                begins = timezone.make_aware(datetime.combine(day, start), tz)
                windows.append((begins, begins + timedelta(minutes=minutes)))
        return windows

    def run(self) -> list[DutyShift]:
        windows = self.planned()
        taken = set(
            DutyShift.objects.filter(post=self.post, starts_at__in=[s for s, _e in windows]).values_list(
                "starts_at", flat=True
            )
        )
        if taken:
            first = timezone.localtime(min(taken))
            raise Conflict(
                _("%(post)s 在 %(when)s 已有班次，请逐班调整")
                % {"post": self.post.name, "when": f"{first:%m-%d %H:%M}"},
                field="week_start",
            )
        shifts = DutyShift.objects.bulk_create(
            [
                DutyShift(post=self.post, starts_at=s, ends_at=e, leader=self.leader, auxiliaries=self.auxiliaries)
                for s, e in windows
            ]
        )
        if self.officers:
            through = DutyShift.officers.through
            through.objects.bulk_create(
                [through(dutyshift_id=shift.pk, officer_id=o.pk) for shift in shifts for o in self.officers]
            )
        self.audit(self.post, {"week_start": self.week_start.isoformat(), "shifts": len(shifts)})
        return shifts


class ChangeShift(Action):
    """调班: change who is on duty in one shift (leader, officers, 辅警) before it has ended."""

    audit_action = "posts.shift.change"

    def __init__(self, *, shift: DutyShift, by, leader=None, officers=(), auxiliaries: str = ""):
        self.shift, self.by, self.leader, self.officers, self.auxiliaries = shift, by, leader, officers, auxiliaries

    def check(self) -> None:
        _require_post(self.shift.post, self.by)
        if self.shift.off_duty_at is not None:
            raise Conflict(_("该班次已下岗，不能再调整"), field="shift")
        self.officers = _officers_of(self.shift.post, self.officers, "officers")
        if self.leader is not None:
            _officers_of(self.shift.post, [self.leader], "leader")
        self.auxiliaries = _text(self.auxiliaries, "auxiliaries", _("辅警"), MAX_AUXILIARIES)

    def run(self) -> DutyShift:
        self.shift.leader = self.leader
        self.shift.auxiliaries = self.auxiliaries
        self.shift.save(update_fields=["leader", "auxiliaries"])
        self.shift.officers.set(self.officers)
        self.audit(self.shift, {"leader": getattr(self.leader, "pk", None), "officers": [o.pk for o in self.officers]})
        return self.shift


class RecordOnDuty(Action):
    """上岗: the officer records that the post is now manned for this shift (at `at`, default now).
    Recorded once; an early take-over more than an hour before the planned start is refused as a
    likely wrong shift."""

    audit_action = "posts.shift.on_duty"

    def __init__(self, *, shift: DutyShift, by, at: datetime | None = None):
        self.shift, self.by, self.at = shift, by, at or timezone.now()

    def check(self) -> None:
        _require_post(self.shift.post, self.by)
        if self.at < self.shift.starts_at - timedelta(hours=1) or self.at >= self.shift.ends_at:
            raise ActionError(_("不在该班次的时间内，请选择正确的班次"), field="shift", code="out_of_shift")

    def run(self) -> DutyShift:
        updated = DutyShift.objects.filter(pk=self.shift.pk, on_duty_at__isnull=True).update(on_duty_at=self.at)
        if not updated:
            raise Conflict(_("该班次已经上岗"), field="shift")
        self.shift.on_duty_at = self.at
        self.audit(self.shift, {"at": self.at.isoformat()})
        return self.shift


class RecordOffDuty(Action):
    """下岗: the officer records that the post is left at the end of (or during) the shift."""

    audit_action = "posts.shift.off_duty"

    def __init__(self, *, shift: DutyShift, by, at: datetime | None = None):
        self.shift, self.by, self.at = shift, by, at or timezone.now()

    def check(self) -> None:
        _require_post(self.shift.post, self.by)
        if self.shift.on_duty_at is None:
            raise ActionError(_("该班次尚未上岗"), field="shift", code="not_on_duty")
        if self.at <= self.shift.on_duty_at:
            raise ActionError(_("下岗时间应晚于上岗时间"), field="at")

    def run(self) -> DutyShift:
        updated = DutyShift.objects.filter(pk=self.shift.pk, off_duty_at__isnull=True).update(off_duty_at=self.at)
        if not updated:
            raise Conflict(_("该班次已经下岗"), field="shift")
        self.shift.off_duty_at = self.at
        self.audit(self.shift, {"at": self.at.isoformat()})
        return self.shift


def find_wanted(id_number: str, plate: str) -> WantedEntry | None:
    """The active wanted-list entry the checked ID number or plate matches, if any."""
    condition = Q(pk__in=[])
    if id_number:
        condition |= matching(WantedEntry, "id_number", id_number) & Q(kind=WantedEntry.Kind.PERSON)
    if plate:
        condition |= Q(plate=plate, kind=WantedEntry.Kind.VEHICLE)
    return WantedEntry.objects.filter(condition, active=True).select_related("issuing_unit").first()


class RecordCheck(Action):
    """核查登记: a person (ID number, validated under GB 11643) and/or vehicle (plate under GA 36)
    checked at the post during a shift, by the officer. Held against the active wanted lists: a
    match is stored on the record for the officer to handle — the system takes no decision."""

    audit_action = "posts.check"

    def __init__(
        self,
        *,
        shift: DutyShift,
        by,
        id_number: str = "",
        plate: str = "",
        vehicle_type: str = "",
        result: str = CheckRecord.Result.CLEARED,
        note: str = "",
        at: datetime | None = None,
    ):
        self.shift, self.by, self.at = shift, by, at or timezone.now()
        self.id_number, self.plate, self.vehicle_type = id_number or "", plate or "", vehicle_type or ""
        self.result, self.note = result or CheckRecord.Result.CLEARED, note

    def check(self) -> None:
        _require_post(self.shift.post, self.by)
        if not self.id_number.strip() and not self.plate.strip():
            raise ActionError(_("请填写身份证号码或号牌号码"), field="id_number", code="required")
        self.id_number = clean_id_number(self.id_number) if self.id_number.strip() else ""
        self.plate = clean_plate(self.plate) if self.plate.strip() else ""
        if self.vehicle_type and self.vehicle_type not in CheckRecord.VehicleType.values:
            raise ActionError(_("车辆类型无效"), field="vehicle_type")
        if self.plate and not self.vehicle_type:
            raise ActionError(_("请选择车辆类型"), field="vehicle_type", code="required")
        if self.result not in CheckRecord.Result.values:
            raise ActionError(_("核查结果无效"), field="result")
        self.note = _text(self.note, "note", _("备注"), MAX_NOTE)
        early = self.shift.starts_at - timedelta(hours=1)
        late = self.shift.ends_at + timedelta(hours=1)
        if not early <= self.at <= late:
            raise ActionError(_("核查时间不在该班次内"), field="checked_at", code="out_of_shift")

    def run(self) -> CheckRecord:
        record = CheckRecord.objects.create(
            shift=self.shift,
            checked_at=self.at,
            officer=self.by,
            id_number=self.id_number,
            plate=self.plate,
            vehicle_type=self.vehicle_type if self.plate else "",
            result=self.result,
            note=self.note,
            wanted=find_wanted(self.id_number, self.plate),
        )
        # The trail names the record and whether it hit, never the ID number it holds.
        self.audit(record, {"hit": record.wanted_id is not None, "vehicle": bool(self.plate)})
        return record


class HandleHit(Action):
    """比中处置: the officer records how a wanted-list hit was handled (核实排除 after verifying it is
    not the person/vehicle, 带离移交, 扣留车辆, 上报待核) with a note saying what was done and why."""

    audit_action = "posts.hit.handle"

    def __init__(self, *, record: CheckRecord, by, handling: str, note: str = ""):
        self.record, self.by, self.handling, self.note = record, by, handling, note

    def check(self) -> None:
        _require_post(self.record.shift.post, self.by)
        if self.record.wanted_id is None:
            raise ActionError(_("该核查记录没有比中名单"), field="handling", code="no_hit")
        if self.handling not in CheckRecord.Handling.values:
            raise ActionError(_("请选择处置方式"), field="handling", code="required")
        self.note = _text(self.note, "hit_note", _("处置说明"), MAX_NOTE)
        if not self.note:
            raise ActionError(_("请填写处置说明"), field="hit_note", code="required")

    def run(self) -> CheckRecord:
        now = timezone.now()
        updated = CheckRecord.objects.filter(pk=self.record.pk, hit_handling="").update(
            hit_handling=self.handling, hit_note=self.note, hit_handled_at=now, hit_handled_by=self.by
        )
        if not updated:
            raise Conflict(_("该比中已经处置"), field="handling")
        self.record.hit_handling, self.record.hit_note = self.handling, self.note
        self.record.hit_handled_at, self.record.hit_handled_by = now, self.by
        self.audit(self.record, {"handling": self.handling})
        return self.record


class SaveWantedEntry(Action):
    """布控: add a fugitive (by ID number) or a vehicle (by plate) to the wanted lists, or change or
    withdraw (`active=False`) an entry. Leaders and the command centre only."""

    audit_action = "posts.wanted.save"

    def __init__(
        self,
        *,
        by,
        kind: str,
        reason: str,
        issuing_unit: Organization,
        id_number: str = "",
        plate: str = "",
        active: bool = True,
        entry: WantedEntry | None = None,
    ):
        self.by, self.kind, self.reason, self.issuing_unit = by, kind, reason, issuing_unit
        self.id_number, self.plate, self.active, self.entry = id_number or "", plate or "", active, entry

    def check(self) -> None:
        if not manages_wanted_list(self.by):
            raise Denied(_("只有领导或指挥中心可以维护布控名单"))
        if self.kind == WantedEntry.Kind.PERSON:
            self.id_number, self.plate = clean_id_number(self.id_number), ""
        elif self.kind == WantedEntry.Kind.VEHICLE:
            self.id_number, self.plate = "", clean_plate(self.plate)
        else:
            raise ActionError(_("请选择名单类型"), field="kind", code="required")
        self.reason = _text(self.reason, "reason", _("事由"), 200)
        if not self.reason:
            raise ActionError(_("请填写布控事由"), field="reason", code="required")

    def run(self) -> WantedEntry:
        entry = self.entry or WantedEntry()
        entry.kind, entry.id_number, entry.plate = self.kind, self.id_number, self.plate
        entry.reason, entry.issuing_unit, entry.active = self.reason, self.issuing_unit, self.active
        entry.save()
        self.audit(entry, {"kind": self.kind, "active": self.active})
        return entry
