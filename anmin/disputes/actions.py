"""The 枫桥 mutations: registering a dispute, each step of its mediation, its risk escalation, and
the visits (访民) with what they turn into. Views, the API, the command and the demo call these."""

import math
from datetime import date, datetime, timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from anmin.core.actions import Action
from anmin.core.errors import ActionError, Denied
from anmin.core.idnumber import clean_id_number
from anmin.core.pii import NotVisible, mask_name
from anmin.core.sequences import increment
from anmin.core.validation import clean_text
from anmin.disputes.models import (
    RISK_ORDER,
    TRANSITIONS,
    Dispute,
    DisputeParty,
    DisputeSequence,
    EscalationRule,
    MediationSession,
    Source,
    Status,
    Step,
    TransferBody,
    Visit,
    VisitPlan,
    VisitTask,
)
from anmin.geo.coords import distance_m
from anmin.org.models import Organization

#: At most this many parties are registered with one dispute (a dispute of a whole building is
#: registered with its representatives).
MAX_PARTIES = 10


def next_number(at: datetime) -> str:
    """JF + local date + a four-digit sequence of the day: JF202612070001."""
    day = timezone.localtime(at).date()
    return f"JF{day:%Y%m%d}{increment(DisputeSequence, day=day):04d}"


def _works_here(user, station: Organization) -> bool:
    """Police work of the station: an officer whose scope covers it (not the security and audit
    administrators, whose work is accounts and the trail — 三权分立)."""
    if not (user and user.is_authenticated) or user.administers_security:
        return False
    return Organization.objects.visible_to(user).filter(pk=station.pk).exists()


def _visible_dispute(user, dispute: Dispute) -> Dispute:
    locked = Dispute.objects.visible_to(user).select_for_update().filter(pk=dispute.pk).first()
    if locked is None or user.administers_security:
        raise NotVisible()
    return locked


def clean_party(raw: dict, n: int) -> dict:
    """One party as given (name, phone, ID number, role), checked; errors name "parties.<n>.<field>"."""
    prefix = f"parties.{n}"
    name = clean_text(raw.get("name"), f"{prefix}.name", _("当事人姓名"), 30, required=True)
    phone = clean_text(raw.get("phone"), f"{prefix}.phone", _("当事人电话"), 20, required=False)
    if phone and not (phone.isdigit() or phone.replace("-", "").isdigit()):
        raise ActionError(_("当事人电话应为数字"), field=f"{prefix}.phone")
    id_number = (raw.get("id_number") or "").strip()
    if id_number:
        id_number = clean_id_number(id_number, field=f"{prefix}.id_number")
    role = raw.get("role") or DisputeParty.Role.APPLICANT
    if role not in DisputeParty.Role.values:
        raise ActionError(_("当事人身份无效"), field=f"{prefix}.role")
    return {"name": name, "phone": phone, "id_number": id_number, "role": role}


