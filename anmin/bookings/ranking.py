"""The order in which exam seats are allocated (约考排序).

Basis: 《机动车驾驶人考试工作规范》 and the 公安部 交通管理局 rules for 预约考试 as the 车管所
apply them (互联网交通安全综合服务管理平台 “12123” 约考): when a session's booking window closes,
the requests are ranked and the seats go down the list; those without a seat are told and may ask
again for a later session.

* An applicant's **first booking of a subject** ranks by the date their driving-licence application
  was accepted (受理日期) — earlier first.
* **Otherwise** (they have held a seat for this subject before) they rank by the latest of their
  last exam, their last cancellation of an allocated seat and their last no-show (缺考) — earlier
  first: whoever has waited longest since they last used or wasted a seat goes first.
* Ties go to the earlier request (申请时间), then the lower row id so the order is total.

A first-timer's acceptance date and a repeater's last-event date are compared on one list, as the
rule orders "按时间先后" across both.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class RankKey:
    rank_date: date
    requested_at: datetime
    pk: int
    first_time: bool

    def sort_key(self) -> tuple:
        return (self.rank_date, self.requested_at, self.pk)


def rank_date(applicant, *, first_time: bool) -> date:
    """The date a booking ranks by (see the module docstring)."""
    if first_time:
        return applicant.accepted_on
    events = [d for d in (applicant.last_exam_on, applicant.last_cancelled_on, applicant.last_no_show_on) if d]
    # Held a seat but no date recorded (an imported history): the acceptance date is the fairest floor.
    return max(events) if events else applicant.accepted_on


def rank(bookings: Iterable, repeaters: set[int]) -> list:
    """`bookings` (with `.applicant` loaded) in allocation order; `repeaters` are the applicant ids
    who held a seat for this subject before. Sets `rank`, `rank_date` and `first_time` on each."""
    keyed = []
    for booking in bookings:
        first = booking.applicant_id not in repeaters
        key = RankKey(rank_date(booking.applicant, first_time=first), booking.requested_at, booking.pk, first)
        keyed.append((key.sort_key(), key, booking))
    keyed.sort(key=lambda item: item[0])
    ordered = []
    for position, (_sort, key, booking) in enumerate(keyed, start=1):
        booking.rank = position
        booking.rank_date = key.rank_date
        booking.first_time = key.first_time
        ordered.append(booking)
    return ordered
