"""The 统计报表 workbook, the 简报 PDF and the standard 警情通报 pack."""

import re
from datetime import date, datetime
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from anmin.cases.actions import OpenCase
from anmin.core.errors import ActionError, Denied
from anmin.incidents.actions import ReceiveCall
from anmin.incidents.models import Category
from anmin.stats import exports, pack, report
from tests.conftest import A1_POINT, B1_POINT

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 4, 2, 8, 30, tzinfo=TZ)
A2_POINT = (37.76, 115.70)


def at(y: int, m: int, d: int, hour: int = 10) -> datetime:
    return datetime(y, m, d, hour, tzinfo=TZ)


def receive(city, call_data, when: datetime, category: str = "0601", point=A1_POINT):
    data = {**call_data, "category": category, "lat": point[0], "lon": point[1]}
    return ReceiveCall(by=city.dispatcher, data=data, force_new=True, at=when).execute()[0]


@pytest.fixture
def march(city, call_data):
    """March 2025 against March 2024 (同比) and February 2025 (环比):
    河西 (A1) 3 now, 2 a year ago, 1 in February; 冀州镇 (B1) 1 now and none before; 河东 (A2) nothing."""
    for day, category in ((3, "0110"), (10, "0601"), (20, "0106")):
        receive(city, call_data, at(2025, 3, day), category)
    for day in (5, 6):
        receive(city, call_data, at(2024, 3, day), "0601")
    receive(city, call_data, at(2025, 2, 14), "0110")
    receive(city, call_data, at(2025, 3, 15), "0601", B1_POINT)
    return city


def run(user, *, rank: bool = False, **params):
    query = report.parse_query({"period": "2025-03", **params}, user)
    return report.run(query, user, rank=rank)


def pdf_text(content: bytes) -> str:
    # fpdf2 gives a CFF font (Noto Sans CJK) an embedded encoding CMap with 2-byte codes; pypdf reads
    # the codes as single bytes and puts a NUL before each character (poppler's pdftotext does not).
    pages = PdfReader(BytesIO(content)).pages
    # It also pads figures with spaces; runs of them are folded into one.
    text = "\n".join(page.extract_text() for page in pages).replace("\x00", "")
    return re.sub(r" +", " ", text)


def workbook(content: bytes):
    return load_workbook(BytesIO(content))


def row_of(sheet, label: str) -> int:
    for cell in sheet["A"]:
        if cell.value == label:
            return cell.row
    raise AssertionError(f"no row labelled {label}")