class CreateDispute(Action):
    """排查登记: a dispute enters the station's register, from a 110 incident, a visit, a walk-in or
    a 12345 referral, with its parties. From an incident it takes the incident's station and place;
    from a visit, the visit's; otherwise the registering officer's station."""

    audit_action = "dispute.create"

    def __init__(self, *, by, data: dict, parties: list[dict] | None = None, at: datetime | None = None):
        self.by = by
        self.data = data
        self.parties = parties or []
        self.at = at

    def check(self) -> None:
        data = self.data
        source = data.get("source")
        incident, visit = data.get("incident"), data.get("visit")
        if source == Source.INCIDENT and incident is None:
            raise ActionError(_("来源为110警情时须选择警情"), field="incident", code="required")
        if source == Source.VISIT and visit is None:
            raise ActionError(_("来源为走访时须选择走访记录"), field="visit", code="required")
        if source == Source.REFERRAL and not (data.get("referral_number") or "").strip():
            raise ActionError(_("来源为12345转办时须填写工单号"), field="referral_number", code="required")
        if incident is not None:
            self.station = incident.station
        elif visit is not None:
            self.station = visit.station
        else:
            self.station = data.get("station") or (self.by.organization.station() if self.by.organization_id else None)
        if self.station is None or not _works_here(self.by, self.station):
            raise Denied(_("无权为该派出所登记矛盾纠纷"), field="station")
        community = data.get("community")
        if community is not None and community.station_id != self.station.pk:
            raise ActionError(_("该社区不属于%(station)s") % {"station": self.station.name}, field="community")
        if len(self.parties) > MAX_PARTIES:
            raise ActionError(_("当事人最多 %(n)s 人") % {"n": MAX_PARTIES}, field="parties")
        self.clean_parties = [clean_party(p, n) for n, p in enumerate(self.parties)]

    def run(self) -> Dispute:
        data = self.data
        now = self.at or timezone.now()
        incident, visit = data.get("incident"), data.get("visit")
        place = incident or visit
        address = clean_text(
            data.get("address") or (place.address if place else ""), "address", _("纠纷地点"), 200, required=True
        )
        lat, lon = data.get("lat"), data.get("lon")
        if lat is None and place is not None:
            lat, lon = place.lat, place.lon
        dispute = Dispute.objects.create(
            number=next_number(now),
            kind=data["kind"],
            risk=data.get("risk") or RISK_ORDER[0],
            source=data["source"],
            incident=incident if data["source"] == Source.INCIDENT else None,
            visit=visit if data["source"] == Source.VISIT else None,
            referral_number=(data.get("referral_number") or "").strip() if data["source"] == Source.REFERRAL else "",
            station=self.station,
            community=data.get("community") or (visit.community if visit is not None else None),
            address=address,
            lat=lat,
            lon=lon,
            description=clean_text(data.get("description"), "description", _("纠纷简况"), 4000, required=True),
            found_at=data.get("found_at") or (incident.received_at if incident is not None else now),
            created_by=self.by,
        )
        for party in self.clean_parties:
            DisputeParty.objects.create(dispute=dispute, **party)
        self.audit(
            dispute,
            {
                "number": dispute.number,
                "kind": dispute.kind,
                "source": dispute.source,
                "parties": len(self.clean_parties),
            },
        )
        evaluate_escalation(dispute, now=now, action=self)
        return dispute


class DisputeStep(Action):
    """One step of the mediation workflow. The allowed transitions are data (models.TRANSITIONS);
    the status is changed with a conditional UPDATE on the status it was read at, so two officers
    pressing at once cannot both move it."""

    step: str = ""

    def __init__(self, *, dispute: Dispute, by, at: datetime | None = None, **fields):
        self.dispute = dispute
        self.by = by
        self.at = at
        self.fields = fields

    def audit_action(self) -> str:
        return f"dispute.{self.step}"

    def check(self) -> None:
        self.dispute = _visible_dispute(self.by, self.dispute)
        sources, _target = TRANSITIONS[self.step]
        if self.dispute.status not in sources:
            raise ActionError(
                _("纠纷当前为“%(status)s”，不能%(step)s；可进行：%(allowed)s")
                % {
                    "status": Status(self.dispute.status).label,
                    "step": Step(self.step).label,
                    "allowed": "、".join(str(Step(s).label) for s in self.dispute.next_steps) or _("无"),
                },
                field="status",
                code="wrong_state",
            )

    def changes(self, now: datetime) -> dict:  # pragma: no cover - overridden
        return {}

    def run(self) -> Dispute:
        now = self.at or timezone.now()
        sources, target = TRANSITIONS[self.step]
        changes = self.changes(now)
        moved = Dispute.objects.filter(pk=self.dispute.pk, status=self.dispute.status).update(
            status=target, updated_at=timezone.now(), **changes
        )
        if not moved:
            raise ActionError(_("纠纷状态已被他人更新，请刷新后重试"), field="status", code="conflict")
        previous = self.dispute.status
        self.dispute.refresh_from_db()
        self.audit(self.dispute, {"number": self.dispute.number, "from": previous, "to": target, **self.audit_data()})
        return self.dispute

    def audit_data(self) -> dict:
        return {}


class AcceptDispute(DisputeStep):
    """受理: the station takes the dispute on for mediation."""

    step = Step.ACCEPT

    def changes(self, now):
        return {"accepted_at": now}


