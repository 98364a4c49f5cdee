"""Receivers of the case system's signals (connected in SupervisionConfig.ready).

They run inside the case action's transaction: a clock that cannot be written fails the action,
so a case is never, say, filed with its 立案审查 clock still running."""

from anmin.cases.models import ApprovalRequest, Case, Measure
from anmin.supervision import clocks


def on_case_opened(sender, *, case: Case, by=None, **kwargs) -> None:
    clocks.case_opened(case)


def on_case_transitioned(sender, *, case: Case, code: str, by=None, **kwargs) -> None:
    clocks.case_transitioned(case, code, by=by)


def on_measure_changed(sender, *, measure: Measure, change: str, by=None, **kwargs) -> None:
    clocks.measure_changed(measure, change, by=by)


def on_approval_decided(sender, *, approval: ApprovalRequest, approved: bool, by=None, **kwargs) -> None:
    from anmin.supervision.actions import EXTEND_PREFIX, decide_extension
    from anmin.supervision.models import ClockExtension

    if not approval.transition.startswith(EXTEND_PREFIX):
        return
    request = ClockExtension.objects.get(approval=approval)
    decide_extension(request, approved=approved, by=by, at=approval.decided_at)
