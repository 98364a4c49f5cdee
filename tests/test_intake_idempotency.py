"""A retried intake never duplicates: the API's Idempotency-Key header, the intake form's one-time
token, and the unique (creator, key) backstop when two retries race each other."""

import json
import re
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction

from anmin.core.errors import ActionError
from anmin.incidents.actions import IntakeKeyReused, ReceiveCall
from anmin.incidents.models import INTAKE_KEY_TTL, Incident, IncidentEvent, IntakeKey
from tests.test_concurrency import run_together

pytestmark = pytest.mark.django_db


def post(client, data, key=None):
    headers = {} if key is None else {"Idempotency-Key": key}
    return client.post(
        "/api/v1/incidents", json.dumps(data, ensure_ascii=False), content_type="application/json", headers=headers
    )


@pytest.fixture
def desk(city):
    return city.api(city.dispatcher)


# --- the API ----------------------------------------------------------------------------------------


def test_it_answers_a_retry_with_the_first_incident(city, desk, call_data):
    first = post(desk, call_data, key="call-0001")
    assert first.status_code == 201, first.content
    assert "Idempotent-Replayed" not in first

    again = post(desk, call_data, key="call-0001")
    assert again.status_code == 200, again.content
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["number"] == first.json()["number"]
    assert again.json()["id"] == first.json()["id"]
    assert Incident.objects.count() == 1
    assert IncidentEvent.objects.count() == 1
    assert again.json()["timeline"][0]["kind"] == "received"


def test_it_creates_a_new_incident_for_a_new_key(city, desk, call_data):
    assert post(desk, call_data, key="call-1").status_code == 201
    # Another caller (the same number again within minutes would be offered as a repeat call).
    second = post(desk, {**call_data, "category": "0110", "caller_phone": "13900001111"}, key="call-2")
    assert second.status_code == 201
    assert Incident.objects.count() == 2


def test_it_refuses_the_same_key_with_a_different_call(city, desk, call_data):
    first = post(desk, call_data, key="call-1").json()
    response = post(desk, {**call_data, "description": "另一起"}, key="call-1")
    assert response.status_code == 409
    [item] = response.json()["detail"]
    assert item["field"] == "Idempotency-Key"
    assert item["code"] == "idempotency_key_reused"
    assert first["number"] in item["message"]
    assert Incident.objects.count() == 1


@pytest.mark.parametrize("key", ["", "x" * 101, "键", "tab\there"])
def test_it_rejects_a_malformed_key_naming_the_header(city, desk, call_data, key):
    response = post(desk, call_data, key=key)
    assert response.status_code == 400, response.content
    assert response.json()["detail"][0]["field"] == "Idempotency-Key"
    assert not Incident.objects.exists()
    assert not IntakeKey.objects.exists()


def test_it_accepts_a_key_of_100_printable_characters(city, desk, call_data):
    key = "A b~" * 25
    assert post(desk, call_data, key=key).status_code == 201
    assert post(desk, call_data, key=key).status_code == 200
    assert Incident.objects.count() == 1


def test_it_scopes_keys_to_the_officer(city, call_data):
    # Two call-takers whose clients happen to pick the same key each get their own incident.
    first = post(city.api(city.dispatcher), call_data, key="same")
    second = post(city.api(city.leader), {**call_data, "force_new": True}, key="same")
    assert first.status_code == second.status_code == 201
    assert first.json()["number"] != second.json()["number"]


def test_it_lets_a_key_be_used_again_after_a_day(city, desk, call_data):
    first = post(desk, call_data, key="daily-1").json()
    IntakeKey.objects.update(at=IntakeKey.objects.get().at - INTAKE_KEY_TTL - timedelta(seconds=1))
    later = post(desk, {**call_data, "force_new": True}, key="daily-1")
    assert later.status_code == 201
    assert later.json()["number"] != first["number"]
    assert IntakeKey.objects.get().incident.number == later.json()["number"]


def test_it_does_not_spend_the_key_on_a_refused_intake(city, desk, call_data):
    bad = post(desk, {**call_data, "lat": 39.9, "lon": 116.4}, key="k")
    assert bad.status_code == 400
    assert not IntakeKey.objects.exists()
    assert post(desk, call_data, key="k").status_code == 201


def test_it_replays_a_merge_as_the_same_merge(city, desk, call_data):
    first = post(desk, call_data, key="a").json()
    merge = {**call_data, "merge_into": first["id"]}
    assert post(desk, merge, key="b").status_code == 200
    replay = post(desk, merge, key="b")
    assert replay.status_code == 200
    assert replay["Idempotent-Replayed"] == "true"
    assert Incident.objects.get().call_count == 2


def test_it_does_not_replay_another_officers_incident(city, call_data):
    first = post(city.api(city.dispatcher), call_data, key="shared").json()
    response = post(city.api(city.outsider), call_data, key="shared")
    assert "Idempotent-Replayed" not in response
    assert first["number"] not in response.content.decode()