def test_it_lays_out_a_statistics_table(march):
    rep = run(march.leader, group_by="station", compare="yoy")
    content = exports.report_xlsx([rep], title="衡水市公安局 2025年3月警情统计", issuer="市局指挥中心", now=NOW)
    book = workbook(content)
    assert book.sheetnames == ["表1 警情数（按派出所）"]
    sheet = book.active
    assert sheet["A1"].value == "衡水市公安局 2025年3月警情统计"
    assert sheet["A1"].font.b and sheet["A1"].font.sz >= 16
    merged = {str(r) for r in sheet.merged_cells.ranges}
    assert "A1:E1" in merged  # the title spans the table
    assert "A6:A7" in merged  # 派出所, over both header rows
    assert "B6:E6" in merged  # the metric over its sub-columns
    assert sheet["A6"].value == "派出所"
    assert sheet["B6"].value == "警情数（起）"
    assert [sheet.cell(row=7, column=c).value for c in range(2, 6)] == ["本期", "同期", "增减", "增减幅度"]
    assert sheet["A3"].value == "填报单位：市局指挥中心"
    assert sheet["D3"].value == "计量单位：起"
    assert sheet["A4"].value == "统计期间：2025年3月"
    assert sheet["A5"].value == "对比期间：同比：2024年3月"
    assert sheet.print_title_rows == "$6:$7"  # the header again on every printed page

    total = sheet[8]
    assert total[0].value == "合计" and total[0].font.b
    assert [c.value for c in total[1:4]] == [rep.total.value, rep.total.baseline, rep.total.change] == [4, 2, 2]
    assert total[4].value == pytest.approx(rep.total.change_pct / 100)
    assert total[4].number_format == "+0.00%;-0.00%;0.00%"
    assert total[1].number_format == "#,##0" and total[1].alignment.horizontal == "right"
    assert total[1].border.left.style == "thin"

    hexi = next(r for r in rep.rows if r.label == "河西派出所")
    line = sheet[row_of(sheet, "河西派出所")]
    assert [c.value for c in line[1:4]] == [hexi.value, hexi.baseline, hexi.change] == [3, 2, 1]
    assert line[4].value == pytest.approx(0.5)
    assert not line[0].font.b
    jizhou = sheet[row_of(sheet, "冀州镇派出所")]
    assert [c.value for c in jizhou[1:5]] == [1, 0, 1, "—"]  # no baseline: no percentage

    texts = [c.value for c in sheet["A"] if isinstance(c.value, str)]
    assert any(t.startswith("注：1. 数据来源") for t in texts)
    assert any("数据截至 2025年4月2日 08:30" in t for t in texts)
    assert any(t.startswith("制表人：") and "审核人：" in t and "制表日期：2025年4月2日" in t for t in texts)
    assert sheet.page_setup.orientation == "landscape"
    assert str(sheet.page_setup.paperSize) == sheet.PAPERSIZE_A4  # 9: A4
    assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.page_setup.fitToWidth == 1
    assert sheet.column_dimensions["A"].width >= 12


def test_it_puts_yoy_and_pop_of_the_same_figures_in_one_table(march):
    yoy = run(march.leader, group_by="class", compare="yoy")
    pop = run(march.leader, group_by="class", compare="pop")
    sheet = workbook(exports.report_xlsx([yoy, pop], title="通报", issuer="指挥中心", now=NOW)).active
    merged = {str(r) for r in sheet.merged_cells.ranges}
    assert {"A6:A8", "B6:H6", "B7:B8", "C7:E7", "F7:H7"} <= merged
    assert (sheet["C7"].value, sheet["F7"].value) == ("同比", "环比")
    assert sheet["A5"].value == "对比期间：同比：2024年3月；环比：2025年2月"
    assert [sheet.cell(row=8, column=c).value for c in range(3, 9)] == [
        "同期",
        "增减",
        "增减幅度",
        "上期",
        "增减",
        "增减幅度",
    ]
    criminal = sheet[row_of(sheet, "刑事")]
    row_yoy = next(r for r in yoy.rows if r.key == "criminal")
    row_pop = next(r for r in pop.rows if r.key == "criminal")
    assert [c.value for c in criminal[1:4]] == [row_yoy.value, row_yoy.baseline, row_yoy.change] == [2, 0, 2]
    assert criminal[4].value == "—"
    assert [c.value for c in criminal[5:7]] == [row_pop.baseline, row_pop.change] == [1, 1]
    assert criminal[7].value == pytest.approx(1.0)


def test_it_writes_rates_with_two_decimals_and_a_dash_for_no_baseline(city):
    theft = Category.objects.get(code="0110")
    fraud = Category.objects.get(code="0114")
    for n, (category, solved) in enumerate(((theft, True), (theft, False), (fraud, False), (theft, False))):
        case = OpenCase(
            by=city.station_officer, kind="criminal", title=f"案件{n}", category=category, at=at(2025, 3, 2)
        ).execute()
        case.filed_at = at(2025, 3, 3)
        case.solved_at = at(2025, 3, 9) if solved else None
        case.save()
    overall = run(city.leader, metric="clearance_rate", compare="yoy")
    property_ = run(city.leader, metric="clearance_rate", compare="yoy", group="property")
    telecom = run(city.leader, metric="clearance_rate", compare="yoy", group="telecom_fraud")
    tables = exports.build_tables([overall, property_, telecom])
    assert len(tables) == 1  # single figures of one metric: one table, a row each
    sheet = workbook(exports.report_xlsx([overall, property_, telecom], title="破案", issuer="市局", now=NOW)).active
    assert sheet.title == "表1 破案率"
    assert sheet["B6"].value == "破案率（%）"
    assert sheet["D7"].value == "增减（百分点）"
    assert [sheet.cell(row=r, column=1).value for r in (8, 9, 10)] == ["合计", "传统侵财类（盗抢骗）", "电信网络诈骗"]
    assert sheet["B8"].value == overall.total.value == 25.0
    assert sheet["B8"].number_format == "0.00" and sheet["A8"].font.b
    assert sheet["B9"].value == property_.total.value == pytest.approx(33.33)
    assert [sheet["C8"].value, sheet["D8"].value, sheet["E8"].value] == ["—", "—", "—"]  # nothing filed a year ago
    assert sheet["B10"].value == telecom.total.value == 0
    assert any("破案率＝" in (c.value or "") for c in sheet["A"])


