"""标准地址库: loading the divisions, the demo's roads and landmarks, the matcher, the import, the API."""

import csv
import io
import math

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import translation
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from openpyxl import Workbook
from shapely.geometry import Point

from anmin.addresses import match as matcher
from anmin.addresses.demo import load_demo_addresses
from anmin.addresses.divisions import DATA, LoadDivisions, address_name, read_divisions, short_forms
from anmin.addresses.importer import import_addresses
from anmin.addresses.match import Index, normalize, number_key
from anmin.addresses.models import Address, IndexVersion, Level
from anmin.addresses.points import COMMUNITY_RADIUS_KM, SEATS, VILLAGE_RADIUS_KM, Placer, distance_km, load_outlines
from anmin.core.cache import TtlCache
from anmin.core.models import AuditEntry
from anmin.demo import data as demo

pytestmark = pytest.mark.django_db

HEADER = ["code", "name", "level", "parent_code", "lat", "lon", "aliases", "category"]


@pytest.fixture(autouse=True)
def _chinese():
    # Reasons and labels are asserted in Chinese; an English page of an earlier test must not leak in.
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def library(db):
    """The whole city: divisions, the demo's roads and landmarks."""
    load_demo_addresses(
        landmarks=demo.PLACES,
        urban_streets=demo.URBAN_STREETS,
        county_streets=demo.COUNTY_STREETS,
        ew_roads=demo.EW_ROADS,
        ns_roads=demo.NS_ROADS,
        counties=[b.division for b in demo.BRANCHES],
    )


def top(text: str, limit: int = 10) -> matcher.Candidate:
    found = matcher.match(text, limit)
    assert found, f"nothing for {text!r}"
    return found[0]


def write_csv(path, rows, *, header=HEADER, encoding="utf-8"):
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


# --- the divisions ------------------------------------------------------------------------------


def test_the_packaged_extract_is_the_whole_city():
    rows = read_divisions(DATA)
    by_level = {level: [r for r in rows if r["level"] == level] for level in ("county", "town", "village")}
    assert [len(by_level[k]) for k in ("county", "town", "village")] == [13, 129, 5118]
    assert sum("社区" in r["name"] for r in by_level["village"]) == 120
    assert {r["code"] for r in by_level["county"]} == set(SEATS)
    assert all(r["code"].startswith("1311") for r in rows)


def test_it_loads_the_divisions_with_address_names_aliases_and_full_addresses(db):
    result = LoadDivisions().execute()

    assert [result.created[level] for level in ("county", "town", "village")] == [13, 129, 5118]
    assert Address.objects.filter(level=Level.COUNTY).count() == 13
    assert Address.objects.filter(level=Level.TOWN).count() == 129
    assert Address.objects.filter(level=Level.VILLAGE).count() == 5118
    taocheng = Address.objects.get(code="131102")
    assert (taocheng.name, taocheng.full_name, taocheng.parent_id) == ("桃城区", "河北省衡水市桃城区", None)
    assert "桃城" in taocheng.aliases
    hexi = Address.objects.get(code="131102001")
    assert (hexi.name, hexi.parent_id, hexi.full_name) == ("河西街道", "131102", "河北省衡水市桃城区河西街道")
    assert hexi.aliases == ["河西"]
    community = Address.objects.get(code="131102001045")
    assert community.name == "游园社区"
    assert community.full_name == "河北省衡水市桃城区河西街道游园社区"
    assert community.aliases == ["游园社区居民委员会", "游园"]
    zone = Address.objects.get(code="131171")
    assert zone.name == "高新技术产业开发区" and "高新区" in zone.aliases
    assert "河北衡水高新技术产业开发区" in zone.aliases  # the published name still finds it
    assert AuditEntry.objects.filter(action="addresses.load").count() == 1


