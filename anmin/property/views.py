"""Screens for seized property: a case's register (登记、照片、保管链、标签打印) and the 回头看 page
with the property approvals waiting for a leader.

Each form of the register posts to a URL of its own and is read through its form in
`anmin.property.forms`; a refused request shows the register again (status 400, or 403/409 as the
action says) with the message inside the form that was sent.
"""

from collections.abc import Mapping

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.http import require_POST, require_safe

from anmin.cases.actions import can_handle
from anmin.cases.forms import DecisionForm
from anmin.cases.models import Case
from anmin.core import approvals
from anmin.core.errors import ActionError
from anmin.core.forms import clean
from anmin.property.actions import AddItemPhoto, DecidePropertyApproval, RecordCustody, RegisterItem
from anmin.property.custody import available_steps
from anmin.property.forms import CustodyForm, PhotosForm, RegisterForm
from anmin.property.models import MAX_PHOTOS_PER_ITEM, ItemKind, PropertyApproval, SeizedItem
from anmin.property.reports import review


def _visible_case(request, pk) -> Case:
    return get_object_or_404(Case.objects.visible_to(request.user).select_related("organization"), pk=pk)


@login_required
@require_safe
def case_property(request, pk):
    """涉案财物登记簿 of one case: items with their photos, custody state and next steps; registration."""
    return _register_page(request, _visible_case(request, pk))


def _register_page(
    request,
    case: Case,
    *,
    failed: str = "",
    item_id: int | None = None,
    error: ActionError | None = None,
    values: Mapping | None = None,
) -> HttpResponse:
    """The register; after a refused form, `failed` (and `item_id` for an item's own forms) says where
    the page puts `error`, and `values` refills what was typed."""
    items = list(
        SeizedItem.objects.filter(case=case)
        .select_related("registered_by")
        .prefetch_related("photos")
        .order_by("label_code")
    )
    for item in items:
        item.steps = available_steps(item.status)
    if error and failed != "register" and item_id not in {item.pk for item in items}:
        failed = "page"  # the item is not one of this case's: the message goes on top
    return render(
        request,
        "property/case.html",
        {
            "nav": "cases",
            "case": case,
            "items": items,
            "kinds": ItemKind.choices,
            "error": error,
            "failed": failed if error else "",
            "failed_item": item_id,
            "values": values or {},
            "can_handle": can_handle(request.user, case),
            "max_photos": MAX_PHOTOS_PER_ITEM,
        },
        status=error.status if error else 200,
    )


class RegisterOperation(LoginRequiredMixin, View):
    """One form of the register: POST only, read through `form_class`, carried out by `perform`."""

    http_method_names = ["post"]
    #: The name the page uses to put the error back inside the right form.
    name: str
    form_class: type[forms.Form]

    def post(self, request, pk: int) -> HttpResponse:
        case = _visible_case(request, pk)
        data: dict = {}
        try:
            data = clean(self.form_class, request.POST, request.FILES)
            self.perform(case, data)
        except ActionError as exc:
            return _register_page(
                request, case, failed=self.name, item_id=data.get("item"), error=exc, values=request.POST
            )
        return redirect("property:case", pk=case.pk)

    def item(self, case: Case, pk: int) -> SeizedItem:
        """One of the case's items (the id comes from a hidden field: any other is a 404)."""
        return get_object_or_404(SeizedItem.objects.filter(case=case), pk=pk)

    def perform(self, case: Case, data: dict) -> None:
        raise NotImplementedError


class Register(RegisterOperation):
    """登记涉案财物, with photos."""

    name, form_class = "register", RegisterForm

    def perform(self, case, data):
        item = RegisterItem(by=self.request.user, case=case, **data).execute()
        messages.success(self.request, _("已登记：%(code)s") % {"code": item.label_code})


class AddPhotos(RegisterOperation):
    """添加照片 to an item already registered."""

    name, form_class = "photos", PhotosForm

    def perform(self, case, data):
        item = self.item(case, data["item"])
        added = AddItemPhoto(item=item, photos=data["photos"], caption=data["caption"], by=self.request.user).execute()
        messages.success(
            self.request, _("已为 %(code)s 添加 %(count)s 张照片") % {"code": item.label_code, "count": len(added)}
        )


class Custody(RegisterOperation):
    """One step of the custody chain; a step that needs a leader files an approval request instead."""

    name, form_class = "custody", CustodyForm

    def perform(self, case, data):
        result = RecordCustody(
            item=self.item(case, data["item"]),
            action=data["action"],
            location=data["location"],
            counterpart=data["counterpart"],
            note=data["note"],
            by=self.request.user,
        ).execute()
        if result.approval is not None:
            messages.info(self.request, _("已提交审批申请，批准后再办理该步骤"))


def _review_page(request, *, failed: int | None = None, error: ActionError | None = None) -> HttpResponse:
    report = review(request.user)
    pending = PropertyApproval.objects.inbox_of(request.user).select_related("item__case", "requested_by")
    context = {"nav": "property", "report": report, **approvals.inbox_context(pending, failed=failed, error=error)}
    return render(request, "property/review.html", context, status=error.status if error else 200)


@login_required
@require_safe
def property_review(request):
    """回头看: items past their hand-over limit, lent and not returned, undisposed after the case
    closed — and, for leaders, the property approvals waiting for them."""
    return _review_page(request)


@login_required
@require_POST
def property_decide(request, pk):
    """批准 or 不批准 a property request; a refusal shows the page again with the message at it."""
    approval = get_object_or_404(PropertyApproval.objects.visible_to(request.user).select_related("item"), pk=pk)
    try:
        data = clean(DecisionForm, request.POST)
        DecidePropertyApproval(
            approval=approval, approve=data["decision"] == "approve", note=data["note"], by=request.user
        ).execute()
    except ActionError as exc:
        return _review_page(request, failed=approval.pk, error=exc)
    messages.success(request, _("已处理审批：%(code)s") % {"code": approval.item.label_code})
    return redirect("property:review")
