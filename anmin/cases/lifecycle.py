"""The case lifecycle as an explicit state machine (案件流程).

Criminal (刑事): 受案 → 立案 / 不予立案 → 侦查 → 破案 → 移送起诉 or 结案, and 撤案.
Administrative (行政/治安): 受案 → 调查 → 处罚决定 / 不予处罚 / 其他处理 → 结案.

Transitions the law reserves to a leader (立案, 不予立案, 撤案) are not applied by the officer who
asks for them: they become an approval request (审批) that another officer with the right to approve
decides (《公安机关办理刑事案件程序规定》: 立案、撤销案件须经县级以上公安机关负责人批准; the article
numbers are to be checked against the 2020 text before they are quoted to users).
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseKind(models.TextChoices):
    CRIMINAL = "criminal", _("刑事案件")
    ADMINISTRATIVE = "administrative", _("行政案件")


class CaseStatus(models.TextChoices):
    ACCEPTED = "accepted", _("已受案")
    FILED = "filed", _("已立案")
    DECLINED = "declined", _("不予立案")
    INVESTIGATING = "investigating", _("侦查中")
    SOLVED = "solved", _("已破案")
    PROSECUTION = "prosecution", _("已移送起诉")
    WITHDRAWN = "withdrawn", _("已撤案")
    UNDER_INQUIRY = "under_inquiry", _("调查中")
    PENALIZED = "penalized", _("已作出处罚决定")
    NOT_PENALIZED = "not_penalized", _("不予处罚")
    OTHER_HANDLING = "other_handling", _("其他处理")
    CLOSED = "closed", _("已结案")


@dataclass(frozen=True)
class Transition:
    """One edge of the lifecycle: `code` names the action (立案 = "file")."""

    code: str
    label: str
    kind: str
    sources: tuple[str, ...]
    target: str
    needs_approval: bool = False


S = CaseStatus
TRANSITIONS: tuple[Transition, ...] = (
    # Criminal
    Transition("file", _("立案"), CaseKind.CRIMINAL, (S.ACCEPTED,), S.FILED, needs_approval=True),
    Transition("decline", _("不予立案"), CaseKind.CRIMINAL, (S.ACCEPTED,), S.DECLINED, needs_approval=True),
    Transition("investigate", _("开始侦查"), CaseKind.CRIMINAL, (S.FILED,), S.INVESTIGATING),
    Transition("solve", _("破案"), CaseKind.CRIMINAL, (S.INVESTIGATING,), S.SOLVED),
    Transition("prosecute", _("移送起诉"), CaseKind.CRIMINAL, (S.SOLVED,), S.PROSECUTION),
    Transition("close", _("结案"), CaseKind.CRIMINAL, (S.SOLVED, S.PROSECUTION, S.DECLINED), S.CLOSED),
    Transition(
        "withdraw", _("撤案"), CaseKind.CRIMINAL, (S.FILED, S.INVESTIGATING, S.SOLVED), S.WITHDRAWN, needs_approval=True
    ),
    # Administrative
    Transition("inquire", _("开始调查"), CaseKind.ADMINISTRATIVE, (S.ACCEPTED,), S.UNDER_INQUIRY),
    Transition(
        "penalize", _("处罚决定"), CaseKind.ADMINISTRATIVE, (S.UNDER_INQUIRY,), S.PENALIZED, needs_approval=True
    ),
    Transition("not_penalize", _("不予处罚"), CaseKind.ADMINISTRATIVE, (S.UNDER_INQUIRY,), S.NOT_PENALIZED),
    Transition("other_handling", _("其他处理"), CaseKind.ADMINISTRATIVE, (S.UNDER_INQUIRY,), S.OTHER_HANDLING),
    Transition(
        "close",
        _("结案"),
        CaseKind.ADMINISTRATIVE,
        (S.PENALIZED, S.NOT_PENALIZED, S.OTHER_HANDLING),
        S.CLOSED,
    ),
)

FINAL_STATUSES = (S.CLOSED, S.WITHDRAWN)


def transition_for(kind: str, code: str) -> Transition | None:
    for transition in TRANSITIONS:
        if transition.kind == kind and transition.code == code:
            return transition
    return None


def available_transitions(kind: str, status: str) -> list[Transition]:
    return [t for t in TRANSITIONS if t.kind == kind and status in t.sources]
