"""政务服务 办件: catalogue, the lifecycle with 退回补正 and 不予受理, working-day limits across 国庆,
scoping (citizen, department, other station), bad input, the public progress query and the API."""

import importlib
import json
from datetime import datetime

import pytest
from django.apps import apps as django_apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from anmin.citizens import sms
from anmin.citizens.models import Citizen
from anmin.core.errors import ActionError, Conflict, Denied
from anmin.core.models import AuditEntry, verify_chain
from anmin.services.actions import PostMessage, ProcessApplication, Resubmit, SubmitApplication
from anmin.services.demo import assign_departments
from anmin.services.models import (
    Application,
    ApplicationFile,
    ApplicationStatus,
    EventKind,
    Notice,
    ServiceItem,
)
from anmin.services.progress import lookup
from anmin.supervision.calendar import LEGAL_TZ
from tests.conftest import asgi_call, http_scope, portal_client
from tests.files import PDF, PNG


def pdf(name="id.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def load_catalogue():
    importlib.import_module("anmin.services.migrations.0002_seed_catalogue").load(django_apps, None)


@pytest.fixture
def catalogue(city):
    load_catalogue()
    ServiceItem.objects.update(department=city.bureau)
    return {i.code: i for i in ServiceItem.objects.all()}


@pytest.fixture
def wfz(catalogue, city):
    """无犯罪记录证明, handled by station A1 in these tests (so scoping can be checked)."""
    item = catalogue["ZA-WFZ-ZM"]
    item.department = city.station_a1
    item.save()
    return item


def id_material(item):
    return item.materials.get(required=True)


def submit(citizen, item, **form):
    data = {"purpose": "就业", "recipient": "衡水市某公司"} | form
    return SubmitApplication(citizen=citizen, item=item, form=data, files={id_material(item).pk: [pdf()]}).execute()


@pytest.fixture
def other_citizen(db):
    return Citizen.objects.create(
        phone="13700001111", name="李四", id_number="110105194912310029", verified_at=timezone.now()
    )


# --- catalogue ------------------------------------------------------------------------------------


def test_the_seed_has_the_five_real_items_with_limits(catalogue):
    names = {i.name for i in catalogue.values()}
    assert names == {
        "居民身份证首次申领",
        "户口迁移",
        "无犯罪记录证明",
        "驾驶证补换领（电子驾驶证）",
        "二手车异地交易登记",
    }
    assert catalogue["ZA-WFZ-ZM"].time_limit_days == 3
    assert catalogue["HZ-SFZ-SL"].time_limit_days == 20
    assert catalogue["ZA-WFZ-ZM"].province_wide
    assert catalogue["JJ-ESC-YDJY"].materials.filter(required=True).count() == 4


def test_demo_assigns_traffic_items_to_the_traffic_police(catalogue, city):
    ServiceItem.objects.update(department=None)
    assert assign_departments() == 5
    assert ServiceItem.objects.get(code="JJ-JSZ-BHL").department == city.traffic
    assert ServiceItem.objects.get(code="HZ-HK-QY").department == city.bureau
    assert assign_departments() == 0


def test_the_catalogue_and_item_pages_are_public(catalogue):
    page = Client().get("/portal/services/")
    assert page.status_code == 200 and "无犯罪记录证明" in page.content.decode()
    item = Client().get("/portal/services/items/ZA-WFZ-ZM/").content.decode()
    assert "3 个工作日" in item and "全省通办" in item and "申请人居民身份证" in item


# --- lifecycle ------------------------------------------------------------------------------------


def test_the_whole_lifecycle_with_return_and_resubmission(wfz, citizen, city, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        app = submit(citizen, wfz)
    assert app.number.startswith("BJ" + timezone.now().astimezone(LEGAL_TZ).strftime("%Y%m%d"))
    assert len(app.number) == 16 and app.phone_last4 == "5678"
    assert app.status == ApplicationStatus.SUBMITTED and app.department == city.station_a1
    assert "已提交" in sms.last_message(citizen.phone) and app.number in sms.last_message(citizen.phone)
    assert app.files.count() == 1

    officer = city.station_officer
    with django_capture_on_commit_callbacks(execute=True):
        ProcessApplication(by=officer, application=app, step="accept").execute()
    app.refresh_from_db()
    assert app.status == ApplicationStatus.ACCEPTED and app.due_at is not None
    assert "已受理" in sms.last_message(citizen.phone)

    with django_capture_on_commit_callbacks(execute=True):
        ProcessApplication(
            by=officer,
            application=app,
            step="return",
            missing=["授权委托书及受托人身份证"],
            reason="委托办理须附委托书",
        ).execute()
    app.refresh_from_db()
    assert app.status == ApplicationStatus.RETURNED and app.missing == ["授权委托书及受托人身份证"]
    assert app.due_at is None
    assert "需补正" in sms.last_message(citizen.phone)

    # The missing material must come with the resubmission.
    with pytest.raises(ActionError) as exc:
        Resubmit(citizen=citizen, application=app, form=None, files={}).execute()
    assert "授权委托书" in exc.value.message
    proxy = wfz.materials.get(name__startswith="授权委托书")
    Resubmit(citizen=citizen, application=app, form=None, files={proxy.pk: [pdf("proxy.pdf")]}).execute()
    app.refresh_from_db()
    assert app.status == ApplicationStatus.SUBMITTED and app.missing == []
    assert list(app.files.values_list("round", flat=True)) == [1, 2]

    for step in ("accept", "review", "complete"):
        with django_capture_on_commit_callbacks(execute=True):
            ProcessApplication(by=officer, application=app, step=step).execute()
    app.refresh_from_db()
    assert app.status == ApplicationStatus.COMPLETED and app.completed_at is not None
    assert "已办结" in sms.last_message(citizen.phone)
    kinds = list(app.events.values_list("kind", flat=True))
    assert kinds == ["submit", "accept", "return", "resubmit", "accept", "review", "complete"]
    assert Notice.objects.filter(citizen=citizen, application=app).count() == 7
    actions = set(AuditEntry.objects.filter(object_id=str(app.pk)).values_list("action", flat=True))
    assert {
        "services.submit",
        "services.accept",
        "services.return",
        "services.resubmit",
        "services.complete",
    } <= actions
    assert verify_chain()[1] is None


def test_rejection_needs_a_reason_and_ends_the_application(wfz, citizen, city):
    app = submit(citizen, wfz)
    with pytest.raises(ActionError) as exc:
        ProcessApplication(by=city.station_officer, application=app, step="reject", reason=" ").execute()
    assert exc.value.field == "reason"
    ProcessApplication(by=city.station_officer, application=app, step="reject", reason="申请人户籍不在本市").execute()
    app.refresh_from_db()
    assert app.status == ApplicationStatus.REJECTED and app.reason == "申请人户籍不在本市"
    with pytest.raises(Conflict):
        ProcessApplication(by=city.station_officer, application=app, step="accept").execute()


@pytest.mark.parametrize(
    ("step", "kwargs"),
    [("complete", {}), ("review", {}), ("return", {"missing": []}), ("bogus", {})],
)
def test_a_wrong_transition_is_refused_and_changes_nothing(wfz, citizen, city, step, kwargs):
    app = submit(citizen, wfz)
    before = AuditEntry.objects.count()
    with pytest.raises(ActionError) as exc:
        ProcessApplication(by=city.station_officer, application=app, step=step, **kwargs).execute()
    assert exc.value.field in ("step", "missing")
    app.refresh_from_db()
    assert app.status == ApplicationStatus.SUBMITTED
    assert AuditEntry.objects.count() == before and app.events.count() == 1


def test_a_completed_application_cannot_be_returned(wfz, citizen, city):
    app = submit(citizen, wfz)
    for step in ("accept", "review", "complete"):
        ProcessApplication(by=city.station_officer, application=app, step=step).execute()
    with pytest.raises(Conflict) as exc:
        ProcessApplication(by=city.station_officer, application=app, step="return", missing=["x"]).execute()
    assert "已办结" in exc.value.message


# --- working days ---------------------------------------------------------------------------------


def test_the_limit_runs_in_working_days_across_the_national_day_holiday(wfz, citizen, city):
    """Accepted on Wednesday 30 September 2026, 3 working days: 1–7 October are the 国庆 holiday and
    Saturday 10 October is a 调休 working day (State Council notice for 2026, in the supervision
    calendar), so the days are 8, 9 and 10 October."""
    app = submit(citizen, wfz)
    accepted = datetime(2026, 9, 30, 10, 0, tzinfo=LEGAL_TZ)
    ProcessApplication(by=city.station_officer, application=app, step="accept", now=accepted).execute()
    app.refresh_from_db()
    assert app.due_at.astimezone(LEGAL_TZ) == datetime(2026, 10, 10, 23, 59, 59, tzinfo=LEGAL_TZ)
    assert app.accepted_at == accepted
    left = app.time_left(datetime(2026, 10, 9, 23, 59, 59, tzinfo=LEGAL_TZ))
    assert left.days == 1
    assert app.time_left(datetime(2026, 10, 11, 9, 0, tzinfo=LEGAL_TZ)).total_seconds() < 0


def test_twenty_working_days_for_a_first_identity_card(catalogue, citizen, city):
    item = catalogue["HZ-SFZ-SL"]
    files = {m.pk: [SimpleUploadedFile("a.png", PNG)] for m in item.materials.filter(required=True)}
    app = SubmitApplication(
        citizen=citizen, item=item, form={"address": "桃城区人民路 1 号", "pickup": "窗口自取"}, files=files
    ).execute()
    ProcessApplication(
        by=city.leader, application=app, step="accept", now=datetime(2026, 9, 25, 9, 0, tzinfo=LEGAL_TZ)
    ).execute()
    app.refresh_from_db()
    # 28, 29, 30 Sep; 8, 9, 10 (调休), 12–16, 19–23, 26–29 Oct → the 20th working day is 29 October.
    assert app.due_at.astimezone(LEGAL_TZ).date().isoformat() == "2026-10-29"


# --- bad input ------------------------------------------------------------------------------------


def test_a_missing_required_field_is_named_and_nothing_is_stored(wfz, citizen):
    with pytest.raises(ActionError) as exc:
        submit(citizen, wfz, recipient="")
    assert exc.value.field == "form-recipient" and "使用单位" in exc.value.message
    assert not Application.objects.exists() and not ApplicationFile.objects.exists()


def test_a_select_value_outside_the_choices_is_refused(wfz, citizen):
    with pytest.raises(ActionError) as exc:
        submit(citizen, wfz, purpose="炒股")
    assert exc.value.field == "form-purpose"


def test_a_date_field_must_be_a_date(wfz, citizen):
    with pytest.raises(ActionError) as exc:
        submit(citizen, wfz, period_from="昨天")
    assert exc.value.field == "form-period_from"


def test_a_required_material_must_be_uploaded(wfz, citizen):
    with pytest.raises(ActionError) as exc:
        SubmitApplication(citizen=citizen, item=wfz, form={"purpose": "就业", "recipient": "x"}, files={}).execute()
    assert exc.value.field == f"material-{id_material(wfz).pk}" and exc.value.code == "required"


def test_a_non_pdf_renamed_pdf_is_refused_by_content(wfz, citizen, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    fake = SimpleUploadedFile("id.pdf", b"MZ\x90\x00 this is an exe", content_type="application/pdf")
    good = pdf("good.pdf")
    with pytest.raises(ActionError) as exc:
        SubmitApplication(
            citizen=citizen,
            item=wfz,
            form={"purpose": "就业", "recipient": "x"},
            files={id_material(wfz).pk: [good, fake]},
        ).execute()
    assert "只能上传" in exc.value.message and exc.value.code == "file_type"
    assert not Application.objects.exists()
    assert not list(tmp_path.rglob("*.pdf"))  # the good file was not left behind either


def test_an_oversized_file_is_refused(wfz, citizen):
    big = SimpleUploadedFile("big.pdf", PDF + b"0" * (10 * 1024 * 1024), content_type="application/pdf")
    with pytest.raises(ActionError) as exc:
        SubmitApplication(
            citizen=citizen, item=wfz, form={"purpose": "就业", "recipient": "x"}, files={id_material(wfz).pk: [big]}
        ).execute()
    assert exc.value.code == "too_large" and "10 MB" in exc.value.message


def test_an_unverified_citizen_cannot_apply(wfz):
    anonymous = Citizen.objects.create(phone="13600000000")
    with pytest.raises(Denied):
        submit(anonymous, wfz)
    page = portal_client(anonymous).get("/portal/services/items/ZA-WFZ-ZM/apply/")
    assert page.status_code == 302 and page["Location"].startswith("/portal/me/")


def test_an_item_without_department_cannot_be_applied_for(wfz, citizen):
    wfz.department = None
    wfz.save()
    with pytest.raises(ActionError) as exc:
        submit(citizen, wfz)
    assert exc.value.code == "no_department"


def test_the_apply_page_shows_the_error_and_keeps_the_values(wfz, citizen):
    client = portal_client(citizen)
    page = client.post(
        "/portal/services/items/ZA-WFZ-ZM/apply/",
        {"purpose": "就业", "recipient": "", f"material-{id_material(wfz).pk}": pdf()},
    )
    assert page.status_code == 400
    body = page.content.decode()
    assert "请填写使用单位" in body and 'data-field="form-recipient"' in body
    assert "<option selected>就业</option>" in body


def test_the_apply_page_submits_and_shows_the_application(wfz, citizen):
    client = portal_client(citizen)
    page = client.post(
        "/portal/services/items/ZA-WFZ-ZM/apply/",
        {"purpose": "就业", "recipient": "某公司", f"material-{id_material(wfz).pk}": pdf()},
        follow=True,
    )
    app = Application.objects.get()
    assert page.status_code == 200 and app.number in page.content.decode()
    assert "已提交" in page.content.decode()
    file = app.files.get()
    download = client.get(f"/portal/services/mine/{app.number}/files/{file.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")


# --- scoping --------------------------------------------------------------------------------------


def test_a_citizen_never_sees_another_citizens_application(wfz, citizen, other_citizen):
    app = submit(citizen, wfz)
    file = app.files.get()
    other = portal_client(other_citizen)
    assert other.get(f"/portal/services/mine/{app.number}/").status_code == 404
    assert other.get(f"/portal/services/mine/{app.number}/files/{file.pk}/").status_code == 404
    assert app.number not in other.get("/portal/services/mine/").content.decode()
    assert other.post(f"/portal/services/mine/{app.number}/messages/", {"text": "hi"}).status_code == 404
    with pytest.raises(Denied):
        PostMessage(application=app, citizen=other_citizen, text="我的？").execute()
    with pytest.raises(Denied):
        Resubmit(citizen=other_citizen, application=app, form=None, files={}).execute()
    assert Client().get(f"/portal/services/mine/{app.number}/").status_code == 302


def test_a_department_sees_only_its_queue(wfz, catalogue, citizen, city):
    mine = submit(citizen, wfz)
    item = catalogue["JJ-JSZ-BHL"]
    item.department = city.traffic
    item.save()
    theirs = SubmitApplication(
        citizen=citizen,
        item=item,
        form={"kind": "遗失补领", "licence_class": "C1"},
        files={id_material(item).pk: [pdf()]},
    ).execute()
    station = city.login(city.station_officer).get("/services/queue/").content.decode()
    assert mine.number in station and theirs.number not in station
    bureau = city.login(city.leader).get("/services/queue/").content.decode()
    assert mine.number in bureau and theirs.number in bureau


def test_another_station_is_denied(wfz, citizen, city):
    app = submit(citizen, wfz)
    file = app.files.get()
    outsider = city.login(city.outsider)
    assert app.number not in outsider.get("/services/queue/").content.decode()
    assert outsider.get(f"/services/applications/{app.pk}/").status_code == 404
    assert outsider.get(f"/services/applications/{app.pk}/files/{file.pk}/").status_code == 404
    assert outsider.post(f"/services/applications/{app.pk}/steps/", {"step": "accept"}).status_code == 404
    with pytest.raises(Denied):
        ProcessApplication(by=city.outsider, application=app, step="accept").execute()
    api = city.api(city.outsider)
    assert api.get(f"/api/v1/services/applications/{app.pk}").status_code == 404
    assert (
        api.post(f"/api/v1/services/applications/{app.pk}/steps", {"step": "accept"}, "application/json").status_code
        == 404
    )
    app.refresh_from_db()
    assert app.status == ApplicationStatus.SUBMITTED


def test_a_patrol_officer_sees_but_cannot_process(wfz, citizen, city):
    app = submit(citizen, wfz)
    page = city.login(city.patrol_officer).get(f"/services/applications/{app.pk}/")
    assert page.status_code == 200 and 'id="step-accept"' not in page.content.decode()
    with pytest.raises(Denied):
        ProcessApplication(by=city.patrol_officer, application=app, step="accept").execute()


# --- staff pages ----------------------------------------------------------------------------------


def test_staff_process_on_the_page_with_clear_messages(wfz, citizen, city):
    app = submit(citizen, wfz)
    client = city.login(city.station_officer)
    page = client.get(f"/services/applications/{app.pk}/").content.decode()
    assert 'id="step-accept"' in page and citizen.masked_id_number in page
    bad = client.post(f"/services/applications/{app.pk}/steps/", {"step": "return"})
    assert bad.status_code == 400 and "一次性告知" in bad.content.decode()
    wrong = client.post(f"/services/applications/{app.pk}/steps/", {"step": "complete"})
    assert wrong.status_code == 409 and "不能审核通过，办结" in wrong.content.decode()
    client.post(f"/services/applications/{app.pk}/steps/", {"step": "accept"})
    client.post(f"/services/applications/{app.pk}/messages/", {"text": "请于明日携原件到窗口核验"})
    app.refresh_from_db()
    assert app.status == ApplicationStatus.ACCEPTED
    assert app.messages.get().from_citizen is False
    assert "有新的回复" in Notice.objects.filter(citizen=citizen).first().text


def test_the_queue_puts_overdue_first_in_red(wfz, citizen, city):
    late = submit(citizen, wfz)
    fresh = submit(citizen, wfz)
    ProcessApplication(
        by=city.station_officer, application=late, step="accept", now=datetime(2026, 1, 5, 9, 0, tzinfo=LEGAL_TZ)
    ).execute()
    ProcessApplication(by=city.station_officer, application=fresh, step="accept").execute()
    page = city.login(city.station_officer).get("/services/queue/").content.decode()
    assert page.index(late.number) < page.index(fresh.number)
    assert f'id="app-{late.pk}" class="s-late"' in page and "已超期" in page
    done = city.login(city.station_officer).get("/services/queue/?status=completed").content.decode()
    assert late.number not in done


def test_the_queue_costs_a_fixed_number_of_queries(wfz, citizen, city, django_assert_max_num_queries):
    for _ in range(15):
        submit(citizen, wfz)
    client = city.login(city.station_officer)
    with django_assert_max_num_queries(12):
        assert client.get("/services/queue/").status_code == 200


# --- public progress query ------------------------------------------------------------------------


def test_the_public_query_shows_status_and_steps_only(wfz, citizen, city):
    app = submit(citizen, wfz)
    ProcessApplication(by=city.station_officer, application=app, step="accept").execute()
    page = Client().get("/portal/services/progress/", {"number": app.number, "phone_last4": "5678"})
    body = page.content.decode()
    assert page.status_code == 200 and "已受理" in body and "无犯罪记录证明" in body
    assert "张三" not in body and "衡水市某公司" not in body and citizen.phone not in body


def test_a_wrong_pair_and_an_unknown_number_say_the_same(wfz, citizen):
    app = submit(citizen, wfz)
    wrong = Client().get("/portal/services/progress/", {"number": app.number, "phone_last4": "0000"})
    unknown = Client().get("/portal/services/progress/", {"number": "BJ20200101999999", "phone_last4": "5678"})
    assert wrong.status_code == unknown.status_code == 404
    assert "未查询到该办件" in wrong.content.decode() and "未查询到该办件" in unknown.content.decode()
    api = Client().get("/api/v1/services/status", {"number": app.number, "phone_last4": "1234"})
    assert api.status_code == 404 and api.json()["detail"][0]["code"] == "not_found"
    bad = Client().get("/api/v1/services/status", {"number": app.number, "phone_last4": "12"})
    assert bad.status_code == 400 and bad.json()["detail"][0]["field"] == "phone_last4"


def test_an_address_that_keeps_missing_is_stopped(wfz, citizen):
    from anmin.services.progress import MAX_MISSES

    app = submit(citizen, wfz)
    client = Client(REMOTE_ADDR="10.9.9.9")
    for n in range(MAX_MISSES):
        assert (
            client.get("/api/v1/services/status", {"number": app.number, "phone_last4": f"{n:04d}"}).status_code == 404
        )
    blocked = client.get("/api/v1/services/status", {"number": app.number, "phone_last4": "5678"})
    assert blocked.status_code == 429
    other = Client(REMOTE_ADDR="10.9.9.10").get(
        "/api/v1/services/status", {"number": app.number, "phone_last4": "5678"}
    )
    assert other.status_code == 200


def test_the_public_api_is_one_query_without_auth(wfz, citizen, city, django_assert_num_queries):
    app = submit(citizen, wfz)
    ProcessApplication(by=city.station_officer, application=app, step="accept").execute()
    app.refresh_from_db()
    client = Client()
    with django_assert_num_queries(1):
        response = client.get("/api/v1/services/status", {"number": app.number, "phone_last4": "5678"})
    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "accepted" and [s["step"] for s in body["steps"]] == ["submit", "accept"]
    assert set(body) == {"number", "item", "status", "status_label", "due_at", "steps"}
    assert body["item"] == wfz.name
    # Datetimes come back time-zone aware and equal to the stored ones, on either database (the
    # JSON keeps milliseconds).
    result = lookup(app.number, "5678")
    assert result.due_at == app.due_at and result.due_at.tzinfo is not None
    assert [at for _kind, _label, at in result.steps] == [e.at for e in app.events.order_by("at", "id")]
    assert datetime.fromisoformat(body["due_at"]) == app.due_at.replace(
        microsecond=app.due_at.microsecond // 1000 * 1000
    )


# Serialized rollback like the other transactional tests: its flush then leaves the content types to
# be restored from the snapshot, instead of recreating them with new ids that the next serialized
# test's snapshot collides with.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_server_answers_the_public_query_from_its_thread_pool(wfz, citizen, settings):
    """anmin.asgi end to end, as `anmin serve` runs it: ASGI in, Django on a pool thread with its
    own database connection, the committed application found, a bad pair refused."""
    from anmin.asgi import application

    def asgi_get(path, query):
        return asgi_call(application, http_scope(path, query=query.encode()))

    settings.ALLOWED_HOSTS = ["*"]
    app = submit(citizen, wfz)
    sent = asgi_get("/api/v1/services/status", f"number={app.number}&phone_last4=5678")
    assert sent[0]["status"] == 200
    assert json.loads(sent[1]["body"])["number"] == app.number
    assert asgi_get("/api/v1/services/status", f"number={app.number}&phone_last4=0000")[0]["status"] == 404
    bad = asgi_get("/api/v1/services/status", "number=" + "9" * 40 + "&phone_last4=5678")
    assert bad[0]["status"] == 400 and b"number" in bad[1]["body"]


def test_the_public_answer_survives_an_application_without_steps(wfz, citizen):
    app = submit(citizen, wfz)
    app.events.all().delete()
    result = lookup(app.number, "5678")
    assert result.status == "submitted" and result.steps == [] and result.item == wfz.name


# --- API ------------------------------------------------------------------------------------------


def test_the_api_lists_the_queue_and_steps_through(wfz, citizen, city):
    app = submit(citizen, wfz)
    api = city.api(city.station_officer)
    assert [r["number"] for r in api.get("/api/v1/services/applications?status=open").json()] == [app.number]
    assert api.get("/api/v1/services/applications?status=nope").status_code == 400
    assert len(api.get("/api/v1/services/items").json()) == 5
    url = f"/api/v1/services/applications/{app.pk}/steps"
    bad = api.post(url, {"step": "return", "missing": []}, "application/json")
    assert bad.status_code == 400 and bad.json()["detail"][0]["field"] == "missing"
    wrong = api.post(url, {"step": "complete"}, "application/json")
    assert wrong.status_code == 409 and wrong.json()["detail"][0]["field"] == "step"
    assert api.post(url, {"step": "fly"}, "application/json").status_code == 400
    body = api.post(url, {"step": "accept"}, "application/json").json()
    assert body["status"] == "accepted" and body["available_steps"] == ["review", "return"]
    reply = api.post(f"/api/v1/services/applications/{app.pk}/messages", {"text": "请补充"}, "application/json")
    assert reply.status_code == 201
    detail = api.get(f"/api/v1/services/applications/{app.pk}").json()
    assert [e["kind"] for e in detail["events"]] == [EventKind.SUBMIT, EventKind.ACCEPT]
    assert detail["files"][0]["content_type"] == "pdf"
    assert Client().get("/api/v1/services/applications").status_code == 401
