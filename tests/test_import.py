"""历史数据导入: `anmin import incidents|cases FILE` and the importer behind it."""

import csv
import io
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError, OutputWrapper
from django.utils import translation
from openpyxl import Workbook

from anmin.cases.lifecycle import CaseStatus
from anmin.cases.models import Case
from anmin.core.models import AuditEntry
from anmin.geo.models import AreaType
from anmin.incidents.models import Incident
from anmin.stats import rollups
from anmin.stats.importer import ImportFileError, import_cases, import_incidents
from anmin.stats.models import CaseDay, IncidentDay
from anmin.supervision.models import Clock
from tests.conftest import A1_POINT, B1_POINT

HEADER = ["number", "received_at", "category", "lat", "lon", "address", "description", "priority"]
A1 = [str(A1_POINT[0]), str(A1_POINT[1])]
B1 = [str(B1_POINT[0]), str(B1_POINT[1])]
GOOD = [
    ["J2025-000001", "2025-03-01 08:30:00", "0110", *A1, "桃城区人民路 100 号", "电动车被盗", "2"],
    ["J2025-000002", "2025-03-01T23:50:00", "殴打他人", *B1, "冀州镇振兴街 8 号", "", ""],
]


@pytest.fixture(autouse=True)
def _chinese():
    # The reasons are asserted in Chinese; an English page rendered by an earlier test must not leak in.
    with translation.override("zh-hans"):
        yield


def write_csv(path, rows, *, header=HEADER, encoding="utf-8"):
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def rejections(result) -> list[tuple[int, str, str]]:
    return [(r.row, r.field, r.reason) for r in result.rejected]


def incident_day_total() -> int:
    return sum(IncidentDay.objects.values_list("n", flat=True))


# --- incidents: good files -----------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_it_imports_a_csv_in_each_encoding(city, tmp_path, encoding):
    path = write_csv(tmp_path / "incidents.csv", GOOD, encoding=encoding)

    result = import_incidents(path)

    assert (result.read, result.imported, result.existing, result.rejected) == (2, 2, 0, [])
    theft, fight = Incident.objects.get(number="J2025-000001"), Incident.objects.get(number="J2025-000002")
    assert theft.category.code == "0110" and theft.priority == 2
    assert theft.address == "桃城区人民路 100 号" and theft.description == "电动车被盗"
    assert fight.category.code == "0201" and fight.priority == 3  # empty priority: 三级（一般）
    assert not (tmp_path / "incidents.csv.rejected.csv").exists()


def test_it_derives_grid_station_and_target_as_a_live_call_would(city, tmp_path):
    import_incidents(write_csv(tmp_path / "incidents.csv", GOOD))

    theft, fight = Incident.objects.get(number="J2025-000001"), Incident.objects.get(number="J2025-000002")
    live = city.station_a1.grid_cells.get(pk=theft.grid_cell_id)
    assert theft.station == city.station_a1 and theft.area_type == AreaType.URBAN
    assert theft.target_minutes == live.arrival_minutes() == 5
    assert fight.station == city.station_b1 and fight.area_type == AreaType.SUBURBAN and fight.target_minutes == 10
    # Naive times are Asia/Shanghai.
    assert theft.received_at == datetime(2025, 3, 1, 0, 30, tzinfo=UTC)
    assert theft.arrival_due_at == theft.received_at + timedelta(minutes=5)


def test_imported_incidents_are_closed_history(city, tmp_path):
    import_incidents(write_csv(tmp_path / "incidents.csv", GOOD))

    for incident in Incident.objects.all():
        assert incident.status == Incident.Status.REPORTED
        assert incident.closed_at == incident.received_at
        assert incident.arrived_at is None and incident.dispatched_at is None
        assert incident.received_by is None
        assert incident.imported is True
        assert incident.call_count == 1


def test_it_imports_an_xlsx_workbook(city, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["Priority", "number", "lat", "lon", "received_at", "category", "address", "来源"])
    sheet.append([1, "J2025-000010", A1_POINT[0], A1_POINT[1], datetime(2025, 5, 4, 12, 0), "0110", "人民路", "旧系统"])
    # Excel turns a code typed as a number into 110: the leading zero is put back.
    sheet.append([None, "J2025-000011", B1_POINT[0], B1_POINT[1], "2025-05-04 13:00:00+08:00", 110, "振兴街", ""])
    sheet.append([None, None, None, None, None, None, None, None])  # an empty row is not a row
    book.save(tmp_path / "incidents.xlsx")

    result = import_incidents(tmp_path / "incidents.xlsx")

    assert (result.read, result.imported, result.rejected) == (2, 2, [])
    first = Incident.objects.get(number="J2025-000010")
    assert first.priority == 1 and first.received_at == datetime(2025, 5, 4, 4, 0, tzinfo=UTC)
    assert Incident.objects.get(number="J2025-000011").category.code == "0110"