@pytest.mark.parametrize(
    ("published", "level", "name", "short"),
    [
        ("王庄村村民委员会", "village", "王庄村", ["王庄"]),
        ("刘家庄村民委员会", "village", "刘家庄村", ["刘家庄"]),
        ("南街居民委员会", "village", "南街居委会", ["南街"]),
        ("河西街道", "town", "河西街道", ["河西"]),
        ("何家庄乡", "town", "何家庄乡", ["何家庄"]),
        ("苏正办事处", "town", "苏正办事处", ["苏正"]),
        ("景县", "county", "景县", []),  # one character is no name
        ("深州市", "county", "深州市", ["深州"]),
        ("河北冀州高新技术产业开发区", "town", "冀州高新技术产业开发区", ["冀州高新区"]),
    ],
)
def test_it_names_divisions_as_addresses_do(published, level, name, short):
    assert address_name(published, level) == name
    assert short_forms(name) == short


def test_loading_again_changes_nothing_and_keeps_what_a_bureau_imported(db, tmp_path):
    LoadDivisions().execute()
    own = [["131102001045", "游园社区", "社区", "131102001", "37.75", "115.67", "游园小区", ""]]
    path = write_csv(tmp_path / "own.csv", own)
    assert import_addresses(path).imported == 1

    again = LoadDivisions().execute()

    assert again.created == {} and again.updated == {}
    assert sum(again.unchanged.values()) == 13 + 129 + 5118
    community = Address.objects.get(code="131102001045")
    assert (community.lat, community.lon, community.approximate) == (37.75, 115.67, False)
    assert "游园小区" in community.aliases and "游园" in community.aliases


def test_counties_sit_at_their_seats_and_the_rest_is_approximate_inside_the_county(db):
    outlines = load_outlines()
    LoadDivisions().execute()

    for code, (lat, lon, approximate) in SEATS.items():
        county = Address.objects.get(code=code)
        assert (county.lat, county.lon, county.approximate) == (lat, lon, approximate)
    rows = Address.objects.exclude(level=Level.COUNTY)
    assert rows.filter(approximate=False).count() == 0
    assert rows.filter(lat__isnull=True).count() == 0
    towns = {a.code: a for a in Address.objects.filter(level=Level.TOWN)}
    for village in Address.objects.filter(level=Level.VILLAGE).iterator():
        town = towns[village.parent_id]
        limit = COMMUNITY_RADIUS_KM if town.name.endswith("街道") else VILLAGE_RADIUS_KM
        assert distance_km((village.lat, village.lon), (town.lat, town.lon)) <= limit + 0.01
    if outlines:  # drawn by the geo app; without it, discs around the seats stand in
        for town in towns.values():
            county = town.parent_id
            if county in outlines:
                assert outlines[county].buffer(0.001).contains(Point(town.lon, town.lat)), town.full_name


def test_placement_is_deterministic_and_works_without_outlines(db):
    first = Placer(outlines={})
    LoadDivisions(placer=first).execute()
    points = dict((c, (la, lo)) for c, la, lo in Address.objects.values_list("code", "lat", "lon"))
    again = LoadDivisions(placer=Placer(outlines={})).execute()
    assert again.updated == {}
    assert points == {c: (la, lo) for c, la, lo in Address.objects.values_list("code", "lat", "lon")}
    for code, point in points.items():
        county = code[:6]
        assert distance_km(point, SEATS[county][:2]) <= 15 + VILLAGE_RADIUS_KM


def test_the_demo_adds_its_roads_and_landmarks(library):
    roads = Address.objects.filter(level=Level.ROAD)
    assert roads.filter(parent_id="131102").count() == len(set(demo.URBAN_STREETS) | {n for n, _ in demo.EW_ROADS})
    assert roads.filter(name="建设路").count() == 10  # one in every county town but 桃城
    renmin = roads.get(name="人民路")
    assert (renmin.lat, renmin.approximate) == (37.740, False)
    college = Address.objects.get(name="衡水学院")
    assert (college.level, college.category, college.approximate) == (Level.POI, "school", False)
    assert college.full_name == "河北省衡水市桃城区衡水学院"
    assert Address.objects.get(name="冀州古城遗址").parent_id == "131103100"  # 冀州镇, named in its address
    assert Address.objects.get(name="康宁小区").level == Level.COMPOUND
    assert "衡中" in Address.objects.get(name="衡水中学").aliases


# --- matching -----------------------------------------------------------------------------------


