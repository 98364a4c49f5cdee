"""警务站与检查站: rosters, 上岗/下岗, check records and wanted-list hits, the 达标 report, scoping."""

import json
from datetime import date, datetime, timedelta
from unittest import mock

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anmin.core.errors import ActionError, Conflict, Denied
from anmin.core.models import AuditEntry
from anmin.dispatch.actions import DispatchUnits
from anmin.geo.models import Post
from anmin.incidents.actions import ReceiveCall
from anmin.posts.actions import (
    ChangeShift,
    CreateWeekRoster,
    HandleHit,
    RecordCheck,
    RecordOffDuty,
    RecordOnDuty,
    SaveWantedEntry,
)
from anmin.posts.compliance import compliance
from anmin.posts.models import CheckRecord, DutyShift, PostStandard, WantedEntry
from tests.conftest import A1_POINT, B1_POINT

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 2)  # a Monday
ID_OK = "110101199003074514"  # a valid GB 11643 number (check digit 4)
ID_WANTED = "130102198505051234"


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()) + timedelta(hours=hour, minutes=minute))


def make_post(city, kind=Post.Kind.CHECKPOINT, org=None, point=A1_POINT, name="河西检查站") -> Post:
    return Post.objects.create(name=name, kind=kind, organization=org or city.station_a1, lat=point[0], lon=point[1])


def roster(city, post, day=DAY, days=7, **kwargs) -> list[DutyShift]:
    kwargs.setdefault("leader", city.station_officer)
    kwargs.setdefault("officers", [city.patrol_officer])
    return CreateWeekRoster(post=post, by=city.station_officer, week_start=day, days=days, **kwargs).execute()


def shift_at(post, when: datetime) -> DutyShift:
    return DutyShift.objects.get(post=post, starts_at__lte=when, ends_at__gt=when)


@pytest.fixture
def checkpoint(city):
    return make_post(city)


@pytest.fixture
def shift(city, checkpoint):
    roster(city, checkpoint, days=1)
    return shift_at(checkpoint, at(DAY, 9))


@pytest.fixture
def wanted_plate(city):
    return SaveWantedEntry(
        by=city.leader, kind=WantedEntry.Kind.VEHICLE, plate="冀T9Z123", reason="涉嫌盗窃车辆", issuing_unit=city.bureau
    ).execute()


# --- rosters -------------------------------------------------------------------------------


def test_it_builds_a_week_of_three_shifts_a_day_from_the_default_pattern(city, checkpoint):
    shifts = roster(city, checkpoint, auxiliaries="王小明、李强")
    assert len(shifts) == 21
    day = sorted(s.starts_at for s in shifts if timezone.localtime(s.starts_at).date() == DAY)
    assert [timezone.localtime(s).hour for s in day] == [0, 8, 16]
    evening = shift_at(checkpoint, at(DAY, 20))
    assert evening.ends_at == at(DAY + timedelta(days=1), 0)
    assert list(evening.officers.all()) == [city.patrol_officer]
    assert evening.auxiliary_names() == ["王小明", "李强"]
    assert AuditEntry.objects.filter(action="posts.roster").count() == 1