def test_rollups_equal_the_records_after_an_import(city, tmp_path):
    import_incidents(write_csv(tmp_path / "incidents.csv", GOOD))

    assert rollups.verify() == []
    assert incident_day_total() == 2


def test_rerunning_the_same_file_changes_nothing(city, tmp_path):
    path = write_csv(tmp_path / "incidents.csv", GOOD)
    import_incidents(path)
    before = list(Incident.objects.order_by("number").values_list("number", "updated_at"))

    again = import_incidents(path)

    assert (again.read, again.imported, again.existing, again.rejected) == (2, 0, 2, [])
    assert list(Incident.objects.order_by("number").values_list("number", "updated_at")) == before
    assert incident_day_total() == 2
    assert rollups.verify() == []


def test_it_reports_progress(city, tmp_path):
    calls = []
    import_incidents(write_csv(tmp_path / "incidents.csv", GOOD), progress=lambda rows, share: calls.append(share))
    assert calls[-1] == 1.0


def test_an_import_is_one_audit_entry(city, tmp_path):
    import_incidents(write_csv(tmp_path / "incidents.csv", GOOD))
    entry = AuditEntry.objects.get(action="import.incidents")
    assert entry.data["imported"] == 2 and entry.actor_label == "system"


# --- incidents: what is refused ------------------------------------------------------------------


def test_it_refuses_a_file_in_neither_encoding(city, tmp_path):
    path = tmp_path / "incidents.csv"
    path.write_bytes(",".join(HEADER).encode() + b"\r\nJ1,\x80\xff\r\n")

    with pytest.raises(ImportFileError) as raised:
        import_incidents(path)

    assert str(raised.value) == "文件编码无法识别（应为 UTF-8 或 GBK）"
    assert Incident.objects.count() == 0
    assert not (tmp_path / "incidents.csv.rejected.csv").exists()


def test_it_refuses_a_file_missing_a_column(city, tmp_path):
    header = [name for name in HEADER if name not in ("lat", "address")]
    path = write_csv(tmp_path / "incidents.csv", [["J1", "2025-03-01 08:30:00", "0110", A1[1], ""]], header=header)

    with pytest.raises(ImportFileError, match="^缺少必填列：lat、address$"):
        import_incidents(path)
    assert Incident.objects.count() == 0


def test_it_refuses_an_empty_or_missing_file(city, tmp_path):
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(ImportFileError, match="缺少表头行"):
        import_incidents(tmp_path / "empty.csv")
    with pytest.raises(ImportFileError, match="无法打开文件"):
        import_incidents(tmp_path / "nowhere.csv")


def test_it_refuses_a_report_path_it_cannot_write_before_writing_anything(city, tmp_path):
    path = write_csv(tmp_path / "incidents.csv", GOOD)
    with pytest.raises(ImportFileError, match="写入拒绝行报告"):
        import_incidents(path, report_path=tmp_path / "missing" / "report.csv")
    assert Incident.objects.count() == 0


def test_it_rejects_bad_rows_and_imports_only_the_good_ones(city, tmp_path):
    rows = [
        GOOD[0],
        ["J2025-000003", "2025-13-01 08:00:00", "0110", *A1, "人民路", "", ""],
        ["J2025-000004", "2025-03-01 08:00:00", "9999", *A1, "人民路", "", ""],
        ["J2025-000001", "2025-03-02 08:00:00", "0110", *A1, "人民路", "", ""],
        ["J2025-000005", "2025-03-01 08:00:00", "0110", "30.0", "120.0", "人民路", "", ""],
        ["J2025-000006", "2025-03-01 08:00:00", "0110", *A1, "人民路", "", "5"],
        ["J2025-000007", "2099-01-01 08:00:00", "0110", "north", A1[1], "", "", ""],
        GOOD[1],
    ]
    path = write_csv(tmp_path / "incidents.csv", rows)

    result = import_incidents(path)

    assert rejections(result) == [
        (3, "received_at", "接警时间“2025-13-01 08:00:00”不是 ISO 8601 时间（如 2026-01-05 08:30:00）"),
        (4, "category", "未知的警情类别：9999"),
        (5, "number", "接警单号重复（第 2 行）"),
        (6, "lat", "坐标（30.0, 120.0）不在本市网格范围内"),
        (7, "priority", "等级应为 1、2 或 3"),
        (8, "received_at", "接警时间晚于当前时间"),
        (8, "lat", "纬度应为 -90 到 90 之间的数字"),
        (8, "address", "请填写地址"),
    ]
    assert (result.read, result.imported, result.existing, result.rejected_rows) == (8, 2, 0, 6)
    assert sorted(Incident.objects.values_list("number", flat=True)) == ["J2025-000001", "J2025-000002"]
    assert Incident.objects.get(number="J2025-000001").received_at == datetime(2025, 3, 1, 0, 30, tzinfo=UTC)
    assert incident_day_total() == 2
    assert rollups.verify() == []

    with open(tmp_path / "incidents.csv.rejected.csv", encoding="utf-8", newline="") as report:
        text = report.read()
    assert text.startswith("\ufeff行号,字段,原因\r\n")
    assert list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))[1:3] == [
        ["3", "received_at", "接警时间“2025-13-01 08:00:00”不是 ISO 8601 时间（如 2026-01-05 08:30:00）"],
        ["4", "category", "未知的警情类别：9999"],
    ]