#: (kind, what is said, the entry meant: its code or, for roads and landmarks, its name, detail kept)
SAID = [
    ("exact", "桃城区河西街道游园社区", "131102001045", ""),
    ("missing level", "河西街道游园社区", "131102001045", ""),
    ("missing levels", "游园社区", "131102001045", ""),
    ("简称", "桃城河西游园", "131102001045", ""),
    ("简称 of a county", "桃城", "131102", ""),
    ("简称 of a street office", "河西", "131102001", ""),
    ("typo", "桃城区河西街到游园社区", "131102001045", ""),
    ("typo in the leaf", "桃城区河西街道游园社匹", "131102001045", ""),
    ("typo hidden by a homophone elsewhere", "深州市基州镇", "131182101", ""),
    ("homophone", "和西街道", "131102001", ""),
    ("homophone on the way", "桃城区和西街道游园社区", "131102001045", ""),
    ("word order", "游园社区，桃城区河西街道", "131102001045", ""),
    ("word order with spaces", "游园社区 河西街道 桃城区", "131102001045", ""),
    ("landmark", "衡水学院东门", "衡水学院", "东门"),
    ("landmark by its common name", "衡中附近", "衡水中学", "附近"),
    ("house number", "人民路88号", "人民路", "88号"),
    ("section of a road", "人民东路88号", "人民路", "88号"),
    ("house number in words, a county town's road", "景县建设路八十八号", "131127-", "八十八号"),
    ("the city named", "河北省衡水市桃城区", "131102", ""),
    ("full-width and punctuation", "桃城区　河西街道（游园社区）", "131102001045", ""),
]


def test_each_kind_of_spoken_address_finds_its_entry(library):
    wrong = []
    for kind, text, meant, detail in SAID:
        found = top(text)
        right = found.code == meant or found.name == meant or found.code.startswith(meant)
        if not right or found.detail != detail or not found.full_name.endswith(detail):
            wrong.append((kind, text, found))
        assert 0 <= found.score <= 100
    assert wrong == []


def test_a_road_in_several_counties_is_offered_in_each(library):
    found = matcher.match("建设路88号")
    assert len({c.code for c in found}) == 10
    assert {c.score for c in found} == {100}
    assert all(c.full_name.endswith("建设路88号") for c in found)


def test_candidates_are_ranked_and_limited(library):
    found = matcher.match("王庄", 5)
    assert len(found) == 5
    assert [c.score for c in found] == sorted((c.score for c in found), reverse=True)
    assert all(c.name.startswith("王庄") for c in found)


def test_nothing_to_match_is_an_empty_list(library):
    assert matcher.match("zzzz") == []
    assert matcher.match("12345") == []
    assert matcher.match("，。！") == []
    assert matcher.match("衡水市") == []  # the city alone names no entry


def test_a_house_or_building_of_its_own_answers_before_its_road_or_compound(library, tmp_path):
    road = Address.objects.get(name="新华路").code
    path = write_csv(
        tmp_path / "own.csv",
        [
            ["H-1", "88号", "门牌", road, "37.741", "115.681", "", ""],
            ["C-1", "金岸花园", "小区", "131102001", "", "", "金岸", ""],
            ["B-1", "3号楼", "楼栋", "C-1", "", "", "", ""],
        ],
    )
    assert import_addresses(path).imported == 3

    house = top("新华路八十八号")
    assert (house.code, house.level, house.detail) == ("H-1", Level.HOUSE, "")
    assert house.full_name == "河北省衡水市桃城区新华路88号"
    assert (house.lat, house.approximate) == (37.741, False)
    building = top("河西金岸3栋2单元")
    assert (building.code, building.detail) == ("B-1", "2单元")
    assert building.full_name == "河北省衡水市桃城区河西街道金岸花园3号楼2单元"
    assert building.approximate  # no point of its own: its compound's, which is its street's


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("88号", "88号"),
        ("八十八号", "88号"),
        ("一百零五号", "105号"),
        ("3号楼", "3栋"),
        ("3幢", "3栋"),
        ("12-3号", "12-3号"),
    ],
)
def test_house_and_building_numbers_are_written_one_way(text, key):
    assert number_key(text) == key