def test_the_pdf_has_the_title_a_summary_and_embedded_chinese_font(march):
    yoy = run(march.leader, group_by="class", compare="yoy")
    ranking = run(march.leader, group_by="station", compare="yoy", rank=True)
    content = exports.report_pdf(
        [yoy, ranking], title="衡水市公安局 2025年3月警情简报", issuer="市局指挥中心", area="全市", now=NOW
    )
    reader = PdfReader(BytesIO(content))
    text = pdf_text(content)
    assert "衡水市公安局 2025年3月警情简报" in text
    assert f"全市共接报警情 {yoy.total.value} 起，{report.change_text(yoy.total, 'yoy', yoy.query.metric)}" in text
    assert "同比上升 100.00%" in text
    assert "河西派出所" in text and "第 1 页" in text
    assert "图1　警情数（按警情类别）" in text and "本期（2025年3月）" in text and "同期（2024年3月）" in text
    fonts = [font.get_object() for page in reader.pages for font in page["/Resources"]["/Font"].values()]
    assert fonts
    for font in fonts:
        descendant = font["/DescendantFonts"][0].get_object()
        descriptor = descendant["/FontDescriptor"].get_object()
        assert "NotoSans" in str(font["/BaseFont"]) or "WenQuanYi" in str(font["/BaseFont"])
        assert any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
    assert reader.trailer["/Root"]["/Lang"] == "zh-CN"


def test_the_summary_is_computed_from_the_rows(march):
    yoy = run(march.leader, group_by="class", compare="yoy")
    pop = run(march.leader, group_by="class", compare="pop")
    (table,) = exports.build_tables([yoy, pop])
    # 4 now against 2 a year ago and 1 in February; 2 criminal (0 and 1 before), 2 disputes (2 and 0).
    assert exports.summary(table, "全市") == (
        "全市共接报警情 4 起，同比上升 100.00%，环比上升 300.00%；"
        "其中刑事警情 2 起（同期为 0，环比上升 100.00%），纠纷警情 2 起（同比持平，上期为 0）。"
    )


def test_the_ranking_summary_names_the_top_stations(march):
    ranking = run(march.leader, group_by="station", compare="yoy", rank=True)
    (table,) = exports.build_tables([ranking])
    assert table.ranked and table.caption == "警情数（按派出所排名）"
    assert exports.summary(table, "全市") == (
        "全市共接报警情 4 起，同比上升 100.00%；居前二位的是河西派出所（3起）、冀州镇派出所（1起）；"
        "同比上升的派出所 2 个，下降的 0 个。"
    )
    sheet = workbook(exports.report_xlsx([ranking], title="排名", issuer="市局", now=NOW)).active
    assert (sheet["A6"].value, sheet["B6"].value) == ("派出所", "排名")
    assert [sheet.cell(row=r, column=1).value for r in (9, 10, 11)] == ["河西派出所", "冀州镇派出所", "河东派出所"]
    assert [sheet.cell(row=r, column=2).value for r in (9, 10, 11)] == [1, 2, 3]
    assert sheet["B8"].value is None  # 合计 has no rank


