"""Dispatch-desk and officer actions: 派警, 出警, 到场, 处置, 处置完毕, 反馈, unit status and position,
and cancelling or reopening an incident."""

from django.db import IntegrityError
from django.utils import timezone
from django.utils.translation import gettext as _

from anmin.core.actions import Action, after_commit
from anmin.core.errors import ActionError, Conflict, Denied
from anmin.core.events import publish
from anmin.dispatch import signals
from anmin.dispatch.models import Assignment, FeedbackResult, Unit, UnitStatus
from anmin.dispatch.recommend import recommend
from anmin.geo.coords import distance_m
from anmin.incidents.actions import incident_groups, publish_incident, record
from anmin.incidents.models import Incident, IncidentEvent

MAX_UNITS_PER_DISPATCH = 20


def unit_groups(unit: Unit) -> set[str]:
    groups = {f"org-{part}" for part in unit.organization.path.strip("/").split("/") if part}
    groups.add(f"unit-{unit.pk}")
    return groups


def publish_unit(unit: Unit, **extra) -> None:
    publish(unit_groups(unit), {"kind": "unit", "id": unit.pk, **extra})


def can_operate_unit(user, unit: Unit) -> bool:
    """A crew member operates their own unit; commanders operate units they can see."""
    if not (user and user.is_authenticated):
        return False
    if unit.members.filter(pk=user.pk).exists():
        return True
    return user.can_command and Unit.objects.visible_to(user).filter(pk=unit.pk).exists()


def refresh_incident_status(incident: Incident, now) -> None:
    """Derive the incident's status from its assignments (the furthest stage any open one reached)."""
    if incident.status == Incident.Status.CANCELLED:
        return
    rows = list(incident.assignments.values("closed_at", "en_route_at", "arrived_at", "resolved_at"))
    active = [r for r in rows if r["closed_at"] is None]
    if not rows:
        status = Incident.Status.RECEIVED
    elif not active:
        status = Incident.Status.REPORTED
    elif all(r["resolved_at"] for r in active):
        status = Incident.Status.RESOLVED
    elif any(r["arrived_at"] for r in active):
        status = Incident.Status.ARRIVED
    elif any(r["en_route_at"] for r in active):
        status = Incident.Status.EN_ROUTE
    else:
        status = Incident.Status.DISPATCHED
    incident.status = status
    if status == Incident.Status.RESOLVED and incident.resolved_at is None:
        incident.resolved_at = now
    if status == Incident.Status.REPORTED:
        incident.closed_at = now
        if incident.resolved_at is None:
            incident.resolved_at = now
    incident.save(update_fields=["status", "resolved_at", "closed_at", "updated_at"])


