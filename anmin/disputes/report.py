"""The monthly 枫桥 report, counted from the register's records so every figure drills down.

For a month (local time) and the disputes the reader may see:
- 排查发现 (found): disputes whose `found_at` is in the month;
- 化解 (resolved): of those, the ones settled by an agreement, or closed after a follow-up found
  the matter settled (a transferred dispute the other body settled);
- 化解率: resolved ÷ found;
- 移交 (transferred): of those found, the ones handed to another body;
- 重复纠纷地址: addresses with two or more disputes found in the twelve months up to the month's
  end, at least one of them found in the month.
And, per officer, "有警处警、无警访民": visits logged in the month beside the incidents their units
were dispatched to in the month.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from anmin.disputes.models import Status, Visit


def month_range(year: int, month: int) -> tuple[datetime, datetime]:
    """The month's first instant and the next month's, in local time."""
    start = timezone.make_aware(datetime(year, month, 1))
    end = timezone.make_aware(datetime(year + (month == 12), month % 12 + 1, 1))
    return start, end


RESOLVED = Q(agreed_at__isnull=False) | Q(status=Status.CLOSED, follow_up_holds=True)


def figure_queryset(disputes: QuerySet, figure: str, year: int, month: int) -> QuerySet:
    """The disputes behind one figure of the month (the drill-down)."""
    start, end = month_range(year, month)
    found = disputes.filter(found_at__gte=start, found_at__lt=end)
    if figure == "resolved":
        return found.filter(RESOLVED)
    if figure == "transferred":
        return found.filter(transferred_at__isnull=False)
    if figure == "repeat":
        addresses = repeat_addresses(disputes, year, month)
        window = disputes.filter(found_at__gte=end - timedelta(days=365), found_at__lt=end)
        return window.filter(address__in=list(addresses))
    return found


def repeat_addresses(disputes: QuerySet, year: int, month: int) -> dict[str, int]:
    """Address → disputes in the twelve months to the month's end, for the addresses of the month
    that have two or more."""
    start, end = month_range(year, month)
    in_month = disputes.filter(found_at__gte=start, found_at__lt=end).values("address")
    window = disputes.filter(found_at__gte=end - timedelta(days=365), found_at__lt=end, address__in=in_month)
    rows = window.values("address").annotate(n=Count("pk")).filter(n__gte=2).order_by("-n", "address")
    return {row["address"]: row["n"] for row in rows}


@dataclass
class Line:
    station_id: int | None
    name: str
    found: int = 0
    resolved: int = 0
    transferred: int = 0
    repeat: int = 0
    repeat_list: list = field(default_factory=list)

    @property
    def rate(self) -> float | None:
        return None if not self.found else round(100 * self.resolved / self.found, 1)


def monthly(disputes: QuerySet, year: int, month: int) -> tuple[list[Line], Line]:
    """One line per station with disputes found in the month, and the scope's total line."""
    start, end = month_range(year, month)
    found = disputes.filter(found_at__gte=start, found_at__lt=end)
    rows = (
        found.values("station_id", "station__name")
        .annotate(
            found=Count("pk"),
            resolved=Count("pk", filter=RESOLVED),
            transferred=Count("pk", filter=Q(transferred_at__isnull=False)),
        )
        .order_by("station__code")
    )
    lines = []
    for row in rows:
        line = Line(row["station_id"], row["station__name"], row["found"], row["resolved"], row["transferred"])
        repeats = repeat_addresses(disputes.filter(station_id=row["station_id"]), year, month)
        line.repeat, line.repeat_list = len(repeats), list(repeats.items())
        lines.append(line)
    total = Line(None, "")
    total.found = sum(line.found for line in lines)
    total.resolved = sum(line.resolved for line in lines)
    total.transferred = sum(line.transferred for line in lines)
    repeats = repeat_addresses(disputes, year, month)
    total.repeat, total.repeat_list = len(repeats), list(repeats.items())
    return lines, total


def officer_counts(officers: QuerySet, year: int, month: int) -> list[dict]:
    """有警处警、无警访民: per officer, the month's visits and the incidents their units were
    dispatched to (one incident counted once however many of their units went)."""
    from anmin.dispatch.models import Assignment  # disputes sit above dispatch; imported on use

    start, end = month_range(year, month)
    visits = dict(
        Visit.objects.filter(officer__in=officers, visited_at__gte=start, visited_at__lt=end)
        .values("officer")
        .annotate(n=Count("pk"))
        .values_list("officer", "n")
    )
    incidents = dict(
        Assignment.objects.filter(unit__members__in=officers, dispatched_at__gte=start, dispatched_at__lt=end)
        .values("unit__members")
        .annotate(n=Count("incident", distinct=True))
        .values_list("unit__members", "n")
    )
    ids = set(visits) | set(incidents)
    out = []
    for officer in officers.filter(pk__in=ids).select_related("organization").order_by("organization__code", "pk"):
        out.append({"officer": officer, "visits": visits.get(officer.pk, 0), "incidents": incidents.get(officer.pk, 0)})
    return out


def monthly_xlsx(lines: list[Line], total: Line, officers: list[dict], *, month: str, issuer: str) -> bytes:
    """The monthly 枫桥 report as a workbook: the figures per station and in total, the repeat
    addresses, and visits beside incidents per officer."""
    from io import BytesIO

    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "枫桥月报"
    book.properties.title = f"枫桥月报 {month}"
    book.properties.creator = issuer
    book.properties.language = "zh-CN"
    sheet.append([f"{issuer} 矛盾纠纷排查化解月报（{month}）"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(["单位", "排查发现", "化解", "化解率(%)", "移交", "重复纠纷地址"])
    for line in [*lines, total]:
        sheet.append([line.name or "合计", line.found, line.resolved, line.rate, line.transferred, line.repeat])
    sheet.append([])
    sheet.append(["重复纠纷地址", "纠纷数（近12个月）"])
    for address, n in total.repeat_list:
        sheet.append([address, n])
    sheet.append([])
    sheet.append(["民警", "单位", "处警数", "走访数"])
    for row in officers:
        officer = row["officer"]
        name = officer.full_name or officer.username
        sheet.append(
            [name, officer.organization.name if officer.organization_id else "", row["incidents"], row["visits"]]
        )
    sheet.column_dimensions["A"].width = 28
    out = BytesIO()
    book.save(out)
    return out.getvalue()