def test_the_index_follows_edits_and_a_match_reads_the_database_at_most_once(
    library, django_assert_num_queries, django_capture_on_commit_callbacks
):
    matcher.match("游园社区")  # built (the second may start from the version read: building took a while)
    matcher.match("游园社区")
    with django_assert_num_queries(0):
        matcher.match("游园社区")  # within VERSION_CHECK_S: no query at all
    TtlCache.clear(matcher._cache)  # the second is over: the index stays, its check is due
    with django_assert_num_queries(1):  # the version, found unchanged
        matcher.match("游园社区")

    before = IndexVersion.current()
    with django_capture_on_commit_callbacks(execute=True):
        Address.objects.create(
            code="P-NEW",
            name="阜城剪纸馆",
            full_name="河北省衡水市阜城县阜城剪纸馆",
            level=Level.POI,
            parent_id="131128",
        )
    assert IndexVersion.current() == before + 1  # other processes rebuild
    assert top("阜城剪纸馆").code == "P-NEW"  # this one at once


def test_the_index_works_on_rows_without_a_database():
    rows = [
        ("131102", "桃城区", "河北省衡水市桃城区", "county", None, ["桃城"], "", 37.7, 115.6, False),
        ("R1", "人民路", "河北省衡水市桃城区人民路", "road", "131102", [], "", 37.74, 115.67, False),
        ("H1", "8号", "河北省衡水市桃城区人民路8号", "house", "R1", [], "", 37.741, 115.671, False),
    ]
    house, road = Index(rows, version=0).match("桃城人民路8号")
    assert (house.code, house.detail, road.code, road.detail) == ("H1", "", "R1", "8号")
    assert 90 < road.score <= house.score < 100  # 桃城 is a short name: a little less than sure


TAOCHENG = "河北省衡水市桃城区"
SMALL = Index(
    [
        ("131102", "桃城区", TAOCHENG, "county", None, ["桃城"], "", 37.7, 115.6, False),
        ("131102001", "河西街道", f"{TAOCHENG}河西街道", "town", "131102", ["河西"], "", 37.7, 115.6, True),
        ("V1", "游园社区", f"{TAOCHENG}河西街道游园社区", "village", "131102001", ["游园"], "", 37.7, 115.6, True),
        ("R1", "人民路", f"{TAOCHENG}人民路", "road", "131102", [], "", 37.74, 115.67, False),
        ("H1", "8号", f"{TAOCHENG}人民路8号", "house", "R1", [], "", None, None, False),
    ],
    version=0,
)


@hypothesis_settings(max_examples=300, deadline=None)
@given(st.text(max_size=120))
def test_the_matcher_never_raises_whatever_is_typed(text):
    found = SMALL.match(text)
    assert len(found) <= 10
    assert all(0 <= c.score <= 100 for c in found)
    assert all(c.full_name.endswith(c.detail) for c in found)


@hypothesis_settings(max_examples=300, deadline=None)
@given(st.text(alphabet="桃城区河西街道游园社区人民路八十号0123456789-东门附近和 ，", max_size=40))
def test_the_matcher_never_raises_on_text_made_of_its_own_words(text):
    for candidate in SMALL.match(text):
        assert candidate.code in {"131102", "131102001", "V1", "R1", "H1"}
        assert normalize(text)  # something was left to match


# --- import -------------------------------------------------------------------------------------

GOOD = [
    ["131102", "桃城区", "区县", "", "37.735", "115.675", "桃城", ""],
    ["R-RM", "人民路", "道路", "131102", "", "", "人民大街、人民西路", ""],
    ["H-88", "88号", "门牌", "R-RM", "37.7401", "115.6702", "", ""],
    ["P-XY", "衡水学院", "兴趣点", "131102", "37.757", "115.648", "衡院", "学校"],
    ["P-ST", "衡水火车站", "poi", "", "37.744", "115.698", "", "station"],
]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_it_imports_a_bureau_file_in_each_encoding(db, tmp_path, encoding):
    result = import_addresses(write_csv(tmp_path / "addresses.csv", GOOD, encoding=encoding))

    assert (result.read, result.imported, result.existing, result.rejected) == (5, 5, 0, [])
    house = Address.objects.get(code="H-88")
    assert (house.level, house.parent_id, house.full_name) == ("house", "R-RM", "河北省衡水市桃城区人民路88号")
    assert (house.lat, house.approximate) == (37.7401, False)
    road = Address.objects.get(code="R-RM")
    assert road.aliases == ["人民大街", "人民西路"]
    assert (road.lat, road.lon, road.approximate) == (37.735, 115.675, True)  # its county's, approximate
    assert Address.objects.get(code="P-XY").category == "school"
    station = Address.objects.get(code="P-ST")
    assert (station.parent_id, station.full_name, station.category) == (None, "河北省衡水市衡水火车站", "station")
    assert AuditEntry.objects.filter(action="import.addresses").count() == 1
    assert top("人民路88号").code == "H-88"  # the index was rebuilt


