"""Screens for seized property: a case's register (登记、照片、保管链、标签打印) and the 回头看 page
with the property approvals waiting for a leader."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from anmin.cases.actions import can_handle
from anmin.cases.models import Case
from anmin.core.errors import ActionError
from anmin.property.actions import AddItemPhoto, DecidePropertyApproval, RecordCustody, RegisterItem
from anmin.property.custody import available_steps
from anmin.property.models import MAX_PHOTOS_PER_ITEM, ItemKind, PropertyApproval, SeizedItem
from anmin.property.reports import review

REGISTER_FIELDS = ("kind", "description", "quantity", "unit", "estimated_value", "owner_name", "owner_id_number")


@login_required
@require_http_methods(["GET", "POST"])
def case_property(request, pk):
    """涉案财物登记簿 of one case: items with their photos, custody state and next steps; registration."""
    case = get_object_or_404(Case.objects.visible_to(request.user).select_related("organization"), pk=pk)
    error, values = None, {}
    if request.method == "POST":
        op = request.POST.get("op")
        try:
            if op == "register":
                values = {k: request.POST.get(k, "") for k in REGISTER_FIELDS}
                photos = request.FILES.getlist("photos")
                item = RegisterItem(by=request.user, case=case, photos=photos, **values).execute()
                messages.success(request, _("已登记：%(code)s") % {"code": item.label_code})
            elif op == "photos":
                item = get_object_or_404(SeizedItem.objects.filter(case=case), pk=request.POST.get("item") or 0)
                added = AddItemPhoto(
                    item=item,
                    photos=request.FILES.getlist("photos"),
                    caption=request.POST.get("caption", ""),
                    by=request.user,
                ).execute()
                messages.success(
                    request,
                    _("已为 %(code)s 添加 %(count)s 张照片") % {"code": item.label_code, "count": len(added)},
                )
            else:
                item = get_object_or_404(SeizedItem.objects.filter(case=case), pk=request.POST.get("item") or 0)
                result = RecordCustody(
                    item=item,
                    action=request.POST.get("action", ""),
                    location=request.POST.get("location", ""),
                    counterpart=request.POST.get("counterpart", ""),
                    note=request.POST.get("note", ""),
                    by=request.user,
                ).execute()
                if result.approval is not None:
                    messages.info(request, _("已提交审批申请，批准后再办理该步骤"))
        except ActionError as exc:
            error = exc
        else:
            return redirect("case-property", pk=case.pk)
    items = list(
        SeizedItem.objects.filter(case=case)
        .select_related("registered_by")
        .prefetch_related("photos")
        .order_by("label_code")
    )
    for item in items:
        item.steps = available_steps(item.status)
    return render(
        request,
        "property/case.html",
        {
            "nav": "cases",
            "case": case,
            "items": items,
            "kinds": ItemKind.choices,
            "error": error,
            "values": values,
            "can_handle": can_handle(request.user, case),
            "max_photos": MAX_PHOTOS_PER_ITEM,
        },
        status=400 if error else 200,
    )


@login_required
def property_review(request):
    """回头看: items past their hand-over limit, lent and not returned, undisposed after the case
    closed — and, for leaders, the property approvals waiting for them."""
    report = review(request.user)
    pending = (
        PropertyApproval.objects.inbox_of(request.user)
        .select_related("item__case", "requested_by")
        .order_by("requested_at")
    )
    return render(request, "property/review.html", {"nav": "property", "report": report, "pending": pending})


@login_required
@require_POST
def property_decide(request, pk):
    approval = get_object_or_404(
        PropertyApproval.objects.filter(item__in=SeizedItem.objects.visible_to(request.user)), pk=pk
    )
    decision = request.POST.get("decision")
    try:
        DecidePropertyApproval(
            approval=approval,
            approve={"approve": True, "reject": False}.get(decision, decision),
            note=request.POST.get("note", ""),
            by=request.user,
        ).execute()
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已处理审批：%(code)s") % {"code": approval.item.label_code})
    return redirect("property-review")
