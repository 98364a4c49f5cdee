"""警务站与检查站 pages: the posts list, a post, a shift (the checkpoint's phone page), the wanted
lists and the 达标 report."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from anmin.core.errors import ActionError
from anmin.core.forms import valid
from anmin.org.models import Officer
from anmin.posts.actions import (
    ChangeShift,
    CreateWeekRoster,
    HandleHit,
    RecordCheck,
    RecordOffDuty,
    RecordOnDuty,
    SaveWantedEntry,
)
from anmin.posts.compliance import compliance, flags_for
from anmin.posts.forms import ChangeShiftForm, CheckForm, HitForm, PeriodForm, RosterForm, WantedForm
from anmin.posts.models import CheckRecord, DutyShift, PostStandard, WantedEntry, manages_wanted_list, visible_posts

RECENT_CHECKS = 30


def _period(request):
    form = PeriodForm(request.GET)
    try:
        values = valid(form)
    except ActionError as exc:
        today = timezone.localdate()
        return today - timedelta(days=6), today, exc
    return values["start"], values["end"], None


@login_required
@require_safe
def post_list(request):
    """点位: every 警务站 and 检查站 the user may see, with today's duty and flags for missing/late shifts."""
    posts = list(visible_posts(request.user).select_related("organization", "ring").order_by("kind", "name"))
    flags = flags_for(posts, timezone.localdate())
    rows = [(post, flags[post.pk]) for post in posts]
    return render(request, "posts/list.html", {"nav": "posts", "rows": rows})


@login_required
@require_safe
def post_page(request, pk):
    """One post: the current shift, the roster of the coming days, recent checks and its figures."""
    post = get_object_or_404(visible_posts(request.user).select_related("organization"), pk=pk)
    return _post_page(request, post, RosterForm(post=post), None)


def _post_page(request, post, roster_form, error, status=200):
    now = timezone.now()
    today = timezone.localdate(now)
    shifts = list(
        DutyShift.objects.filter(
            post=post, ends_at__gte=now - timedelta(hours=8), starts_at__lt=now + timedelta(days=7)
        )
        .select_related("leader")
        .prefetch_related(Prefetch("officers", queryset=Officer.objects.order_by("badge_number")))
        .annotate(check_count=Count("checks"))
        .order_by("starts_at")
    )
    current = next((s for s in shifts if s.starts_at <= now < s.ends_at), None)
    checks = list(
        CheckRecord.objects.filter(shift__post=post)
        .select_related("officer", "wanted", "shift")
        .order_by("-checked_at", "-id")[:RECENT_CHECKS]
    )
    report = compliance(post, today - timedelta(days=6), today, now=now)
    return render(
        request,
        "posts/post.html",
        {
            "nav": "posts",
            "post": post,
            "shifts": shifts,
            "current": current,
            "checks": checks,
            "report": report,
            "form": roster_form,
            "error": error,
            "next_monday": today + timedelta(days=7 - today.weekday()),
            "pattern": PostStandard.for_post(post).shift_pattern,
        },
        status=status,
    )


@login_required
@require_POST
def post_roster(request, pk):
    """排班一周 (form on the post page)."""
    post = get_object_or_404(visible_posts(request.user).select_related("organization"), pk=pk)
    form = RosterForm(request.POST, post=post)
    try:
        values = valid(form)
        shifts = CreateWeekRoster(
            post=post,
            by=request.user,
            week_start=values["week_start"],
            leader=values["leader"],
            officers=list(values["officers"]),
            auxiliaries=values["auxiliaries"],
        ).execute()
    except ActionError as exc:
        return _post_page(request, post, form, exc, status=exc.status)
    messages.success(request, _("已排班 %(n)s 个班次") % {"n": len(shifts)})
    return redirect("posts:post", pk=post.pk)


def _shift_or_404(request, pk) -> DutyShift:
    return get_object_or_404(
        DutyShift.objects.visible_to(request.user).select_related("post__organization", "leader"), pk=pk
    )