class RecordMediation(DisputeStep):
    """调解: one mediation session held — when, by whom, with what result. Sessions may repeat."""

    step = Step.MEDIATE

    def changes(self, now):
        f = self.fields
        self.session = MediationSession(
            dispute=self.dispute,
            held_at=f.get("held_at") or now,
            mediator=clean_text(f.get("mediator"), "mediator", _("调解人"), 60, required=True),
            result=clean_text(f.get("result"), "result", _("调解情况"), 2000, required=True),
            recorded_by=self.by,
        )
        if self.session.held_at > timezone.now() + timedelta(minutes=5):
            raise ActionError(_("调解时间不能晚于现在"), field="held_at")
        self.session.save()
        return {}

    def audit_data(self):
        return {"mediator": self.session.mediator}


class RecordAgreement(DisputeStep):
    """达成协议: the parties agreed; the terms go into the 调解协议书."""

    step = Step.AGREE

    def changes(self, now):
        terms = clean_text(self.fields.get("agreement"), "agreement", _("协议内容"), 4000, required=True)
        return {"agreement": terms, "agreed_at": now}


class TransferDispute(DisputeStep):
    """移交: handed to the 司法所, a 人民调解委员会 or the court, named, when the police cannot settle it."""

    step = Step.TRANSFER

    def changes(self, now):
        body = self.fields.get("transfer_body")
        if body not in TransferBody.values:
            raise ActionError(_("请选择移交机构类别"), field="transfer_body", code="required")
        to = clean_text(self.fields.get("transfer_to"), "transfer_to", _("接收单位"), 80, required=True)
        self.body, self.to = body, to
        return {"transfer_body": body, "transfer_to": to, "transferred_at": now}

    def audit_data(self):
        return {"body": self.body, "to": self.to}


class RecordFollowUp(DisputeStep):
    """回访: the officer went back; does the agreement (or the other body's settlement) hold?"""

    step = Step.FOLLOW_UP

    def changes(self, now):
        holds = self.fields.get("holds")
        if holds is None:
            raise ActionError(_("请选择协议是否履行、纠纷是否稳定"), field="holds", code="required")
        result = clean_text(self.fields.get("result"), "result", _("回访情况"), 2000, required=True)
        self.holds = bool(holds)
        return {"follow_up_at": now, "follow_up_holds": self.holds, "follow_up_result": result}

    def audit_data(self):
        return {"holds": self.holds}


class CloseDispute(DisputeStep):
    """办结: the dispute leaves the open register."""

    step = Step.CLOSE

    def changes(self, now):
        return {"closed_at": now}


#: The step actions by step code, for the pages and the API.
STEP_ACTIONS: dict[str, type[DisputeStep]] = {
    cls.step: cls
    for cls in (AcceptDispute, RecordMediation, RecordAgreement, TransferDispute, RecordFollowUp, CloseDispute)
}


# --- 风险升级: a place that keeps calling 110 --------------------------------------------------------


def incidents_near(dispute: Dispute, rule: EscalationRule, now: datetime):
    """The 110 incidents of the rule's classes in its last days at the dispute's address or within its radius."""
    from anmin.incidents.models import Incident  # disputes sit above incidents; imported on use

    since = now - timedelta(days=rule.days)
    recent = Incident.objects.filter(received_at__gte=since, received_at__lte=now, category__klass__in=rule.classes)
    place = Q(address=dispute.address)
    if dispute.lat is not None and dispute.lon is not None:
        dlat = rule.meters / 111_000
        dlon = rule.meters / (111_000 * max(0.1, math.cos(math.radians(dispute.lat))))
        place |= Q(
            lat__range=(dispute.lat - dlat, dispute.lat + dlat), lon__range=(dispute.lon - dlon, dispute.lon + dlon)
        )
    found = []
    for incident in recent.filter(place).only("pk", "number", "address", "lat", "lon", "received_at"):
        same_address = incident.address == dispute.address
        if same_address or (
            dispute.lat is not None and distance_m(dispute.lat, dispute.lon, incident.lat, incident.lon) <= rule.meters
        ):
            found.append(incident)
    return found