class DispatchUnits(Action):
    """派警: send one or more units to an incident.

    A unit is never double-assigned: each unit moves from 空闲 to 出警中 by a conditional UPDATE;
    if another dispatcher took it first the UPDATE matches no row and the whole dispatch is refused
    with a conflict, leaving nothing half-written.
    """

    audit_action = "incident.dispatch"

    def __init__(self, *, incident: Incident, unit_ids: list[int], by, note: str = ""):
        self.incident = incident
        self.unit_ids = unit_ids
        self.by = by
        self.note = note

    def check(self):
        if not (self.by and self.by.is_authenticated and self.by.can_command):
            raise Denied(_("只有指挥员可以派警"))
        if not Incident.objects.visible_to(self.by).filter(pk=self.incident.pk).exists():
            raise Denied(_("无权操作该警情"))
        if not isinstance(self.unit_ids, list | tuple) or not self.unit_ids:
            raise ActionError(_("请选择要派出的警力"), field="unit_ids", code="required")
        if len(self.unit_ids) > MAX_UNITS_PER_DISPATCH:
            raise ActionError(
                _("一次最多派出 %(n)s 个警力") % {"n": MAX_UNITS_PER_DISPATCH},
                field="unit_ids",
                code="too_many",
            )
        if any(isinstance(u, bool) or not isinstance(u, int) for u in self.unit_ids):
            raise ActionError(_("警力编号应为整数"), field="unit_ids")
        if len(set(self.unit_ids)) != len(self.unit_ids):
            raise ActionError(_("同一警力不能重复选择"), field="unit_ids", code="duplicate")

    def run(self) -> list[Assignment]:
        incident = Incident.objects.select_related("category", "station").get(pk=self.incident.pk)
        if not incident.is_open:
            raise ActionError(_("该警情已结束，不能派警"), field="incident", code="closed")
        units = {
            u.pk: u
            for u in Unit.objects.visible_to(self.by).select_related("organization").filter(pk__in=self.unit_ids)
        }
        missing = [uid for uid in self.unit_ids if uid not in units]
        if missing:
            raise ActionError(
                _("警力不存在或无权调度：%(ids)s") % {"ids": ", ".join(map(str, missing))},
                field="unit_ids",
                code="unknown",
            )
        now = timezone.now()
        explained = {r.unit_id: r for r in recommend(incident, limit=1000)} if len(units) else {}
        assignments = []
        # Lock in id order so two dispatchers taking overlapping sets cannot deadlock.
        for uid in sorted(self.unit_ids):
            unit = units[uid]
            taken = Unit.objects.filter(pk=uid, status=UnitStatus.AVAILABLE).update(
                status=UnitStatus.DISPATCHED, current_incident=incident, updated_at=now
            )
            if not taken:
                current = Unit.objects.filter(pk=uid).values_list("status", flat=True).first()
                raise Conflict(
                    _("警力 %(callsign)s 当前不可派（%(status)s）")
                    % {"callsign": unit.callsign, "status": UnitStatus(current).label if current else "?"},
                    field="unit_ids",
                    extra={"unit_id": uid},
                )
            rec = explained.get(uid)
            meters = distance_m(incident.lat, incident.lon, unit.lat, unit.lon)
            try:
                assignments.append(
                    Assignment.objects.create(
                        incident=incident,
                        unit=unit,
                        dispatched_at=now,
                        dispatched_by=self.by,
                        reason=(rec.reason if rec else _("指挥员指定"))[:200],
                        distance_m=round(meters),
                        eta_s=rec.eta_s if rec else None,
                    )
                )
            except IntegrityError:  # the partial unique index: belt and braces behind the UPDATE
                raise Conflict(
                    _("警力 %(callsign)s 已被派往其他警情") % {"callsign": unit.callsign},
                    field="unit_ids",
                    extra={"unit_id": uid},
                ) from None
            record(
                incident,
                IncidentEvent.Kind.DISPATCHED,
                self.by,
                unit_label=unit.callsign,
                at=now,
                detail=self.note,
            )
        if incident.dispatched_at is None:
            incident.dispatched_at = now
            incident.save(update_fields=["dispatched_at", "updated_at"])
        refresh_incident_status(incident, now)
        self.audit(incident, {"units": [units[uid].callsign for uid in sorted(self.unit_ids)]})
        publish_incident(incident, event="dispatched")
        for unit in units.values():
            publish_unit(unit, event="dispatched", incident=incident.pk)
        return assignments


class AdvanceAssignment(Action):
    """The officer reports progress on the phone: 出警 (en_route), 到场 (arrive), 处置中 (handle),
    处置完毕 (resolve). Steps go forward only; skipping 出警 on arrival is allowed (the unit was near)."""

    STEPS = {
        "en_route": (IncidentEvent.Kind.EN_ROUTE, UnitStatus.DISPATCHED, "en_route_at"),
        "arrive": (IncidentEvent.Kind.ARRIVED, UnitStatus.ON_SCENE, "arrived_at"),
        "handle": (IncidentEvent.Kind.HANDLING, UnitStatus.HANDLING, "handling_at"),
        "resolve": (IncidentEvent.Kind.RESOLVED, UnitStatus.HANDLING, "resolved_at"),
    }
    ORDER = ["en_route_at", "arrived_at", "handling_at", "resolved_at"]

    def audit_action(self) -> str:
        return f"assignment.{self.step}"

    def __init__(self, *, unit: Unit, step: str, by):
        self.unit = unit
        self.step = step
        self.by = by

    def check(self):
        if self.step not in self.STEPS:
            raise ActionError(_("未知的处警环节：%(step)s") % {"step": str(self.step)[:20]}, field="status")
        if not can_operate_unit(self.by, self.unit):
            raise Denied(_("无权操作该警力"))

    def run(self) -> Assignment:
        assignment = (
            Assignment.objects.active()
            .select_for_update()
            .select_related("incident__station", "unit__organization")
            .filter(unit=self.unit)
            .first()
        )
        if assignment is None:
            raise ActionError(_("该警力当前没有警情任务"), field="status", code="no_assignment")
        kind, unit_status, field = self.STEPS[self.step]
        if getattr(assignment, field) is not None:
            raise ActionError(_("该环节已经记录"), field="status", code="already_done")
        later = self.ORDER[self.ORDER.index(field) + 1 :]
        if any(getattr(assignment, f) for f in later):
            raise ActionError(_("处警环节不能倒退"), field="status", code="backwards")
        if field in ("handling_at", "resolved_at") and assignment.arrived_at is None:
            raise ActionError(_("请先确认到场"), field="status", code="not_arrived")
        now = timezone.now()
        setattr(assignment, field, now)
        if field == "resolved_at" and assignment.handling_at is None:
            assignment.handling_at = now
        assignment.save()
        Unit.objects.filter(pk=self.unit.pk).update(status=unit_status, updated_at=now)
        incident = assignment.incident
        record(incident, kind, self.by, unit_label=self.unit.callsign, at=now)
        if field == "arrived_at" and incident.arrived_at is None:
            incident.arrived_at = now
            incident.save(update_fields=["arrived_at", "updated_at"])
        refresh_incident_status(incident, now)
        self.audit(assignment, {"unit": self.unit.callsign})
        publish_incident(incident, event=self.step)
        publish_unit(self.unit, event=self.step)
        return assignment