def test_it_follows_the_posts_own_shift_pattern(city, checkpoint):
    PostStandard.objects.create(
        post_kind=checkpoint.kind, post=checkpoint, shift_pattern=["07:00-19:00", "19:00-07:00"]
    )
    shifts = roster(city, checkpoint, days=1)
    assert [(timezone.localtime(s.starts_at).hour, (s.ends_at - s.starts_at).seconds // 3600) for s in shifts] == [
        (7, 12),
        (19, 12),
    ]


def test_it_refuses_a_roster_over_existing_shifts(city, checkpoint):
    roster(city, checkpoint, days=1)
    with pytest.raises(Conflict) as exc:
        roster(city, checkpoint, days=7)
    assert exc.value.field == "week_start"
    assert DutyShift.objects.filter(post=checkpoint).count() == 3


def test_it_refuses_to_roster_another_stations_officer(city, checkpoint):
    with pytest.raises(ActionError) as exc:
        roster(city, checkpoint, officers=[city.outsider])
    assert exc.value.field == "officers"
    assert not DutyShift.objects.exists()


def test_it_changes_who_is_on_duty_in_one_shift(city, shift):
    ChangeShift(
        shift=shift, by=city.station_officer, leader=city.patrol_officer, officers=[], auxiliaries="赵六"
    ).execute()
    shift.refresh_from_db()
    assert shift.leader == city.patrol_officer and shift.auxiliaries == "赵六" and not shift.officers.exists()


def test_it_denies_rosters_at_another_stations_post(city, checkpoint):
    with pytest.raises(Denied):
        CreateWeekRoster(post=checkpoint, by=city.outsider, week_start=DAY).execute()


# --- 上岗 / 下岗 -------------------------------------------------------------------------------


def test_it_records_on_and_off_duty_once(city, shift):
    RecordOnDuty(shift=shift, by=city.patrol_officer, at=at(DAY, 8, 5)).execute()
    with pytest.raises(Conflict):
        RecordOnDuty(shift=shift, by=city.patrol_officer, at=at(DAY, 8, 6)).execute()
    RecordOffDuty(shift=shift, by=city.patrol_officer, at=at(DAY, 16)).execute()
    shift.refresh_from_db()
    assert shift.on_duty_at == at(DAY, 8, 5) and shift.off_duty_at == at(DAY, 16)
    assert shift.late_minutes() == 5


def test_it_refuses_off_duty_before_on_duty(city, shift):
    with pytest.raises(ActionError) as exc:
        RecordOffDuty(shift=shift, by=city.patrol_officer, at=at(DAY, 9)).execute()
    assert exc.value.code == "not_on_duty"


def test_it_refuses_taking_over_a_shift_long_before_it_starts(city, shift):
    with pytest.raises(ActionError) as exc:
        RecordOnDuty(shift=shift, by=city.patrol_officer, at=at(DAY, 5)).execute()
    assert exc.value.field == "shift"


def test_the_shift_page_records_on_duty(city, shift):
    client = city.login(city.patrol_officer)
    with mock.patch("django.utils.timezone.now", return_value=at(DAY, 8, 2)):
        response = client.post(f"/posts/shifts/{shift.pk}/on-duty/")
    assert response.status_code == 302
    shift.refresh_from_db()
    assert shift.on_duty_at == at(DAY, 8, 2)


# --- checks and the wanted lists ---------------------------------------------------------------


def test_it_records_a_vehicle_check_with_the_plate_canonical(city, shift):
    record = RecordCheck(
        shift=shift, by=city.patrol_officer, plate="冀t·12345", vehicle_type="car", at=at(DAY, 9)
    ).execute()
    assert record.plate == "冀T12345" and record.wanted is None


def test_it_stores_the_id_number_encrypted_and_answers_it_masked(city, shift):
    client = city.api(city.patrol_officer)
    with mock.patch("django.utils.timezone.now", return_value=at(DAY, 9)):
        response = client.post(
            f"/api/v1/posts/shifts/{shift.pk}/checks", json.dumps({"id_number": ID_OK}), content_type="application/json"
        )
    assert response.status_code == 201, response.content
    body = response.json()
    assert ID_OK not in response.content.decode() and body["id_number"].startswith("110")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM posts_checkrecord")
        (stored,) = cursor.fetchone()
    assert ID_OK not in stored


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"plate": "冀T1234", "vehicle_type": "car"}, "plate"),
        ({"plate": "冀TI2345", "vehicle_type": "car"}, "plate"),
        ({"id_number": "110101199003074515"}, "id_number"),
        ({"id_number": "12345"}, "id_number"),
        ({}, "id_number"),
        ({"plate": "冀T12345"}, "vehicle_type"),
    ],
)
def test_it_refuses_a_bad_check_naming_the_field_and_writes_nothing(city, shift, data, field):
    client = city.api(city.patrol_officer)
    with mock.patch("django.utils.timezone.now", return_value=at(DAY, 9)):
        response = client.post(
            f"/api/v1/posts/shifts/{shift.pk}/checks", json.dumps(data), content_type="application/json"
        )
    assert response.status_code == 400
    assert response.json()["detail"][0]["field"] == field
    assert not CheckRecord.objects.exists()