def test_a_fixed_file_imports_the_rows_rejected_before(city, tmp_path):
    bad = ["J2025-000003", "2025-13-01 08:00:00", "0110", *A1, "人民路", "", ""]
    import_incidents(write_csv(tmp_path / "incidents.csv", [GOOD[0], bad]))
    bad[1] = "2025-12-01 08:00:00"

    result = import_incidents(write_csv(tmp_path / "incidents.csv", [GOOD[0], bad]))

    assert (result.imported, result.existing, result.rejected) == (1, 1, [])
    assert rollups.verify() == []


# --- the command ---------------------------------------------------------------------------------


def test_the_command_prints_the_summary(city, tmp_path):
    out, err = io.StringIO(), io.StringIO()
    call_command("import", "incidents", str(write_csv(tmp_path / "in.csv", GOOD)), stdout=out, stderr=err)
    assert out.getvalue().startswith("读取 2 行，导入 2，已存在 0，拒绝 0（用时 ")
    assert err.getvalue() == ""  # no progress bar when stderr is not a terminal


def test_the_command_exits_1_and_lists_rejected_rows(city, tmp_path):
    rows = [GOOD[0], ["J2025-000003", "yesterday", "0110", *A1, "人民路", "", ""]]
    out, err = io.StringIO(), io.StringIO()
    report = tmp_path / "report.csv"

    with pytest.raises(CommandError) as raised:
        call_command(
            "import", "incidents", str(write_csv(tmp_path / "in.csv", rows)), report=str(report), stdout=out, stderr=err
        )

    assert raised.value.returncode == 1
    assert str(raised.value) == f"1 行被拒绝，明细已写入 {report}"
    assert out.getvalue().startswith("读取 2 行，导入 1，已存在 0，拒绝 1")
    assert err.getvalue() == "第 3 行 received_at：接警时间“yesterday”不是 ISO 8601 时间（如 2026-01-05 08:30:00）\n"
    assert report.exists()


def test_the_command_exits_2_for_a_file_it_cannot_read(city, tmp_path):
    path = tmp_path / "in.csv"
    path.write_bytes(b"\x80\xff\xfe")
    with pytest.raises(CommandError) as raised:
        call_command("import", "incidents", str(path))
    assert raised.value.returncode == 2
    assert str(raised.value) == "文件编码无法识别（应为 UTF-8 或 GBK）"


