"""`anmin import addresses FILE`: a bureau's own standard addresses (标准地址) into the library.

The file (CSV in UTF-8 or GBK, or XLSX) has the columns `code, name, level` and, optionally,
`parent_code, lat, lon, aliases, category`. A row adds an entry or updates the entry with its
code: a surveyed point (lat and lon together) replaces an approximate one, aliases are added to
the ones the entry has, a category is set. The rules are those of the history import
(anmin.stats.importer): every row is checked before anything is written; a bad row is listed
with the column named, written to the report file, and leaves no trace; importing the same file
again changes nothing. A row's parent must be in the library already or in an earlier row of
the file, so a file is read once from top to bottom, divisions before what lies in them.

Levels and categories may be written as their codes (county, poi, school) or their Chinese names
(区县, 兴趣点, 学校). An entry without a point of its own gets its parent's, marked approximate.
"""

import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anmin.addresses.divisions import write
from anmin.addresses.models import PARENT_LEVELS, PREFIX, Address, Category, Level
from anmin.core.actions import write_transaction

BATCH = 2000
MAX_ALIASES = 20
MAX_ALIAS_LENGTH = 40
CODE = re.compile(r"^[0-9A-Za-z_-]+$")
ALIAS_SEPARATORS = re.compile(r"[、,，;；|/]+")

LABELS = {
    "code": gettext_lazy("地址编码"),
    "name": gettext_lazy("名称"),
    "level": gettext_lazy("层级"),
    "parent_code": gettext_lazy("上级编码"),
    "lat": gettext_lazy("纬度"),
    "lon": gettext_lazy("经度"),
    "aliases": gettext_lazy("别名"),
    "category": gettext_lazy("类别"),
}
REQUIRED = ("code", "name", "level")
OPTIONAL = ("parent_code", "lat", "lon", "aliases", "category")

#: Other ways a file names a level.
LEVEL_NAMES = {
    "区县": Level.COUNTY,
    "县": Level.COUNTY,
    "区": Level.COUNTY,
    "县区": Level.COUNTY,
    "乡镇": Level.TOWN,
    "街道": Level.TOWN,
    "乡": Level.TOWN,
    "镇": Level.TOWN,
    "村": Level.VILLAGE,
    "社区": Level.VILLAGE,
    "村居": Level.VILLAGE,
    "道路": Level.ROAD,
    "街巷": Level.ROAD,
    "路": Level.ROAD,
    "门牌": Level.HOUSE,
    "门牌号": Level.HOUSE,
    "楼": Level.BUILDING,
    "楼栋": Level.BUILDING,
    "poi": Level.POI,
    "地点": Level.POI,
}


@dataclass(slots=True)
class Known:
    """What a row needs to know of another entry: its level, full address and point."""

    level: str
    full_name: str
    lat: float | None
    lon: float | None


@dataclass(slots=True)
class Parsed:
    number: int
    code: str
    name: str
    level: str
    parent: str | None
    lat: float | None
    lon: float | None
    aliases: list[str]
    category: str
    row: object  # anmin.stats.rows.Row, with the errors found so far


def _choice_lookup(choices) -> dict[str, str]:
    """value or label (in Chinese, and in the language of the moment) → value; 乡镇/街道 also
    as 乡镇 and as 街道."""
    table = {}
    for value, label in choices:
        table[value.lower()] = value
        with translation.override("zh-hans"):
            chinese = str(label)
        for text in (chinese, str(label)):
            for part in (text, *text.split("/")):
                table[part.strip().lower()] = value
    return table


