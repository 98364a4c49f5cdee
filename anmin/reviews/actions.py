"""Actions of case review (评查) and collective deliberation (集体议案)."""

from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from anmin.cases.actions import can_handle, record
from anmin.cases.models import Case
from anmin.core.actions import Action
from anmin.core.errors import ActionError, Denied
from anmin.org.models import Officer, Role
from anmin.reviews.models import CaseReview, Deliberation, Rectification, ReviewFinding, Rubric

REVIEWER_ROLES = {Role.LEGAL, Role.LEADER}
RECTIFICATION_DAYS = 15


def _can_review(user) -> bool:
    return bool(user and user.is_authenticated and (user.is_superuser or user.role in REVIEWER_ROLES))


class ReviewCase(Action):
    """案件评查: a legal supervisor scores a case against a rubric. Each finding costs at most its
    item's maximum; the score is the full score less the deductions. Every finding with a deduction
    becomes a rectification task for the case's lead investigator, due in RECTIFICATION_DAYS."""

    audit_action = "case.review"

    def __init__(self, *, case: Case, rubric: Rubric, findings: list[dict], summary: str, by):
        self.case = case
        self.rubric = rubric
        self.findings = findings
        self.summary = summary
        self.by = by

    def check(self):
        if not _can_review(self.by):
            raise Denied(_("只有法制监督员或领导可以评查案件"))
        if not Case.objects.visible_to(self.by).filter(pk=self.case.pk).exists():
            raise Denied(_("无权查看该案件"))
        if not self.rubric.active:
            raise ActionError(_("该评查标准已停用"), field="rubric")
        if not isinstance(self.findings, list):
            raise ActionError(_("评查发现应为列表"), field="findings")
        if not isinstance(self.summary, str) or len(self.summary) > 2000:
            raise ActionError(_("评查意见不能超过 2000 字"), field="summary")

    def run(self) -> CaseReview:
        items = {item.code: item for item in self.rubric.items.all()}
        cleaned, seen = [], set()
        for index, finding in enumerate(self.findings):
            field = f"findings.{index}"
            code = finding.get("item") if isinstance(finding, dict) else None
            if code not in items:
                raise ActionError(_("未知的评查项目：%(code)s") % {"code": str(code)[:30]}, field=f"{field}.item")
            if code in seen:
                raise ActionError(_("同一评查项目只能记录一次"), field=f"{field}.item", code="duplicate")
            seen.add(code)
            deduction = finding.get("deduction")
            if isinstance(deduction, bool) or not isinstance(deduction, int) or deduction < 0:
                raise ActionError(_("扣分应为非负整数"), field=f"{field}.deduction")
            if deduction > items[code].max_deduction:
                raise ActionError(
                    _("“%(item)s”最多扣 %(max)s 分") % {"item": items[code].text, "max": items[code].max_deduction},
                    field=f"{field}.deduction",
                    code="too_much",
                )
            note = finding.get("note")
            if not isinstance(note, str) or not note.strip() or len(note) > 500:
                raise ActionError(_("请填写问题描述（不超过 500 字）"), field=f"{field}.note", code="required")
            cleaned.append((items[code], deduction, note.strip()))
        score = max(0, self.rubric.full_score - sum(d for _i, d, _n in cleaned))
        review = CaseReview.objects.create(
            case=self.case,
            rubric=self.rubric,
            reviewer=self.by,
            score=score,
            summary=self.summary.strip(),
            organization=self.case.organization,
            investigator=self.case.lead_investigator,
        )
        due = timezone.localdate() + timedelta(days=RECTIFICATION_DAYS)
        for item, deduction, note in cleaned:
            finding = ReviewFinding.objects.create(review=review, item=item, deduction=deduction, note=note)
            if deduction:
                Rectification.objects.create(finding=finding, assignee=self.case.lead_investigator, due_date=due)
        record(self.case, "review", _("案件评查"), self.by, note=_("得分 %(score)s") % {"score": score})
        self.audit(review, {"case": self.case.number, "score": score})
        return review


class CompleteRectification(Action):
    """整改完成: the assignee (or a case handler) reports what was fixed."""

    audit_action = "review.rectified"

    def __init__(self, *, task: Rectification, note: str, by):
        self.task = task
        self.note = note
        self.by = by

    def check(self):
        case = self.task.finding.review.case
        if self.task.assignee_id != getattr(self.by, "pk", None) and not can_handle(self.by, case):
            raise Denied(_("无权办理该整改任务"))
        if self.task.done_at is not None:
            raise ActionError(_("该整改任务已完成"), field="note", code="done")
        if not isinstance(self.note, str) or not self.note.strip() or len(self.note) > 500:
            raise ActionError(_("请填写整改情况（不超过 500 字）"), field="note", code="required")

    def run(self) -> Rectification:
        self.task.done_at = timezone.now()
        self.task.done_note = self.note.strip()
        self.task.save(update_fields=["done_at", "done_note"])
        self.audit(self.task)
        return self.task


class RecordDeliberation(Action):
    """集体议案: record a collective deliberation on a case — who attended, the question, the
    decision, and any dissenting opinion (which must be kept, not smoothed away)."""

    audit_action = "case.deliberation"

    def __init__(
        self,
        *,
        case: Case,
        held_at: datetime,
        chair: Officer,
        attendees: list[Officer],
        question: str,
        decision: str,
        dissent: str = "",
        location: str = "",
        by,
    ):
        self.case = case
        self.held_at = held_at
        self.chair = chair
        self.attendees = attendees
        self.question = question
        self.decision = decision
        self.dissent = dissent
        self.location = location
        self.by = by

    def check(self):
        if not (can_handle(self.by, self.case) or _can_review(self.by)):
            raise Denied(_("无权记录该案件的集体议案"))
        if not isinstance(self.held_at, datetime) or self.held_at > timezone.now():
            raise ActionError(_("议案时间应为已经过去的时间"), field="held_at")
        if len(self.attendees) < 3:
            raise ActionError(_("集体议案至少需要三名参加人员"), field="attendees", code="too_few")
        if self.chair not in self.attendees:
            raise ActionError(_("主持人应在参加人员之中"), field="chair")
        for field, value, limit in (("question", self.question, 2000), ("decision", self.decision, 2000)):
            if not isinstance(value, str) or not value.strip() or len(value) > limit:
                raise ActionError(_("请填写议题和决定（各不超过 2000 字）"), field=field, code="required")
        if not isinstance(self.dissent, str) or len(self.dissent) > 2000:
            raise ActionError(_("不同意见不能超过 2000 字"), field="dissent")

    def run(self) -> Deliberation:
        deliberation = Deliberation.objects.create(
            case=self.case,
            held_at=self.held_at,
            location=(self.location or "")[:60],
            chair=self.chair,
            question=self.question.strip(),
            decision=self.decision.strip(),
            dissent=self.dissent.strip(),
            recorded_by=self.by,
        )
        deliberation.attendees.set(self.attendees)
        record(self.case, "deliberation", _("集体议案"), self.by, note=self.decision.strip()[:200], at=self.held_at)
        self.audit(deliberation, {"case": self.case.number, "attendees": [a.audit_label for a in self.attendees]})
        return deliberation