def test_the_shift_page_refuses_a_bad_plate_with_a_message(city, shift):
    client = city.login(city.patrol_officer)
    with mock.patch("django.utils.timezone.now", return_value=at(DAY, 9)):
        response = client.post(
            f"/posts/shifts/{shift.pk}/", {"plate": "冀T12", "vehicle_type": "car", "result": "cleared"}
        )
    assert response.status_code == 400
    assert "号牌号码" in response.content.decode()
    assert not CheckRecord.objects.exists()


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(plate=st.text(max_size=12))
def test_any_typed_plate_is_recorded_canonical_or_refused_naming_the_plate(city, shift, plate):
    try:
        record = RecordCheck(
            shift=shift, by=city.patrol_officer, plate=plate, vehicle_type="car", at=at(DAY, 9)
        ).execute()
    except ActionError as exc:
        assert exc.field in ("plate", "id_number")
    else:
        assert record.plate and record.plate == record.plate.upper() and " " not in record.plate


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(number=st.text(alphabet="0123456789Xx ", max_size=20))
def test_any_typed_id_number_is_recorded_valid_or_refused_naming_the_id_number(city, shift, number):
    try:
        record = RecordCheck(shift=shift, by=city.patrol_officer, id_number=number, at=at(DAY, 9)).execute()
    except ActionError as exc:
        assert exc.field == "id_number"
    else:
        assert len(record.id_number) == 18


def test_a_check_matching_an_active_entry_is_a_hit_for_the_officer_to_handle(city, shift, wanted_plate):
    record = RecordCheck(
        shift=shift, by=city.patrol_officer, plate="冀T9Z123", vehicle_type="car", at=at(DAY, 10)
    ).execute()
    assert record.wanted == wanted_plate and record.hit_pending
    with pytest.raises(ActionError) as exc:
        HandleHit(record=record, by=city.patrol_officer, handling="vehicle_held", note="").execute()
    assert exc.value.field == "hit_note"
    HandleHit(
        record=record, by=city.patrol_officer, handling="vehicle_held", note="核实为被盗车辆，扣留移交刑侦"
    ).execute()
    record.refresh_from_db()
    assert record.hit_handling == "vehicle_held" and record.hit_handled_by == city.patrol_officer
    assert not record.hit_pending
    with pytest.raises(Conflict):
        HandleHit(record=record, by=city.patrol_officer, handling="excluded", note="再次").execute()


def test_a_person_hit_is_matched_through_the_blind_index(city, shift):
    SaveWantedEntry(
        by=city.leader, kind=WantedEntry.Kind.PERSON, id_number=ID_OK, reason="网上逃犯", issuing_unit=city.bureau
    ).execute()
    record = RecordCheck(shift=shift, by=city.patrol_officer, id_number=ID_OK.lower(), at=at(DAY, 10)).execute()
    assert record.wanted is not None and record.wanted.kind == "person"


def test_a_withdrawn_entry_no_longer_hits(city, shift, wanted_plate):
    client = city.login(city.leader)
    assert client.post(f"/posts/wanted/{wanted_plate.pk}/withdraw/").status_code == 302
    record = RecordCheck(
        shift=shift, by=city.patrol_officer, plate="冀T9Z123", vehicle_type="car", at=at(DAY, 10)
    ).execute()
    assert record.wanted is None


