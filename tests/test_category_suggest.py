"""Categories as a call-taker types them (code, name, part of a name; several matches refused naming
`category`), and the category suggested from the description: a naive Bayes model trained on closed
incidents, whose every suggestion names the words behind it, and the API in front of it."""

import importlib
import json
import math

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from anmin.core.errors import ActionError
from anmin.core.models import AuditEntry
from anmin.incidents import suggest
from anmin.incidents.actions import ReceiveCall
from anmin.incidents.categories import match_category, resolve_category
from anmin.incidents.models import Category, CategoryModel, Incident

pytestmark = pytest.mark.django_db

SUGGEST_URL = "/api/v1/categories/suggest"

#: Closed incidents of a small bureau: a few descriptions per category, in words of their own and
#: in words shared with the others (邻居, 吵, 对方).
HISTORY = {
    "0201": ["与邻居发生争执后被对方殴打", "在饭店被醉酒男子打了一拳", "排队时被人推搡殴打", "被对方打了几巴掌"],
    "0602": ["与邻居因漏水发生纠纷", "与邻居因停车位吵了起来", "邻居在楼道堆放杂物引发争执", "与邻居因漏水吵架"],
    "0110": ["电动车被盗", "手机被偷了", "店里收银台的钱被偷", "放在车筐里的包被盗"],
    "0106": ["被两名男子持刀抢走手机", "被人持刀抢劫现金", "路边被抢劫，嫌疑人持刀"],
}


@pytest.fixture
def keywords():
    """The code table's keywords (a transactional test before this one may have flushed them)."""
    importlib.import_module("anmin.incidents.migrations.0008_category_keywords").load(django_apps, None)


def close_incidents(city, call_data, history=HISTORY) -> None:
    for code, texts in history.items():
        for text in texts:
            ReceiveCall(
                by=city.dispatcher, data={**call_data, "category": code, "description": text}, force_new=True
            ).execute()
    Incident.objects.update(status=Incident.Status.REPORTED)


@pytest.fixture
def trained(city, call_data, keywords) -> CategoryModel:
    close_incidents(city, call_data)
    return suggest.train()


# --- lookup ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("0201", "0201"),
        ("0601 家庭纠纷", "0601"),
        ("０６０１", "0601"),  # full-width digits from a Chinese input method
        ("殴打", "0201"),  # the only name containing it
        ("殴打他人", "0201"),
        ("盗窃", "0110"),  # a full name wins over 入室盗窃 and 盗窃机动车, which contain it
        ("重伤", "0108"),
        ("入室盗窃案", "0111"),  # the longest name the text contains
        ("  邻里纠纷 ", "0602"),
    ],
)
def test_it_reads_a_code_a_name_or_part_of_a_name(typed, code):
    assert resolve_category(typed).code == code


@pytest.mark.parametrize(
    ("typed", "codes"),
    [
        ("纠纷", ["0601", "0602", "0603", "0604", "0605"]),
        ("故意伤害", ["0108", "0109"]),
        ("求助", ["0501", "0502", "0503", "0509"]),  # a class name stands for its sub-categories
        ("噪音扰民", ["0206"]),  # only near (噪声扰民): offered, never taken
    ],
)
def test_it_refuses_several_matches_naming_category_and_the_candidates(typed, codes):
    assert match_category(typed).category is None
    with pytest.raises(ActionError) as refused:
        resolve_category(typed)
    error = refused.value
    assert error.field == "category"
    assert error.code == "ambiguous"
    assert [c["code"] for c in error.extra["candidates"]] == codes
    for candidate in error.extra["candidates"]:
        assert f"{candidate['code']} {candidate['name']}" in error.message


@pytest.mark.parametrize(
    ("typed", "message"),
    [("9999", "未知的警情类别代码：9999"), ("xyz", "没有与“xyz”相符的警情类别"), ("", "请选择警情类别")],
)
def test_it_names_category_for_what_matches_nothing(typed, message):
    with pytest.raises(ActionError) as refused:
        resolve_category(typed)
    assert refused.value.field == "category"
    assert message in refused.value.message


def test_the_api_takes_a_name_and_lists_the_candidates_of_an_ambiguous_one(city, call_data):
    api = city.api(city.dispatcher)
    created = api.post("/api/v1/incidents", {**call_data, "category": "殴打"}, content_type="application/json")
    assert created.status_code == 201, created.content
    assert created.json()["category"] == "0201"
    refused = api.post("/api/v1/incidents", {**call_data, "category": "纠纷"}, content_type="application/json")
    assert refused.status_code == 400
    [item] = refused.json()["detail"]
    assert item["field"] == "category" and item["code"] == "ambiguous"
    assert {c["code"] for c in item["candidates"]} == {"0601", "0602", "0603", "0604", "0605"}
    assert Incident.objects.count() == 1


