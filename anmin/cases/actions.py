"""Actions on cases: 受案 (open), status changes along the lifecycle, approval requests and decisions."""

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anmin.cases import signals
from anmin.cases.lifecycle import FINAL_STATUSES, CaseKind, CaseStatus, Transition, transition_for
from anmin.cases.models import (
    ApprovalRequest,
    Case,
    CaseDocument,
    CaseEvent,
    CasePerson,
    CaseSequence,
    Measure,
)
from anmin.core import approvals
from anmin.core.actions import Action
from anmin.core.errors import ActionError, Conflict, Denied
from anmin.core.pii import FIELDS, RevealPersonalData, mask_name
from anmin.core.sequences import increment
from anmin.core.validation import clean_text
from anmin.incidents.models import Category, Incident
from anmin.org.models import CASE_ROLES, Officer, Organization

MAX_TITLE = 120
MAX_SUMMARY = 5000
MAX_REASON = 2000


def can_handle(user, case: Case) -> bool:
    """The case's 主办 and 协办, and case officers and leaders of the units that can see it."""
    if not (user and user.is_authenticated):
        return False
    if case.lead_investigator_id == user.pk or case.helpers.filter(pk=user.pk).exists():
        return True
    return (user.is_superuser or user.role in CASE_ROLES) and Case.objects.visible_to(user).filter(pk=case.pk).exists()


def record(case: Case, action: str, label: str, by, *, from_status="", to_status="", note="", at=None) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case,
        action=action,
        label=label,
        from_status=from_status,
        to_status=to_status,
        actor=by if getattr(by, "pk", None) else None,
        note=note[:500],
        at=at or timezone.now(),
    )


def category_by_code(code: str) -> Category | None:
    """The 案件类别 named by its code in the category table ("" → none given)."""
    code = (code or "").strip()
    if not code:
        return None
    category = Category.objects.filter(code=code, active=True).first()
    if category is None:
        message = _("案件类别「%(code)s」不在类别代码表中") % {"code": code[:8]}
        raise ActionError(message, field="category", code="unknown")
    return category


def next_case_number(kind: str, organization: Organization, at) -> str:
    letter = "A" if kind == CaseKind.CRIMINAL else "X"
    prefix = f"{letter}{organization.code}{timezone.localtime(at):%Y%m}"
    return f"{prefix}{increment(CaseSequence, prefix=prefix):04d}"


class OpenCase(Action):
    """受案: register a case, from an incident (keeping the link; handled by its station by default)
    or directly. The registering officer is the 主办侦查员 unless another one is named."""

    audit_action = "case.accept"

    def __init__(
        self,
        *,
        by,
        kind: str,
        title: str,
        cause: str = "",
        summary: str = "",
        incident: Incident | None = None,
        organization: Organization | None = None,
        lead_investigator: Officer | None = None,
        category: Category | None = None,
        at=None,
    ):
        self.by = by
        self.kind = kind
        self.title = title
        self.cause = cause
        self.summary = summary
        self.incident = incident
        self.organization = organization
        self.lead = lead_investigator
        self.category = category
        self.at = at

    def check(self):
        if not (self.by and self.by.is_authenticated and (self.by.is_superuser or self.by.role in CASE_ROLES)):
            raise Denied(_("只有办案民警或领导可以受案"))
        if self.kind not in CaseKind.values:
            raise ActionError(_("案件类型应为 criminal（刑事）或 administrative（行政）"), field="kind")
        if self.incident is not None and not Incident.objects.visible_to(self.by).filter(pk=self.incident.pk).exists():
            raise Denied(_("无权查看该警情"), field="incident")
        if self.organization is None:
            self.organization = self.incident.station if self.incident else self.by.organization
        if self.organization is None:
            raise ActionError(_("请指定办案单位"), field="organization", code="required")
        if not Organization.objects.visible_to(self.by).filter(pk=self.organization.pk).exists():
            raise Denied(_("不能为本单位以外的单位受案"), field="organization")
        self.lead = self.lead or self.by
        if not Officer.objects.visible_to(self.by).filter(pk=self.lead.pk, is_active=True).exists():
            raise ActionError(_("主办侦查员不存在或不在本单位"), field="lead_investigator", code="unknown")

    def run(self) -> Case:
        at = self.at or timezone.now()
        case = Case.objects.create(
            number=next_case_number(self.kind, self.organization, at),
            kind=self.kind,
            title=clean_text(self.title, "title", _("案件名称"), MAX_TITLE, required=True),
            cause=clean_text(self.cause, "cause", _("案由"), 60, required=False),
            summary=clean_text(self.summary, "summary", _("简要案情"), MAX_SUMMARY, required=False),
            organization=self.organization,
            lead_investigator=self.lead,
            incident=self.incident,
            category=self.category or (self.incident.category if self.incident else None),
            accepted_at=at,
            status_since=at,
            created_by=self.by,
        )
        note = _("来源警情 %(number)s") % {"number": self.incident.number} if self.incident else ""
        record(case, "accept", _("受案"), self.by, to_status=CaseStatus.ACCEPTED, note=note, at=at)
        self.audit(case, {"number": case.number, "kind": case.kind, "incident": getattr(self.incident, "number", None)})
        signals.case_opened.send(sender=Case, case=case, by=self.by)
        return case