def evaluate_escalation(dispute: Dispute, *, now: datetime, action: Action) -> bool:
    """Flag `dispute` and raise its risk one level when its place reached the rule's count of 110
    incidents; a dispute already flagged keeps its risk and gets its reason brought up to date (the
    count grew). `action` writes the audit entry (inside its transaction). True when it changed."""
    if dispute.status == Status.CLOSED:
        return False
    rule = EscalationRule.current()
    count = len(incidents_near(dispute, rule, now))
    if count < rule.min_incidents:
        return False
    reason = _("%(days)s天内该地址报警%(count)s次") % {"days": rule.days, "count": count}
    if dispute.flagged and reason == dispute.flag_reason:
        return False
    previous = dispute.risk
    raised = previous
    if not dispute.flagged:
        level = RISK_ORDER.index(dispute.risk)
        raised = RISK_ORDER[min(level + 1, len(RISK_ORDER) - 1)]
        dispute.flagged_at = now
    Dispute.objects.filter(pk=dispute.pk).update(
        flagged=True, flag_reason=reason, flagged_at=dispute.flagged_at, risk=raised
    )
    dispute.flagged, dispute.flag_reason, dispute.risk = True, reason, raised
    action.audit(
        dispute,
        {"number": dispute.number, "incidents": count, "from": previous, "to": raised, "reason": reason},
        action=EscalateDisputes.audit_action,
    )
    return True


class EscalateDisputes(Action):
    """风险预警: the open disputes near a place (or all open disputes, for the periodic check) whose
    place has produced the rule's number of 110 calls are flagged and their risk raised one level,
    with the reason ("30天内该地址报警4次"); a flagged one's reason follows the count, its risk is
    raised once. Run by the system: `by` is None or the officer who asked."""

    audit_action = "dispute.escalate"

    def __init__(self, *, by=None, near: tuple[float, float] | None = None, address: str = "", now=None):
        self.by = by
        self.near = near
        self.address = address
        self.now = now

    def run(self) -> list[Dispute]:
        now = self.now or timezone.now()
        open_disputes = Dispute.objects.exclude(status=Status.CLOSED)
        if self.near is not None:
            rule = EscalationRule.current()
            lat, lon = self.near
            dlat = rule.meters / 111_000
            dlon = rule.meters / (111_000 * max(0.1, math.cos(math.radians(lat))))
            open_disputes = open_disputes.filter(
                Q(lat__range=(lat - dlat, lat + dlat), lon__range=(lon - dlon, lon + dlon)) | Q(address=self.address)
            )
        escalated = []
        for dispute in open_disputes.select_for_update().order_by("pk"):
            if evaluate_escalation(dispute, now=now, action=self):
                escalated.append(dispute)
        return escalated


# --- 调解协议书: the full-name copy for signing ---------------------------------------------------


class PrintAgreementForSigning(Action):
    """The 调解协议书 with the parties' full names and ID numbers, for them to sign: personal data in
    full, so each printing is an audit entry (个人信息保护法 art. 51). The stored copy is masked."""

    audit_action = "dispute.print_full"

    def __init__(self, *, dispute: Dispute, by):
        self.dispute = dispute
        self.by = by

    def check(self) -> None:
        self.dispute = _visible_dispute(self.by, self.dispute)
        if self.dispute.agreed_at is None:
            raise ActionError(_("尚未达成协议，没有协议书"), field="status", code="wrong_state")

    def run(self) -> bytes:
        from anmin.disputes.documents import agreement_pdf

        self.audit(self.dispute, {"number": self.dispute.number, "parties": self.dispute.parties.count()})
        return agreement_pdf(self.dispute, masked=False)


# --- 访民 ----------------------------------------------------------------------------------------


def _community_officer_check(by, station: Organization) -> None:
    if not _works_here(by, station):
        raise Denied(_("无权为该派出所登记走访"), field="station")


class CreateVisitPlan(Action):
    """走访计划: a leader or the officer plans whom a community officer is to visit, by when."""

    audit_action = "visit.plan"

    def __init__(self, *, by, officer, targets: str, due_date: date, community=None, planned_count: int = 1):
        self.by, self.officer, self.community = by, officer, community
        self.targets, self.due_date, self.planned_count = targets, due_date, planned_count

    def check(self) -> None:
        self.station = self.community.station if self.community else self.officer.organization.station()
        _community_officer_check(self.by, self.station)
        if (
            not Organization.objects.filter(pk=self.station.pk)
            .filter(pk__in=Organization.objects.visible_to(self.officer))
            .exists()
        ):
            raise ActionError(_("该民警不属于该派出所"), field="officer")
        if self.planned_count < 1:
            raise ActionError(_("计划走访数至少为1"), field="planned_count")

    def run(self) -> VisitPlan:
        plan = VisitPlan.objects.create(
            station=self.station,
            officer=self.officer,
            community=self.community,
            targets=clean_text(self.targets, "targets", _("走访对象"), 2000, required=True),
            planned_count=self.planned_count,
            due_date=self.due_date,
            created_by=self.by,
        )
        self.audit(plan, {"officer": self.officer.audit_label, "due": str(self.due_date)})
        return plan


