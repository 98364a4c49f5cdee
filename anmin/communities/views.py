"""智慧平安社区 pages: the station's communities with the zero flag and the 零发案小区率, a community's
figures with its outline and access points, and the records behind every number."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from anmin.cases.lifecycle import CaseKind
from anmin.communities import places
from anmin.communities.actions import (
    AddAccessPoint,
    AddBuilding,
    AddGridWorker,
    MarkLead,
    RegisterLeadSource,
    SaveCommunity,
    can_edit,
)
from anmin.communities.api import default_period, mask_plate
from anmin.communities.forms import (
    AccessPointForm,
    BuildingForm,
    CommunityForm,
    GridWorkerForm,
    LeadSourceForm,
    MarkLeadForm,
    PeriodForm,
)
from anmin.communities.models import Community, Lead
from anmin.core.errors import ActionError
from anmin.core.forms import valid
from anmin.incidents.models import Incident, IncidentClass
from anmin.stats import periods

PAGE_SIZE = 50


def _filters(request) -> tuple[dict, periods.Period]:
    """The query-string filters and the period, or an ActionError naming the bad one."""
    form = PeriodForm(request.GET)
    data = valid(form)
    return data, periods.parse(data["period"] or default_period(), "period")


def _bad(request, error: ActionError, template="communities/error.html"):
    return render(request, template, {"nav": "communities", "error": error}, status=400)


def _visible(request):
    return Community.objects.visible_to(request.user).select_related("station", "officer")


@login_required
@require_safe
def community_list(request):
    """The communities in the officer's scope with their zero flag for the period, the
    零发案小区率 (compounds only), and the bureau-wide (scope-wide) lead figures."""
    try:
        data, period = _filters(request)
    except ActionError as error:
        return _bad(request, error)
    communities = list(_visible(request))
    figs = places.figures(communities, period.start, period.end)
    for c in communities:
        c.fig = figs[c.pk]
    compounds = [c for c in communities if c.kind == Community.Kind.COMPOUND]
    zero_compounds = [c for c in compounds if figs[c.pk].zero]
    rows = communities
    if data["kind"]:
        rows = [c for c in rows if c.kind == data["kind"]]
    if data["zero"]:
        rows = [c for c in rows if figs[c.pk].zero == (data["zero"] == "1")]
    since, until = places.window(period.start, period.end)
    leads = Lead.objects.visible_to(request.user).filter(occurred_at__gte=since, occurred_at__lt=until)
    solved = sum(places.solved_case_counts(leads).values())
    caught = sum(places.caught_counts(leads).values())
    rate = places.Rate(zero=zero_compounds, total=compounds)
    page = Paginator(rows, PAGE_SIZE).get_page(data["page"])
    return render(
        request,
        "communities/list.html",
        {
            "nav": "communities",
            "period": period,
            "filters": data,
            "kinds": Community.Kind.choices,
            "rate": rate,
            "page": page,
            "lead_total": leads.count(),
            "solved": solved,
            "caught": caught,
            "can_add": request.user.role in ("station", "leader") or request.user.is_superuser,
            "q": urlencode({"period": period.code}),
        },
    )


def _class_rows(f: places.Figures, base: str) -> list[dict]:
    return [
        {
            "code": code,
            "label": label,
            "count": f.by_class.get(code, 0),
            "counts": code in places.COUNTING_CLASSES,
            "url": f"{base}&{urlencode({'class': code})}",
        }
        for code, label in IncidentClass.choices
    ]


@login_required
@require_safe
def community_detail(request, pk):
    """One community's page: incidents by class, cases by kind, leads by outcome, the cases its
    leads solved and the arrests, each linking to the records; the outline and devices on a map."""
    c = get_object_or_404(_visible(request), pk=pk)
    try:
        _data, period = _filters(request)
    except ActionError as error:
        return _bad(request, error)
    f = places.figures([c], period.start, period.end, details=True)[c.pk]
    q = urlencode({"period": period.code})
    incidents_url = reverse("communities:incidents", args=[c.pk]) + "?" + q
    cases_url = reverse("communities:cases", args=[c.pk]) + "?" + q
    leads_url = reverse("communities:leads", args=[c.pk]) + "?" + q
    return render(
        request,
        "communities/detail.html",
        {
            "nav": "communities",
            "c": c,
            "f": f,
            "period": period,
            "classes": _class_rows(f, incidents_url),
            "counting_url": incidents_url + "&class=counting",
            "incidents_url": incidents_url,
            "cases": [
                {"label": label, "count": f.cases.get(code, 0), "url": f"{cases_url}&case_kind={code}"}
                for code, label in CaseKind.choices
            ],
            "leads": [
                {"label": label, "count": f.leads.get(code, 0), "url": f"{leads_url}&status={code}"}
                for code, label in Lead.Status.choices
            ],
            "solved_url": f"{leads_url}&solved=1",
            "caught_url": f"{leads_url}&status={Lead.Status.ARREST}",
            "workers": c.grid_workers.filter(active=True),
            "buildings": c.buildings.all(),
            "access_points": c.access_points.all(),
            "map_points": [
                {"lat": a.lat, "lon": a.lon, "name": a.name, "kind": a.get_kind_display()}
                for a in c.access_points.all()
            ],
            "editable": can_edit(request.user, c.station),
        },
    )


@login_required
@require_safe
def community_incidents(request, pk):
    """The incidents behind a figure of the community page (a class, or 'counting': 刑事 and 治安)."""
    c = get_object_or_404(_visible(request), pk=pk)
    try:
        data, period = _filters(request)
    except ActionError as error:
        return _bad(request, error)
    klass = data["class"]
    if klass == "counting":
        klasses, label = places.COUNTING_CLASSES, _("刑事、治安（计入零发案）")
    elif klass in IncidentClass.values:
        klasses, label = (klass,), IncidentClass(klass).label
    elif not klass:
        klasses, label = None, _("全部类别")
    else:
        return _bad(request, ActionError(_("警情类别不存在"), field="class"))
    ids = places.incident_ids(c, period.start, period.end, klasses)
    records = Incident.objects.filter(pk__in=ids).select_related("category", "station").order_by("-received_at")
    page = Paginator(records, PAGE_SIZE).get_page(data["page"])
    return render(
        request,
        "communities/records.html",
        {"nav": "communities", "c": c, "period": period, "label": label, "page": page, "family": "incident"},
    )


@login_required
@require_safe
def community_cases(request, pk):
    """The cases behind a figure: accepted from the community's incidents of the period."""
    from anmin.cases.models import Case

    c = get_object_or_404(_visible(request), pk=pk)
    try:
        data, period = _filters(request)
    except ActionError as error:
        return _bad(request, error)
    ids = places.incident_ids(c, period.start, period.end)
    records = Case.objects.filter(incident_id__in=ids).select_related("organization", "incident")
    label = _("全部案件")
    if data["case_kind"]:
        if data["case_kind"] not in CaseKind.values:
            return _bad(request, ActionError(_("案件类型不存在"), field="case_kind"))
        records = records.filter(kind=data["case_kind"])
        label = CaseKind(data["case_kind"]).label
    page = Paginator(records.order_by("-accepted_at"), PAGE_SIZE).get_page(data["page"])
    return render(
        request,
        "communities/records.html",
        {"nav": "communities", "c": c, "period": period, "label": label, "page": page, "family": "case"},
    )


