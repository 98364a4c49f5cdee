"""API for case reviews (评查), rectification and collective deliberations (集体议案)."""

from datetime import date, datetime

from django.db.models import Avg, Count
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status

from anmin.cases.api import visible_case
from anmin.core.errors import ActionError
from anmin.core.schema import Id
from anmin.org.models import Officer
from anmin.reviews.actions import CompleteRectification, RecordDeliberation, ReviewCase
from anmin.reviews.models import CaseReview, Deliberation, Rectification, Rubric

router = Router(tags=["reviews"])


class FindingIn(Schema):
    item: str = Field(..., max_length=30)
    deduction: int = Field(..., ge=0, le=1000)
    note: str = Field(..., max_length=2000)


class ReviewIn(Schema):
    rubric_id: Id | None = Field(None, description="默认为启用中的第一个评查标准")
    findings: list[FindingIn] = Field(default_factory=list, max_length=200)
    summary: str = Field("", max_length=20000)


class FindingOut(Schema):
    item: str
    text: str
    deduction: int
    note: str
    rectification_due: date | None
    rectified_at: datetime | None


class CaseReviewOut(Schema):
    id: int
    case_id: int
    rubric: str
    reviewer: str
    reviewed_at: datetime
    score: int
    summary: str
    findings: list[FindingOut]


class RectificationNoteIn(Schema):
    note: str = Field(..., max_length=2000)


class DeliberationIn(Schema):
    held_at: datetime
    location: str = Field("", max_length=200)
    chair_id: Id
    attendee_ids: list[Id] = Field(..., max_length=100)
    question: str = Field(..., max_length=20000)
    decision: str = Field(..., max_length=20000)
    dissent: str = Field("", max_length=20000)


class DeliberationOut(Schema):
    id: int
    held_at: datetime
    location: str
    chair: str
    attendees: list[str]
    question: str
    decision: str
    dissent: str


class ScoreOut(Schema):
    key: int
    name: str
    reviews: int
    average: float


class ScoreFilter(Schema):
    by: str = Field("organization", pattern="^(organization|investigator)$")


def review_out(review: CaseReview) -> dict:
    return {
        "id": review.pk,
        "case_id": review.case_id,
        "rubric": review.rubric.name,
        "reviewer": review.reviewer.audit_label,
        "reviewed_at": review.reviewed_at,
        "score": review.score,
        "summary": review.summary,
        "findings": [
            {
                "item": f.item.code,
                "text": f.item.text,
                "deduction": f.deduction,
                "note": f.note,
                "rectification_due": getattr(getattr(f, "rectification", None), "due_date", None),
                "rectified_at": getattr(getattr(f, "rectification", None), "done_at", None),
            }
            for f in review.findings.select_related("item", "rectification")
        ],
    }


def deliberation_out(d: Deliberation) -> dict:
    return {
        "id": d.pk,
        "held_at": d.held_at,
        "location": d.location,
        "chair": str(d.chair),
        "attendees": [str(a) for a in d.attendees.all()],
        "question": d.question,
        "decision": d.decision,
        "dissent": d.dissent,
    }


@router.post("/cases/{case_id}/reviews", response={201: CaseReviewOut}, summary="案件评查")
def review_case(request, case_id: Id, payload: ReviewIn):
    case = visible_case(request, case_id)
    rubrics = Rubric.objects.filter(active=True).order_by("id")
    rubric = rubrics.filter(pk=payload.rubric_id).first() if payload.rubric_id else rubrics.first()
    if rubric is None:
        raise ActionError("评查标准不存在或已停用", field="rubric_id", code="not_found")
    review = ReviewCase(
        case=case,
        rubric=rubric,
        findings=[f.dict() for f in payload.findings],
        summary=payload.summary,
        by=request.user,
    ).execute()
    return Status(201, review_out(review))


@router.get("/cases/{case_id}/reviews", response=list[CaseReviewOut], summary="案件的评查记录")
def case_reviews(request, case_id: Id):
    case = visible_case(request, case_id)
    return [review_out(r) for r in case.reviews.select_related("rubric", "reviewer")]


@router.post("/rectifications/{task_id}/complete", response=FindingOut, summary="整改完成")
def complete_rectification(request, task_id: Id, payload: RectificationNoteIn):
    qs = Rectification.objects.filter(finding__review__in=CaseReview.objects.visible_to(request.user))
    task = get_object_or_404(qs.select_related("finding__item", "finding__review__case"), pk=task_id)
    CompleteRectification(task=task, note=payload.note, by=request.user).execute()
    f = task.finding
    return {
        "item": f.item.code,
        "text": f.item.text,
        "deduction": f.deduction,
        "note": f.note,
        "rectification_due": task.due_date,
        "rectified_at": task.done_at,
    }


@router.get("/reviews/scores", response=list[ScoreOut], summary="评查得分：按单位或主办人")
def scores(request, filters: Query[ScoreFilter]):
    field = "organization" if filters.by == "organization" else "investigator"
    rows = (
        CaseReview.objects.visible_to(request.user)
        .values(field)
        .annotate(reviews=Count("id"), average=Avg("score"))
        .order_by("-average", field)
    )
    if field == "organization":
        from anmin.org.models import Organization

        names = dict(Organization.objects.filter(pk__in=[r[field] for r in rows]).values_list("pk", "name"))
    else:
        names = {o.pk: str(o) for o in Officer.objects.filter(pk__in=[r[field] for r in rows])}
    return [
        {"key": r[field], "name": names.get(r[field], ""), "reviews": r["reviews"], "average": round(r["average"], 2)}
        for r in rows
    ]


@router.post("/cases/{case_id}/deliberations", response={201: DeliberationOut}, summary="记录集体议案")
def record_deliberation(request, case_id: Id, payload: DeliberationIn):
    case = visible_case(request, case_id)
    officers = {o.pk: o for o in Officer.objects.visible_to(request.user).filter(pk__in=payload.attendee_ids)}
    missing = [i for i in payload.attendee_ids if i not in officers]
    if missing:
        raise ActionError(f"参加人员不存在或不在本单位：{missing[:5]}", field="attendee_ids", code="unknown")
    chair = (
        officers.get(payload.chair_id) or Officer.objects.visible_to(request.user).filter(pk=payload.chair_id).first()
    )
    if chair is None:
        raise ActionError("主持人不存在或不在本单位", field="chair_id", code="unknown")
    deliberation = RecordDeliberation(
        case=case,
        held_at=payload.held_at,
        chair=chair,
        attendees=list(officers.values()),
        question=payload.question,
        decision=payload.decision,
        dissent=payload.dissent,
        location=payload.location,
        by=request.user,
    ).execute()
    return Status(201, deliberation_out(deliberation))


@router.get("/cases/{case_id}/deliberations", response=list[DeliberationOut], summary="案件的集体议案")
def case_deliberations(request, case_id: Id):
    case = visible_case(request, case_id)
    return [deliberation_out(d) for d in case.deliberations.select_related("chair").prefetch_related("attendees")]