def test_the_console_command_fails_without_a_traceback(tmp_path):
    path = tmp_path / "in.csv"
    path.write_bytes(b"\x80\xff\xfe")
    done = subprocess.run(
        [sys.executable, "-m", "anmin.cli", "import", "incidents", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == "CommandError: 文件编码无法识别（应为 UTF-8 或 GBK）"


def test_the_progress_bar_redraws_one_line(tmp_path):
    from importlib import import_module

    ProgressBar = import_module("anmin.stats.management.commands.import").ProgressBar
    stream = io.StringIO()
    bar = ProgressBar(OutputWrapper(stream))
    bar(5000, 0.5)
    bar(10000, 1.0)
    bar.finish()
    drawn = stream.getvalue()
    assert drawn.count("\r") == 2 and drawn.endswith("\n")
    assert "[###############...............]  50% 5,000 行" in drawn


# --- cases ---------------------------------------------------------------------------------------

CASE_HEADER = [
    "number",
    "kind",
    "title",
    "category",
    "organization",
    "accepted_at",
    "filed_at",
    "solved_at",
    "closed_at",
    "lead_investigator",
]


def test_it_imports_cases(city, tmp_path):
    a1, b1 = city.station_a1.code, city.station_b1.code
    rows = [
        ["A2025001", "criminal", "盗窃电动车案", "0110", a1, "2025-03-01 09:00", "2025-03-02 10:00", "2025-03-10", "",
         city.station_officer.badge_number],
        ["X2025001", "行政", "殴打他人案", "殴打他人", b1, "2025-04-01 09:00", "", "", "2025-04-05 16:00", ""],
        ["A2025002", "刑事", "诈骗案", "", a1, "2025-06-01 09:00", "", "", "", "patrol"],
    ]  # fmt: skip
    path = write_csv(tmp_path / "cases.csv", rows, header=CASE_HEADER)

    result = import_cases(path)

    assert (result.read, result.imported, result.rejected) == (3, 3, [])
    solved, closed, accepted = (Case.objects.get(number=n) for n in ("A2025001", "X2025001", "A2025002"))
    assert solved.status == CaseStatus.SOLVED and solved.status_since == solved.solved_at
    assert solved.lead_investigator == city.station_officer and solved.category.code == "0110"
    assert solved.filed_at == datetime(2025, 3, 2, 2, 0, tzinfo=UTC)
    assert closed.status == CaseStatus.CLOSED and closed.kind == "administrative"
    assert closed.lead_investigator == city.outsider  # the first active officer of 冀州镇派出所
    assert accepted.status == CaseStatus.ACCEPTED and accepted.category is None
    assert accepted.lead_investigator == city.patrol_officer
    # An open case starts its 办案时限 clock, as one registered live would.
    assert Clock.objects.filter(case=accepted, rule__code="criminal_filing_review").exists()
    assert not Clock.objects.filter(case=closed).exists()
    figures = CaseDay.objects.all()
    assert [sum(f.accepted for f in figures), sum(f.filed for f in figures), sum(f.solved for f in figures)] == [
        3,
        1,
        1,
    ]
    assert rollups.verify() == []

    again = import_cases(path)
    assert (again.imported, again.existing) == (0, 3)
    assert rollups.verify() == []


def test_it_rejects_bad_case_rows(city, tmp_path):
    a1, a2 = city.station_a1.code, city.station_a2.code
    rows = [
        ["A2025001", "criminal", "盗窃案", "0110", a1, "2025-03-01 09:00", "", "", "", ""],
        ["A2025002", "criminal", "盗窃案", "", "999999999999", "2025-03-01 09:00", "", "", "", ""],
        ["A2025003", "civil", "纠纷", "", a1, "2025-03-01 09:00", "", "", "", ""],
        ["A2025004", "criminal", "盗窃案", "", a1, "2025-03-01 09:00", "2025-02-01 09:00", "", "", ""],
        ["X2025005", "administrative", "赌博案", "", a1, "2025-03-01 09:00", "", "2025-03-05", "", ""],
        ["A2025006", "criminal", "抢劫案", "", a1, "2025-03-01 09:00", "", "2025-03-05", "", ""],
        ["A2025007", "criminal", "抢劫案", "", a2, "2025-03-01 09:00", "", "", "", ""],
        ["A2025008", "criminal", "抢劫案", "", a1, "2025-03-01 09:00", "", "", "", "nobody"],
        ["A2025001", "criminal", "盗窃案", "", a1, "2025-03-01 09:00", "", "", "", ""],
        ["A2025009", "criminal", "盗窃案", "0110", a1, "2025-03-01 09:00", "", "", "2025-02-28 09:00", ""],
    ]
    result = import_cases(write_csv(tmp_path / "cases.csv", rows, header=CASE_HEADER))

    assert rejections(result) == [
        (3, "organization", "未知的单位代码：999999999999"),
        (4, "kind", "案件类型应为 criminal、administrative、刑事或行政"),
        (5, "filed_at", "立案时间早于受案时间"),
        (6, "solved_at", "行政案件没有破案时间（立案、破案只用于刑事案件）"),
        (7, "solved_at", "有破案时间的案件须有立案时间"),
        (8, "lead_investigator", "办案单位没有在职民警，请填写主办侦查员"),
        (9, "lead_investigator", "未找到警号或用户名为 nobody 的民警"),
        (10, "number", "案件编号重复（第 2 行）"),
        (11, "closed_at", "结案时间早于受案时间"),
    ]
    assert list(Case.objects.values_list("number", flat=True)) == ["A2025001"]
    assert rollups.verify() == []


def test_it_refuses_a_case_file_missing_a_column(city, tmp_path):
    header = [name for name in CASE_HEADER if name != "organization"]
    with pytest.raises(ImportFileError, match="^缺少必填列：organization$"):
        import_cases(write_csv(tmp_path / "cases.csv", [], header=header))


def test_the_command_imports_cases(city, tmp_path):
    rows = [["A2025001", "刑事", "盗窃案", "盗窃", city.station_a1.code, "2025-03-01 09:00", "", "", "", "station"]]
    out = io.StringIO()
    call_command("import", "cases", str(write_csv(tmp_path / "cases.csv", rows, header=CASE_HEADER)), stdout=out)
    assert out.getvalue().startswith("读取 1 行，导入 1，已存在 0，拒绝 0")
    assert Case.objects.get(number="A2025001").lead_investigator == city.station_officer
