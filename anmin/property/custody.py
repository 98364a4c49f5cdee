"""The custody chain of seized property (涉案财物保管链) as an explicit state machine.

    seized ──移交保管──▶ handed_over ──入库──▶ stored ──调用出库*──▶ lent
    (已扣押)            (已移交保管)          (在库)  ◀──归还入库───  (调用中)
                                               │
                                               ├──发还*──▶ disposed (已处置)
                                               ├──没收*──▶ disposed
                                               └──销毁*──▶ disposed
    * needs a leader's approval first

Basis: 《公安机关涉案财物管理若干规定》(公通字〔2015〕21号):
- 办案与保管相分离: the investigator who seized an item hands it to the property keeper
  (涉案财物管理人员) within 24 hours of taking it, and the keeper stores it (移交 → 入库). The
  DESIGN table cites art. 12 for this; the text we could check numbers the articles differently
  (art. 12 is the 24-hour report of property *not* held by the police — 查封、冻结、先行登记保存), so
  the hand-over rule is cited here by the regulation's name only.
- art. 11: 调用 (taking an item out for 讯问、鉴定、辨认…) needs the approval of the head of the
  handling unit, and the keeper checks the item when it comes back (归还).
- art. 14: 返还、没收上缴、销毁 and the other ways property leaves police hands.

Every edge is data, so the report, the API (which actions are possible now) and the action that
moves an item all read the same table: an item can only ever take the next step, never skip one.
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class CustodyStatus(models.TextChoices):
    SEIZED = "seized", _("已扣押待移交")
    HANDED_OVER = "handed_over", _("已移交保管")
    STORED = "stored", _("在库")
    LENT = "lent", _("调用出库")
    DISPOSED = "disposed", _("已处置")


class CustodyAction(models.TextChoices):
    SEIZE = "seize", _("扣押登记")
    HAND_OVER = "hand_over", _("移交保管")
    STORE = "store", _("入库")
    LEND = "lend", _("调用出库")
    RETURN = "return", _("归还入库")
    RETURN_TO_OWNER = "return_to_owner", _("发还")
    CONFISCATE = "confiscate", _("没收")
    DESTROY = "destroy", _("销毁")


@dataclass(frozen=True)
class Step:
    """One edge of the chain. `counterpart` and `location` say which of those fields the step needs:
    the keeper who takes an item over, the shelf it is stored on, the person it is lent or returned to."""

    action: str
    sources: tuple[str, ...]
    target: str
    needs_approval: bool = False
    needs_location: bool = False
    needs_counterpart: bool = False

    @property
    def label(self) -> str:
        return str(CustodyAction(self.action).label)


S, A = CustodyStatus, CustodyAction

STEPS: tuple[Step, ...] = (
    # The first event (SEIZE) is written by registration itself, so it is no edge here.
    Step(A.HAND_OVER, (S.SEIZED,), S.HANDED_OVER, needs_counterpart=True),
    Step(A.STORE, (S.HANDED_OVER,), S.STORED, needs_location=True),
    Step(A.LEND, (S.STORED,), S.LENT, needs_approval=True, needs_counterpart=True),
    Step(A.RETURN, (S.LENT,), S.STORED, needs_location=True, needs_counterpart=True),
    Step(A.RETURN_TO_OWNER, (S.STORED,), S.DISPOSED, needs_approval=True, needs_counterpart=True),
    Step(A.CONFISCATE, (S.STORED,), S.DISPOSED, needs_approval=True),
    Step(A.DESTROY, (S.STORED,), S.DISPOSED, needs_approval=True),
)

#: The ways an item leaves police hands for good.
DISPOSALS = (A.RETURN_TO_OWNER, A.CONFISCATE, A.DESTROY)

#: 24 hours from taking an item to handing it to the keeper (《公安机关涉案财物管理若干规定》).
HAND_OVER_HOURS = 24


def step_for(action: str) -> Step | None:
    for step in STEPS:
        if step.action == action:
            return step
    return None


def available_steps(status: str) -> list[Step]:
    return [step for step in STEPS if status in step.sources]