@login_required
@require_http_methods(["GET", "POST"])
def shift_page(request, pk):
    """一个班次: who is on duty, 上岗/下岗, the check records and the form to add one (phone-sized)."""
    shift = _shift_or_404(request, pk)
    error, form = None, CheckForm(initial={"result": CheckRecord.Result.CLEARED})
    if request.method == "POST":
        form = CheckForm(request.POST)
        try:
            record = RecordCheck(shift=shift, by=request.user, **valid(form)).execute()
        except ActionError as exc:
            error = exc
        else:
            if record.wanted_id:
                messages.error(request, _("比中布控名单，请核实并登记处置"))
            else:
                messages.success(request, _("已登记核查"))
            return redirect("posts:shift", pk=shift.pk)
    checks = list(
        CheckRecord.objects.filter(shift=shift)
        .select_related("officer", "wanted__issuing_unit", "hit_handled_by")
        .order_by("-checked_at", "-id")
    )
    return render(
        request,
        "posts/shift.html",
        {
            "nav": "posts",
            "shift": shift,
            "officers": list(shift.officers.order_by("badge_number")),
            "checks": checks,
            "pending": [c for c in checks if c.hit_pending],
            "form": form,
            "error": error,
            "handlings": CheckRecord.Handling.choices,
            "standard": PostStandard.for_post(shift.post),
            "change_form": ChangeShiftForm(
                post=shift.post,
                initial={
                    "leader": shift.leader_id,
                    "officers": [o.pk for o in shift.officers.all()],
                    "auxiliaries": shift.auxiliaries,
                },
            ),
            "now": timezone.now(),
        },
        status=error.status if error else 200,
    )


@login_required
@require_POST
def shift_change(request, pk):
    """调班: who is on duty in this shift."""
    shift = _shift_or_404(request, pk)
    try:
        values = valid(ChangeShiftForm(request.POST, post=shift.post))
        ChangeShift(
            shift=shift,
            by=request.user,
            leader=values["leader"],
            officers=list(values["officers"]),
            auxiliaries=values["auxiliaries"],
        ).execute()
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已调整值班人员"))
    return redirect("posts:shift", pk=shift.pk)


def _record_duty(request, pk, action, done: str):
    """上岗 or 下岗 of a shift by the officer on it, back to the shift page with what happened."""
    shift = _shift_or_404(request, pk)
    try:
        action(shift=shift, by=request.user).execute()
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("posts:shift", pk=shift.pk)


@login_required
@require_POST
def shift_on_duty(request, pk):
    """上岗."""
    return _record_duty(request, pk, RecordOnDuty, _("已上岗"))


@login_required
@require_POST
def shift_off_duty(request, pk):
    """下岗."""
    return _record_duty(request, pk, RecordOffDuty, _("已下岗"))


@login_required
@require_POST
def check_handle(request, pk):
    """比中处置 of one check record."""
    record = get_object_or_404(CheckRecord.objects.visible_to(request.user).select_related("shift__post"), pk=pk)
    try:
        HandleHit(record=record, by=request.user, **valid(HitForm(request.POST))).execute()
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已登记比中处置"))
    return redirect("posts:shift", pk=record.shift_id)


def _require_wanted_manager(request) -> None:
    if not manages_wanted_list(request.user):
        raise PermissionDenied(_("只有领导或指挥中心可以维护布控名单"))


@login_required
@require_http_methods(["GET", "POST"])
def wanted_list(request):
    """布控名单 (在逃人员、布控车辆): leaders and the command centre add and withdraw entries."""
    _require_wanted_manager(request)
    error, form = None, WantedForm(initial={"active": True})
    if request.method == "POST":
        form = WantedForm(request.POST)
        try:
            entry = SaveWantedEntry(by=request.user, issuing_unit=request.user.organization, **valid(form)).execute()
        except ActionError as exc:
            error = exc
        else:
            messages.success(request, _("已加入布控名单：%(subject)s") % {"subject": entry.subject})
            return redirect("posts:wanted")
    entries = list(
        WantedEntry.objects.select_related("issuing_unit")
        .annotate(hit_count=Count("hits"))
        .order_by("-active", "-created_at")
    )
    return render(
        request,
        "posts/wanted.html",
        {"nav": "posts", "entries": entries, "form": form, "error": error},
        status=error.status if error else 200,
    )


@login_required
@require_POST
def wanted_withdraw(request, pk):
    """撤销布控: the entry stays (its hits refer to it) but no longer matches."""
    _require_wanted_manager(request)
    entry = get_object_or_404(WantedEntry.objects.select_related("issuing_unit"), pk=pk)
    try:
        SaveWantedEntry(
            by=request.user,
            entry=entry,
            kind=entry.kind,
            id_number=entry.id_number,
            plate=entry.plate,
            reason=entry.reason,
            issuing_unit=entry.issuing_unit,
            active=False,
        ).execute()
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已撤销布控：%(subject)s") % {"subject": entry.subject})
    return redirect("posts:wanted")


@login_required
@require_safe
def post_report(request, pk):
    """达标情况: each criterion met or not with its measured value, 见警率 and 管事率, and the shifts and
    incidents behind them."""
    post = get_object_or_404(visible_posts(request.user).select_related("organization"), pk=pk)
    start, end, error = _period(request)
    report = compliance(post, start, end)
    return render(
        request,
        "posts/report.html",
        {"nav": "posts", "post": post, "report": report, "error": error},
        status=error.status if error else 200,
    )