def _apply(case: Case, transition: Transition, by, note: str, now) -> Case:
    previous = case.status
    case.status = transition.target
    case.status_since = now
    if transition.target in FINAL_STATUSES:
        case.closed_at = now
    if transition.target == CaseStatus.FILED:
        case.filed_at = now
    elif transition.target == CaseStatus.SOLVED:
        case.solved_at = now
    case.save(update_fields=["status", "status_since", "closed_at", "filed_at", "solved_at", "updated_at"])
    record(case, transition.code, str(transition.label), by, from_status=previous, to_status=case.status, note=note)
    signals.case_transitioned.send(sender=Case, case=case, code=transition.code, previous=previous, by=by)
    return case


class ChangeCaseStatus(Action):
    """Move a case along its lifecycle. A transition reserved to a leader (立案、不予立案、撤案、
    处罚决定) is not applied: it becomes an approval request, and the result says so."""

    def audit_action(self) -> str:
        return f"case.{self.action}"

    def __init__(self, *, case: Case, action: str, by, reason: str = ""):
        self.case = case
        self.action = action
        self.by = by
        self.reason = reason

    def check(self):
        if not can_handle(self.by, self.case):
            raise Denied(_("无权办理该案件"))

    def run(self) -> tuple[Case, ApprovalRequest | None]:
        case = Case.objects.select_for_update().get(pk=self.case.pk)
        transition = transition_for(case.kind, self.action) if isinstance(self.action, str) else None
        if transition is None:
            raise ActionError(
                _("%(kind)s没有“%(action)s”这一操作")
                % {"kind": case.get_kind_display(), "action": str(self.action)[:30]},
                field="action",
                code="unknown",
            )
        if case.status not in transition.sources:
            raise ActionError(
                _("案件当前为“%(status)s”，不能%(label)s")
                % {"status": case.get_status_display(), "label": transition.label},
                field="action",
                code="not_allowed",
            )
        reason = clean_text(self.reason, "reason", _("理由"), MAX_REASON, required=transition.needs_approval)
        now = timezone.now()
        if not transition.needs_approval:
            _apply(case, transition, self.by, reason, now)
            self.audit(case, {"status": case.status})
            return case, None
        approvals.refuse_second_request(case.approvals.filter(transition=transition.code), transition.label)
        approval = ApprovalRequest.objects.create(
            case=case,
            transition=transition.code,
            label=str(transition.label),
            reason=reason,
            requested_by=self.by,
            requested_at=now,
        )
        record(
            case, f"request_{transition.code}", _("申请%(label)s") % {"label": transition.label}, self.by, note=reason
        )
        self.audit(approval, {"transition": transition.code}, action="approval.request")
        return case, approval


