"""Missing-person cases: opened from the portal, a 110 incident, an officer's form and the API;
clues; found and closed; the signals after commit; scoping; names masked."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from anmin.core.errors import ActionError, Conflict, Denied
from anmin.core.models import AuditEntry
from anmin.incidents.actions import ReceiveCall
from anmin.missing.actions import AddClue, CloseCase, MarkFound, OpenMissingCase
from anmin.missing.models import Clue, MissingCase
from anmin.missing.signals import case_found, case_opened
from anmin.reports.models import MissingPersonReport
from tests.conftest import A1_POINT, B1_POINT, portal_client
from tests.files import PNG
from tests.matrix import committed

NAME = "李国栋"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    return settings.MEDIA_ROOT


def case_data(**changes) -> dict:
    data = {
        "full_name": NAME,
        "category": "elderly",
        "sex": "M",
        "age": "78",
        "description": "身高约 165 厘米，灰色棉袄，患阿尔茨海默病，说不清住址",
        "last_seen_at": (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "last_seen_place": "河西街道农贸市场",
        "lat": str(A1_POINT[0]),
        "lon": str(A1_POINT[1]),
    }
    data.update(changes)
    return data


def open_case(city, **changes) -> MissingCase:
    with committed():
        return OpenMissingCase(by=city.station_officer, data=case_data(**changes)).execute()


class Heard:
    """Records each sending of a signal (and nothing before the commit)."""

    def __init__(self, signal):
        self.cases = []
        self.signal = signal

    def __enter__(self):
        self.signal.connect(self.receive, dispatch_uid=f"test-{id(self)}")
        return self

    def receive(self, sender, case, **kwargs):
        self.cases.append(case.number)

    def __exit__(self, *exc):
        self.signal.disconnect(dispatch_uid=f"test-{id(self)}")


# --- opening -------------------------------------------------------------------------------------


def test_an_officer_opens_a_case_at_the_station_of_the_last_seen_point(city, media):
    client = city.login(city.station_officer)
    with Heard(case_opened) as heard, committed():
        response = client.post("/missing/new/", case_data(photo=SimpleUploadedFile("p.png", PNG)))
    assert response.status_code == 302, response.content.decode()[:500]
    case = MissingCase.objects.get()
    assert response["Location"] == f"/missing/{case.pk}/"
    assert case.station == city.station_a1
    assert case.source == MissingCase.Source.OFFICER
    assert case.number.startswith("ZS" + timezone.localdate().strftime("%Y%m%d"))
    assert case.pfif_id.endswith("/" + case.number)
    assert case.photo and case.created_by == city.station_officer
    assert heard.cases == [case.number]
    assert AuditEntry.objects.filter(action="missing.open").count() == 1
    photo = client.get(f"/missing/{case.pk}/photo/")
    assert photo.status_code == 200 and photo["Content-Type"] == "image/png"
    assert b"".join(photo.streaming_content) == PNG


def test_the_signal_waits_for_the_commit_and_a_refused_case_sends_nothing(city, media):
    with Heard(case_opened) as heard:
        with committed():
            case = OpenMissingCase(by=city.station_officer, data=case_data()).execute()
            assert heard.cases == []  # not before the commit
        assert heard.cases == [case.number]
        with committed(), pytest.raises(ActionError):
            OpenMissingCase(by=city.station_officer, data=case_data(lat="1", lon="1")).execute()
    assert heard.cases == [case.number]
    assert MissingCase.objects.count() == 1


def test_a_case_from_a_110_incident_starts_with_its_place_and_time_and_stays_linked(city, media):
    incident, _ = ReceiveCall(
        data={
            "caller_phone": "13800138000",
            "category": "0503",
            "address": "河西村村委会门口",
            "lat": A1_POINT[0],
            "lon": A1_POINT[1],
            "description": "一老人在村口徘徊，说不清住址",
        },
        by=city.dispatcher,
    ).execute()
    client = city.login(city.dispatcher)
    page = client.get(f"/missing/from-incident/{incident.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "河西村村委会门口" in html and incident.number in html
    assert f'value="{A1_POINT[0]:.6f}"' in html
    assert "登记走失人员" in client.get(f"/incidents/{incident.pk}/").content.decode()
    with committed():
        response = client.post(f"/missing/from-incident/{incident.pk}/", case_data(last_seen_place="河西村村委会门口"))
    case = MissingCase.objects.get()
    assert response.status_code == 302
    assert case.incident == incident and case.source == MissingCase.Source.INCIDENT
    assert city.login(city.outsider).get(f"/missing/from-incident/{incident.pk}/").status_code == 404


def test_a_portal_report_opens_its_case_with_the_same_number_and_photo(city, citizen, media):
    data = {
        "name": "王小明",
        "sex": "M",
        "age": "7",
        "description": "身高约 120 厘米，穿红色外套",
        "last_seen_at": (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "last_seen_address": "人民公园东门",
        "lat": str(A1_POINT[0]),
        "lon": str(A1_POINT[1]),
        "photo": SimpleUploadedFile("kid.png", PNG),
    }
    with Heard(case_opened) as heard, committed():
        assert portal_client(citizen).post("/portal/reports/missing/new/", data).status_code == 302
    report = MissingPersonReport.objects.get()
    case = MissingCase.objects.get()
    assert case.report == report and case.number == report.number
    assert case.source == MissingCase.Source.PORTAL and case.category == MissingCase.Category.CHILD
    assert case.station == city.station_a1 and case.full_name == "王小明"
    with case.photo.open("rb") as f:
        assert f.read() == PNG
    assert heard.cases == [case.number]
    # Found on the case: the family's report follows.
    with committed():
        MarkFound(case=case, by=city.station_officer, data={"where": "人民公园西门"}).execute()
    report.refresh_from_db()
    assert report.status == MissingPersonReport.Status.FOUND


def test_the_api_opens_a_case_and_answers_with_the_name_masked(city, media):
    api = city.api(city.station_officer)
    body = {
        "full_name": NAME,
        "category": "child",
        "description": "穿黄色雨衣",
        "last_seen_at": (timezone.now() - timedelta(minutes=30)).isoformat(),
        "lat": A1_POINT[0],
        "lon": A1_POINT[1],
        "may_publish": True,
    }
    with Heard(case_opened) as heard, committed():
        response = api.post("/api/v1/missing", body, content_type="application/json")
    assert response.status_code == 201, response.content
    data = response.json()
    case = MissingCase.objects.get()
    assert data["id"] == case.pk and data["number"] == case.number
    assert data["full_name"] == "李**" and NAME not in response.content.decode()
    assert heard.cases == [case.number]
    detail = api.get(f"/api/v1/missing/{case.pk}").json()
    assert detail["number"] == case.number and "broadcast" in detail
    assert set(detail["broadcast"]) == {"rings", "sends"}
    listed = api.get("/api/v1/missing?category=child").json()
    assert [c["number"] for c in listed] == [case.number]
    assert api.get("/api/v1/missing?status=found").json() == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"full_name": ""}, "full_name"),
        ({"category": "cat"}, "category"),
        ({"description": ""}, "description"),
        ({"last_seen_at": "明天"}, "last_seen_at"),
        ({"age": "200"}, "age"),
        ({"sex": "X"}, "sex"),
        ({"lat": "", "lon": ""}, "lat"),
        ({"lat": str(B1_POINT[0] + 5), "lon": str(B1_POINT[1])}, "lat"),
    ],
)
def test_a_bad_form_names_the_field_and_writes_nothing(city, media, changes, field):
    response = city.login(city.station_officer).post("/missing/new/", case_data(**changes))
    assert response.status_code == 400
    assert f'data-field="{field}"' in response.content.decode()
    assert not MissingCase.objects.exists()


def test_a_future_last_seen_time_is_refused(city):
    later = (timezone.localtime() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    with pytest.raises(ActionError) as err:
        OpenMissingCase(by=city.station_officer, data=case_data(last_seen_at=later)).execute()
    assert err.value.field == "last_seen_at"


def test_a_photo_that_is_not_an_image_is_refused(city, media):
    response = city.login(city.station_officer).post(
        "/missing/new/", case_data(photo=SimpleUploadedFile("p.jpg", b"MZ\x90\x00not a photo"))
    )
    assert response.status_code == 400 and 'data-field="photo"' in response.content.decode()
    assert not MissingCase.objects.exists()


@hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.fixed_dictionaries(
        {},
        optional={
            "full_name": st.one_of(st.text(max_size=40), st.integers(), st.none()),
            "category": st.one_of(st.sampled_from(["elderly", "child", "other", "老人"]), st.integers()),
            "description": st.one_of(st.text(max_size=20), st.none()),
            "last_seen_at": st.one_of(st.text(max_size=30), st.just("2020-01-01T00:00:00Z")),
            "lat": st.one_of(st.floats(allow_nan=True), st.text(max_size=5), st.just(A1_POINT[0])),
            "lon": st.one_of(st.floats(allow_infinity=True), st.just(A1_POINT[1])),
            "age": st.one_of(st.integers(-5, 300), st.text(max_size=4)),
            "sex": st.text(max_size=2),
        },
    )
)
def test_the_api_never_fails_on_any_body_and_names_the_field(city, body):
    response = city.api(city.station_officer).post("/api/v1/missing", body, content_type="application/json")
    assert response.status_code in (201, 400), response.content
    if response.status_code == 400:
        detail = response.json()["detail"]
        assert detail and all(item["message"] for item in detail)
        assert detail[0]["field"] in {
            "full_name",
            "category",
            "description",
            "last_seen_at",
            "lat",
            "lon",
            "age",
            "sex",
            "body",
            None,
        }
    MissingCase.objects.all().delete()


# --- clues, found, closed -------------------------------------------------------------------------


def test_an_officer_adds_a_clue_on_the_case_page(city, media):
    case = open_case(city)
    client = city.login(city.station_officer)
    response = client.post(
        f"/missing/{case.pk}/clues/",
        {"text": "村东头小卖部老板说看见一位老人往北走了", "author_name": "赵四", "place": "河西村小卖部"},
    )
    assert response.status_code == 302
    clue = Clue.objects.get()
    assert clue.source == Clue.Source.OFFICER and clue.officer == city.station_officer
    assert "河西村小卖部" in clue.text and clue.pfif_id.endswith(f"/{case.number}.1")
    html = client.get(f"/missing/{case.pk}/").content.decode()
    assert "往北走了" in html and "赵*" in html and "赵四" not in html
    empty = client.post(f"/missing/{case.pk}/clues/", {"text": ""})
    assert empty.status_code == 400 and 'data-field="text"' in empty.content.decode()
    assert Clue.objects.count() == 1


def test_found_closes_the_search_and_sends_case_found_once(city, media):
    case = open_case(city)
    client = city.login(city.station_officer)
    with Heard(case_found) as heard, committed():
        response = client.post(f"/missing/{case.pk}/found/", {"where": "河西村村委会", "found_by": "村支书王某"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == MissingCase.Status.FOUND and case.found_at is not None
    assert heard.cases == [case.number]
    assert Clue.objects.get(says_found=True).text.startswith("已找到")
    with Heard(case_found) as again, committed():
        second = client.post(f"/missing/{case.pk}/found/", {"where": "别处"})
    assert second.status_code == 409 and again.cases == []
    with pytest.raises(Conflict):
        CloseCase(case=case, by=city.station_officer, data={"reason": "重复"}).execute()


def test_a_found_place_is_required_and_nothing_changes_without_it(city):
    case = open_case(city)
    with Heard(case_found) as heard, committed(), pytest.raises(ActionError) as err:
        MarkFound(case=case, by=city.station_officer, data={"where": ""}).execute()
    assert err.value.field == "where" and heard.cases == []
    case.refresh_from_db()
    assert case.status == MissingCase.Status.SEARCHING


def test_a_case_is_closed_without_finding_with_a_reason(city):
    case = open_case(city)
    with Heard(case_found) as heard, committed():
        CloseCase(case=case, by=city.station_officer, data={"reason": "家属撤回报告"}).execute()
    case.refresh_from_db()
    assert case.status == MissingCase.Status.CLOSED and heard.cases == []
    with pytest.raises(Conflict):
        MarkFound(case=case, by=city.station_officer, data={"where": "x"}).execute()


def test_the_api_marks_found_and_answers_with_the_clues(city):
    case = open_case(city)
    api = city.api(city.station_officer)
    with Heard(case_found) as heard, committed():
        response = api.post(
            f"/api/v1/missing/{case.pk}/found", {"where": "衡水湖东岸"}, content_type="application/json"
        )
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"] == "found" and data["clues"][0]["says_found"] is True
    assert heard.cases == [case.number]
    bad = api.post(f"/api/v1/missing/{case.pk}/found", {}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["detail"][0]["field"] == "where"


# --- scoping and masking -------------------------------------------------------------------------


def test_a_station_sees_its_own_cases_and_the_outsider_gets_404(city, media):
    case = open_case(city)
    outsider, api = city.login(city.outsider), city.api(city.outsider)
    for url in (f"/missing/{case.pk}/", f"/missing/{case.pk}/photo/"):
        assert outsider.get(url).status_code == 404
    for url in ("clues", "found", "close"):
        assert (
            outsider.post(f"/missing/{case.pk}/{url}/", {"text": "x", "where": "x", "reason": "x"}).status_code == 404
        )
    assert case.number not in outsider.get("/missing/").content.decode()
    assert api.get(f"/api/v1/missing/{case.pk}").status_code == 404
    assert (
        api.post(f"/api/v1/missing/{case.pk}/found", {"where": "x"}, content_type="application/json").status_code == 404
    )
    assert api.get("/api/v1/missing").json() == []
    with pytest.raises(Denied):
        AddClue(case=case, by=city.outsider, data={"text": "x"}).execute()
    case.refresh_from_db()
    assert case.status == MissingCase.Status.SEARCHING and not Clue.objects.exists()
    # The leader above sees it; the list filters.
    leader = city.login(city.leader)
    assert case.number in leader.get("/missing/?status=searching&category=elderly").content.decode()
    assert case.number not in leader.get("/missing/?status=found").content.decode()


def test_an_officer_opening_a_case_for_another_station_is_told_who_owns_it(city, media):
    response = city.login(city.outsider).post("/missing/new/", case_data())
    assert response.status_code == 200
    case = MissingCase.objects.get()
    assert case.station == city.station_a1
    assert city.station_a1.name in response.content.decode()


def test_the_name_is_masked_on_pages_and_revealed_only_by_the_audited_reveal(city):
    case = open_case(city)
    client = city.login(city.station_officer)
    for url in ("/missing/", f"/missing/{case.pk}/"):
        html = client.get(url).content.decode()
        assert "李**" in html and NAME not in html
    reveal = city.api(city.station_officer).post(
        "/api/v1/pii/reveal",
        {"object": "missing_case", "id": case.pk, "field": "name"},
        content_type="application/json",
    )
    assert reveal.status_code == 200 and reveal.json() == {"value": NAME}
    assert AuditEntry.objects.filter(action="pii.reveal").count() == 1
    assert (
        city.api(city.outsider)
        .post(
            "/api/v1/pii/reveal",
            {"object": "missing_case", "id": case.pk, "field": "name"},
            content_type="application/json",
        )
        .status_code
        == 404
    )


def test_the_list_page_costs_the_same_queries_for_many_cases(city, django_assert_max_num_queries):
    for i in range(12):
        open_case(city, full_name=f"测试{i}")
    client = city.login(city.station_officer)
    client.get("/missing/")
    with django_assert_max_num_queries(12):
        response = client.get("/missing/")
    assert response.content.decode().count("/missing/") >= 12


def test_the_admin_shows_cases_read_only_with_the_name_masked(city, admin_client):
    case = open_case(city)
    AddClue(case=case, by=city.station_officer, data={"text": "看见了", "author_name": "赵四"}).execute()
    listing = admin_client.get("/admin/missing/missingcase/")
    assert listing.status_code == 200 and case.number in listing.content.decode()
    page = admin_client.get(f"/admin/missing/missingcase/{case.pk}/change/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "李**" in html and NAME not in html and "赵*" in html and "赵四" not in html
