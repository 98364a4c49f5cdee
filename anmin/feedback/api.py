"""API of the satisfaction loop: the public answer (token, no sign-in), the staff callback queue
and phone 回访, and the follow-ups. Errors name the field (400/403/409), never a 500."""

from datetime import datetime, timedelta

from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from anmin.core.schema import Id
from anmin.feedback.actions import CALLBACK_AFTER_DAYS, AnswerSurvey, CloseFollowUp, RecordCallback
from anmin.feedback.models import FollowUp, Rating, Reason, Survey

router = Router(tags=["feedback"])


class AnswerIn(Schema):
    rating: Rating
    reasons: list[Reason] = Field(default_factory=list, max_length=5)
    comment: str = Field("", max_length=2000)


class LinkAnswerIn(AnswerIn):
    token: str = Field(..., max_length=64, description="短信链接 /s/<token>/ 中的 token")


class CallbackIn(AnswerIn):
    called_at: datetime | None = Field(None, description="回访时间；默认为现在")


class SurveyOut(Schema):
    id: int
    kind: str
    matter: str
    organization: str
    officer: str | None
    phone: str = Field(..., description="已脱敏")
    closed_at: datetime
    opened_at: datetime
    rating: str
    reasons: list[str]
    comment: str
    answered_at: datetime | None
    channel: str


class FollowUpOut(Schema):
    id: int
    survey_id: int
    matter: str
    organization: str
    assignee: str | None
    due_at: datetime
    overdue: bool
    closed_at: datetime | None
    note: str


def survey_out(s: Survey) -> SurveyOut:
    return SurveyOut(
        id=s.pk,
        kind=s.kind,
        matter=s.matter_label,
        organization=s.organization.label,
        officer=str(s.officer) if s.officer_id else None,
        phone=s.masked_phone,
        closed_at=s.closed_at,
        opened_at=s.opened_at,
        rating=s.rating,
        reasons=list(s.reasons),
        comment=s.comment,
        answered_at=s.answered_at,
        channel=s.channel,
    )


def follow_up_out(f: FollowUp) -> FollowUpOut:
    return FollowUpOut(
        id=f.pk,
        survey_id=f.survey_id,
        matter=f.survey.matter_label,
        organization=f.organization.label,
        assignee=str(f.assignee) if f.assignee_id else None,
        due_at=f.due_at,
        overdue=f.is_overdue(),
        closed_at=f.closed_at,
        note=f.note,
    )


class AnswerOut(Schema):
    matter: str
    rating: str
    answered_at: datetime


@router.post("/feedback/answer", response=AnswerOut, auth=None, summary="群众通过短信链接评价（无需登录）")
def answer(request, payload: LinkAnswerIn):
    survey = AnswerSurvey(
        token=payload.token, rating=payload.rating, reasons=list(payload.reasons), comment=payload.comment
    ).execute()
    return AnswerOut(matter=survey.matter_label, rating=survey.rating, answered_at=survey.answered_at)


@router.get("/feedback/callbacks", response=list[SurveyOut], summary="回访队列（短信发送 N 天后仍未评价）")
def callbacks(request, all: bool = False, limit: int = Query(100, ge=1, le=500)):
    qs = Survey.objects.visible_to(request.user).unanswered().select_related("organization", "officer")
    if not all:
        qs = qs.filter(opened_at__lte=timezone.now() - timedelta(days=CALLBACK_AFTER_DAYS))
    return [survey_out(s) for s in qs.order_by("opened_at", "id")[: min(max(limit, 1), 500)]]


@router.get("/feedback/surveys/{survey_id}", response=SurveyOut, summary="回访详情")
def survey_detail(request, survey_id: Id):
    qs = Survey.objects.visible_to(request.user).select_related("organization", "officer")
    return survey_out(get_object_or_404(qs, pk=survey_id))


@router.post("/feedback/surveys/{survey_id}/callback", response=SurveyOut, summary="记录电话回访结果")
def record_callback(request, survey_id: Id, payload: CallbackIn):
    survey = get_object_or_404(Survey.objects.visible_to(request.user), pk=survey_id)
    survey = RecordCallback(
        survey=survey,
        by=request.user,
        rating=payload.rating,
        reasons=list(payload.reasons),
        comment=payload.comment,
        called_at=payload.called_at,
    ).execute()
    return survey_out(survey)


@router.get("/feedback/follow-ups", response=list[FollowUpOut], summary="不满意整改（未办结，按期限）")
def follow_ups(request, closed: bool = False, limit: int = Query(100, ge=1, le=500)):
    qs = FollowUp.objects.visible_to(request.user).select_related("survey", "organization", "assignee")
    qs = qs.filter(closed_at__isnull=not closed).order_by("due_at", "id")
    return [follow_up_out(f) for f in qs[: min(max(limit, 1), 500)]]


class CloseIn(Schema):
    note: str = Field(..., max_length=4000)


@router.post("/feedback/follow-ups/{follow_up_id}/close", response=FollowUpOut, summary="办结整改")
def close_follow_up(request, follow_up_id: Id, payload: CloseIn):
    qs = FollowUp.objects.visible_to(request.user).select_related("survey", "organization")
    follow_up = CloseFollowUp(follow_up=get_object_or_404(qs, pk=follow_up_id), by=request.user, note=payload.note)
    return follow_up_out(follow_up.execute())