def test_only_leaders_and_command_keep_the_wanted_list(city):
    with pytest.raises(Denied):
        SaveWantedEntry(
            by=city.station_officer, kind="vehicle", plate="冀T12345", reason="x", issuing_unit=city.station_a1
        ).execute()
    assert city.login(city.station_officer).get("/posts/wanted/").status_code == 403
    assert city.login(city.dispatcher).get("/posts/wanted/").status_code == 200


def test_the_wanted_page_adds_an_entry_and_names_a_bad_field(city):
    client = city.login(city.leader)
    response = client.post("/posts/wanted/", {"kind": "vehicle", "plate": "冀T1", "reason": "布控", "active": "on"})
    assert response.status_code == 400 and "号牌号码" in response.content.decode()
    assert not WantedEntry.objects.exists()
    response = client.post("/posts/wanted/", {"kind": "person", "id_number": ID_OK, "reason": "在逃", "active": "on"})
    assert response.status_code == 302
    page = client.get("/posts/wanted/").content.decode()
    assert ID_OK not in page and "110101" in page


def test_the_shift_page_shows_the_hit_and_takes_its_handling(city, shift, wanted_plate):
    client = city.login(city.patrol_officer)
    with mock.patch("django.utils.timezone.now", return_value=at(DAY, 9)):
        client.post(f"/posts/shifts/{shift.pk}/", {"plate": "冀T9Z123", "vehicle_type": "car", "result": "handed_over"})
        page = client.get(f"/posts/shifts/{shift.pk}/").content.decode()
        assert "比中布控名单" in page and "涉嫌盗窃车辆" in page
        record = CheckRecord.objects.get()
        handling = {"handling": "handed_over", "note": "带离移交刑侦"}
        response = client.post(f"/posts/checks/{record.pk}/handle/", handling)
        assert response.status_code == 302
        assert "已登记比中处置" in client.get(response.url).content.decode()
    record.refresh_from_db()
    assert record.hit_handling == "handed_over"


# --- the API -----------------------------------------------------------------------------------


def test_the_api_lists_a_shifts_checks_and_a_posts_roster(city, shift, wanted_plate):
    RecordCheck(shift=shift, by=city.patrol_officer, plate="冀T9Z123", vehicle_type="car", at=at(DAY, 10)).execute()
    RecordCheck(shift=shift, by=city.patrol_officer, id_number=ID_OK, at=at(DAY, 11)).execute()
    client = city.api(city.station_officer)
    checks = client.get(f"/api/v1/posts/shifts/{shift.pk}/checks").json()
    assert [c["plate"] for c in checks] == ["", "冀T9Z123"]
    assert checks[1]["hit"]["reason"] == "涉嫌盗窃车辆" and checks[1]["hit"]["handling"] == ""
    rosters = client.get(f"/api/v1/posts/{shift.post_id}/rosters?start={DAY}&end={DAY}").json()
    assert len(rosters) == 3
    nine = next(r for r in rosters if r["id"] == shift.pk)
    assert nine["checks"] == 2 and nine["leader"] == (city.station_officer.full_name or city.station_officer.username)


def test_the_api_refuses_a_reversed_roster_period(city, shift):
    response = city.api(city.station_officer).get(
        f"/api/v1/posts/{shift.post_id}/rosters?start=2026-03-05&end=2026-03-01"
    )
    assert response.status_code == 400 and response.json()["detail"][0]["field"] == "end"


def test_the_api_documents_the_posts_operations(city):
    schema = city.login(city.station_officer).get("/api/openapi.json").json()
    assert "/api/v1/posts/shifts/{shift_id}/checks" in schema["paths"]
    assert schema["paths"]["/api/v1/posts/{post_id}/rosters"]["get"]["summary"]


# --- scoping -----------------------------------------------------------------------------------