@login_required
@require_safe
def community_leads(request, pk):
    """The community's leads of the period (by outcome, or those that solved a case), each with
    the form to record what it came to."""
    c = get_object_or_404(_visible(request), pk=pk)
    try:
        data, period = _filters(request)
    except ActionError as error:
        return _bad(request, error)
    since, until = places.window(period.start, period.end)
    leads = Lead.objects.filter(community=c, occurred_at__gte=since, occurred_at__lt=until)
    label = _("全部线索")
    if data["status"]:
        leads = leads.filter(status=data["status"])
        label = Lead.Status(data["status"]).label
    if data["solved"]:
        leads = places.solved_leads(leads)
        label = _("线索破案")
    leads = leads.select_related("source", "access_point", "case", "incident")
    page = Paginator(leads, PAGE_SIZE).get_page(data["page"])
    for lead in page:
        lead.plate_masked = mask_plate(lead.plate)
    return render(
        request,
        "communities/leads.html",
        {
            "nav": "communities",
            "c": c,
            "period": period,
            "label": label,
            "page": page,
            "statuses": [(k, v) for k, v in Lead.Status.choices if k != Lead.Status.NEW],
        },
    )


@login_required
@require_POST
def mark_lead(request, pk):
    lead = get_object_or_404(Lead.objects.visible_to(request.user).select_related("community"), pk=pk)
    back = reverse("communities:leads", args=[lead.community_id])
    try:
        data = valid(MarkLeadForm(request.POST))
        MarkLead(by=request.user, lead=lead, **data).execute()
    except ActionError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("已记录核查结果"))
    return redirect(back)