def test_it_imports_an_xlsx_workbook(db, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in GOOD:
        sheet.append([float(v) if k in (4, 5) and v else v for k, v in enumerate(row)])
    book.save(tmp_path / "addresses.xlsx")

    result = import_addresses(tmp_path / "addresses.xlsx")

    assert (result.imported, result.rejected) == (5, [])
    assert Address.objects.get(code="H-88").lat == 37.7401


def test_importing_again_changes_nothing(db, tmp_path):
    path = write_csv(tmp_path / "addresses.csv", GOOD)
    import_addresses(path)
    before = list(Address.objects.order_by("code").values())

    again = import_addresses(path)

    assert (again.imported, again.existing, again.rejected) == (0, 5, [])
    after = list(Address.objects.order_by("code").values())
    assert [{k: v for k, v in r.items() if k != "updated"} for r in after] == [
        {k: v for k, v in r.items() if k != "updated"} for r in before
    ]
    assert AuditEntry.objects.filter(action="import.addresses").count() == 1  # nothing imported: no entry


def test_a_renamed_road_renames_what_lies_on_it(db, tmp_path):
    import_addresses(write_csv(tmp_path / "a.csv", GOOD))
    import_addresses(write_csv(tmp_path / "b.csv", [["R-RM", "人民大道", "道路", "131102", "", "", "", ""]]))
    assert Address.objects.get(code="H-88").full_name == "河北省衡水市桃城区人民大道88号"


BAD = [
    ["R-OK", "胜利路", "道路", "131102", "", "", "", ""],  # row 2: good
    ["H-1", "1号", "门牌", "NOPE", "", "", "", ""],  # 3: unknown parent
    ["T-1", "某镇", "乡镇", "", "", "", "", ""],  # 4: a town needs a county
    ["X-1", "", "道路", "131102", "91", "", "", ""],  # 5: no name, latitude without longitude
    ["R-OK", "重复", "道路", "131102", "", "", "", ""],  # 6: code twice
    ["P-1", "某地", "兴趣点", "131102", "", "", "", "寺庙"],  # 7: unknown category
    ["R-2", "某路", "道路", "131102", "", "", "", "学校"],  # 8: category on a road
    ["X 2", "某处", "星球", "131102", "abc", "115", "", ""],  # 9: bad code, level, latitude
    ["H-2", "2号", "门牌", "X 2", "", "", "", ""],  # 10: parent was a rejected row
    ["131102", "桃城区", "道路", "", "", "", "", ""],  # 11: a county cannot become a road
    ["R-3", "某路", "道路", "R-3", "", "", "", ""],  # 12: its own parent
]


def test_bad_rows_are_listed_with_their_column_and_leave_no_trace(db, tmp_path):
    import_addresses(write_csv(tmp_path / "good.csv", GOOD[:1]))
    path = write_csv(tmp_path / "bad.csv", BAD)

    result = import_addresses(path)

    assert result.imported == 1 and result.rejected_rows == 10
    fields = {(r.row, r.field) for r in result.rejected}
    assert fields == {
        (3, "parent_code"),
        (4, "parent_code"),
        (5, "name"),
        (5, "lon"),
        (6, "code"),
        (7, "category"),
        (8, "category"),
        (9, "code"),
        (9, "level"),
        (9, "lat"),
        (10, "parent_code"),
        (11, "level"),
        (11, "parent_code"),  # and a road needs a county or a 乡镇 above it
        (12, "parent_code"),
    }
    reasons = {(r.row, r.field): r.reason for r in result.rejected}
    assert reasons[(3, "parent_code")] == "上级编码 NOPE 不在地址库中，也不在本文件前面的行中"
    assert reasons[(4, "parent_code")] == "乡镇/街道的上级应为区县"
    assert reasons[(11, "level")] == "编码 131102 已是“区县”，不能改为其他层级"
    assert set(Address.objects.values_list("code", flat=True)) == {"131102", "R-OK"}
    assert Address.objects.get(code="R-OK").name == "胜利路"  # the later duplicate changed nothing
    with result.report_path.open(encoding="utf-8-sig") as report:
        lines = list(csv.reader(report))
    assert lines[0] == ["行号", "字段", "原因"]
    assert len(lines) == 1 + len(result.rejected)


def test_the_import_command_exits_as_the_history_import_does(db, tmp_path):
    good = write_csv(tmp_path / "good.csv", GOOD)
    out = io.StringIO()
    call_command("import", "addresses", str(good), stdout=out)
    assert "导入 5" in out.getvalue()

    with pytest.raises(CommandError) as rejected:
        bad = write_csv(tmp_path / "bad.csv", BAD)
        call_command("import", "addresses", str(bad), stdout=io.StringIO(), stderr=io.StringIO())
    assert rejected.value.returncode == 1

    no_level = write_csv(tmp_path / "columns.csv", [["X", "Y"]], header=["code", "name"])
    with pytest.raises(CommandError) as unreadable:
        call_command("import", "addresses", str(no_level), stdout=io.StringIO())
    assert unreadable.value.returncode == 2
    assert "level" in str(unreadable.value)


# --- the commands -------------------------------------------------------------------------------


def test_the_addresses_command_loads_and_matches(db):
    out = io.StringIO()
    call_command("addresses", "load", stdout=out)
    assert "村/社区：新增 5118" in out.getvalue()

    out = io.StringIO()
    call_command("addresses", "match", "和西街道", "--limit", "2", stdout=out)
    first = out.getvalue().splitlines()[0]
    assert "131102001" in first and "河北省衡水市桃城区河西街道" in first and "（近似）" in first

    out = io.StringIO()
    call_command("addresses", "match", "zzzz", stdout=out)
    assert "没有匹配的地址" in out.getvalue()
    with pytest.raises(CommandError) as empty:
        call_command("addresses", "match", "   ", stdout=io.StringIO())
    assert empty.value.returncode == 2


# --- the API ------------------------------------------------------------------------------------

FIELDS = {"code", "name", "full_name", "level", "score", "lat", "lon", "approximate"}


def test_the_api_answers_the_intake_contract(city, library):
    response = city.api(city.dispatcher).get("/api/v1/addresses/match", {"q": "衡水学院东门", "limit": 3})

    assert response.status_code == 200
    candidates = response.json()["candidates"]
    assert 1 <= len(candidates) <= 3
    best = candidates[0]
    assert FIELDS <= set(best)
    assert best["name"] == "衡水学院" and best["level"] == "poi" and best["score"] == 100
    assert best["full_name"] == "河北省衡水市桃城区衡水学院东门"
    assert (best["lat"], best["lon"], best["approximate"]) == (37.757, 115.648, False)
    assert (best["detail"], best["level_label"], best["category"]) == ("东门", "兴趣点", "school")


def test_the_api_takes_a_session_too(city, library):
    response = city.login(city.station_officer).get("/api/v1/addresses/match", {"q": "和西街道游园"})
    assert response.status_code == 200
    best = response.json()["candidates"][0]
    assert (best["code"], best["approximate"]) == ("131102001045", True)
    assert math.isfinite(best["lat"]) and math.isfinite(best["lon"])


def test_the_api_answers_an_empty_list_when_nothing_matches(city, library):
    response = city.api(city.dispatcher).get("/api/v1/addresses/match", {"q": "zzzz"})
    assert response.status_code == 200
    assert response.json() == {"candidates": []}


@pytest.mark.parametrize(
    ("params", "field"),
    [({}, "q"), ({"q": ""}, "q"), ({"q": "   "}, "q"), ({"q": "路" * 101}, "q"), ({"q": "a\x00"}, "q")]
    + [({"q": "人民路", "limit": limit}, "limit") for limit in ("0", "11", "x")],
)
def test_the_api_refuses_bad_input_naming_the_field(city, params, field):
    response = city.api(city.dispatcher).get("/api/v1/addresses/match", params)
    assert response.status_code == 400
    assert response.json()["detail"][0]["field"] == field


def test_the_api_needs_an_officer(db):
    assert Client().get("/api/v1/addresses/match", {"q": "桃城"}).status_code == 401


@hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=st.text(min_size=1, max_size=100))
def test_the_api_never_fails_whatever_is_typed(city, library, q):
    response = city.api(city.dispatcher).get("/api/v1/addresses/match", {"q": q})
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert all(FIELDS <= set(c) for c in response.json()["candidates"])