def test_the_intake_page_takes_a_name_and_names_the_candidates_of_an_ambiguous_one(city, call_data):
    client = city.login(city.dispatcher)
    form = {**call_data, "category": "殴打", "priority": "2"}
    done = client.post(reverse("dispatch:intake"), form)
    assert done.status_code == 302
    assert Incident.objects.get().category.code == "0201"
    page = client.post(reverse("dispatch:intake"), {**form, "category": "纠纷", "force_new": "1"})
    assert page.status_code == 400
    html = page.content.decode()
    assert 'data-field="category"' in html
    assert "0601 家庭纠纷" in html and "0605 交通纠纷" in html
    assert 'value="纠纷"' in html  # what was typed stays in the box, the list then shows the candidates
    assert Incident.objects.count() == 1


# --- the model ------------------------------------------------------------------------------------


def test_the_score_is_naive_bayes_by_hand():
    """Two categories, three descriptions of one-character words (so no word adds its characters):
    the suggestion's probability is the one worked out on paper."""
    weights = suggest.fit(
        [("A", "偷 车"), ("A", "偷 包"), ("B", "吵 架")],
        classes=["A", "B"],
        names={},
        min_documents=1,
        min_information=0,
        prior_weight=1.0,
    )
    model = suggest.NaiveBayes(weights)
    vocabulary = 5  # 偷 车 包 吵 架
    # P(A) = (2+1)/(3+2), P(B) = (1+1)/(3+2); words of A: 4, of B: 2; add-one smoothing.
    log_a = math.log(3 / 5) + math.log((2 + 1) / (4 + vocabulary)) + math.log((1 + 1) / (4 + vocabulary))
    log_b = math.log(2 / 5) + math.log((0 + 1) / (2 + vocabulary)) + math.log((0 + 1) / (2 + vocabulary))
    expected = math.exp(log_a) / (math.exp(log_a) + math.exp(log_b))
    ranked = model.rank("车 被 偷", limit=2)
    assert [r.code for r in ranked] == ["A", "B"]
    assert ranked[0].score == pytest.approx(expected)
    assert ranked[0].words == ["偷", "车"]  # both raise A above the average category, 偷 the more
    assert ranked[1].words == []  # B has seen neither
    assert model.rank("今天天气很好") == []  # no known word: no suggestion, not the commonest category


def test_a_word_counts_with_its_characters():
    assert suggest.words("电瓶车被偷走了，报警人13812345678") == ["电瓶车", "偷走", "电", "瓶", "车", "偷", "走"]


def test_training_stores_the_model_and_suggestions_name_the_words_behind_them(trained, city):
    assert trained.trained_on == sum(len(texts) for texts in HISTORY.values())
    assert CategoryModel.objects.get() == trained
    assert trained.weights["words"]["漏水"] == {"0602": 3}  # two descriptions and 0602's keywords
    entry = AuditEntry.objects.filter(action="incidents.category_model").get()
    assert entry.data == {"trained_on": trained.trained_on, "vocabulary": trained.vocabulary}

    found = suggest.suggest("邻居家漏水，两家吵起来了")
    assert found.source == "model" and found.trained_on == trained.trained_on
    first = found.suggestions[0]
    assert first.category.code == "0602"
    assert "漏水" in first.words and set(first.words) <= set(suggest.words("邻居家漏水，两家吵起来了"))
    assert len(found.suggestions) == 3
    assert [s.score for s in found.suggestions] == sorted((s.score for s in found.suggestions), reverse=True)

    robbery = suggest.suggest("被人持刀抢走了手机").as_dict()["suggestions"][0]
    assert robbery["code"] == "0106" and robbery["serious_violence"] is True
    assert "持刀" in robbery["words"]


def test_numbers_never_become_words_of_the_model(city, call_data, keywords):
    close_incidents(city, call_data, {"0110": ["手机被盗 13812345678", "手机被盗 13812345678 冀T12345"]})
    model = suggest.train()
    assert not any(any(c.isdigit() for c in w) for w in model.weights["words"])