class SubmitFeedback(Action):
    """处警反馈: the officer's result code and account; the unit becomes 空闲 again.

    If the officer never pressed 处置完毕, feedback implies it (recorded at the same moment)."""

    audit_action = "assignment.feedback"

    def __init__(self, *, unit: Unit, result: str, text: str, by):
        self.unit = unit
        self.result = result
        self.text = text
        self.by = by

    def check(self):
        if self.result not in FeedbackResult.values:
            raise ActionError(_("请选择处警结果"), field="result", code="invalid_choice")
        if not isinstance(self.text, str) or not self.text.strip():
            raise ActionError(_("请填写反馈内容"), field="text", code="required")
        if len(self.text) > 2000:
            raise ActionError(_("反馈内容不能超过 2000 字"), field="text", code="too_long")
        if not can_operate_unit(self.by, self.unit):
            raise Denied(_("无权操作该警力"))

    def run(self) -> Assignment:
        assignment = (
            Assignment.objects.active()
            .select_for_update()
            .select_related("incident__station")
            .filter(unit=self.unit)
            .first()
        )
        if assignment is None:
            raise ActionError(_("该警力当前没有警情任务"), field="result", code="no_assignment")
        if assignment.arrived_at is None and self.result not in (
            FeedbackResult.FALSE_ALARM,
            FeedbackResult.OTHER,
        ):
            raise ActionError(_("尚未到场，不能反馈处置结果"), field="result", code="not_arrived")
        now = timezone.now()
        incident = assignment.incident
        if assignment.resolved_at is None:
            assignment.resolved_at = now
            record(incident, IncidentEvent.Kind.RESOLVED, self.by, unit_label=self.unit.callsign, at=now)
        assignment.result = self.result
        assignment.result_text = self.text.strip()
        assignment.closed_at = now
        assignment.save()
        Unit.objects.filter(pk=self.unit.pk).update(status=UnitStatus.AVAILABLE, current_incident=None, updated_at=now)
        record(
            incident,
            IncidentEvent.Kind.REPORTED,
            self.by,
            unit_label=self.unit.callsign,
            at=now,
            detail=f"{FeedbackResult(self.result).label}：{self.text.strip()}",
        )
        refresh_incident_status(incident, now)
        if incident.status == Incident.Status.REPORTED:  # the last unit's 反馈: the incident is closed
            signals.incident_reported.send(sender=Incident, incident=incident, assignment=assignment, by=self.by)
        self.audit(assignment, {"result": self.result})
        publish_incident(incident, event="reported")
        publish_unit(self.unit, event="available")
        return assignment


class SetUnitStatus(Action):
    """Go on or off duty (空闲 ⇄ 离线). Status during a task changes only through the task's steps."""

    audit_action = "unit.status"

    def __init__(self, *, unit: Unit, status: str, by):
        self.unit = unit
        self.status = status
        self.by = by

    def check(self):
        if self.status not in (UnitStatus.AVAILABLE, UnitStatus.OFFLINE):
            raise ActionError(_("只能设置为空闲或离线；任务中的状态随处警环节变化"), field="status")
        if not can_operate_unit(self.by, self.unit):
            raise Denied(_("无权操作该警力"))

    def run(self) -> Unit:
        if Assignment.objects.active().filter(unit=self.unit).exists():
            raise Conflict(_("警力有未完成的警情任务，请先反馈"), field="status")
        Unit.objects.filter(pk=self.unit.pk).update(status=self.status, updated_at=timezone.now())
        self.unit.refresh_from_db()
        self.audit(self.unit, {"status": self.status})
        publish_unit(self.unit, event="status")
        return self.unit