def test_it_denies_other_station(city, shift):
    record = RecordCheck(
        shift=shift, by=city.patrol_officer, plate="冀T12345", vehicle_type="car", at=at(DAY, 9)
    ).execute()
    html = city.login(city.outsider)
    for url in (
        f"/posts/{shift.post_id}/",
        f"/posts/{shift.post_id}/report/",
        f"/posts/shifts/{shift.pk}/",
    ):
        assert html.get(url).status_code == 404, url
    assert html.post(f"/posts/shifts/{shift.pk}/on-duty/").status_code == 404
    assert html.post(f"/posts/checks/{record.pk}/handle/", {"handling": "excluded", "note": "x"}).status_code == 404
    api = city.api(city.outsider)
    assert api.get(f"/api/v1/posts/shifts/{shift.pk}/checks").status_code == 404
    assert api.get(f"/api/v1/posts/{shift.post_id}/rosters").status_code == 404
    response = api.post(
        f"/api/v1/posts/shifts/{shift.pk}/checks",
        json.dumps({"plate": "冀T12345", "vehicle_type": "car"}),
        content_type="application/json",
    )
    assert response.status_code == 404
    assert CheckRecord.objects.count() == 1
    assert shift.post.name not in html.get("/posts/").content.decode()


def test_a_branch_sees_its_stations_posts_and_the_station_only_its_own(city, checkpoint):
    other = make_post(city, kind=Post.Kind.STREET, org=city.station_b1, point=B1_POINT, name="冀州镇警务站")
    own = city.login(city.station_officer).get("/posts/").content.decode()
    assert checkpoint.name in own and other.name not in own
    everything = city.login(city.leader).get("/posts/").content.decode()
    assert checkpoint.name in everything and other.name in everything


# --- 达标 ----------------------------------------------------------------------------------------


def incident_at(city, when, point=A1_POINT):
    incident, _ = ReceiveCall(
        by=city.dispatcher,
        data={"category": "0601", "lat": point[0], "lon": point[1], "address": "人民路", "priority": 2},
        force_new=True,
        at=when,
    ).execute()
    return incident


def test_the_compliance_report_measures_manned_hours_visibility_and_handling_exactly(city):
    post = make_post(city, kind=Post.Kind.STREET, name="人民路警务站")
    PostStandard.objects.create(
        post_kind=Post.Kind.STREET,
        manned_hours_per_day=16,
        late_grace_minutes=15,
        radius_m=1000,
        min_checks_per_shift=0,
    )
    roster(city, post, days=1)
    morning, evening, night = (shift_at(post, at(DAY, h)) for h in (9, 20, 3))
    RecordOnDuty(shift=morning, by=city.patrol_officer, at=at(DAY, 8)).execute()
    RecordOffDuty(shift=morning, by=city.patrol_officer, at=at(DAY, 16)).execute()
    RecordOnDuty(shift=evening, by=city.patrol_officer, at=at(DAY, 16, 30)).execute()  # 30 minutes late
    RecordOffDuty(shift=evening, by=city.patrol_officer, at=at(DAY + timedelta(days=1), 0)).execute()
    # night (00:00–08:00) is never taken over

    city.patrol_car.home_post = post
    city.patrol_car.save(update_fields=["home_post"])
    handled = incident_at(city, at(DAY, 10))
    DispatchUnits(incident=handled, unit_ids=[city.patrol_car.pk], by=city.dispatcher).execute()
    incident_at(city, at(DAY, 17))  # within radius, manned, nobody of the post sent
    incident_at(city, at(DAY, 3))  # within radius, but the post was not manned
    incident_at(city, at(DAY, 11), point=(37.76, 115.70))  # 河东, 3.5 km away

    report = compliance(post, DAY, DAY, now=at(DAY + timedelta(days=2), 0))
    assert report.manned_hours == pytest.approx(15.5)
    assert report.required_hours == 16
    assert report.visibility_rate == pytest.approx(15.5 / 16)
    assert report.handling_rate == pytest.approx(0.5)
    assert [(i.number, own) for i, own in report.incidents][0][1] is True
    assert len(report.incidents) == 2
    assert (report.missing_shifts, report.late_shifts) == (1, 1)
    by_label = {str(c.label): c for c in report.criteria}
    assert by_label["日均在岗时长"].met is False and by_label["日均在岗时长"].measured == "15.5 小时"
    assert by_label["按时上岗"].met is False
    assert by_label["见警率"].measured == "96.9%" and by_label["管事率"].measured == "50.0%"
    assert not report.compliant


