"""审批: the one approval workflow that cases (立案、撤案、强制措施、延长期限) and seized property
(调用出库、发还、没收、销毁) share.

A step the law reserves to a leader is asked for by the officer handling the matter and decided by
someone else who holds an approving role over it: nobody approves their own request, a matter has
at most one open request, and a request is decided once, under a row lock, so two leaders pressing
批准 at the same moment cannot both decide it. The domains differ only in what a request is about
(a case or an item: the model's `subject_field`), what makes a granted request stale, and what a
decision does; those are the hooks of `DecideApproval`. Everything else lives here, so a rule
fixed in one domain cannot stay broken in the other.

`core` imports no domain app: the subject's model is found through the foreign key the concrete
model declares, and is expected to have a `visible_to(user)` queryset like every domain model.
"""

from datetime import datetime
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Schema

from anmin.core.actions import Action
from anmin.core.errors import ActionError, Conflict, Denied
from anmin.core.validation import clean_text

#: The longest 审批意见 an approver may write.
MAX_DECISION_NOTE = 500


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", gettext_lazy("待审批")
    APPROVED = "approved", gettext_lazy("已批准")
    REJECTED = "rejected", gettext_lazy("不批准")


class ApprovalQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(status=ApprovalStatus.PENDING)

    def open(self):
        """Requests that still hold their matter: see `Approval.OPEN`."""
        return self.filter(self.model.OPEN)

    def visible_to(self, user):
        """Requests about subjects (cases, items) the user can see."""
        return self.filter(**{f"{self.model.subject_field}__in": self.model.subject_model().objects.visible_to(user)})

    def inbox_of(self, user):
        """Pending requests this user may decide: in their scope, asked by someone else."""
        if not getattr(user, "can_approve", False):
            return self.none()
        return self.pending().visible_to(user).exclude(requested_by=user)


