"""典型案例库: anonymised typical cases published by the legal unit, searched in Chinese by every officer.

Run on both databases (the search takes a different path on each):
    SECRET_KEY=x ANMIN_VAR_DIR=/tmp/lib pytest tests/test_library.py
    SECRET_KEY=x ANMIN_VAR_DIR=/tmp/lib DATABASE_URL=postgres://postgres@127.0.0.1:5432/anmin_lib pytest …
"""

import json
import subprocess
import sys
from datetime import UTC

import factory
import pytest
from django.core.management import call_command
from django.db import connection

from anmin.cases.actions import OpenCase
from anmin.core.errors import ActionError, Conflict, Denied
from anmin.core.models import AuditEntry
from anmin.incidents.models import Category
from anmin.library.actions import PublishCase, SaveDraft, WithdrawCase
from anmin.library.anonymise import anonymise, find_personal_data
from anmin.library.models import Tag, TypicalCase
from anmin.library.search import search
from anmin.library.seed import CASES, seed_library
from anmin.library.text import parse_query, tokenizer
from anmin.org.models import Role
from tests.factories import OfficerFactory

THEFT = {
    "title": "撬锁入室盗窃案",
    "summary": "某日凌晨，违法犯罪嫌疑人李某撬开一楼住户房门，入室盗窃电动车一辆，价值约四千元。",
    "key_points": "先保护现场，再提取撬压痕迹；调取监控形成轨迹链。",
    "legal_basis": "《中华人民共和国刑法》第二百六十四条。",
    "tags": ["入室盗窃", "视频侦查"],
}
FRAUD = {
    "title": "冒充客服退款诈骗案",
    "summary": "被害人接到冒充电商客服的电话，被诱导开启屏幕共享并泄露验证码，被骗四万余元，属电信网络诈骗。",
    "key_points": "第一时间紧急止付；固定通话记录和转账凭证。",
    "legal_basis": "《中华人民共和国刑法》第二百六十六条。",
    "tags": ["电信网络诈骗"],
}


@pytest.fixture
def legal(city):
    """The bureau's 法制 officer, who writes and publishes typical cases."""
    return OfficerFactory(username="legal", organization=city.bureau, role=Role.LEGAL)


def draft(by, **fields) -> TypicalCase:
    return SaveDraft(by=by, **(THEFT | fields)).execute()


def published(by, **fields) -> TypicalCase:
    return PublishCase(case=draft(by, **fields), by=by).execute()


def titles(query: str, user) -> list[str]:
    return [c.title for c in search(query, user)]


class TypicalCaseFactory(factory.django.DjangoModelFactory):
    """Published cases written straight to the table, for list sizes (the actions are tested below)."""

    class Meta:
        model = TypicalCase
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"盗窃案例{n}")
    summary = "入室盗窃电动车一辆。"
    key_points = "调取监控。"
    legal_basis = "《中华人民共和国刑法》第二百六十四条。"
    status = TypicalCase.Status.PUBLISHED
    published_at = factory.Faker("date_time_this_year", tzinfo=UTC)

    @factory.post_generation
    def tag_names(self, create, extracted, **kwargs):
        if create:
            self.tags.set([Tag.objects.get_or_create(name=n)[0] for n in (extracted or ["盗窃", "电动车"])])


# --- search ----------------------------------------------------------------------------------


def test_it_finds_a_two_character_word_inside_a_phrase(city, legal):
    published(legal)
    assert titles("盗窃", city.patrol_officer) == ["撬锁入室盗窃案"]


def test_it_finds_the_words_in_any_order(city, legal):
    published(legal)
    published(legal, **FRAUD)
    assert titles("电动车 盗窃", city.patrol_officer) == ["撬锁入室盗窃案"]
    assert titles("盗窃电动车", city.patrol_officer) == ["撬锁入室盗窃案"]


def test_it_requires_every_word_of_the_query(city, legal):
    published(legal)
    published(legal, **FRAUD)
    assert titles("盗窃 诈骗", city.patrol_officer) == []


