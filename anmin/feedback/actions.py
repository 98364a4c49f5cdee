"""Actions of the satisfaction loop: open a survey when a matter closes, answer it (by the link or
by a staff phone 回访), and close the follow-up a dissatisfied answer opens.

Incidents (已反馈) and applications (办结, 不予受理) open their surveys through receivers of
dispatch's and services' domain signals (receivers.py), so neither app imports this one. Anything
else that closes a matter the public should rate calls, inside the action that finishes it:

    from anmin.feedback.actions import open_survey_for
    open_survey_for(obj, kind=MatterKind.APPLICATION, label=obj.number, phone=citizen.phone,
                    organization=department, officer=handled_by, service_item_id=item.pk,
                    closed_at=finished_at)

The survey commits or rolls back with that action, and the SMS leaves only after the commit.
"""

import re
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django.utils.translation import gettext as _

from anmin.citizens import sms
from anmin.core.actions import Action
from anmin.core.errors import ActionError, Conflict, Denied
from anmin.core.validation import clean_text
from anmin.feedback.models import (
    Channel,
    FollowUp,
    MatterKind,
    Rating,
    Reason,
    Survey,
    hash_token,
    new_token,
)
from anmin.org.models import Organization, Role, scope_path
from anmin.services.models import Application, ApplicationStatus

#: A link answers for 30 days; after that only a staff phone 回访 can record an answer.
LINK_DAYS = 30
#: The callback queue lists surveys left unanswered for this many days.
CALLBACK_AFTER_DAYS = 3
#: A dissatisfied answer is looked into within this many working days.
FOLLOW_UP_WORKING_DAYS = 3
MOBILE = re.compile(r"^1[3-9]\d{9}$")


def portal_base_url() -> str:
    """Where the public reaches the portal (the SMS carries an absolute link)."""
    return getattr(settings, "PORTAL_BASE_URL", "http://127.0.0.1:8000").rstrip("/")