def test_a_checkpoint_shift_below_the_minimum_checks_fails_that_criterion(city, checkpoint):
    PostStandard.objects.create(post_kind=Post.Kind.CHECKPOINT, manned_hours_per_day=8, min_checks_per_shift=2)
    roster(city, checkpoint, days=1)
    morning = shift_at(checkpoint, at(DAY, 9))
    RecordOnDuty(shift=morning, by=city.patrol_officer, at=at(DAY, 8)).execute()
    RecordCheck(shift=morning, by=city.patrol_officer, plate="冀T12345", vehicle_type="car", at=at(DAY, 9)).execute()
    RecordOffDuty(shift=morning, by=city.patrol_officer, at=at(DAY, 16)).execute()
    report = compliance(checkpoint, DAY, DAY, now=at(DAY + timedelta(days=1), 12))
    checks = next(c for c in report.criteria if str(c.label) == "每班核查数")
    assert checks.met is False and checks.measured == "0 / 1 班达到"
    RecordCheck(shift=morning, by=city.patrol_officer, plate="冀T54321", vehicle_type="car", at=at(DAY, 10)).execute()
    report = compliance(checkpoint, DAY, DAY, now=at(DAY + timedelta(days=1), 12))
    checks = next(c for c in report.criteria if str(c.label) == "每班核查数")
    assert checks.met is True
    manned = next(c for c in report.criteria if str(c.label) == "日均在岗时长")
    assert manned.met is True  # 8 of 8 hours


def test_overlapping_shifts_are_not_counted_twice(city, checkpoint):
    PostStandard.objects.create(
        post_kind=checkpoint.kind, post=checkpoint, shift_pattern=["08:00-16:00", "12:00-20:00"]
    )
    roster(city, checkpoint, days=1)
    first, second = DutyShift.objects.filter(post=checkpoint).order_by("starts_at")
    RecordOnDuty(shift=first, by=city.patrol_officer, at=at(DAY, 8)).execute()
    RecordOffDuty(shift=first, by=city.patrol_officer, at=at(DAY, 16)).execute()
    RecordOnDuty(shift=second, by=city.patrol_officer, at=at(DAY, 12)).execute()
    RecordOffDuty(shift=second, by=city.patrol_officer, at=at(DAY, 20)).execute()
    assert compliance(checkpoint, DAY, DAY, now=at(DAY, 23)).manned_hours == pytest.approx(12)


def test_the_report_page_defines_its_figures_and_drills_down(city, shift):
    RecordOnDuty(shift=shift, by=city.patrol_officer, at=at(DAY, 8)).execute()
    client = city.login(city.station_officer)
    page = client.get(f"/posts/{shift.post_id}/report/?start={DAY}&end={DAY}").content.decode()
    assert "见警率 = 实际在岗时长" in page and "管事率 =" in page
    assert f"/posts/shifts/{shift.pk}/" in page
    assert client.get(f"/posts/{shift.post_id}/report/?start=2026-03-05&end=2026-03-01").status_code == 400


