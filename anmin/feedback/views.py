"""Screens of the satisfaction loop: the citizen's survey page (by link, no sign-in), the staff
callback queue and survey page (电话回访), and the follow-ups of dissatisfied answers."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from anmin.core.errors import ActionError
from anmin.core.forms import valid
from anmin.feedback.actions import (
    CALLBACK_AFTER_DAYS,
    AnswerSurvey,
    CloseFollowUp,
    RecordCallback,
    can_close,
    survey_for_token,
)
from anmin.feedback.forms import AnswerForm, CallbackForm, CallbackQueueForm, CloseFollowUpForm, FollowUpsForm
from anmin.feedback.models import FollowUp, Rating, Reason, Survey

PAGE_SIZE = 50


def _values(form) -> dict:
    """What to put back in the form after an error: the values that were valid."""
    return {"rating": "", "reasons": [], "comment": "", "called_at": None, **form.cleaned_data}


@never_cache
@require_http_methods(["GET", "POST"])
def survey_link(request, token):
    """The survey page the SMS links to: a phone-sized form, no sign-in; the token is the key.
    It shows only the matter's number and the responsible unit, nothing personal."""
    survey = survey_for_token(token)
    error, values = None, {"rating": "", "reasons": [], "comment": ""}
    status = 200
    if survey is None:
        status = 404
    elif request.method == "POST":
        form = AnswerForm(request.POST)
        try:
            survey = AnswerSurvey(token=token, **valid(form)).execute()
        except ActionError as exc:
            error, values = exc, _values(form)
            status = exc.status
        else:
            return redirect("feedback:survey-link", token=token)
    response = render(
        request,
        "feedback/survey_m.html",
        {
            "survey": survey,
            "error": error,
            "values": values,
            "expired": survey is not None and not survey.is_answered and survey.is_expired(),
            "ratings": Rating.choices,
            "reasons": Reason.choices,
        },
        status=status,
    )
    # The token must not leak to another site; "no-referrer" would make the browser send Origin: null
    # with the form, which the CSRF check refuses.
    response["Referrer-Policy"] = "same-origin"
    return response


@login_required
def callback_queue(request):
    """回访队列: surveys in the user's scope not answered CALLBACK_AFTER_DAYS days after they were
    sent, oldest first (?all=1: every unanswered one)."""
    qs = Survey.objects.visible_to(request.user).unanswered().select_related("organization", "officer")
    error = None
    try:
        values = valid(CallbackQueueForm(request.GET))
    except ActionError as exc:
        error, values = exc, {"all": False, "page": None}
    show_all = values["all"]
    if not show_all:
        qs = qs.filter(opened_at__lte=timezone.now() - timedelta(days=CALLBACK_AFTER_DAYS))
    page = Paginator(qs.order_by("opened_at", "id"), PAGE_SIZE).get_page(values["page"])
    return render(
        request,
        "feedback/callbacks.html",
        {"nav": "feedback", "page": page, "show_all": show_all, "after_days": CALLBACK_AFTER_DAYS, "error": error},
        status=error.status if error else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def survey_page(request, pk):
    """One survey: the matter, the answer if any, and the phone 回访 form while unanswered."""
    survey = get_object_or_404(
        Survey.objects.visible_to(request.user).select_related("organization", "officer", "called_by"), pk=pk
    )
    error, values = None, {"rating": "", "reasons": [], "comment": "", "called_at": None}
    if request.method == "POST":
        form = CallbackForm(request.POST)
        try:
            RecordCallback(survey=survey, by=request.user, **valid(form)).execute()
        except ActionError as exc:
            error, values = exc, _values(form)
        else:
            messages.success(request, _("已记录回访结果：%(label)s") % {"label": survey.matter_label})
            return redirect("feedback:survey", pk=survey.pk)
    follow_up = FollowUp.objects.filter(survey=survey).select_related("assignee", "closed_by").first()
    return render(
        request,
        "feedback/survey.html",
        {
            "nav": "feedback",
            "survey": survey,
            "follow_up": follow_up,
            "error": error,
            "values": values,
            "ratings": Rating.choices,
            "reasons": Reason.choices,
        },
        status=error.status if error else 200,
    )


@login_required
def follow_ups(request):
    """不满意整改: open follow-ups in the user's scope by deadline, overdue ones in red
    (?closed=1: the closed ones, latest first)."""
    qs = FollowUp.objects.visible_to(request.user).select_related(
        "survey", "organization", "assignee", "closed_by", "survey__officer"
    )
    error = None
    try:
        values = valid(FollowUpsForm(request.GET))
    except ActionError as exc:
        error, values = exc, {"closed": False, "page": None}
    closed = values["closed"]
    qs = qs.filter(closed_at__isnull=False).order_by("-closed_at", "-id") if closed else qs.open().order_by("due_at")
    page = Paginator(qs, PAGE_SIZE).get_page(values["page"])
    now = timezone.now()
    rows = [(f, f.is_overdue(now), can_close(request.user, f)) for f in page]
    return render(
        request,
        "feedback/follow_ups.html",
        {"nav": "feedback", "page": page, "rows": rows, "closed": closed, "error": error},
        status=error.status if error else 200,
    )


@login_required
@require_POST
def follow_up_close(request, pk):
    follow_up = get_object_or_404(FollowUp.objects.visible_to(request.user).select_related("organization"), pk=pk)
    try:
        CloseFollowUp(follow_up=follow_up, by=request.user, **valid(CloseFollowUpForm(request.POST))).execute()
    except ActionError as exc:
        messages.error(request, exc.message)
        return redirect("feedback:follow-ups")
    messages.success(request, _("整改已办结：%(label)s") % {"label": follow_up.survey.matter_label})
    return redirect("feedback:follow-ups")
