"""When a legal time limit runs out, and how close it is: the clock behind the supervisor's board.

The case system calls `deadline("detention_arrest_request", detained_at)` with the moment the
start event happened and the codes of any approved extensions; it stores the answer and shows
`clock_state(due, now, warn_before=…)` as green / yellow / red. Nothing here knows about cases.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils.translation import gettext as _

from anmin.core.cache import TtlCache
from anmin.core.errors import ActionError
from anmin.supervision import calendar
from anmin.supervision.models import ClockState, ExtensionMode, TimeUnit

#: Rules with their extensions, per process; cleared on any change (see SupervisionConfig.ready).
rule_cache = TtlCache("time-limit-rules", ttl=300)


@dataclass(frozen=True)
class Period:
    amount: int
    unit: str


@dataclass(frozen=True)
class ExtensionSpec:
    code: str
    name: str
    mode: str
    period: Period
    requires: str | None


@dataclass(frozen=True)
class RuleSpec:
    """A read-only snapshot of a TimeLimitRule and its extensions, safe to share between requests."""

    code: str
    name: str
    period: Period
    extends_past_holiday: bool
    active: bool
    extensions: dict[str, ExtensionSpec]
    #: The row's primary key, for the clocks that point at it.
    pk: int = 0
    #: TimeLimitRule.warn_before: how long before the deadline the clock turns yellow (None: default).
    warn_before: timedelta | None = None


def rule_spec(code: str) -> RuleSpec | None:
    """The rule with this code, or None. Cached per process."""

    def load() -> RuleSpec | None:
        from anmin.supervision.models import TimeLimitRule

        rule = TimeLimitRule.objects.filter(code=code).prefetch_related("extensions__requires").first()
        if rule is None:
            return None
        return RuleSpec(
            code=rule.code,
            name=rule.name,
            period=Period(rule.amount, rule.unit),
            extends_past_holiday=rule.extends_past_holiday,
            active=rule.active,
            extensions={
                ext.code: ExtensionSpec(
                    code=ext.code,
                    name=ext.name,
                    mode=ext.mode,
                    period=Period(ext.amount, ext.unit),
                    requires=ext.requires.code if ext.requires_id else None,
                )
                for ext in rule.extensions.all()
            },
            pk=rule.pk,
            warn_before=rule.warn_before,
        )

    return rule_cache.get(code, load) if isinstance(code, str) else None


def add_period(start: datetime, period: Period) -> datetime:
    """`start` plus one period, counted as `calendar` says for its unit."""
    adders = {
        TimeUnit.HOURS: calendar.add_hours,
        TimeUnit.CALENDAR_DAYS: calendar.add_calendar_days,
        TimeUnit.WORKING_DAYS: calendar.add_working_days,
        TimeUnit.MONTHS: calendar.add_months,
    }
    return adders[period.unit](start, period.amount)


def periods_for(rule: RuleSpec, extensions: Iterable[str] = ()) -> list[Period]:
    """The periods that make up the limit once `extensions` are approved, in the order they run.

    Raises ActionError (field `extensions`) for a code the rule does not have, a repeated code, an
    extension whose prerequisite is missing (第一百五十九条 without 第一百五十八条), or two
    alternatives that cannot both apply (two replacements, or an addition to a period that a
    replacement it does not build on has superseded: 拘留 +4 日 together with 延长至三十日).
    """
    codes = list(extensions)
    unknown = [code for code in codes if code not in rule.extensions]
    if unknown:
        raise ActionError(
            _("时限规则“%(rule)s”没有延长情形 %(codes)s") % {"rule": rule.name, "codes": "、".join(map(str, unknown))},
            field="extensions",
            code="unknown_extension",
        )
    if len(set(codes)) != len(codes):
        raise ActionError(_("延长情形重复"), field="extensions", code="duplicate_extension")
    chosen = {code: rule.extensions[code] for code in codes}
    for ext in chosen.values():
        if ext.requires and ext.requires not in chosen:
            raise ActionError(
                _("“%(name)s”须在“%(required)s”之后适用")
                % {"name": ext.name, "required": rule.extensions[ext.requires].name},
                field="extensions",
                code="inapplicable_extension",
            )
    replacements = [ext for ext in chosen.values() if ext.mode == ExtensionMode.REPLACE]
    if len(replacements) > 1:
        raise ActionError(
            _("%(names)s 不能同时适用") % {"names": "、".join(f"“{ext.name}”" for ext in replacements)},
            field="extensions",
            code="inapplicable_extension",
        )
    base = rule.period
    if replacements:
        replacement = replacements[0]
        for ext in chosen.values():
            if ext is not replacement and not _builds_on(rule, ext, replacement.code):
                raise ActionError(
                    _("“%(name)s”与“%(other)s”不能同时适用") % {"name": ext.name, "other": replacement.name},
                    field="extensions",
                    code="inapplicable_extension",
                )
        base = replacement.period
    additions = [ext for ext in _in_dependency_order(chosen) if ext.mode == ExtensionMode.ADD]
    return [base] + [ext.period for ext in additions]


def deadline(rule_code: str, start: datetime, *, extensions: Iterable[str] = ()) -> datetime:
    """The moment the limit `rule_code` runs out for a start event at `start`, with the approved
    `extensions` (codes of TimeLimitExtension rows of that rule).

    Consecutive periods in the same unit are added up and counted once from the start: 逮捕后侦查
    羁押 2 个月 + 1 + 2 + 2 is seven months from the arrest (so a 31 December arrest runs to
    31 July, not to a date shrunk by February). Periods in different units run one after the other.
    If the rule extends past holidays and the final period is counted in days or months, a last day
    on a 节假日 moves to the next working day; hour periods end at a moment, not on a day, and
    custody periods never move (刑事诉讼法 第一百零五条).

    Raises ActionError naming `rule` (unknown or disabled code), `start` (not an aware datetime)
    or `extensions` (see `periods_for`).
    """
    rule = rule_spec(rule_code)
    if rule is None:
        raise ActionError(_("未知的时限规则：%(code)s") % {"code": rule_code}, field="rule", code="unknown_rule")
    if not rule.active:
        raise ActionError(_("时限规则“%(name)s”已停用") % {"name": rule.name}, field="rule", code="inactive_rule")
    if not isinstance(start, datetime) or start.tzinfo is None or start.utcoffset() is None:
        raise ActionError(_("起算时间须为带时区的日期时间"), field="start")
    if isinstance(extensions, str):  # a lone code would otherwise be read letter by letter
        extensions = [extensions]
    periods = _merge(periods_for(rule, extensions))
    due = start
    for period in periods:
        due = add_period(due, period)
    if rule.extends_past_holiday and periods[-1].unit in (TimeUnit.CALENDAR_DAYS, TimeUnit.MONTHS):
        due = calendar.roll_to_working_day(due)
    return due.astimezone(calendar.LEGAL_TZ)


def is_provisional(rule_code: str, start: datetime, due: datetime, *, extensions: Iterable[str] = ()) -> bool:
    """Whether `due` was counted over a year with no holiday arrangement loaded, and so as plain
    Monday–Friday (暂按周一至周五计算): only rules in working days, or that move past a holiday, consult
    the calendar; hours, calendar days and custody months never do."""
    rule = rule_spec(rule_code)
    if rule is None:
        return False
    if isinstance(extensions, str):
        extensions = [extensions]
    periods = _merge(periods_for(rule, extensions))
    consults = any(p.unit == TimeUnit.WORKING_DAYS for p in periods) or (
        rule.extends_past_holiday and periods[-1].unit in (TimeUnit.CALENDAR_DAYS, TimeUnit.MONTHS)
    )
    if not consults:
        return False
    first = start.astimezone(calendar.LEGAL_TZ).date()
    return bool(calendar.missing_years(first, due.astimezone(calendar.LEGAL_TZ).date()))


def clock_state(due: datetime, now: datetime, *, warn_before: timedelta) -> str:
    """The colour of a clock: `overdue` once `now` is past `due`; `due_soon` within `warn_before`
    of it (the last second included: a deadline of 23:59:59 is still met at 23:59:59); `normal`
    before that. Returns a ClockState, which compares equal to those strings."""
    if warn_before < timedelta(0):
        raise ValueError("warn_before must not be negative")
    if now > due:
        return ClockState.OVERDUE
    if now >= due - warn_before:
        return ClockState.DUE_SOON
    return ClockState.NORMAL


def remaining(due: datetime, now: datetime) -> timedelta:
    """Time left until `due`; negative once overdue (by how much)."""
    return due - now


def _merge(periods: list[Period]) -> list[Period]:
    merged: list[Period] = []
    for period in periods:
        if merged and merged[-1].unit == period.unit:
            merged[-1] = Period(merged[-1].amount + period.amount, period.unit)
        else:
            merged.append(period)
    return merged


def _builds_on(rule: RuleSpec, ext: ExtensionSpec, code: str) -> bool:
    seen: set[str] = set()
    while ext.requires and ext.requires not in seen:
        if ext.requires == code:
            return True
        seen.add(ext.requires)
        ext = rule.extensions[ext.requires]
    return False


def _in_dependency_order(chosen: dict[str, ExtensionSpec]) -> list[ExtensionSpec]:
    """Prerequisites first (第一百五十六条 before 第一百五十八条 before 第一百五十九条)."""
    ordered: list[ExtensionSpec] = []

    def visit(ext: ExtensionSpec, path: tuple[str, ...] = ()) -> None:
        if ext in ordered or ext.code in path:
            return
        if ext.requires in chosen:
            visit(chosen[ext.requires], path + (ext.code,))
        ordered.append(ext)

    for ext in chosen.values():
        visit(ext)
    return ordered