def _community_form_page(request, community: Community | None):
    initial = {}
    if community is not None:
        initial = {
            "name": community.name,
            "kind": community.kind,
            "station": community.station_id,
            "lat": community.lat,
            "lon": community.lon,
            "boundary": "" if not community.boundary else json.dumps(community.boundary),
            "radius_m": community.radius_m,
            "officer": community.officer_id,
            "households": community.households,
        }
    form = CommunityForm(request.POST or None, user=request.user, initial=initial)
    error = None
    if request.method == "POST":
        try:
            data = valid(form)
            saved = SaveCommunity(by=request.user, data=data, community=community).execute()
        except ActionError as e:
            error = e
        else:
            messages.success(request, _("已保存社区「%(name)s」") % {"name": saved.name})
            return redirect("communities:detail", saved.pk)
    return render(
        request,
        "communities/form.html",
        {"nav": "communities", "form": form, "c": community, "error": error},
        status=400 if error else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def community_new(request):
    """建档: a new 小区 or 村 of a station the officer keeps."""
    return _community_form_page(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def community_edit(request, pk):
    community = get_object_or_404(_visible(request), pk=pk)
    if not can_edit(request.user, community.station):
        raise Http404
    return _community_form_page(request, community)


PARTS = {
    "worker": (GridWorkerForm, lambda by, c, d: AddGridWorker(by=by, community=c, **d)),
    "building": (BuildingForm, lambda by, c, d: AddBuilding(by=by, community=c, data=d)),
    "access": (AccessPointForm, lambda by, c, d: AddAccessPoint(by=by, community=c, data=d)),
    "source": (LeadSourceForm, lambda by, c, d: RegisterLeadSource(by=by, community=c, name=d["name"])),
}


@login_required
@require_http_methods(["GET", "POST"])
def community_parts(request, pk, part: str | None = None):
    """网格员、楼栋、出入口设备 and 线索来源系统 of a community: one form each, each posting to its own
    route (`parts/<part>/`, the part named by the URL, not by a hidden field) and its own action.
    A lead source's key is shown on this page once, right after it is issued."""
    community = get_object_or_404(_visible(request), pk=pk)
    if not can_edit(request.user, community.station):
        raise Http404
    if (request.method == "POST") != (part is not None):
        return HttpResponseNotAllowed(["POST"] if part else ["GET"])
    forms = {name: form_class(prefix=name) for name, (form_class, _make) in PARTS.items()}
    error, issued = None, None
    if part is not None:
        form_class, make = PARTS[part]
        forms[part] = form_class(request.POST, prefix=part)
        try:
            data = valid(forms[part])
            result = make(request.user, community, data).execute()
        except ActionError as e:
            error = e
        else:
            if part == "source":
                issued = result[1]
                forms[part] = form_class(prefix=part)
            else:
                messages.success(request, _("已登记"))
                return redirect("communities:parts", community.pk)
    return render(
        request,
        "communities/parts.html",
        {
            "nav": "communities",
            "c": community,
            "forms": forms,
            "error": error,
            "issued": issued,
            "sources": community.lead_sources.all(),
            "workers": community.grid_workers.all(),
        },
        status=400 if error else 200,
    )