class DecideApproval(approvals.DecideApproval):
    """审批 of a case's request (anmin.core.approvals.DecideApproval has the rules). Approving a
    transition applies it at once; a 强制措施 takes effect or is refused with the request; a 延长办案
    期限 is the clock's, which supervision applies when told by `approval_decided`."""

    model = ApprovalRequest
    audit_action = "approval.decide"
    not_in_scope = gettext_lazy("无权审批该案件")

    def refuse_stale(self, approval: ApprovalRequest, case: Case) -> None:
        if approval.measure_id is not None:
            if not case.is_open:
                raise ActionError(_("案件已结束，该申请不能再批准"), field="approve", code="stale")
            return
        if approval.transition.startswith("extend:"):
            return
        transition = transition_for(case.kind, approval.transition)
        if transition is None or case.status not in transition.sources:
            raise ActionError(_("案件状态已经变化，该申请不能再批准"), field="approve", code="stale")

    def apply(self, approval: ApprovalRequest, case: Case, note: str, now) -> None:
        if approval.measure_id is not None:
            measure = approval.measure
            measure.status = Measure.Status.ACTIVE if self.approve else Measure.Status.REJECTED
            measure.started_at = now if self.approve else None
            measure.save(update_fields=["status", "started_at"])
            change = "started" if self.approve else "rejected"
            signals.measure_changed.send(sender=Measure, measure=measure, change=change, by=self.by)
            verb = _("批准%(label)s") if self.approve else _("不批准%(label)s")
            label = verb % {"label": approval.label}
            record(case, f"decide_{measure.kind}", label, self.by, note=note or mask_name(measure.person.name))
        elif approval.transition.startswith("extend:"):
            signals.approval_decided.send(sender=ApprovalRequest, approval=approval, approved=self.approve, by=self.by)
        elif self.approve:
            _apply(case, transition_for(case.kind, approval.transition), self.by, note or _("批准"), now)
        else:
            label = _("不批准%(label)s") % {"label": approval.label}
            record(case, f"reject_{approval.transition}", label, self.by, note=note)

    def audit_data(self, approval: ApprovalRequest, case: Case) -> dict:
        if approval.measure_id is not None:
            return {"measure": approval.measure.kind}
        return {"case": case.number}


def _person_fields(data: dict) -> dict:
    """Validate a person's fields (any entry point); raise ActionError naming the field."""
    from anmin.core.idnumber import birth_date, clean_id_number, sex

    role = data.get("role")
    if role not in CasePerson.Role.values:
        raise ActionError(_("身份应为嫌疑人、被害人、证人或报案人"), field="role")
    fields = {
        "role": role,
        "name": clean_text(data.get("name"), "name", _("姓名"), 40, required=True),
        "phone": clean_text(data.get("phone"), "phone", _("联系电话"), 20, required=False),
        "address": clean_text(data.get("address"), "address", _("住址"), 200, required=False),
        "id_number": "",
        "sex": "",
        "birth_date": None,
    }
    if fields["phone"] and not fields["phone"].replace("-", "").isdigit():
        raise ActionError(_("联系电话只能包含数字"), field="phone")
    raw = data.get("id_number") or ""
    if not isinstance(raw, str):
        raise ActionError(_("身份证号码应为文本"), field="id_number")
    if raw.strip():
        number = clean_id_number(raw, field="id_number")
        fields.update(id_number=number, sex=sex(number), birth_date=birth_date(number))
    elif role == CasePerson.Role.SUSPECT and data.get("require_id"):
        raise ActionError(_("请填写身份证号码"), field="id_number", code="required")
    return fields


