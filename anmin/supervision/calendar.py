"""The legal calendar: working days and the arithmetic of periods (期间的计算).

Conventions, following 刑事诉讼法 第一百零五条 (and the same rule in 《公安机关办理刑事案件程序规定》
and 《公安机关办理行政案件程序规定》):

* 期间以时、日、月计算；期间开始的时和日不算在期间以内. A period in days or months therefore
  starts counting on the day after the start day, and ends at the **end of its last day**:
  23:59:59 Asia/Shanghai (the law is Chinese law; the server's time zone does not matter).
* A period in hours is exact elapsed time from the start moment (民法典 第二百零一条第二款: 按照
  小时计算期间的，自法律规定的时间开始计算). Rounding up to the next whole hour would give a later
  deadline than some readings of the law allow, and this engine errs on the early side.
* A period in months ends on the corresponding day of the last month; where that month has no such
  day, on its last day (民法典 第二百零二条). 31 January + 1 month → 28 February.
* Working days: Monday–Friday, unless the State Council lists the date as a holiday; Saturday or
  Sunday, if listed as a 调休上班 day. Dates in years with no arrangement loaded are counted as plain
  Monday–Friday, and a deadline that depends on them is *provisional* (`deadlines.is_provisional`),
  shown as 暂按周一至周五计算 until the legal unit loads that year's notice (usually published in
  November) with `anmin calendar load FILE` or the admin.
* "期间的最后一日为节假日的，以节假日后的第一日为期满日期，但…在押期间…不得因节假日而延长":
  `roll_to_working_day` moves a deadline; whether it applies is a property of the rule
  (`TimeLimitRule.extends_past_holiday`), decided in `deadlines.py`. 节假日 includes ordinary
  weekends, so a period ending on a Sunday moves to Monday.

All functions take and return timezone-aware datetimes; a naive datetime is a bug and raises
ValueError rather than being guessed at.
"""

import calendar as std_calendar
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from anmin.core.cache import TtlCache

#: The time zone of the law. Deadlines are stated in it whatever TIME_ZONE says.
LEGAL_TZ = ZoneInfo("Asia/Shanghai")
#: A day-counted period ends at the end of its last day.
END_OF_DAY = time(23, 59, 59)
#: No State Council arrangement has more than nine consecutive days off; a longer search means a
#: broken calendar table, which must fail loudly rather than loop.
_MAX_DAYS_OFF = 60

#: {year: (holidays, make-up working days)}, per process; cleared on any CalendarDay change
#: (see SupervisionConfig.ready).
calendar_cache = TtlCache("legal-calendar", ttl=300)


def _require_aware(value: datetime, name: str = "start") -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return value.astimezone(LEGAL_TZ)


def _end_of(day: date) -> datetime:
    return datetime.combine(day, END_OF_DAY, tzinfo=LEGAL_TZ)


def _year_exceptions(year: int) -> tuple[frozenset[date], frozenset[date]]:
    def load() -> tuple[frozenset[date], frozenset[date]]:
        from anmin.supervision.models import CalendarDay, DayKind

        rows = CalendarDay.objects.filter(date__year=year).values_list("date", "kind")
        holidays = frozenset(d for d, kind in rows if kind == DayKind.HOLIDAY)
        workdays = frozenset(d for d, kind in rows if kind == DayKind.WORKDAY)
        return holidays, workdays

    return calendar_cache.get(year, load)


def year_is_loaded(year: int) -> bool:
    """Whether the State Council's arrangement for `year` is loaded. Every arrangement gives at least
    元旦 off, so a year with no rows has none."""
    holidays, workdays = _year_exceptions(year)
    return bool(holidays or workdays)


def missing_years(first: date, last: date) -> list[int]:
    """The years from `first` to `last` (inclusive) whose arrangement is not loaded."""
    return [year for year in range(first.year, last.year + 1) if not year_is_loaded(year)]


def unloaded_coming_years(today: date) -> list[int]:
    """This year and the next, where their arrangement is not loaded: what the legal unit (法制)
    is told to load, on the supervision board and in the admin, before deadlines fall in them."""
    return missing_years(today, today.replace(year=today.year + 1, month=1, day=1))


def is_working_day(day: date) -> bool:
    """True on Monday–Friday unless listed as a holiday, and on a weekend day listed as 调休上班."""
    if isinstance(day, datetime):
        day = _require_aware(day, "day").date()
    holidays, workdays = _year_exceptions(day.year)
    if day in holidays:
        return False
    if day in workdays:
        return True
    return day.weekday() < 5


def next_working_day(day: date) -> date:
    """`day` itself if it is a working day, else the first working day after it."""
    for offset in range(_MAX_DAYS_OFF):
        candidate = day + timedelta(days=offset)
        if is_working_day(candidate):
            return candidate
    raise ValueError(f"no working day within {_MAX_DAYS_OFF} days of {day}: check the holiday calendar")


def add_hours(start: datetime, n: int) -> datetime:
    """Exactly `n` hours after `start` (e.g. 拘留后二十四小时以内送看守所)."""
    _check_amount(n)
    return _require_aware(start) + timedelta(hours=n)


def add_calendar_days(start: datetime, n: int) -> datetime:
    """End of the `n`-th day after the start day (the start day is not counted).

    Detained on 10 March at 14:00, 3 日 → 13 March 23:59:59.
    """
    _check_amount(n)
    return _end_of(_require_aware(start).date() + timedelta(days=n))


def add_working_days(start: datetime, n: int) -> datetime:
    """End of the `n`-th working day after the start day (the start day is not counted, whether
    or not it is itself a working day). Used by rules stated in 工作日."""
    _check_amount(n)
    day = _require_aware(start).date()
    counted = 0
    while counted < n:
        day = next_working_day(day + timedelta(days=1))
        counted += 1
    return _end_of(day)


def add_months(start: datetime, n: int) -> datetime:
    """End of the corresponding day `n` calendar months after the start day, or of that month's
    last day when it has no such day (民法典 第二百零二条). 31 January + 1 → 28 February;
    31 January + 2 → 31 March: always measured from the start day, never month by month."""
    _check_amount(n)
    day = _require_aware(start).date()
    month_index = day.month - 1 + n
    year, month = day.year + month_index // 12, month_index % 12 + 1
    last = std_calendar.monthrange(year, month)[1]
    return _end_of(date(year, month, min(day.day, last)))


def roll_to_working_day(due: datetime) -> datetime:
    """Move a deadline whose day is a 节假日 to the end of the next working day; leave it alone
    otherwise (刑事诉讼法 第一百零五条第四款 前半句)."""
    day = _require_aware(due, "due").date()
    if is_working_day(day):
        return _require_aware(due, "due")
    return _end_of(next_working_day(day))


def _check_amount(n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"a period must be a whole number ≥ 0, not {n!r}")
