"""回头看: the periodic look back over seized property for what has gone wrong or been forgotten.

Four lists, each limited to the items the user may see (SeizedItem.objects.visible_to):

- overdue_handover: still with the investigator more than 24 hours after it was taken — the
  regulation's hand-over limit (《公安机关涉案财物管理若干规定》, 2015: to the 涉案财物管理人员 within
  24 hours; see custody.py on the article number);
- late_handover: handed over, but after the 24 hours (the breach already happened and stays on record);
- lent_not_returned: 调用出库 more than `lent_days` days ago and not back (art. 11: the keeper reports
  an item not returned on time to the heads of the handling unit and of the property unit);
- undisposed_after_close: the case is closed or withdrawn but the item was never returned,
  confiscated or destroyed (art. 14: 及时办理 返还、没收、销毁…).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import F, QuerySet
from django.utils import timezone

from anmin.cases.lifecycle import FINAL_STATUSES
from anmin.property.custody import HAND_OVER_HOURS, CustodyStatus
from anmin.property.models import SeizedItem

DEFAULT_LENT_DAYS = 30


@dataclass
class Review:
    """The 回头看 report at `at`: four querysets of items, each in the order a supervisor works it."""

    at: datetime
    lent_days: int
    overdue_handover: QuerySet
    late_handover: QuerySet
    lent_not_returned: QuerySet
    undisposed_after_close: QuerySet

    def sections(self) -> dict[str, QuerySet]:
        return {
            "overdue_handover": self.overdue_handover,
            "late_handover": self.late_handover,
            "lent_not_returned": self.lent_not_returned,
            "undisposed_after_close": self.undisposed_after_close,
        }


def review(user, *, at: datetime | None = None, lent_days: int = DEFAULT_LENT_DAYS) -> Review:
    """Build the 回头看 report for `user` as of `at` (default now)."""
    if lent_days < 1:
        raise ValueError("lent_days must be at least 1")
    at = at or timezone.now()
    limit = timedelta(hours=HAND_OVER_HOURS)
    items = SeizedItem.objects.visible_to(user).select_related("case", "registered_by")
    overdue = items.filter(status=CustodyStatus.SEIZED, seized_at__lt=at - limit)
    # Compared in the database (F + interval) so the list costs one query however long it is.
    late = items.filter(handed_over_at__isnull=False, handed_over_at__gt=F("seized_at") + limit)
    lent = items.filter(status=CustodyStatus.LENT, status_since__lt=at - timedelta(days=lent_days))
    undisposed = items.filter(case__status__in=FINAL_STATUSES).exclude(status=CustodyStatus.DISPOSED)
    return Review(
        at=at,
        lent_days=lent_days,
        overdue_handover=overdue.order_by("seized_at", "id"),
        late_handover=late.order_by("-handed_over_at", "id"),
        lent_not_returned=lent.order_by("status_since", "id"),
        undisposed_after_close=undisposed.order_by("case__closed_at", "id"),
    )