def test_the_database_refuses_a_second_row_for_one_key(city, call_data):
    incident, _ = ReceiveCall(by=city.dispatcher, data=call_data).execute()
    IntakeKey.objects.create(creator=city.dispatcher, key="k", fingerprint="f", incident=incident)
    with pytest.raises(IntegrityError), transaction.atomic():
        IntakeKey.objects.create(creator=city.dispatcher, key="k", fingerprint="g", incident=incident)


def test_the_action_raises_a_conflict_for_a_reused_key(city, call_data):
    ReceiveCall(by=city.dispatcher, data=call_data, key="k").execute()
    with pytest.raises(IntakeKeyReused) as caught:
        ReceiveCall(by=city.dispatcher, data={**call_data, "priority": 1}, key="k").execute()
    assert caught.value.status == 409


def test_the_action_rejects_a_non_text_key(city, call_data):
    with pytest.raises(ActionError) as caught:
        ReceiveCall(by=city.dispatcher, data=call_data, key=12).execute()
    assert caught.value.field == "Idempotency-Key"


# --- the intake form --------------------------------------------------------------------------------


def form_token(page) -> str:
    return re.search(r'name="token" value="([^"]+)"', page.content.decode()).group(1)


def test_the_intake_form_carries_a_fresh_token_each_time(city):
    client = city.login(city.dispatcher)
    assert form_token(client.get("/intake/")) != form_token(client.get("/intake/"))


def test_a_resubmitted_form_leads_to_the_incident_created_the_first_time(city, call_data):
    client = city.login(city.dispatcher)
    data = {**call_data, "token": form_token(client.get("/intake/"))}
    first = client.post("/intake/", data)
    assert first.status_code == 302
    again = client.post("/intake/", data, follow=True)
    assert again.redirect_chain[0][0] == first["Location"]
    incident = Incident.objects.get()
    assert incident.number in again.content.decode()
    assert "未重复新建" in again.content.decode()


def test_a_reused_form_for_a_different_call_is_shown_again_with_a_fresh_token(city, call_data):
    client = city.login(city.dispatcher)
    token = form_token(client.get("/intake/"))
    client.post("/intake/", {**call_data, "token": token})
    other = {**call_data, "category": "0110", "description": "另一个来电", "token": token}
    page = client.post("/intake/", other)
    assert page.status_code == 409
    body = page.content.decode()
    assert 'data-field="token"' in body
    assert "另一个来电" in body  # what was typed is kept
    fresh = form_token(page)
    assert fresh != token
    assert client.post("/intake/", {**other, "token": fresh, "force_new": "1"}).status_code == 302
    assert Incident.objects.count() == 2


@pytest.mark.parametrize("token", ["键", "x" * 101])
def test_it_rejects_a_tampered_token(city, call_data, token):
    page = city.login(city.dispatcher).post("/intake/", {**call_data, "token": token})
    assert page.status_code == 400
    assert 'data-field="token"' in page.content.decode()
    assert not Incident.objects.exists()


def test_a_form_without_a_token_still_records_the_call(city, call_data):
    assert city.login(city.dispatcher).post("/intake/", call_data).status_code == 302
    assert Incident.objects.count() == 1
    assert not IntakeKey.objects.exists()


# --- two retries racing -----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("rounds", [3])
def test_two_racing_retries_with_one_key_make_one_incident(city, call_data, rounds):
    for round_no in range(rounds):
        key = f"race-{round_no}"
        data = {**call_data, "description": f"第 {round_no} 轮"}

        def take(data=data, key=key):
            action = ReceiveCall(by=city.dispatcher, data=data, force_new=True, key=key)
            incident, _ = action.execute()
            return incident.number, action.replayed

        outcomes = run_together(take, take)
        assert all(o[0] == "ok" for o in outcomes), outcomes
        numbers = {o[1][0] for o in outcomes}
        assert len(numbers) == 1, outcomes
        assert sorted(o[1][1] for o in outcomes) == [False, True], outcomes
        assert Incident.objects.filter(description=f"第 {round_no} 轮").count() == 1
    assert Incident.objects.count() == rounds
    assert IntakeKey.objects.count() == rounds


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_racing_retries_through_the_api_make_one_incident(city, call_data):
    token = city.token(city.dispatcher)

    def take():
        from django.test import Client

        client = Client(headers={"Authorization": f"Bearer {token}"})
        response = post(client, call_data, key="api-race")
        return response.status_code, response.json()["number"]

    outcomes = run_together(take, take)
    assert all(o[0] == "ok" for o in outcomes), outcomes
    assert sorted(o[1][0] for o in outcomes) == [200, 201]
    assert len({o[1][1] for o in outcomes}) == 1
    assert Incident.objects.count() == 1