class LogVisit(Action):
    """访民: an officer records a visit made with no call behind it — whom (masked), where, what was
    raised — usually from the phone page, on the spot."""

    audit_action = "visit.log"

    def __init__(self, *, by, data: dict, at: datetime | None = None):
        self.by = by
        self.data = data
        self.at = at

    def check(self) -> None:
        plan, community = self.data.get("plan"), self.data.get("community")
        if plan is not None:
            self.station = plan.station
        elif community is not None:
            self.station = community.station
        else:
            self.station = self.by.organization.station() if self.by.organization_id else None
        if self.station is None:
            raise Denied(_("您不属于任何派出所，不能登记走访"), field="station")
        _community_officer_check(self.by, self.station)

    def run(self) -> Visit:
        d = self.data
        plan = d.get("plan")
        visit = Visit.objects.create(
            station=self.station,
            officer=self.by,
            plan=plan,
            community=d.get("community") or (plan.community if plan else None),
            visited_at=self.at or timezone.now(),
            person_name=clean_text(d.get("person_name"), "person_name", _("走访对象"), 30, required=True),
            person_phone=clean_text(d.get("person_phone"), "person_phone", _("联系电话"), 20, required=False),
            address=clean_text(d.get("address"), "address", _("地点"), 200, required=True),
            lat=d.get("lat"),
            lon=d.get("lon"),
            raised=clean_text(d.get("raised"), "raised", _("反映问题"), 2000, required=False),
        )
        self.audit(visit, {"station": self.station.code, "person": mask_name(visit.person_name)})
        return visit


class CreateVisitTask(Action):
    """An issue raised on a visit that is no dispute becomes a follow-up task for an officer."""

    audit_action = "visit.task"

    def __init__(self, *, by, visit: Visit, description: str, assigned_to, due_date: date):
        self.by, self.visit, self.description = by, visit, description
        self.assigned_to, self.due_date = assigned_to, due_date

    def check(self) -> None:
        if not Visit.objects.visible_to(self.by).filter(pk=self.visit.pk).exists():
            raise NotVisible()
        if not Organization.objects.visible_to(self.assigned_to).filter(pk=self.visit.station_id).exists():
            raise ActionError(_("承办民警不属于该派出所"), field="assigned_to")

    def run(self) -> VisitTask:
        task = VisitTask.objects.create(
            visit=self.visit,
            description=clean_text(self.description, "description", _("事项"), 500, required=True),
            assigned_to=self.assigned_to,
            due_date=self.due_date,
        )
        self.audit(task, {"assigned_to": self.assigned_to.audit_label, "due": str(self.due_date)})
        return task


class CompleteVisitTask(Action):
    """A follow-up task from a visit is done."""

    audit_action = "visit.task_done"

    def __init__(self, *, by, task: VisitTask, at: datetime | None = None):
        self.by, self.task, self.at = by, task, at

    def check(self) -> None:
        if not VisitTask.objects.filter(visit__in=Visit.objects.visible_to(self.by), pk=self.task.pk).exists():
            raise NotVisible()
        if self.task.done_at is not None:
            raise ActionError(_("该事项已完成"), field="task", code="wrong_state")

    def run(self) -> VisitTask:
        self.task.done_at = self.at or timezone.now()
        self.task.save(update_fields=["done_at"])
        self.audit(self.task, {"visit": self.task.visit_id})
        return self.task


__all__ = [
    "STEP_ACTIONS",
    "AcceptDispute",
    "CloseDispute",
    "CompleteVisitTask",
    "CreateDispute",
    "CreateVisitPlan",
    "CreateVisitTask",
    "EscalateDisputes",
    "LogVisit",
    "PrintAgreementForSigning",
    "RecordAgreement",
    "RecordFollowUp",
    "RecordMediation",
    "TransferDispute",
]