class AddPerson(Action):
    """登记涉案人员 (嫌疑人/被害人/证人/报案人) with a validated GB 11643 ID number."""

    audit_action = "case.add_person"

    def __init__(self, *, case: Case, data: dict, by):
        self.case = case
        self.data = data
        self.by = by

    def check(self):
        if not can_handle(self.by, self.case):
            raise Denied(_("无权办理该案件"))

    def run(self) -> CasePerson:
        fields = _person_fields(self.data)
        if fields["id_number"]:
            # One person, one entry per role in a case: the same ID number under the same role is a
            # duplicate (a reporter who is also the victim is two entries, and allowed).
            same = self.case.persons.with_id_number(fields["id_number"]).filter(role=fields["role"]).first()
            if same is not None:
                raise Conflict(
                    _("该身份证号码的人员已作为%(role)s登记在本案中") % {"role": same.get_role_display()},
                    field="id_number",
                    code="duplicate",
                )
        person = CasePerson.objects.create(case=self.case, added_by=self.by, **fields)
        label = _("登记%(role)s") % {"role": person.get_role_display()}
        # The case timeline is read by everyone on the case: the name masked, as on its page.
        record(self.case, "add_person", label, self.by, note=mask_name(person.name))
        self.audit(person, {"case": self.case.number, "role": person.role})
        return person


class RevealIdNumber(Action):
    """查看完整身份证号码: lists show it masked; each full viewing is an audit entry (个人信息保护法)."""

    # The same entry as "显示" writes for any field of personal data (anmin.core.pii).
    audit_action = RevealPersonalData.audit_action

    def __init__(self, *, person: CasePerson, by):
        self.person = person
        self.by = by

    def check(self):
        if not CasePerson.objects.visible_to(self.by).filter(pk=self.person.pk).exists():
            raise Denied(_("无权查看该人员"))

    def run(self) -> str:
        field = FIELDS["case_person.id_number"]
        self.audit(self.person, {"field": field.key, "kind": field.kind, "case": self.person.case.number})
        return field.value_of(self.person)


class TakeMeasure(Action):
    """采取强制措施 on a person of the case. 拘留 and 提请批准逮捕 become approval requests; the others
    take effect at `started_at` (default now)."""

    def audit_action(self) -> str:
        return f"measure.{self.kind}"

    def __init__(self, *, case: Case, person: CasePerson, kind: str, by, reason: str = "", started_at=None):
        self.case = case
        self.person = person
        self.kind = kind
        self.by = by
        self.reason = reason
        self.started_at = started_at

    def check(self):
        if not can_handle(self.by, self.case):
            raise Denied(_("无权办理该案件"))
        if self.kind not in Measure.Kind.values:
            raise ActionError(_("未知的强制措施：%(kind)s") % {"kind": str(self.kind)[:20]}, field="kind")
        if self.person.case_id != self.case.pk:
            raise ActionError(_("该人员不属于本案"), field="person")
        administrative = self.kind in Measure.ADMINISTRATIVE
        if administrative != (self.case.kind == CaseKind.ADMINISTRATIVE):
            message = _("治安传唤只能用于行政案件") if administrative else _("刑事强制措施只能用于刑事案件")
            raise ActionError(message, field="kind")
        if not self.case.is_open:
            raise ActionError(_("案件已结束"), field="kind", code="closed")

    def run(self) -> tuple[Measure, ApprovalRequest | None]:
        now = timezone.now()
        reason = clean_text(self.reason, "reason", _("理由"), MAX_REASON, required=self.kind in Measure.NEEDS_APPROVAL)
        label = Measure.Kind(self.kind).label
        if self.kind not in Measure.NEEDS_APPROVAL:
            measure = Measure.objects.create(
                case=self.case,
                person=self.person,
                kind=self.kind,
                status=Measure.Status.ACTIVE,
                started_at=self.started_at or now,
                note=reason,
                created_by=self.by,
            )
            record(self.case, f"measure_{self.kind}", str(label), self.by, note=mask_name(self.person.name))
            self.audit(measure, {"person": mask_name(self.person.name)})
            signals.measure_changed.send(sender=Measure, measure=measure, change="started", by=self.by)
            return measure, None
        if Measure.objects.filter(person=self.person, kind=self.kind, status=Measure.Status.REQUESTED).exists():
            raise Conflict(_("已有待审批的“%(label)s”申请") % {"label": label}, field="kind")
        measure = Measure.objects.create(
            case=self.case,
            person=self.person,
            kind=self.kind,
            status=Measure.Status.REQUESTED,
            note=reason,
            created_by=self.by,
        )
        approval = ApprovalRequest.objects.create(
            case=self.case,
            transition=f"measure:{self.kind}:{measure.pk}",
            label=str(label),
            reason=reason,
            requested_by=self.by,
            requested_at=now,
            measure=measure,
        )
        requested = _("申请%(label)s") % {"label": label}
        record(self.case, f"request_{self.kind}", requested, self.by, note=mask_name(self.person.name))
        self.audit(approval, {"measure": self.kind}, action="approval.request")
        signals.measure_changed.send(sender=Measure, measure=measure, change="requested", by=self.by)
        return measure, approval