# --- the admin ----------------------------------------------------------------------------------


@pytest.fixture
def admin_client(city):
    from anmin.org.models import Role
    from tests.factories import OfficerFactory

    client = Client()
    client.force_login(OfficerFactory(username="root", organization=city.bureau, role=Role.ADMIN, is_staff=True))
    return client


def test_the_system_administrator_keeps_the_library_in_the_admin(admin_client, library):
    for url in ("/admin/addresses/address/", "/admin/addresses/address/add/", "/admin/addresses/address/?q=游园"):
        response = admin_client.get(url)
        assert response.status_code == 200
        assert "标准地址" in response.content.decode()
    community = Address.objects.get(code="131102001045")
    page = admin_client.get(f"/admin/addresses/address/{community.pk}/change/").content.decode()
    assert "游园社区居民委员会、游园" in page  # the aliases as one line

    response = admin_client.post(
        "/admin/addresses/address/add/",
        {
            "code": "P-ADMIN",
            "name": "阜城梨园",
            "level": "poi",
            "parent": "131128",
            "aliases": "梨园， 阜城梨园景区、梨园",
            "category": "scenic",
            "lat": "37.87",
            "lon": "116.15",
        },
    )
    assert response.status_code == 302
    added = Address.objects.get(code="P-ADMIN")
    assert added.aliases == ["梨园", "阜城梨园景区"]
    assert added.full_name == "河北省衡水市阜城县阜城梨园"
    assert top("阜城梨园北门").code == "P-ADMIN"  # saved in the admin: matched at once

    refused = admin_client.post(
        "/admin/addresses/address/add/",
        {"code": "P-BAD", "name": "某路", "level": "road", "category": "school", "lat": "37.8"},
    )
    assert refused.status_code == 200
    assert not Address.objects.filter(code="P-BAD").exists()
    assert "只有兴趣点有类别" in refused.content.decode()
    assert "经纬度须同时填写" in refused.content.decode()

    town = Address.objects.get(code="131128100")  # 阜城镇, renamed in the admin: its villages follow
    response = admin_client.post(
        f"/admin/addresses/address/{town.pk}/change/",
        {"code": town.code, "name": "阜城街道", "level": "town", "parent": "131128", "approximate": "on"},
    )
    assert response.status_code == 302
    village = Address.objects.filter(parent_id="131128100").first()
    assert village.full_name == f"河北省衡水市阜城县阜城街道{village.name}"