class ReportPosition(Action):
    """The phone reports where the unit is (last known position)."""

    not_audited = "telemetry: a phone reports its position every few seconds; the unit row keeps the last"

    def __init__(self, *, unit: Unit, lat, lon, by):
        self.unit = unit
        self.lat = lat
        self.lon = lon
        self.by = by

    def check(self):
        for field, value, low, high in (("lat", self.lat, -90, 90), ("lon", self.lon, -180, 180)):
            if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
                raise ActionError(_("坐标无效"), field=field)
        if not can_operate_unit(self.by, self.unit):
            raise Denied(_("无权操作该警力"))

    def run(self) -> Unit:
        now = timezone.now()
        Unit.objects.filter(pk=self.unit.pk).update(lat=self.lat, lon=self.lon, position_at=now, updated_at=now)
        self.unit.refresh_from_db()
        publish_unit(self.unit, event="position")
        unit, lat, lon = self.unit, self.lat, self.lon
        after_commit(lambda: signals.position_reported.send(sender=Unit, unit=unit, lat=lat, lon=lon, at=now))
        return self.unit


def check_commands(user, incident: Incident) -> None:
    """Cancelling and reopening belong to the incident's own jurisdiction and those above it, not to
    a station that only sees the incident because one of its units was sent there."""
    if not Incident.objects.commanded_by(user).filter(pk=incident.pk).exists():
        raise Denied(_("只有警情所属辖区或上级指挥中心可以撤销或重新打开警情"))


class CancelIncident(Action):
    """撤销: a call turns out to be unfounded or a duplicate; its units are released, a reason is kept."""

    audit_action = "incident.cancel"

    def __init__(self, *, incident: Incident, reason: str, by):
        self.incident = incident
        self.reason = reason
        self.by = by

    def check(self):
        if not (self.by and self.by.is_authenticated and self.by.can_command):
            raise Denied(_("只有指挥员可以撤销警情"))
        check_commands(self.by, self.incident)
        if not isinstance(self.reason, str) or not self.reason.strip():
            raise ActionError(_("请填写撤销原因"), field="reason", code="required")
        if len(self.reason) > 500:
            raise ActionError(_("撤销原因不能超过 500 字"), field="reason", code="too_long")

    def run(self) -> Incident:
        incident = Incident.objects.select_for_update().get(pk=self.incident.pk)
        if not incident.is_open:
            raise ActionError(_("该警情已结束"), field="reason", code="closed")
        now = timezone.now()
        groups = incident_groups(incident)
        released = list(Unit.objects.filter(assignments__incident=incident, assignments__closed_at__isnull=True))
        incident.assignments.active().update(closed_at=now, result=FeedbackResult.OTHER, result_text=_("警情撤销"))
        Unit.objects.filter(pk__in=[u.pk for u in released]).update(
            status=UnitStatus.AVAILABLE, current_incident=None, updated_at=now
        )
        incident.status = Incident.Status.CANCELLED
        incident.closed_at = now
        incident.save(update_fields=["status", "closed_at", "updated_at"])
        record(incident, IncidentEvent.Kind.CANCELLED, self.by, at=now, detail=self.reason.strip())
        self.audit(incident, {"reason": self.reason.strip()})
        publish(groups, {"kind": "incident", "id": incident.pk, "event": "cancelled"})
        for unit in released:
            publish_unit(unit, event="available")
        return incident


class ReopenIncident(Action):
    """重新打开: a closed or cancelled incident needs police again (e.g. the dispute flared up)."""

    audit_action = "incident.reopen"

    def __init__(self, *, incident: Incident, reason: str, by):
        self.incident = incident
        self.reason = reason
        self.by = by

    def check(self):
        if not (self.by and self.by.is_authenticated and self.by.can_command):
            raise Denied(_("只有指挥员可以重新打开警情"))
        check_commands(self.by, self.incident)
        if not isinstance(self.reason, str) or not self.reason.strip():
            raise ActionError(_("请填写重新打开的原因"), field="reason", code="required")
        if len(self.reason) > 500:
            raise ActionError(_("重新打开的原因不能超过 500 字"), field="reason", code="too_long")

    def run(self) -> Incident:
        incident = Incident.objects.select_for_update().get(pk=self.incident.pk)
        if incident.is_open:
            raise ActionError(_("该警情尚未结束，无需重新打开"), field="reason", code="open")
        now = timezone.now()
        incident.status = Incident.Status.RECEIVED
        incident.closed_at = None
        incident.resolved_at = None
        incident.save(update_fields=["status", "closed_at", "resolved_at", "updated_at"])
        record(incident, IncidentEvent.Kind.REOPENED, self.by, at=now, detail=self.reason.strip())
        self.audit(incident, {"reason": self.reason.strip()})
        publish_incident(incident, event="reopened")
        return incident