def test_it_finds_a_word_the_text_segments_differently(city, legal):
    # The case says 电信网络诈骗 (one dictionary word, indexed with 电信/网络/诈骗); the query 网络诈骗
    # is matched through its sub-words.
    published(legal, **FRAUD)
    assert titles("网络诈骗", city.patrol_officer) == ["冒充客服退款诈骗案"]
    assert titles("诈骗", city.patrol_officer) == ["冒充客服退款诈骗案"]


def test_it_searches_tags_and_category(city, legal):
    published(legal, tags=["现场勘查"], category=Category.objects.get(code="0111"))
    assert titles("现场勘查", city.patrol_officer) == ["撬锁入室盗窃案"]
    assert "入室盗窃" in TypicalCase.objects.get().search_text  # the category name 入室盗窃


@pytest.mark.parametrize("query", ["", "   ", "的", "的了吗", "，。！？", "!!!", "...", "的，了。", "the and or"])
def test_it_returns_nothing_for_only_stop_words_or_punctuation(city, legal, query):
    published(legal)
    assert parse_query(query) == []
    assert titles(query, city.patrol_officer) == []


@pytest.mark.parametrize(
    "query",
    [
        '"',
        "'",
        "*",
        "-",
        "NEAR",
        "near(盗窃 电动车)",
        "NEAR/3",
        '"盗窃',
        "盗窃*",
        "-盗窃",
        "盗窃 OR 1=1",
        "盗窃' OR '1'='1",
        "'; DROP TABLE library_typicalcase; --",
        "%",
        "_",
        "盗%窃",
        "\\",
        "盗窃 & | ! :*",
        "(盗窃",
        "{盗窃}",
        "^盗窃",
        "title:盗窃",
        "x" * 600,
    ],
)
def test_it_never_errors_on_query_syntax(city, legal, query):
    published(legal)
    found = titles(query, city.patrol_officer)
    if query in ('"盗窃', "盗窃*", "-盗窃", "盗窃 & | ! :*", "(盗窃", "{盗窃}", "^盗窃"):
        assert found == ["撬锁入室盗窃案"]  # the syntax is dropped, the word is searched
    assert TypicalCase.objects.count() == 1


def test_it_ranks_title_hits_first_then_frequency(city, legal):
    published(legal, title="邻里纠纷调解", summary="顺带提到盗窃一次。", tags=[])
    published(legal, title="现场勘查要点", summary="盗窃后销赃，盗窃工具丢弃。", tags=[])
    published(legal, title="盗窃电动车案", summary="盗窃。", tags=[])
    published(legal, title="家庭纠纷调解", summary="调解中提到盗窃、盗窃、盗窃三次。", tags=[])
    assert titles("盗窃", city.patrol_officer) == ["盗窃电动车案", "家庭纠纷调解", "现场勘查要点", "邻里纠纷调解"]


def test_withdrawn_cases_disappear_from_search(city, legal):
    case = published(legal)
    assert titles("盗窃", city.patrol_officer) == ["撬锁入室盗窃案"]
    WithdrawCase(case=case, by=legal, reason="法律修订").execute()
    assert titles("盗窃", city.patrol_officer) == []
    assert titles("盗窃", legal) == []  # search() is over published cases, for editors too


def test_it_keeps_search_text_in_step_with_tags(city, legal):
    case = published(legal, tags=["现场勘查"])
    tag = Tag.objects.get(name="现场勘查")
    tag.name = "技术开锁"
    tag.save()
    assert titles("技术开锁", city.patrol_officer) == ["撬锁入室盗窃案"]
    assert titles("现场勘查", city.patrol_officer) == []
    case.tags.add(Tag.objects.create(name="销赃渠道"))
    assert titles("销赃渠道", city.patrol_officer) == ["撬锁入室盗窃案"]
    Tag.objects.get(name="销赃渠道").cases.clear()
    assert titles("销赃渠道", city.patrol_officer) == []
    Tag.objects.get(name="技术开锁").delete()
    assert titles("技术开锁", city.patrol_officer) == []