class EndMeasure(Action):
    """解除强制措施 (释放、变更、期满)."""

    def audit_action(self) -> str:
        return f"measure.end_{self.measure.kind}"

    def __init__(self, *, measure: Measure, by, note: str = ""):
        self.measure = measure
        self.by = by
        self.note = note

    def check(self):
        if not can_handle(self.by, self.measure.case):
            raise Denied(_("无权办理该案件"))
        if self.measure.status != Measure.Status.ACTIVE:
            raise ActionError(_("该措施不在执行中"), field="measure", code="not_active")

    def run(self) -> Measure:
        self.measure.status = Measure.Status.ENDED
        self.measure.ended_at = timezone.now()
        self.measure.save(update_fields=["status", "ended_at"])
        label = _("解除%(label)s") % {"label": self.measure.get_kind_display()}
        record(self.measure.case, f"end_{self.measure.kind}", label, self.by, note=self.note)
        self.audit(self.measure)
        signals.measure_changed.send(sender=Measure, measure=self.measure, change="ended", by=self.by)
        return self.measure


class UploadDocument(Action):
    """上传案件材料: a PDF or image, checked by its content (a renamed executable is refused), at most
    20 MB, stored outside the web root."""

    audit_action = "case.upload"

    def __init__(self, *, case: Case, upload, title: str, kind: str, by):
        self.case = case
        self.upload = upload
        self.title = title
        self.kind = kind
        self.by = by

    def check(self):
        if not can_handle(self.by, self.case):
            raise Denied(_("无权办理该案件"))
        if self.kind not in CaseDocument.Kind.values:
            raise ActionError(_("未知的材料类别"), field="kind")

    def run(self) -> CaseDocument:
        from anmin.core.uploads import check_upload

        detected = check_upload(self.upload, field="file")
        title = clean_text(self.title or getattr(self.upload, "name", ""), "title", _("名称"), 120, required=True)
        document = CaseDocument(
            case=self.case,
            kind=self.kind,
            title=title,
            content_type=detected,
            size=self.upload.size,
            uploaded_by=self.by,
        )
        document.file.save(self.upload.name, self.upload, save=False)
        document.save()
        record(self.case, "upload", _("上传材料"), self.by, note=title)
        self.audit(document, {"case": self.case.number, "type": detected})
        return document


class SetHelpers(Action):
    """指定协办民警: the officers who help the 主办侦查员; they see and work the case wherever they serve."""

    audit_action = "case.helpers"

    def __init__(self, *, case: Case, officers: list[Officer], by):
        self.case = case
        self.officers = officers
        self.by = by

    def check(self):
        if not can_handle(self.by, self.case):
            raise Denied(_("无权办理该案件"))
        if len(self.officers) > 20:
            raise ActionError(_("协办民警不能超过 20 人"), field="officer_ids", code="too_many")
        if any(o.pk == self.case.lead_investigator_id for o in self.officers):
            raise ActionError(_("主办侦查员不必再列为协办"), field="officer_ids", code="lead")

    def run(self) -> Case:
        self.case.helpers.set(self.officers)
        names = "、".join(str(o) for o in self.officers) or _("无")
        record(self.case, "helpers", _("指定协办民警"), self.by, note=names)
        self.audit(self.case, {"helpers": [o.audit_label for o in self.officers]})
        return self.case