def mobile_or_none(phone: str) -> str | None:
    """A Chinese mobile number from a caller's number as recorded (spaces, dashes, +86), or None."""
    digits = re.sub(r"[\s-]", "", phone or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits if MOBILE.match(digits) else None


class OpenSurvey(Action):
    """发起回访: one survey per closed matter. A mobile number gets the link by SMS (after the
    commit); a landline gets no SMS and waits in the staff callback queue. A matter that already
    has a survey (an incident reopened and reported again) keeps the first one.

    audit=False when the survey opens as part of another action (the 反馈 that closed the incident,
    the 办结 of an application): that action's entry is the trail's record of the step — the trail
    keeps one entry per action — and the survey row itself says when it opened and whether the SMS
    went out."""

    audit_action = "feedback.open"

    def audit_actor(self) -> None:
        return None  # opened by the system when the matter closed, not by anyone in particular

    def __init__(
        self,
        *,
        matter,
        kind: str,
        label: str,
        phone: str,
        organization: Organization,
        officer=None,
        service_item_id: int | None = None,
        closed_at: datetime | None = None,
        now: datetime | None = None,
        audit: bool = True,
    ):
        self.own_entry = audit
        self.matter = matter
        self.kind = kind
        self.label = label
        self.phone = (phone or "").strip()
        self.organization = organization
        self.officer = officer
        self.service_item_id = service_item_id
        self.now = now or timezone.now()
        self.closed_at = closed_at or self.now

    def check(self):
        if self.kind not in MatterKind.values:
            raise ActionError(_("事项类型无效"), field="kind")
        if not self.phone:
            raise ActionError(_("没有回访电话，不能发起回访"), field="phone", code="required")
        if self.organization is None:
            raise ActionError(_("请指定责任单位"), field="organization", code="required")

    def run(self) -> Survey:
        content_type = content_type_of(self.matter)
        existing = Survey.objects.filter(content_type=content_type, object_id=self.matter.pk).first()
        if existing is not None:
            existing.token = None
            return existing
        token = new_token()
        mobile = mobile_or_none(self.phone)
        survey = Survey.objects.create(
            content_type=content_type,
            object_id=self.matter.pk,
            kind=self.kind,
            matter_label=str(self.label)[:60],
            phone=mobile or self.phone[:20],
            token_hash=hash_token(token),
            organization=self.organization,
            officer=self.officer,
            service_item_id=self.service_item_id,
            closed_at=self.closed_at,
            opened_at=self.now,
            expires_at=self.now + timedelta(days=LINK_DAYS),
            sms_sent_at=self.now if mobile else None,
        )
        survey.token = token
        if self.own_entry:
            self.audit(survey, {"matter": survey.matter_label, "kind": self.kind, "sms": bool(mobile)})
        if mobile:
            # An application refused (不予受理) is not 办结: telling the citizen it was would be false.
            refused = isinstance(self.matter, Application) and self.matter.status == ApplicationStatus.REJECTED
            text = _(
                "【安民】您反映的%(kind)s（%(label)s）%(outcome)s。请对办理情况作出评价：%(url)s（30 天内有效）"
            ) % {
                "kind": survey.get_kind_display(),
                "label": survey.matter_label,
                "outcome": _("已作出不予受理决定") if refused else _("已办结"),
                "url": survey_url(token),
            }
            sms.send(mobile, text)  # after the commit, as every SMS
        return survey


def content_type_of(obj) -> ContentType:
    """The matter's content type, read from the table, not from ContentType's per-process cache: a
    cached id that the table no longer holds (a test database flushed without post_migrate) would
    fail the foreign key at commit, taking the 反馈 that closed the incident down with it."""
    opts = obj._meta.concrete_model._meta
    content_type, _created = ContentType.objects.get_or_create(app_label=opts.app_label, model=opts.model_name)
    return content_type


def survey_url(token: str) -> str:
    return f"{portal_base_url()}/s/{token}/"


def open_survey_for(
    obj,
    *,
    kind: str = MatterKind.APPLICATION,
    label: str,
    phone: str,
    organization: Organization,
    officer=None,
    service_item_id: int | None = None,
    closed_at: datetime | None = None,
    audit: bool = True,
) -> Survey | None:
    """Open the survey of a finished matter (an application 办结 or 不予受理…); None when there is no
    number to reach the citizen on. Meant to be called inside the finishing action."""
    if not (phone or "").strip():
        return None
    return OpenSurvey(
        matter=obj,
        kind=kind,
        label=label,
        phone=phone,
        organization=organization,
        officer=officer,
        service_item_id=service_item_id,
        closed_at=closed_at,
        audit=audit,
    ).execute()


def open_survey_for_incident(incident) -> Survey | None:
    """The survey of a 110 incident reported back (已反馈): the station answers for it, and the
    officer is the first crew member of the first unit sent."""
    from anmin.dispatch.models import Assignment

    if not incident.caller_phone or incident.imported:
        return None
    first = Assignment.objects.filter(incident=incident).select_related("unit").order_by("dispatched_at", "pk").first()
    officer = first.unit.members.order_by("pk").first() if first else None
    return OpenSurvey(
        matter=incident,
        kind=MatterKind.INCIDENT,
        label=incident.number,
        phone=incident.caller_phone,
        organization=incident.station,
        officer=officer,
        closed_at=incident.closed_at,
        audit=False,  # part of the audited 反馈 (assignment.feedback)
    ).execute()


def open_survey_for_application(application) -> Survey | None:
    """The survey of an application 办结 or 不予受理: the handling department answers for it, the
    officer who finished it is its officer, and its service item is counted."""
    return open_survey_for(
        application,
        kind=MatterKind.APPLICATION,
        label=application.number,
        phone=application.citizen.phone,
        organization=application.department,
        officer=application.handled_by,
        service_item_id=application.item_id,
        closed_at=application.completed_at,
        audit=False,  # part of the audited services.complete / services.reject
    )


# --- answering -----------------------------------------------------------------------------------


def clean_answer(rating, reasons, comment) -> tuple[str, list[str], str]:
    """The answer's three fields, checked; errors name the field."""
    if rating not in Rating.values:
        raise ActionError(_("请选择满意程度（满意、基本满意或不满意）"), field="rating", code="required")
    if reasons is None:
        reasons = []
    if isinstance(reasons, str):
        reasons = [reasons]
    if not isinstance(reasons, list | tuple) or any(not isinstance(r, str) for r in reasons):
        raise ActionError(_("原因应为列表"), field="reasons")
    unknown = [r for r in reasons if r not in Reason.values]
    if unknown:
        raise ActionError(_("原因「%(value)s」无效") % {"value": str(unknown[0])[:20]}, field="reasons")
    reasons = list(dict.fromkeys(reasons)) if rating != Rating.SATISFIED else []
    comment = clean_text(comment, "comment", _("意见建议"), 500, required=False)
    if rating == Rating.DISSATISFIED and not reasons:
        raise ActionError(_("请选择不满意的原因"), field="reasons", code="required")
    if Reason.OTHER in reasons and not comment:
        raise ActionError(_("选择“其他”时请填写具体意见"), field="comment", code="required")
    return rating, reasons, comment


class _Answer(Action):
    """What the link and the phone 回访 share: one answer per survey, locked against a race."""

    audit_action = "feedback.answer"
    channel = Channel.LINK

    def _record(self, survey_pk: int, when: datetime, actor, called_by=None) -> Survey:
        survey = Survey.objects.select_for_update().select_related("organization").get(pk=survey_pk)
        if survey.is_answered:
            raise Conflict(_("已评价：每个事项只能评价一次"), field="rating", code="answered")
        survey.rating, survey.reasons, survey.comment = self.rating, self.reasons, self.comment
        survey.answered_at = when
        survey.channel = self.channel
        survey.called_by = called_by
        survey.save(update_fields=["rating", "reasons", "comment", "answered_at", "channel", "called_by"])
        # The actor is the officer who phoned, or the link itself (the citizen never signs in).
        self.audit(survey, {"rating": survey.rating, "reasons": survey.reasons, "channel": self.channel}, actor=actor)
        if survey.rating == Rating.DISSATISFIED:
            follow_up = open_follow_up(survey)
            self.audit(
                follow_up,
                {"survey": survey.pk, "assignee": follow_up.assignee_id, "due_at": follow_up.due_at.isoformat()},
                action="feedback.follow_up.open",
                actor=actor,
            )
        return survey


class AnswerSurvey(_Answer):
    """The citizen answers through the SMS link (no sign-in: the token is the key). A link is
    refused after LINK_DAYS days and once answered."""

    channel = Channel.LINK

    def __init__(self, *, token: str, rating, reasons=None, comment="", now: datetime | None = None):
        self.token = token or ""
        self.raw = (rating, reasons, comment)
        self.now = now or timezone.now()

    def check(self):
        self.survey = survey_for_token(self.token)
        if self.survey is None:
            raise ActionError(_("评价链接无效"), field="token", code="not_found")
        if self.survey.is_answered:
            raise Conflict(_("已评价：每个事项只能评价一次"), field="rating", code="answered")
        if self.survey.is_expired(self.now):
            raise ActionError(_("评价链接已过期（30 天内有效）"), field="token", code="expired")
        self.rating, self.reasons, self.comment = clean_answer(*self.raw)

    def run(self) -> Survey:
        return self._record(self.survey.pk, self.now, f"survey-link {self.survey.masked_phone}")


def survey_for_token(token: str) -> Survey | None:
    if not isinstance(token, str) or not 20 <= len(token) <= 64:
        return None
    return Survey.objects.select_related("organization").filter(token_hash=hash_token(token)).first()


class RecordCallback(_Answer):
    """电话回访: an officer phones the citizen and records the answer, who called and when."""

    channel = Channel.CALLBACK

    def __init__(
        self, *, survey: Survey, by, rating, reasons=None, comment="", called_at=None, now: datetime | None = None
    ):
        self.survey = survey
        self.by = by
        self.raw = (rating, reasons, comment)
        self.called_at = called_at
        self.now = now or timezone.now()

    def check(self):
        if not Survey.objects.visible_to(self.by).filter(pk=self.survey.pk).exists():
            raise Denied(_("无权回访该事项"))
        self.rating, self.reasons, self.comment = clean_answer(*self.raw)
        when = self.called_at or self.now
        if not isinstance(when, datetime) or timezone.is_naive(when):
            raise ActionError(_("回访时间无效"), field="called_at")
        if when > self.now + timedelta(minutes=5):
            raise ActionError(_("回访时间不能晚于现在"), field="called_at")
        if when < self.survey.opened_at:
            raise ActionError(_("回访时间不能早于回访发起时间"), field="called_at")
        self.when = when

    def run(self) -> Survey:
        return self._record(self.survey.pk, self.when, self.by, called_by=self.by)


# --- follow-up -----------------------------------------------------------------------------------


def leader_of(organization: Organization):
    """The leader answerable for a unit: an active officer with role 领导 in it, else in the nearest
    ancestor that has one (a 警务站 without a leader answers to its 派出所's)."""
    from anmin.org.models import Officer

    ids = organization.ancestors_and_self_ids()
    leaders = {}
    for officer in Officer.objects.filter(organization_id__in=ids, role=Role.LEADER, is_active=True).order_by("pk"):
        leaders.setdefault(officer.organization_id, officer)
    for pk in reversed(ids):
        if pk in leaders:
            return leaders[pk]
    return None


def open_follow_up(survey: Survey) -> FollowUp:
    """不满意 → a follow-up for the responsible unit's leader, due in FOLLOW_UP_WORKING_DAYS working
    days (holidays and 调休 counted by the legal calendar). Part of the answer; its audit entry is
    the answering action's."""
    from anmin.supervision.calendar import add_working_days

    follow_up = FollowUp.objects.create(
        survey=survey,
        organization=survey.organization,
        assignee=leader_of(survey.organization),
        opened_at=survey.answered_at,
        due_at=add_working_days(survey.answered_at, FOLLOW_UP_WORKING_DAYS),
    )
    return follow_up


def can_close(user, follow_up: FollowUp) -> bool:
    """The assigned leader, or a leader whose unit covers the responsible unit."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.pk == follow_up.assignee_id or user.is_superuser:
        return True
    path = scope_path(user)
    return user.can_approve and path is not None and follow_up.organization.path.startswith(path)


class CloseFollowUp(Action):
    """办结整改: the leader records what was found and done (and that the citizen was answered)."""

    audit_action = "feedback.follow_up.close"

    def __init__(self, *, follow_up: FollowUp, by, note: str, now: datetime | None = None):
        self.follow_up = follow_up
        self.by = by
        self.note = note
        self.now = now or timezone.now()

    def check(self):
        if not FollowUp.objects.visible_to(self.by).filter(pk=self.follow_up.pk).exists():
            raise Denied(_("无权查看该整改事项"))
        if not can_close(self.by, self.follow_up):
            raise Denied(_("只有责任领导可以办结整改"))
        self.clean_note = clean_text(self.note, "note", _("核查整改情况"), 2000, required=True)

    def run(self) -> FollowUp:
        follow_up = FollowUp.objects.select_for_update().get(pk=self.follow_up.pk)
        if follow_up.is_closed:
            raise Conflict(_("该整改已办结"), field="note", code="closed")
        follow_up.closed_at = self.now
        follow_up.closed_by = self.by
        follow_up.note = self.clean_note
        follow_up.save(update_fields=["closed_at", "closed_by", "note"])
        self.audit(follow_up, {"overdue": follow_up.is_overdue()})
        return follow_up