def test_a_cancelled_call_is_not_learned_from(city, call_data, keywords):
    close_incidents(city, call_data, {"0110": ["电动车被盗", "电动车被盗"]})
    Incident.objects.update(status=Incident.Status.CANCELLED)
    model = suggest.train()
    assert model.trained_on == 0
    assert "电动车" not in model.weights["words"]


def test_only_the_newest_models_are_kept(trained):
    for _ in range(suggest.KEEP_MODELS + 1):
        newest = suggest.train()
    assert CategoryModel.objects.count() == suggest.KEEP_MODELS
    assert CategoryModel.objects.first() == newest


def test_without_a_model_it_matches_names_and_keywords_and_says_so(city, keywords):
    found = suggest.suggest("楼上邻居家漏水")
    assert found.source == "names" and found.trained_on == 0
    assert found.suggestions[0].category.code == "0602"
    assert found.suggestions[0].words == ["邻居", "漏水"]
    assert suggest.suggest("今天天气很好").suggestions == []


# --- the API --------------------------------------------------------------------------------------


def test_the_api_answers_three_suggestions_with_their_words(trained, city):
    response = city.api(city.station_officer).get(SUGGEST_URL, {"text": "被人持刀抢劫，抢走现金"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["trained_on"] == trained.trained_on and body["source"] == "model"
    assert len(body["suggestions"]) == 3
    first = body["suggestions"][0]
    assert set(first) == {"code", "name", "score", "serious_violence", "words"}
    assert (first["code"], first["name"], first["serious_violence"]) == ("0106", "抢劫", True)
    assert 0 < first["score"] <= 1 and first["words"]


@pytest.mark.parametrize(
    "query",
    [{}, {"text": ""}, {"text": "   "}, {"text": "x" * (suggest.MAX_TEXT + 1)}, {"text": "被盗\x00"}],
    ids=["missing", "empty", "blank", "too_long", "nul"],
)
def test_the_api_refuses_bad_text_naming_it(city, query):
    response = city.api(city.dispatcher).get(SUGGEST_URL, query)
    assert response.status_code == 400, response.content
    assert response.json()["detail"][0]["field"] == "text"


def test_the_api_wants_an_officer(city, client):
    assert client.get(SUGGEST_URL, {"text": "电动车被盗"}).status_code == 401


@pytest.mark.parametrize("with_model", [False, True], ids=["names", "model"])
@hypothesis_settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=300))
def test_suggest_never_raises_for_any_text(city, call_data, keywords, with_model, text):
    if with_model and not CategoryModel.objects.exists():
        close_incidents(city, call_data)
        suggest.train()
    found = suggest.suggest(text).as_dict()
    json.dumps(found, ensure_ascii=False)
    assert len(found["suggestions"]) <= 3
    assert all(0 <= s["score"] <= 1 for s in found["suggestions"])
    assert all(Category.objects.filter(code=s["code"]).exists() for s in found["suggestions"])


# --- the command ----------------------------------------------------------------------------------


def test_the_command_trains_suggests_and_evaluates(city, call_data, keywords, capsys):
    close_incidents(city, call_data)
    call_command("categories", "suggest", "邻居家漏水")
    assert "no trained model yet" in capsys.readouterr().out
    call_command("categories", "train")
    assert f"trained on {sum(map(len, HISTORY.values()))} descriptions" in capsys.readouterr().out
    call_command("categories", "suggest", "邻居家漏水", "--json")
    body = json.loads(capsys.readouterr().out)
    assert body["suggestions"][0]["code"] == "0602" and "漏水" in body["suggestions"][0]["words"]
    call_command("categories", "evaluate", "--json")
    result = json.loads(capsys.readouterr().out)
    assert result["count"] + result["train"] == sum(map(len, HISTORY.values()))
    assert 0 <= result["top1"] <= result["top3"] <= 1


# --- the benchmark --------------------------------------------------------------------------------


def test_the_benchmark_trains_on_generated_calls_and_reports_each_section():
    from anmin.bench import BENCHMARKS

    result = BENCHMARKS["categories"](incidents=3000)
    sections = result["results"]
    assert sections["training"]["categories"] == 45
    assert sections["accuracy"]["held_out"] > 0
    for name in ("accuracy", "accuracy_unweighted", "handwritten"):
        assert 0 <= sections[name]["top1"] <= sections[name]["top3"] <= 1
    assert sections["handwritten"]["count"] == 60
    assert [t["metric"] for t in result["targets"]] == ["accuracy.top3", "accuracy.top1", "latency.p99_ms"]
