"""Validating the cells of an imported row: text, ISO 8601 times, coordinates, category codes.

Each check records what is wrong with the row (column, reason in Chinese) and carries on, so that
the report lists every problem of a row at once, not one per attempt.
"""

import math
from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from anmin.incidents.models import Category

#: Older records than this are typing mistakes (and would overflow time-zone arithmetic near year 1).
EARLIEST_YEAR = 1950


class Row:
    """One data row's values by column name, and the errors found in it."""

    def __init__(self, values: dict[str, str], labels: dict[str, str], now: datetime, zone: ZoneInfo):
        self.values = values
        self.labels = labels
        self.errors: list[tuple[str, str]] = []
        self.now = now
        self.zone = zone

    def reject(self, column: str, reason: str) -> None:
        self.errors.append((column, reason))

    def text(self, column: str, limit: int, *, required: bool = False) -> str:
        label = self.labels[column]
        value = self.values.get(column, "").strip()
        if required and not value:
            self.reject(column, _("请填写%(label)s") % {"label": label})
        elif len(value) > limit:
            self.reject(column, _("%(label)s不能超过 %(limit)s 个字") % {"label": label, "limit": limit})
        elif "\x00" in value:
            self.reject(column, _("%(label)s含有非法字符") % {"label": label})
        return value

    def moment(self, column: str, *, required: bool = False) -> datetime | None:
        label = self.labels[column]
        value = self.values.get(column, "").strip()
        if not value:
            if required:
                self.reject(column, _("请填写%(label)s") % {"label": label})
            return None
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            self.reject(
                column,
                _("%(label)s“%(value)s”不是 ISO 8601 时间（如 2026-01-05 08:30:00）")
                % {"label": label, "value": value[:40]},
            )
            return None
        if moment.year < EARLIEST_YEAR:
            self.reject(column, _("%(label)s早于 %(year)s 年，请核对") % {"label": label, "year": EARLIEST_YEAR})
            return None
        if moment.tzinfo is None:  # naive times in the file are local times (settings.TIME_ZONE)
            moment = moment.replace(tzinfo=self.zone)
        if moment > self.now:
            self.reject(column, _("%(label)s晚于当前时间") % {"label": label})
            return None
        return moment

    def coordinate(self, column: str, limit: float) -> float | None:
        label = self.labels[column]
        value = self.values.get(column, "").strip()
        if not value:
            self.reject(column, _("请填写%(label)s") % {"label": label})
            return None
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not math.isfinite(number) or not -limit <= number <= limit:
            self.reject(
                column,
                _("%(label)s应为 %(low)s 到 %(high)s 之间的数字") % {"label": label, "low": -limit, "high": limit},
            )
            return None
        return number

    def check_order(self, earlier: tuple[str, datetime | None], later: tuple[str, datetime | None]) -> None:
        if earlier[1] is not None and later[1] is not None and later[1] < earlier[1]:
            self.reject(
                later[0],
                _("%(later)s早于%(earlier)s") % {"later": self.labels[later[0]], "earlier": self.labels[earlier[0]]},
            )


class Categories:
    """The 警情类别代码表 by code and by name, loaded once. Retired categories are accepted: history
    was recorded under them."""

    def __init__(self):
        self.by_code: dict[str, Category] = {}
        names: dict[str, list[Category]] = {}
        for category in Category.objects.all():
            self.by_code[category.code] = category
            names.setdefault(category.name, []).append(category)
        self.by_name: dict[str, Category] = {}
        self.ambiguous: set[str] = set()
        for name, found in names.items():
            # A class and its one sub-category may share a name (04 火灾, 0401 火灾): the sub-category,
            # the more precise of the two, is meant.
            longest = max(len(c.code) for c in found)
            precise = [c for c in found if len(c.code) == longest]
            if len(precise) == 1:
                self.by_name[name] = precise[0]
            else:
                self.ambiguous.add(name)

    def resolve(self, row: Row, column: str, *, required: bool) -> Category | None:
        label = row.labels[column]
        value = row.text(column, 40, required=required)
        if not value:
            return None
        found = self.by_code.get(value) or self.by_name.get(value)
        if found is None and value.isdigit() and len(value) in (1, 3):
            # Excel drops the leading zero of a code typed as a number (0110 → 110).
            found = self.by_code.get(value.zfill(len(value) + 1))
        if found is not None:
            return found
        if value in self.ambiguous:
            row.reject(column, _("类别名称“%(name)s”对应多个代码，请填写代码") % {"name": value})
        else:
            row.reject(column, _("未知的%(label)s：%(value)s") % {"label": label, "value": value})
        return None