class AddressImporter:
    kind = "addresses"

    def __init__(self):
        from anmin.stats.rows import Row

        self.Row = Row
        self.now = timezone.now()
        self.zone = timezone.get_current_timezone()
        self.labels = {column: str(label) for column, label in LABELS.items()}
        self.levels = _choice_lookup(Level.choices) | LEVEL_NAMES
        self.categories = _choice_lookup(Category.choices)
        self.seen: dict[str, Known] = {}  # codes accepted earlier in this file
        self.renamed: set[str] = set()  # existing entries whose full address changed

    def parse(self, number: int, values: dict[str, str]) -> Parsed:
        """The row's own checks (each column on its own); the parent is checked with its batch."""
        row = self.Row(values, self.labels, self.now, self.zone)
        code = row.text("code", 40, required=True)
        if code and not row.errors and not CODE.match(code):
            row.reject("code", _("地址编码只能包含字母、数字、下划线和连字符"))
        name = row.text("name", 80, required=True)
        raw_level = row.text("level", 20, required=True)
        level = self.levels.get(raw_level.lower(), "")
        if raw_level and not level:
            row.reject(
                "level",
                _("层级“%(value)s”不是可选的值（如 区县、乡镇、村、道路、门牌、小区、楼栋、兴趣点）")
                % {"value": raw_level},
            )
        parent = row.text("parent_code", 40) or None
        lat = lon = None
        has_lat, has_lon = bool(values.get("lat", "").strip()), bool(values.get("lon", "").strip())
        if has_lat != has_lon:
            row.reject("lon" if has_lat else "lat", _("经纬度须同时填写"))
        elif has_lat:
            lat, lon = row.coordinate("lat", 90), row.coordinate("lon", 180)
        aliases: list[str] = []
        for alias in ALIAS_SEPARATORS.split(row.text("aliases", 1000)):
            alias = alias.strip()
            if alias and alias not in aliases and alias != name:
                aliases.append(alias)
        if len(aliases) > MAX_ALIASES:
            row.reject("aliases", _("别名最多 %(n)s 个") % {"n": MAX_ALIASES})
        elif any(len(a) > MAX_ALIAS_LENGTH for a in aliases):
            row.reject("aliases", _("每个别名不能超过 %(n)s 个字") % {"n": MAX_ALIAS_LENGTH})
        raw_category = row.text("category", 20)
        category = self.categories.get(raw_category.lower(), "") if raw_category else ""
        if raw_category and not category:
            row.reject("category", _("类别“%(value)s”不是可选的值") % {"value": raw_category})
        elif category and level and level != Level.POI:
            row.reject("category", _("只有兴趣点有类别"))
        return Parsed(number, code, name, level, parent, lat, lon, aliases, category, row)

    def write_batch(self, batch: list[Parsed], result) -> None:
        """Check each row against the library and the rows before it; write the good ones."""
        from anmin.stats.importer import Rejection

        codes = {p.code for p in batch} | {p.parent for p in batch if p.parent}
        stored = {a.code: a for a in Address.objects.filter(code__in=codes)}
        objects: list[Address] = []
        unchanged = 0
        for p in batch:
            row = p.row
            existing = stored.get(p.code)
            if existing is not None and p.level and existing.level != p.level:
                row.reject(
                    "level",
                    _("编码 %(code)s 已是“%(level)s”，不能改为其他层级")
                    % {"code": p.code, "level": Level(existing.level).label},
                )
            parent = self._known(p.parent, stored) if p.parent else None
            if p.parent and parent is None:
                row.reject(
                    "parent_code",
                    _("上级编码 %(code)s 不在地址库中，也不在本文件前面的行中") % {"code": p.parent},
                )
            elif p.parent == p.code:
                row.reject("parent_code", _("上级编码不能是本身"))
            elif p.level:
                allowed = PARENT_LEVELS[p.level]
                if (parent.level if parent else None) not in allowed:
                    row.reject("parent_code", self._parent_rule(p.level, allowed))
            if row.errors:
                result.rejected.extend(Rejection(p.number, column, reason) for column, reason in row.errors)
                continue
            obj = self._entry(p, existing, parent)
            self.seen[p.code] = Known(obj.level, obj.full_name, obj.lat, obj.lon)
            if existing is not None and self._same(existing, obj):
                unchanged += 1
                continue
            if existing is not None and (existing.full_name != obj.full_name):
                self.renamed.add(p.code)
            objects.append(obj)
        if objects:
            with write_transaction():
                write(objects)
        result.imported += len(objects)
        result.existing += unchanged

    def _known(self, code: str, stored: dict[str, Address]) -> Known | None:
        if code in self.seen:
            return self.seen[code]
        entry = stored.get(code)
        return Known(entry.level, entry.full_name, entry.lat, entry.lon) if entry else None

    @staticmethod
    def _parent_rule(level: str, allowed: tuple[str | None, ...]) -> str:
        names = "、".join(str(Level(a).label) for a in allowed if a)
        if not names:
            return _("%(level)s不能有上级") % {"level": Level(level).label}
        if None in allowed:
            return _("%(level)s的上级应为%(names)s，或不填") % {"level": Level(level).label, "names": names}
        return _("%(level)s的上级应为%(names)s") % {"level": Level(level).label, "names": names}

    @staticmethod
    def _entry(p: Parsed, existing: Address | None, parent: Known | None) -> Address:
        full_name = (parent.full_name if parent else PREFIX) + p.name
        if p.lat is not None:
            lat, lon, approximate = p.lat, p.lon, False
        elif existing is not None and existing.lat is not None:
            lat, lon, approximate = existing.lat, existing.lon, existing.approximate
        elif parent is not None and parent.lat is not None:
            lat, lon, approximate = parent.lat, parent.lon, True
        else:
            lat, lon, approximate = None, None, False
        aliases = list(p.aliases)
        if existing is not None:
            aliases += [a for a in existing.aliases if a not in aliases]
        return Address(
            code=p.code,
            name=p.name,
            full_name=full_name,
            level=p.level,
            parent_id=p.parent,
            aliases=aliases,
            category=p.category or (existing.category if existing else ""),
            lat=lat,
            lon=lon,
            approximate=approximate,
        )

    @staticmethod
    def _same(a: Address, b: Address) -> bool:
        fields = ("name", "full_name", "level", "parent_id", "category", "lat", "lon", "approximate")
        return all(getattr(a, f) == getattr(b, f) for f in fields) and sorted(a.aliases) == sorted(b.aliases)


