"""Report periods as Chinese statistics write them, and their 同比/环比 baselines.

A period is written `2021` (year), `2021-Q1` (quarter), `2021-03` (month), `2021-W09` (ISO week,
Monday to Sunday), `2021-03-01` (day) or `2021-03-01..2021-03-15` (custom, both ends included).

同比 (yoy) compares with the same period a year earlier: the same quarter, month or ISO week number
(week 53 of a year that has none becomes week 52); a day or custom range moves back one calendar
year, 29 February becoming 28 February. 环比 (pop) compares with the period just before: the
previous year, quarter, month, week or day, or for a custom range the same number of days ending
the day before it starts.

Periods lie within the years 1000–9998, and so must their baselines: a four-digit year is what the
forms accept, and a day bound is the next day's midnight converted to UTC, which for 31 December
9999 (or a baseline stepping back from year 1) is past what `datetime` holds — those were 500s.
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.translation import gettext as _

from anmin.core.errors import ActionError

MAX_DAYS = 366 * 20
#: The first and last year a period (or its baseline) may touch.
MIN_YEAR = 1000
MAX_YEAR = 9998


class Kind:
    YEAR = "year"
    QUARTER = "quarter"
    MONTH = "month"
    WEEK = "week"
    DAY = "day"
    CUSTOM = "custom"


@dataclass(frozen=True)
class Period:
    kind: str
    start: date
    end: date  # included

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def code(self) -> str:
        s = self.start
        if self.kind == Kind.YEAR:
            return f"{s.year}"
        if self.kind == Kind.QUARTER:
            return f"{s.year}-Q{(s.month - 1) // 3 + 1}"
        if self.kind == Kind.MONTH:
            return f"{s:%Y-%m}"
        if self.kind == Kind.WEEK:
            year, week, _day = s.isocalendar()
            return f"{year}-W{week:02d}"
        if self.kind == Kind.DAY:
            return s.isoformat()
        return f"{s.isoformat()}..{self.end.isoformat()}"

    @property
    def label(self) -> str:
        """The period as a Chinese report heads it: 2021年第1季度, 2021年3月1日至15日, …"""
        s, e = self.start, self.end
        if self.kind == Kind.YEAR:
            return _("%(y)d年") % {"y": s.year}
        if self.kind == Kind.QUARTER:
            return _("%(y)d年第%(q)d季度") % {"y": s.year, "q": (s.month - 1) // 3 + 1}
        if self.kind == Kind.MONTH:
            return _("%(y)d年%(m)d月") % {"y": s.year, "m": s.month}
        if self.kind == Kind.WEEK:
            year, week, _day = s.isocalendar()
            return _("%(y)d年第%(w)d周（%(s)s至%(e)s）") % {
                "y": year,
                "w": week,
                "s": f"{s.month}月{s.day}日",
                "e": f"{e.month}月{e.day}日",
            }
        if self.kind == Kind.DAY:
            return _("%(y)d年%(m)d月%(d)d日") % {"y": s.year, "m": s.month, "d": s.day}
        return _("%(s)s至%(e)s") % {"s": f"{s.year}年{s.month}月{s.day}日", "e": f"{e.year}年{e.month}月{e.day}日"}

    def __str__(self):
        return self.code


def _bad(value: str, field: str) -> ActionError:
    return ActionError(
        _(
            "%(field)s「%(value)s」不是有效的统计期间：应为 2021、2021-Q1、2021-03、2021-W09、"  # noqa: E501
            "2021-03-01 或 2021-03-01..2021-03-15"
        )
        % {"field": field, "value": value[:40]},
        field=field,
        code="invalid",
    )


def _date(text: str, value: str, field: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _bad(value, field) from None


def _out_of_range(value: str, field: str) -> ActionError:
    return ActionError(
        _("%(field)s「%(value)s」超出范围：统计期间应在 %(low)d 年至 %(high)d 年之间")
        % {"field": field, "value": value.strip()[:40], "low": MIN_YEAR, "high": MAX_YEAR},
        field=field,
        code="out_of_range",
    )


def in_range(p: Period) -> bool:
    return p.start.year >= MIN_YEAR and p.end.year <= MAX_YEAR


def year(y: int) -> Period:
    return Period(Kind.YEAR, date(y, 1, 1), date(y, 12, 31))


def quarter(y: int, q: int) -> Period:
    start = date(y, 3 * q - 2, 1)
    return Period(Kind.QUARTER, start, _month_end(date(y, 3 * q, 1)))


def month(y: int, m: int) -> Period:
    start = date(y, m, 1)
    return Period(Kind.MONTH, start, _month_end(start))


def week(y: int, w: int) -> Period:
    start = date.fromisocalendar(y, w, 1)
    return Period(Kind.WEEK, start, start + timedelta(days=6))


def _month_end(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def parse(value: str, field: str = "period") -> Period:
    """The period `value` writes, within MIN_YEAR–MAX_YEAR; an ActionError naming `field` otherwise."""
    period = _parse(value, field)
    if not in_range(period):
        raise _out_of_range(value, field)
    return period


def _parse(value: str, field: str) -> Period:
    text = (value or "").strip()
    if not text:
        raise ActionError(_("%(field)s：请指定统计期间") % {"field": field}, field=field, code="required")
    # [0-9], not \d: \d also matches other scripts' digits ("٢٠٢١"), which int() reads but a period
    # code never contains.
    try:
        if m := re.fullmatch(r"([0-9]{4})", text):
            return year(int(m[1]))
        if m := re.fullmatch(r"([0-9]{4})-Q([1-4])", text, re.IGNORECASE):
            return quarter(int(m[1]), int(m[2]))
        if m := re.fullmatch(r"([0-9]{4})-([0-9]{2})", text):
            return month(int(m[1]), int(m[2]))
        if m := re.fullmatch(r"([0-9]{4})-W([0-9]{2})", text, re.IGNORECASE):
            return week(int(m[1]), int(m[2]))
    except OverflowError:  # the end of December 9999 is computed from 1 January 10000
        raise _out_of_range(value, field) from None
    except ValueError:
        raise _bad(value, field) from None
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        day = _date(text, value, field)
        return Period(Kind.DAY, day, day)
    if m := re.fullmatch(r"([0-9]{4}-[0-9]{2}-[0-9]{2})\.\.([0-9]{4}-[0-9]{2}-[0-9]{2})", text):
        start, end = _date(m[1], value, field), _date(m[2], value, field)
        if end < start:
            raise ActionError(
                _("%(field)s：结束日期 %(end)s 早于开始日期 %(start)s") % {"field": field, "end": end, "start": start},
                field=field,
                code="invalid",
            )
        if (end - start).days > MAX_DAYS:
            raise ActionError(_("%(field)s：统计期间不能超过 20 年") % {"field": field}, field=field, code="invalid")
        return Period(Kind.CUSTOM, start, end)
    raise _bad(value, field)


def _minus_year(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _no_baseline(p: Period, compare: str, field: str) -> ActionError:
    word = _("同比") if compare == "yoy" else _("环比")
    return ActionError(
        _("%(field)s：%(period)s的%(word)s基期早于 %(low)d 年，无法对比")
        % {"field": field, "period": p.label, "word": word, "low": MIN_YEAR},
        field=field,
        code="out_of_range",
    )


def _checked(p: Period, compare: str, field: str, step) -> Period:
    """`step(p)` if it stays within the years a period may touch, else an ActionError naming `field`.
    Baselines only step back, so only the first years can fall out (year 0 raises ValueError)."""
    try:
        base = step(p)
    except (ValueError, OverflowError):
        raise _no_baseline(p, compare, field) from None
    if not in_range(base):
        raise _no_baseline(p, compare, field)
    return base


def same_period_last_year(p: Period, field: str = "compare") -> Period:
    """同比 (an ActionError naming `field` when it would fall before MIN_YEAR)."""
    return _checked(p, "yoy", field, _last_year)


def previous_period(p: Period, field: str = "compare") -> Period:
    """环比 (an ActionError naming `field` when it would fall before MIN_YEAR)."""
    return _checked(p, "pop", field, _previous)


def _last_year(p: Period) -> Period:
    s = p.start
    if p.kind == Kind.YEAR:
        return year(s.year - 1)
    if p.kind == Kind.QUARTER:
        return quarter(s.year - 1, (s.month - 1) // 3 + 1)
    if p.kind == Kind.MONTH:
        return month(s.year - 1, s.month)
    if p.kind == Kind.WEEK:
        y, w, _day = s.isocalendar()
        weeks_last_year = date(y - 1, 12, 28).isocalendar()[1]
        return week(y - 1, min(w, weeks_last_year))
    return Period(p.kind, _minus_year(p.start), _minus_year(p.end))


def _previous(p: Period) -> Period:
    s = p.start
    if p.kind == Kind.YEAR:
        return year(s.year - 1)
    if p.kind == Kind.QUARTER:
        q = (s.month - 1) // 3 + 1
        return quarter(s.year - 1, 4) if q == 1 else quarter(s.year, q - 1)
    if p.kind == Kind.MONTH:
        return month(s.year - 1, 12) if s.month == 1 else month(s.year, s.month - 1)
    if p.kind == Kind.WEEK:
        start = s - timedelta(days=7)
        return Period(Kind.WEEK, start, start + timedelta(days=6))
    end = s - timedelta(days=1)
    return Period(p.kind, end - timedelta(days=p.days - 1), end)


def baseline(p: Period, compare: str | None) -> Period | None:
    if not compare:
        return None
    if compare == "yoy":
        return same_period_last_year(p)
    if compare == "pop":
        return previous_period(p)
    raise ActionError(_("compare 应为 yoy（同比）或 pop（环比）"), field="compare", code="invalid")


def split(p: Period) -> tuple[list[date], list[tuple[date, date]]]:
    """The whole months inside a period (read from the month table) and the day ranges left over
    at either end (read from the day table)."""
    months: list[date] = []
    ranges: list[tuple[date, date]] = []
    cursor = p.start
    if cursor.day != 1:
        head_end = min(_month_end(cursor), p.end)
        ranges.append((cursor, head_end))
        cursor = head_end + timedelta(days=1)
    while cursor <= p.end:
        last = _month_end(cursor)
        if last <= p.end:
            months.append(cursor)
            cursor = last + timedelta(days=1)
        else:
            ranges.append((cursor, p.end))
            break
    return months, ranges