def test_the_post_page_rosters_a_week_through_its_form(city, checkpoint):
    client = city.login(city.station_officer)
    response = client.post(
        f"/posts/{checkpoint.pk}/roster/",
        {"week_start": "2026-03-09", "leader": city.station_officer.pk, "officers": [city.patrol_officer.pk]},
    )
    assert response.status_code == 302
    assert DutyShift.objects.filter(post=checkpoint).count() == 21
    again = client.post(f"/posts/{checkpoint.pk}/roster/", {"week_start": "2026-03-09"})
    assert again.status_code == 409 and "已有班次" in again.content.decode()
    assert client.get(f"/posts/{checkpoint.pk}/").status_code == 200


# --- query counts ------------------------------------------------------------------------------


def _queries_for(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # the session and the menu's cached counts are loaded once, not per page
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_lists_cost_the_same_queries_for_one_post_or_many(city):
    client = city.login(city.station_officer)
    today = timezone.localdate()
    first = make_post(city, name="检查站0")
    roster(city, first, day=today, days=1)
    shift = DutyShift.objects.filter(post=first).first()
    one = _queries_for(client, "/posts/"), _queries_for(client, f"/posts/{first.pk}/")
    one_shift = _queries_for(client, f"/posts/shifts/{shift.pk}/")
    for i in range(1, 8):
        roster(city, make_post(city, name=f"检查站{i}"), day=today, days=1)
    for n in range(5):
        RecordCheck(
            shift=shift, by=city.patrol_officer, plate=f"冀T1234{n}", vehicle_type="car", at=shift.starts_at
        ).execute()
    assert _queries_for(client, "/posts/") == one[0]
    assert _queries_for(client, f"/posts/{first.pk}/") == one[1]
    assert _queries_for(client, f"/posts/shifts/{shift.pk}/") == one_shift


def test_the_checked_persons_id_number_is_revealed_only_through_the_audited_reveal(city, shift):
    record = RecordCheck(shift=shift, by=city.patrol_officer, id_number=ID_OK, at=at(DAY, 9)).execute()
    page = city.login(city.station_officer).get(f"/posts/{shift.post_id}/").content.decode()
    assert ID_OK not in page and 'data-pii="post_check.id_number"' in page
    body = json.dumps({"object": "post_check", "id": record.pk, "field": "id_number"})
    before = AuditEntry.objects.filter(action="pii.reveal").count()
    shown = city.api(city.station_officer).post("/api/v1/pii/reveal", body, content_type="application/json")
    assert shown.json() == {"value": ID_OK}
    assert AuditEntry.objects.filter(action="pii.reveal").count() == before + 1
    refused = city.api(city.outsider).post("/api/v1/pii/reveal", body, content_type="application/json")
    assert refused.status_code == 404


def test_a_standards_shift_pattern_is_checked(city, checkpoint):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        PostStandard(post_kind=Post.Kind.CHECKPOINT, shift_pattern=["8-16"]).full_clean()
    assert "shift_pattern" in exc.value.message_dict
    with pytest.raises(ValidationError):
        PostStandard(post_kind=Post.Kind.STREET, post=checkpoint, shift_pattern=["08:00-20:00"]).full_clean()
    PostStandard(
        post_kind=Post.Kind.CHECKPOINT, post=checkpoint, shift_pattern=["08:00-20:00", "20:00-08:00"]
    ).full_clean()


def test_the_shift_page_changes_who_is_on_duty(city, shift):
    client = city.login(city.station_officer)
    assert "调整值班人员" in client.get(f"/posts/shifts/{shift.pk}/").content.decode()
    response = client.post(
        f"/posts/shifts/{shift.pk}/change/",
        {"leader": city.patrol_officer.pk, "officers": [city.station_officer.pk], "auxiliaries": "孙浩"},
    )
    assert response.status_code == 302
    shift.refresh_from_db()
    assert shift.leader == city.patrol_officer and list(shift.officers.all()) == [city.station_officer]
    refused = client.post(f"/posts/shifts/{shift.pk}/change/", {"officers": [city.outsider.pk]})
    assert refused.status_code == 302
    assert list(shift.officers.all()) == [city.station_officer]
