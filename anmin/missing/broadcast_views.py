"""Pages of the broadcast: the work groups a unit keeps for missing-person alerts (list, create,
edit — scoped: a station sees its own), and the public clue page a group member opens from the
link in an alert."""

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from anmin.core.errors import ActionError
from anmin.core.forms import first_error
from anmin.missing.broadcast import read_clue_token
from anmin.missing.broadcast_actions import PostGroupClue, SaveGroup
from anmin.missing.broadcast_api import masked_url
from anmin.missing.broadcast_forms import GroupClueForm, GroupForm
from anmin.missing.broadcast_models import Group, Send
from anmin.missing.models import MissingCase

#: Clues one client address may post in CLUE_WINDOW seconds: a genuine witness posts one or two;
#: a script filling the case with noise is stopped.
CLUE_LIMIT = 10
CLUE_WINDOW = 600


def _visible_groups(request):
    return Group.objects.visible_to(request.user).select_related("org", "community", "township")


@login_required
def group_list(request):
    """工作群: the unit's work groups, with their kind, area and the last alerts sent to them."""
    groups = list(_visible_groups(request))
    recent = (
        Send.objects.filter(group__in=groups, kind=Send.Kind.ALERT)
        .select_related("case", "group")
        .order_by("-created_at", "-id")[:20]
    )
    cases = (
        MissingCase.objects.visible_to(request.user).filter(sends__isnull=False).distinct().order_by("-created_at")[:5]
    )
    return render(
        request,
        "missing/broadcast/groups.html",
        {
            "nav": "missing",
            "groups": [(g, masked_url(g.webhook_url)) for g in groups],
            "recent": recent,
            "cases": cases,
        },
    )


def _form_page(request, form, group=None, error=None):
    return render(
        request,
        "missing/broadcast/group_form.html",
        {
            "nav": "missing",
            "form": form,
            "group": group,
            "error": error,
            "webhook": masked_url(group.webhook_url) if group else "",
        },
        status=error.status if error else 200,
    )


def _save(request, group=None):
    form = GroupForm(request.POST, user=request.user)
    try:
        if not form.is_valid():
            raise first_error(form)
        SaveGroup(by=request.user, data=form.action_data(editing=group is not None), group=group).execute()
    except ActionError as exc:
        return _form_page(request, form, group, exc)
    return redirect("missing_groups:list")


@login_required
@require_http_methods(["GET", "POST"])
def group_new(request):
    """登记工作群."""
    if request.method == "POST":
        return _save(request)
    return _form_page(request, GroupForm(user=request.user, initial={"active": True, "org": request.user.organization}))


@login_required
@require_http_methods(["GET", "POST"])
def group_edit(request, pk):
    """修改工作群: the webhook, secret and phones are not shown back; left blank they stay."""
    group = get_object_or_404(_visible_groups(request), pk=pk)
    if request.method == "POST":
        return _save(request, group)
    initial = {
        "name": group.name,
        "kind": group.kind,
        "org": group.org,
        "community": group.community,
        "township": group.township_id or "",
        "lat": group.lat,
        "lon": group.lon,
        "radius_km": group.radius_km,
        "active": group.active,
    }
    return _form_page(request, GroupForm(user=request.user, initial=initial), group)


@login_required
def case_broadcast(request, pk):
    """The broadcast fragment of one case (rings and sends): the case page refreshes it every 30
    seconds while the search goes on, so the officer sees each ring and send land."""
    case = get_object_or_404(MissingCase.objects.visible_to(request.user), pk=pk)
    return render(request, "missing/_broadcast.html", {"case": case, "show_case": "show_case" in request.GET})


def _client(request) -> str:
    return request.META.get("REMOTE_ADDR") or "-"


@require_http_methods(["GET", "POST"])
def clue(request, token):
    """The public page behind an alert's link: the case as the alert showed it (masked) and a form
    for a clue. A forged or altered token is a 404; a found or closed case says so."""
    ids = read_clue_token(token)
    if ids is None:
        raise Http404
    case = MissingCase.objects.select_related("station").filter(pk=ids[0]).first()
    group = Group.objects.filter(pk=ids[1]).first()
    if case is None or group is None:
        raise Http404
    context = {"case": case, "group": group, "form": GroupClueForm(), "posted": False, "error": None}
    status = 200
    if request.method == "POST":
        key = f"missing-clue:{_client(request)}"
        count = cache.get_or_set(key, 0, CLUE_WINDOW)
        form = GroupClueForm(request.POST)
        context["form"] = form
        try:
            if count >= CLUE_LIMIT:
                raise ActionError(_("提交过于频繁，请稍后再试，或直接拨打派出所值班电话"), code="throttled")
            if not form.is_valid():
                raise first_error(form)
            PostGroupClue(case=case, group=group, data=form.cleaned_data).execute()
            try:
                cache.incr(key)
            except ValueError:
                cache.set(key, 1, CLUE_WINDOW)
            context["posted"] = True
            context["form"] = GroupClueForm()
        except ActionError as exc:
            context["error"] = exc
            status = 429 if exc.code == "throttled" else exc.status
    return render(request, "missing/broadcast/clue.html", context, status=status)