@pytest.mark.parametrize(
    ("kind", "today", "code"),
    [
        ("weekly", date(2025, 3, 5), "2025-W09"),  # a Wednesday: week 10 is not over
        ("weekly", date(2025, 3, 3), "2025-W09"),  # a Monday: week 9 ended yesterday
        ("weekly", date(2025, 3, 2), "2025-W08"),  # a Sunday: week 9 ends today
        ("weekly", date(2025, 1, 1), "2024-W52"),
        ("monthly", date(2025, 3, 1), "2025-02"),
        ("monthly", date(2025, 1, 31), "2024-12"),
    ],
)
def test_the_pack_defaults_to_the_last_complete_period(kind, today, code):
    assert pack.default_period(kind, today).code == code


def test_the_weekly_pack_has_its_four_tables_and_title(march):
    reports, title = pack.standard_pack("weekly", march.leader, today=date(2025, 3, 5))
    assert title == "衡水市公安局 2025年第9周警情通报"
    assert len(reports) >= 4
    assert {r.query.period.code for r in reports} == {"2025-W09"}
    assert [(r.query.metric.code, r.query.group_by, r.query.compare, r.query.group) for r in reports] == [
        ("incidents", "class", "yoy", ""),
        ("incidents", "class", "pop", ""),
        ("serious_violence", "category", "yoy", ""),
        ("clearance_rate", "", "yoy", ""),
        ("clearance_rate", "", "yoy", "property"),
        ("clearance_rate", "", "yoy", "telecom_fraud"),
        ("incidents", "station", "yoy", ""),
    ]
    assert reports[-1].rows[0].rank == 1
    assert reports[0].query.baseline_period.code == "2024-W09"
    assert reports[1].query.baseline_period.code == "2025-W08"
    assert len(exports.build_tables(reports)) == 4


def test_the_monthly_pack_as_files(march):
    xlsx = pack.pack_xlsx("monthly", march.leader, today=date(2025, 4, 2), now=NOW)
    assert xlsx.title == "衡水市公安局 2025年3月警情通报"
    assert xlsx.filename == "衡水市公安局 2025年3月警情通报.xlsx"
    book = workbook(xlsx.content)
    assert book.sheetnames == [
        "表1 警情数（按警情类别）",
        "表2 八类严重暴力警情（按警情细类）",
        "表3 破案率",
        "表4 警情数（按派出所排名）",
    ]
    first = book["表1 警情数（按警情类别）"]
    assert first["A1"].value == xlsx.title
    assert first.cell(row=row_of(first, "合计"), column=2).value == 4
    assert "制表人：" in first.cell(row=first.max_row, column=1).value
    serious = book["表2 八类严重暴力警情（按警情细类）"]
    assert serious.cell(row=row_of(serious, "0106 抢劫"), column=2).value == 1

    pdf = pack.pack_pdf("monthly", march.leader, today=date(2025, 4, 2), now=NOW)
    text = pdf_text(pdf.content)
    assert xlsx.title in text
    assert "全市共接报警情 4 起" in text
    assert "全市共接报八类严重暴力警情 1 起" in text


def test_a_station_pack_covers_its_own_station(march):
    reports, title = pack.standard_pack("monthly", march.outsider, period="2025-03")
    assert title == "冀州镇派出所 2025年3月警情通报"
    ranking = reports[-1]
    assert [r.label for r in ranking.rows] == ["冀州镇派出所"]
    assert ranking.total.value == 1


def test_the_pack_refuses_a_period_of_the_wrong_kind(city):
    with pytest.raises(ActionError) as error:
        pack.standard_pack("weekly", city.leader, period="2025-03")
    assert error.value.field == "period"
    with pytest.raises(ActionError) as error:
        pack.standard_pack("daily", city.leader)
    assert error.value.field == "kind"


def test_an_officer_without_a_unit_gets_no_pack(city):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(Denied):
        pack.standard_pack("weekly", AnonymousUser(), today=date(2025, 3, 5))