# --- the benchmark's queries ---------------------------------------------------------------------


def test_the_benchmark_makes_queries_of_every_kind_that_name_one_entry(library):
    import random

    from anmin.bench.addresses import KINDS, Generator, Library

    rows = list(Address.objects.values_list("code", "name", "level", "parent_id", "aliases"))
    lib = Library(rows)
    queries = Generator(lib, random.Random(7)).queries(15)

    assert {kind for kind, _text, _code in queries} == set(KINDS)
    assert all(sum(k == kind for k, _t, _c in queries) == 15 for kind in KINDS)
    assert len({text for _k, text, _c in queries}) == len(queries)
    by_kind = {kind: [(t, c) for k, t, c in queries if k == kind] for kind in KINDS}
    for text, code in by_kind["exact"]:
        assert text == Address.objects.get(code=code).full_name.removeprefix("河北省衡水市")
    for text, code in by_kind["typo"] + by_kind["homophone"]:
        written = Address.objects.get(code=code).full_name.removeprefix("河北省衡水市")
        assert len(text) == len(written) and sum(a != b for a, b in zip(text, written, strict=True)) == 1
    found = sum(code in [c.code for c in matcher.match(text, 5)] for _kind, text, code in queries)
    assert found >= 0.9 * len(queries)  # the benchmark measures the rest