def refresh_full_names(codes: set[str]) -> int:
    """Rewrite the full address of everything below entries whose own full address changed."""
    updated = 0
    todo = list(codes)
    full = dict(Address.objects.filter(code__in=todo).values_list("code", "full_name"))
    while todo:
        children = list(Address.objects.filter(parent_id__in=todo[:BATCH]).only("code", "name", "parent_id"))
        todo = todo[BATCH:]
        for child in children:
            child.full_name = full[child.parent_id] + child.name
            full[child.code] = child.full_name
            todo.append(child.code)
        with write_transaction():
            Address.objects.bulk_update(children, ["full_name"], batch_size=BATCH)
        updated += len(children)
    return updated


def import_addresses(path, *, report_path=None, progress: Callable[[int, float | None], None] | None = None):
    """Import a bureau's standard addresses (`code, name, level, parent_code, lat, lon, aliases,
    category`); returns the history import's ImportResult (imported = added or changed)."""
    from anmin.addresses.match import invalidate
    from anmin.stats.importer import ImportFileError, ImportResult, Rejection, conclude
    from anmin.stats.tabular import open_table

    started = time.monotonic()
    path = Path(path)
    report = Path(report_path) if report_path else path.with_name(path.name + ".rejected.csv")
    result = ImportResult(kind=AddressImporter.kind)
    with open_table(path) as table:
        header = [str(name).strip().lower() for name in table.header]
        missing = [name for name in REQUIRED if name not in header]
        if missing:
            raise ImportFileError(_("缺少必填列：%(columns)s") % {"columns": "、".join(missing)})
        if not report.parent.is_dir() or not os.access(report.parent, os.W_OK):
            raise ImportFileError(_("无法在 %(path)s 写入拒绝行报告") % {"path": report.parent})
        importer = AddressImporter()
        columns = [(name, header.index(name)) for name in REQUIRED + OPTIONAL if name in header]
        first_row: dict[str, int] = {}
        batch: list[Parsed] = []
        for number, cells, unparsable in table.rows:
            if unparsable:
                result.read += 1
                result.rejected.append(Rejection(number, "", unparsable))
                continue
            if not any(cells):
                continue
            result.read += 1
            width = len(cells)
            parsed = importer.parse(number, {name: cells[i] if i < width else "" for name, i in columns})
            if parsed.code and not parsed.row.errors:
                first = first_row.setdefault(parsed.code, number)
                if first != number:
                    parsed.row.reject(
                        "code", _("%(label)s重复（第 %(row)s 行）") % {"label": importer.labels["code"], "row": first}
                    )
            if parsed.row.errors:
                result.rejected.extend(Rejection(number, column, reason) for column, reason in parsed.row.errors)
                continue
            batch.append(parsed)
            if len(batch) >= BATCH:
                importer.write_batch(batch, result)
                batch = []
                if progress:
                    progress(result.read, table.fraction())
        importer.write_batch(batch, result)
        if progress:
            progress(result.read, 1.0)
    if importer.renamed:
        refresh_full_names(importer.renamed)
    if result.imported:
        invalidate()
    result.rejected.sort(key=lambda r: r.row)
    return conclude(importer, result, report=report, path=path, started=started)