class Approval(models.Model):
    """What every request for approval records: the reason, who asked and when, who decided, when
    and with what note. A concrete model adds the foreign key to its subject (named by
    `subject_field`), what is asked for, and the constraint that keeps one open request per matter
    (condition `OPEN`)."""

    #: The foreign key to what the request is about.
    subject_field: ClassVar[str] = ""
    #: Which requests still hold their matter, so that a second one for it is refused: a pending
    #: one here; property also counts an approval granted and not yet used.
    OPEN: ClassVar[Q] = Q(status="pending")

    Status = ApprovalStatus

    reason = models.TextField(gettext_lazy("申请理由"), max_length=2000)
    status = models.CharField(
        gettext_lazy("状态"), max_length=10, choices=ApprovalStatus.choices, default=ApprovalStatus.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=gettext_lazy("申请人"), related_name="+", on_delete=models.PROTECT
    )
    requested_at = models.DateTimeField(gettext_lazy("申请时间"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=gettext_lazy("审批人"),
        related_name="+",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    decided_at = models.DateTimeField(gettext_lazy("审批时间"), null=True, blank=True)
    decision_note = models.CharField(gettext_lazy("审批意见"), max_length=MAX_DECISION_NOTE, blank=True)

    class Meta:
        abstract = True
        ordering = ["-requested_at"]

    @classmethod
    def subject_model(cls) -> type[models.Model]:
        return cls._meta.get_field(cls.subject_field).related_model

    @property
    def subject_id(self) -> int:
        return getattr(self, f"{self.subject_field}_id")


def refuse_second_request(requests: ApprovalQuerySet, label: str, *, field: str = "action") -> None:
    """Refuse a request for a matter that already has an open one (`requests`: those of the same
    subject and matter). The caller holds the subject's row lock, so two officers asking at once
    queue here; the partial unique index is the backstop for any writer that does not."""
    for approval in requests.open().select_for_update():
        if approval.status == ApprovalStatus.PENDING:
            raise Conflict(_("已有待审批的“%(label)s”申请") % {"label": label}, field=field)
        raise Conflict(_("“%(label)s”已经批准，可以直接办理") % {"label": label}, field=field)


class DecideApproval(Action):
    """审批: approve or reject a pending request. Nobody approves their own request; the approver
    must hold an approving role over the subject's unit. The request and its subject are locked
    before the decision, so of two decisions at the same moment the second finds it decided.

    A domain sets `model` and `audit_action`, and fills the hooks: `refuse_stale()` (a request
    that the subject's state no longer allows cannot be approved), `apply()` (what the decision
    does to the subject) and `audit_data()`."""

    model: ClassVar[type[Approval]]
    #: The refusal for an approver who cannot see the subject ("无权审批该案件").
    not_in_scope: ClassVar[str]

    def __init__(self, *, approval: Approval, approve: bool, by, note: str = "", at: datetime | None = None):
        self.approval = approval
        self.approve = approve
        self.by = by
        self.note = note
        self.at = at

    def check(self) -> None:
        if not isinstance(self.approve, bool):
            raise ActionError(_("请选择批准或不批准"), field="approve")
        if not (self.by and self.by.is_authenticated and self.by.can_approve):
            raise Denied(_("只有具有审批权限的领导可以审批"))
        subjects = self.model.subject_model().objects.visible_to(self.by)
        if not subjects.filter(pk=self.approval.subject_id).exists():
            raise Denied(str(self.not_in_scope))
        if self.approval.requested_by_id == self.by.pk:
            raise Denied(_("不能审批自己提出的申请"), code="self_approval")

    def run(self) -> Approval:
        approval = self.model.objects.select_for_update().get(pk=self.approval.pk)
        if approval.status != ApprovalStatus.PENDING:
            raise ActionError(_("该申请已经处理"), field="approve", code="decided")
        note = clean_text(self.note, "note", _("审批意见"), MAX_DECISION_NOTE, required=not self.approve)
        now = self.at or timezone.now()
        subject = self.model.subject_model().objects.select_for_update().get(pk=approval.subject_id)
        if self.approve:
            self.refuse_stale(approval, subject)
        approval.status = ApprovalStatus.APPROVED if self.approve else ApprovalStatus.REJECTED
        approval.decided_by = self.by
        approval.decided_at = now
        approval.decision_note = note
        approval.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        self.apply(approval, subject, note, now)
        self.audit(approval, {"approved": self.approve, **self.audit_data(approval, subject)})
        return approval

    def refuse_stale(self, approval: Approval, subject: models.Model) -> None:
        """Raise ActionError (code "stale") if the subject has moved on and the request can no
        longer be approved. Only asked when approving: a refusal is always possible."""

    def apply(self, approval: Approval, subject: models.Model, note: str, now: datetime) -> None:
        """What the decision (already saved on `approval`) does to the subject."""

    def audit_data(self, approval: Approval, subject: models.Model) -> dict[str, Any]:
        """The audit entry's data besides `approved`."""
        return {}


def inbox_context(pending: ApprovalQuerySet, *, failed: int | None, error: ActionError | None) -> dict:
    """What an inbox page shows: the requests waiting (oldest first) and, after a refused decision,
    its message beside that request, or on top when the request is not in this inbox (not the
    user's to decide), where it would otherwise show nowhere."""
    pending = list(pending.order_by("requested_at", "id"))
    on_page = any(a.pk == failed for a in pending)
    return {"pending": pending, "failed": failed, "error": error, "error_on_top": bool(error) and not on_page}


# --- the API's side: one shape for every domain's requests and decisions ---------------------------


class DecisionIn(Schema):
    approve: bool
    note: str = Field("", max_length=2000)


class ApprovalFieldsOut(Schema):
    """The fields every request shows; a domain's schema adds what it is about."""

    id: int
    reason: str
    status: str
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str


def approval_fields(approval: Approval) -> dict:
    return {
        "id": approval.pk,
        "reason": approval.reason,
        "status": approval.status,
        "requested_by": approval.requested_by.audit_label,
        "requested_at": approval.requested_at,
        "decided_by": approval.decided_by.audit_label if approval.decided_by else None,
        "decided_at": approval.decided_at,
        "decision_note": approval.decision_note,
    }


def _with_people(model: type[Approval]):
    return model.objects.select_related(model.subject_field, "requested_by", "decided_by")


def inbox(model: type[Approval], user) -> list[Approval]:
    """The requests waiting for `user`'s decision, oldest first."""
    return list(_with_people(model).inbox_of(user).order_by("requested_at", "id"))


def decide(action: type[DecideApproval], request, approval_id: int, payload: DecisionIn) -> Approval:
    """Decide request `approval_id` as the API's caller; one outside their scope is a 404, as any
    object they cannot see. Returns the request as decided."""
    model = action.model
    approval = get_object_or_404(model.objects.visible_to(request.user), pk=approval_id)
    action(approval=approval, approve=payload.approve, note=payload.note, by=request.user).execute()
    return _with_people(model).get(pk=approval.pk)