def test_it_loads_jieba_once_and_quietly():
    assert tokenizer() is tokenizer()
    run = subprocess.run(
        [sys.executable, "-c", "from anmin.library.text import index_text; print(index_text('入室盗窃电动车'))"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert run.stderr == ""  # no "Building prefix dict…" banner
    assert "盗窃" in run.stdout.split()


def test_it_segments_police_terms_whole(legal):
    words = tokenizer().lcut("电信网络诈骗犯罪嫌疑人被取保候审，涉案财物已移交")
    assert {"电信网络诈骗", "犯罪嫌疑人", "取保候审", "涉案财物"} <= set(words)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the GIN index exists on PostgreSQL only")
def test_it_uses_the_gin_index_on_postgresql(city, legal):
    from anmin.library.search import match

    published(legal)
    sql, params = match(TypicalCase.objects.all(), "盗窃 电动车").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "library_typicalcase_search_gin" in plan


# --- anonymisation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "text", "kind", "masked"),
    [
        ("summary", "嫌疑人身份证号131102199001011234，已到案。", "id_number", "131102********1234"),
        ("summary", "身份证号 13110219900101123X 的男子", "id_number", "131102********123X"),
        ("key_points", "老式身份证号131102900101123，需核实", "id_number", "131102******123"),
        ("key_points", "联系被害人13812345678核实", "mobile", "138****5678"),
        ("legal_basis", "报警人手机 138-1234-5678", "mobile", "138****5678"),
        ("summary", "全角号码１３８１２３４５６７８也算", "mobile", "138****5678"),
        ("title", "冀T12345肇事逃逸案", "plate", "冀T****5"),
        ("summary", "新能源车冀TD12345驶离现场", "plate", "冀T*****5"),
        ("summary", "大型新能源车冀T12345D驶离现场", "plate", "冀T*****D"),
        ("tags", "冀A·88888", "plate", "冀A****8"),
    ],
)
def test_it_refuses_to_publish_while_personal_data_remains(city, legal, field, text, kind, masked):
    case = draft(legal, **({"tags": [text]} if field == "tags" else {field: text}))
    with pytest.raises(ActionError) as refused:
        PublishCase(case=case, by=legal).execute()
    error = refused.value
    assert error.field == field
    assert error.code == "personal_data"
    assert error.extra["found"][0]["kind"] == kind
    assert error.extra["found"][0]["masked"] == masked
    assert masked in error.message
    digits = "".join(ch for ch in text.translate(str.maketrans("０１２３４５６７８９", "0123456789")) if ch.isdigit())
    assert digits not in error.message  # what was found is shown masked, never in full
    case.refresh_from_db()
    assert case.status == TypicalCase.Status.DRAFT


def test_it_names_the_first_field_and_lists_the_others(legal, city):
    case = draft(legal, summary="手机13812345678", legal_basis="冀T12345")
    with pytest.raises(ActionError) as refused:
        PublishCase(case=case, by=legal).execute()
    assert refused.value.field == "summary"
    assert set(refused.value.extra["fields"]) == {"summary", "legal_basis"}


@pytest.mark.parametrize(
    "text",
    [
        "《刑法》第二百六十四条、第264条",
        "价值约4000元，被骗40000元",
        "2024年5月6日23时许",
        "报警电话110、12345热线",
        "接警单号20240506000123",  # 14 digits: not an ID number
        "案件编号A1311025100002024050001",  # longer than any ID number
        "身份证号[已隐去]，手机号[已隐去]",
        "冀T×××××",
        "刀身长约200毫米，刀尖角度小于60度",
    ],
)
def test_it_does_not_flag_ordinary_numbers(text):
    assert find_personal_data(text) == []


def test_anonymise_replaces_them_with_placeholders(city, legal):
    text = "王某（身份证号131102199001011234，手机13812345678）驾驶冀TD12345、冀T12345离开。"
    clean = anonymise(text)
    assert clean == "王某（身份证号身份证号[已隐去]，手机手机号[已隐去]）驾驶车牌号[已隐去]、车牌号[已隐去]离开。"
    assert anonymise(clean) == clean
    assert find_personal_data(clean) == []
    case = draft(legal, summary=text)
    case = SaveDraft(by=legal, case=case, **(THEFT | {"summary": anonymise(case.summary)})).execute()
    assert PublishCase(case=case, by=legal).execute().status == TypicalCase.Status.PUBLISHED


# --- who may do what -------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["station_officer", "patrol_officer", "dispatcher", "outsider"])
def test_only_the_legal_unit_or_a_leader_may_publish(city, legal, who):
    case = draft(legal)
    with pytest.raises(Denied):
        PublishCase(case=case, by=getattr(city, who)).execute()
    with pytest.raises(Denied):
        SaveDraft(by=getattr(city, who), **THEFT).execute()
    assert PublishCase(case=case, by=city.leader).execute().status == TypicalCase.Status.PUBLISHED
    with pytest.raises(Denied):
        WithdrawCase(case=case, by=getattr(city, who)).execute()


def test_a_superuser_may_publish(city, legal):
    root = OfficerFactory(username="root", organization=None, role=Role.ADMIN, is_superuser=True)
    assert PublishCase(case=draft(legal), by=root).execute().published_by == root


def test_drafts_are_invisible_to_front_line_officers(city, legal):
    case = draft(legal)
    assert list(TypicalCase.objects.visible_to(city.patrol_officer)) == []
    assert titles("盗窃", city.patrol_officer) == []
    client = city.api(city.patrol_officer)
    assert client.get("/api/v1/library").json() == []
    assert client.get(f"/api/v1/library/{case.pk}").status_code == 404
    assert client.get("/api/v1/library/manage").status_code == 403
    assert client.get(f"/api/v1/library/manage/{case.pk}").status_code == 403


def test_a_branch_legal_officer_sees_only_drafts_of_their_subtree(city, legal):
    branch_legal = OfficerFactory(username="legal_b", organization=city.branch_b, role=Role.LEGAL)
    bureau_draft = draft(legal)
    own = draft(branch_legal, title="冀州入室盗窃案")
    assert set(TypicalCase.objects.visible_to(branch_legal)) == {own}
    assert set(TypicalCase.objects.visible_to(legal)) == {bureau_draft, own}
    with pytest.raises(Denied):
        PublishCase(case=bureau_draft, by=branch_legal).execute()


def test_it_refuses_to_publish_twice_or_to_edit_published_guidance(city, legal):
    case = published(legal)
    with pytest.raises(Conflict):
        PublishCase(case=case, by=legal).execute()
    with pytest.raises(Conflict):
        SaveDraft(by=legal, case=case, **THEFT).execute()
    with pytest.raises(Conflict):
        WithdrawCase(case=draft(legal), by=legal).execute()


def test_it_requires_the_body_and_legal_basis_to_publish(city, legal):
    with pytest.raises(ActionError) as refused:
        PublishCase(case=draft(legal, legal_basis=""), by=legal).execute()
    assert refused.value.field == "legal_basis"


def test_every_change_is_audited_without_the_text(city, legal):
    case = draft(legal, summary="嫌疑人手机13812345678")
    case = SaveDraft(by=legal, case=case, **(THEFT | {"summary": "嫌疑人手机号已隐去"})).execute()
    PublishCase(case=case, by=legal).execute()
    WithdrawCase(case=case, by=legal, reason="当事人手机13812345678打来电话要求撤回").execute()
    entries = AuditEntry.objects.filter(object_type="library.typicalcase", object_id=str(case.pk))
    assert list(entries.values_list("action", flat=True)) == [
        "library.create",
        "library.edit",
        "library.publish",
        "library.withdraw",
    ]
    assert entries[1].data["changed"] == ["summary"]
    assert "13812345678" not in json.dumps(list(entries.values_list("data", flat=True)), ensure_ascii=False)


# --- API -------------------------------------------------------------------------------------


def test_the_legal_unit_drafts_publishes_and_withdraws_through_the_api(city, legal):
    client = city.api(legal)
    body = THEFT | {"category": "0111", "summary": THEFT["summary"] + "报警人手机13812345678。"}
    created = client.post("/api/v1/library", body, content_type="application/json")
    assert created.status_code == 201, created.content
    case_id = created.json()["id"]
    assert created.json()["status"] == "draft"

    refused = client.post(f"/api/v1/library/{case_id}/publish")
    assert refused.status_code == 400
    assert refused.json()["detail"][0]["field"] == "summary"
    assert refused.json()["detail"][0]["found"][0]["masked"] == "138****5678"

    edited = client.put(f"/api/v1/library/{case_id}", body | {"anonymise": True}, content_type="application/json")
    assert "手机号[已隐去]" in edited.json()["summary"]
    done = client.post(f"/api/v1/library/{case_id}/publish")
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "published"

    reader = city.api(city.patrol_officer)
    listed = reader.get("/api/v1/library", {"q": "电动车 盗窃"}).json()
    assert [item["id"] for item in listed] == [case_id]
    assert "盗窃" in listed[0]["highlights"]
    assert "盗窃" in listed[0]["snippet"]
    assert listed[0]["category"] == {"code": "0111", "name": "入室盗窃"}
    assert reader.get("/api/v1/library", {"tag": "入室盗窃"}).json()[0]["id"] == case_id
    assert reader.get("/api/v1/library", {"tag": "电信网络诈骗"}).json() == []
    assert reader.get("/api/v1/library", {"category": "01"}).json()[0]["id"] == case_id
    assert reader.get("/api/v1/library/tags").json() == [
        {"name": "入室盗窃", "count": 1},
        {"name": "视频侦查", "count": 1},
    ]

    withdrawn = client.post(
        f"/api/v1/library/{case_id}/withdraw", {"reason": "法律修订"}, content_type="application/json"
    )
    assert withdrawn.json()["status"] == "withdrawn"
    assert reader.get("/api/v1/library", {"q": "盗窃"}).json() == []
    assert reader.get(f"/api/v1/library/{case_id}").status_code == 404
    assert client.get("/api/v1/library/manage", {"status": "withdrawn", "q": "盗窃"}).json()[0]["id"] == case_id


def test_the_source_case_is_never_in_front_line_output(city, legal):
    source = OpenCase(by=city.station_officer, kind="criminal", title="李某某入室盗窃案").execute()
    client = city.api(legal)
    created = client.post(
        "/api/v1/library", THEFT | {"source_case_id": source.pk}, content_type="application/json"
    ).json()
    assert created["source_case"] == {"id": source.pk, "number": source.number, "title": "李某某入室盗窃案"}
    client.post(f"/api/v1/library/{created['id']}/publish")

    reader = city.api(city.patrol_officer)
    for url in ("/api/v1/library", "/api/v1/library?q=盗窃", f"/api/v1/library/{created['id']}"):
        response = reader.get(url)
        assert response.status_code == 200
        text = response.content.decode()
        assert source.number not in text
        assert "李某某" not in text
        assert "source" not in text
    assert reader.get(f"/api/v1/library/manage/{created['id']}").status_code == 403
    # The schema readers are served by has no such field at all.
    schema = json.dumps(city.api(legal).get("/api/v1/openapi.json").json()["components"]["schemas"]["LibraryCaseOut"])
    assert "source" not in schema


def test_a_branch_editor_does_not_see_a_source_case_outside_their_subtree(city, legal):
    source = OpenCase(by=city.station_officer, kind="criminal", title="河西盗窃案").execute()
    case = draft(legal, source_case=source)
    PublishCase(case=case, by=legal).execute()
    branch_legal = OfficerFactory(username="legal_b", organization=city.branch_b, role=Role.LEGAL)
    detail = city.api(branch_legal).get(f"/api/v1/library/manage/{case.pk}").json()
    assert detail["source_case"] is None
    with pytest.raises(ActionError) as refused:
        SaveDraft(by=branch_legal, source_case=source, **THEFT).execute()
    assert refused.value.field == "source_case_id"


def test_api_errors_name_the_field(city, legal):
    client = city.api(legal)
    missing = client.post("/api/v1/library", {"summary": "x"}, content_type="application/json")
    assert missing.status_code == 400
    assert missing.json()["detail"][0]["field"] == "title"
    blank = client.post("/api/v1/library", THEFT | {"title": "  "}, content_type="application/json")
    assert blank.json()["detail"][0]["field"] == "title"
    bad_category = client.post("/api/v1/library", THEFT | {"category": "9999"}, content_type="application/json")
    assert bad_category.json()["detail"][0]["field"] == "category"
    too_many = client.post(
        "/api/v1/library", THEFT | {"tags": [f"标签{i}" for i in range(11)]}, content_type="application/json"
    )
    assert too_many.json()["detail"][0]["field"] == "tags"
    denied = city.api(city.outsider).post("/api/v1/library", THEFT, content_type="application/json")
    assert denied.status_code == 403
    assert city.api(city.outsider).get("/api/v1/library/99999").status_code == 404


def test_it_requires_a_login(city, legal, client):
    published(legal)
    assert client.get("/api/v1/library").status_code == 401
    assert client.get("/api/v1/library/tags").status_code == 401


def test_the_list_costs_a_fixed_number_of_queries(city, legal, django_assert_max_num_queries):
    TypicalCaseFactory.create_batch(30, author=legal, category=Category.objects.get(code="0111"))
    client = city.api(city.patrol_officer)
    client.get("/api/v1/library")  # warm the token cache
    with django_assert_max_num_queries(3):
        assert len(client.get("/api/v1/library").json()) == 30
    with django_assert_max_num_queries(3):
        assert len(client.get("/api/v1/library", {"q": "盗窃 电动车"}).json()) == 30


# --- seed and admin --------------------------------------------------------------------------


def test_the_demo_seed_publishes_anonymised_cases_once(city, legal):
    assert seed_library() == (len(CASES), 0)
    assert TypicalCase.objects.published().count() == len(CASES) >= 8
    assert seed_library() == (0, len(CASES))
    for case in TypicalCase.objects.all():
        for field in ("title", "summary", "key_points", "legal_basis"):
            assert find_personal_data(getattr(case, field)) == []
    reader = city.patrol_officer
    assert "撬锁入室盗窃电动车案" in titles("盗窃", reader)
    assert titles("告诫书", reader) == ["夫妻争吵引发家庭纠纷的调解与告诫"]
    assert titles("管制刀具", reader) == ["盘查发现非法携带管制刀具的查处"]
    assert "寒夜走失老人的救助" in titles("走失 老人", reader)


def test_the_seed_command(city, legal, capsys):
    call_command("library", "seed", "--author", "legal")
    call_command("library", "reindex")
    out = capsys.readouterr().out
    assert f"{len(CASES)} added" in out
    assert f"re-indexed: {len(CASES)}" in out


def test_the_admin_lists_cases_in_chinese_and_publishes_through_the_action(city, legal, client):
    admin = OfficerFactory(username="root", organization=city.bureau, role=Role.ADMIN, is_staff=True, is_superuser=True)
    client.force_login(admin)
    case = draft(legal, summary="手机13812345678")
    clean = draft(legal, title="干净的草稿")
    for url in ("/admin/library/typicalcase/", "/admin/library/tag/", f"/admin/library/typicalcase/{case.pk}/change/"):
        response = client.get(url)
        assert response.status_code == 200
        assert "典型案例" in response.content.decode()
    response = client.post(
        "/admin/library/typicalcase/",
        {"action": "publish", "_selected_action": [case.pk, clean.pk]},
        follow=True,
    )
    assert "仍含有个人信息" in response.content.decode()
    case.refresh_from_db()
    clean.refresh_from_db()
    assert (case.status, clean.status) == (TypicalCase.Status.DRAFT, TypicalCase.Status.PUBLISHED)
    assert AuditEntry.objects.filter(action="library.publish", actor=admin).count() == 1


def test_an_unplaced_editor_sees_published_cases_and_their_own_drafts(city, legal):
    loose = OfficerFactory(username="legal_x", organization=None, role=Role.LEGAL)
    other = draft(legal)
    own = draft(loose, title="自己的草稿")
    assert set(TypicalCase.objects.visible_to(loose)) == {own}
    PublishCase(case=other, by=legal).execute()
    assert set(TypicalCase.objects.visible_to(loose)) == {own, other}
