"""Races between dispatchers and between call-takers, on real concurrent database connections.

Each worker thread has its own connection; a Barrier releases them together. On PostgreSQL this is
the real test (row locks under READ COMMITTED); SQLite serializes writers (BEGIN IMMEDIATE), so
there the test checks that the losing dispatcher still gets a clean Conflict, not a lock error.
"""

import threading

import pytest
from django.db import connection

from anmin.core.errors import Conflict
from anmin.core.models import verify_chain
from anmin.dispatch.actions import DispatchUnits
from anmin.dispatch.models import Assignment, Unit, UnitStatus
from anmin.incidents.actions import ReceiveCall
from anmin.incidents.models import Incident, IncidentEvent

ROUNDS = 5
INTAKES = 10
TIMEOUT = 60

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def run_together(*jobs):
    """Run each job in its own thread (own DB connection), all released at once; return outcomes."""
    barrier = threading.Barrier(len(jobs))
    outcomes: list = [None] * len(jobs)

    def worker(i, job):
        try:
            barrier.wait(timeout=TIMEOUT)
            outcomes[i] = ("ok", job())
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test asserts on
            outcomes[i] = ("error", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT)
    assert not any(t.is_alive() for t in threads), "a worker hung (deadlock?)"
    return outcomes


def in_thread(job):
    """Run one job on a fresh thread and connection (as run_together does), returning its result.

    The setup goes through a thread too: a session-scoped Playwright browser (tests/browser.py) keeps
    an event loop running in the main thread, where the after-commit publish cannot run.
    """
    [(outcome, value)] = run_together(job)
    if outcome == "error":
        raise value
    return value


def receive(city, data):
    return in_thread(lambda: ReceiveCall(by=city.dispatcher, data=data, force_new=True).execute()[0])


def test_it_never_sends_one_unit_to_two_incidents_at_once(city, call_data):
    unit = city.patrol_car
    for round_no in range(ROUNDS):
        first = receive(city, {**call_data, "category": "0601"})
        second = receive(city, {**call_data, "category": "0110"})

        def send(incident):
            return lambda: DispatchUnits(incident=incident, unit_ids=[unit.pk], by=city.dispatcher).execute()

        outcomes = run_together(send(first), send(second))

        ok = [o for o in outcomes if o[0] == "ok"]
        failed = [o for o in outcomes if o[0] == "error"]
        assert len(ok) == 1, (round_no, outcomes)
        assert len(failed) == 1, (round_no, outcomes)
        assert isinstance(failed[0][1], Conflict), (round_no, repr(failed[0][1]))
        assert failed[0][1].field == "unit_ids"

        open_assignments = Assignment.objects.active().filter(unit=unit)
        assert open_assignments.count() == 1, round_no
        winner = open_assignments.get().incident
        loser = second if winner == first else first
        unit.refresh_from_db()
        assert unit.status == UnitStatus.DISPATCHED
        assert unit.current_incident_id == winner.pk
        winner.refresh_from_db()
        loser.refresh_from_db()
        assert winner.status == Incident.Status.DISPATCHED
        assert loser.status == Incident.Status.RECEIVED
        assert loser.dispatched_at is None
        assert not loser.assignments.exists()
        assert not IncidentEvent.objects.filter(incident=loser, kind=IncidentEvent.Kind.DISPATCHED).exists()

        # Free the unit for the next round (as if the call were closed).
        Assignment.objects.filter(unit=unit).update(closed_at=winner.received_at)
        Unit.objects.filter(pk=unit.pk).update(status=UnitStatus.AVAILABLE, current_incident=None)

    assert Assignment.objects.filter(unit=unit).count() == ROUNDS
    assert verify_chain()[1] is None


def test_it_dispatches_overlapping_unit_sets_without_deadlock(city, call_data):
    a = city.patrol_car.pk
    b = city.swat_team.pk
    for _round in range(ROUNDS):
        first = receive(city, {**call_data, "category": "0106"})
        second = receive(city, {**call_data, "category": "0101"})
        outcomes = run_together(
            lambda i=first: DispatchUnits(incident=i, unit_ids=[a, b], by=city.dispatcher).execute(),
            lambda i=second: DispatchUnits(incident=i, unit_ids=[b, a], by=city.dispatcher).execute(),
        )
        assert sorted(o[0] for o in outcomes) == ["error", "ok"], outcomes
        assert all(isinstance(o[1], Conflict) for o in outcomes if o[0] == "error")
        # all or nothing: both units went to the same incident
        incidents = set(Assignment.objects.active().values_list("incident_id", flat=True))
        assert len(incidents) == 1
        assert Assignment.objects.active().count() == 2
        Assignment.objects.update(closed_at=first.received_at)
        Unit.objects.update(status=UnitStatus.AVAILABLE, current_incident=None)


def test_it_gives_concurrent_intakes_distinct_consecutive_numbers(city, call_data):
    def take(i):
        data = {**call_data, "caller_phone": f"1380000{i:04d}", "description": f"第 {i} 个来电"}
        return lambda: ReceiveCall(by=city.dispatcher, data=data, force_new=True).execute()[0].number

    outcomes = run_together(*[take(i) for i in range(INTAKES)])
    assert all(o[0] == "ok" for o in outcomes), outcomes
    numbers = [o[1] for o in outcomes]
    assert len(set(numbers)) == INTAKES
    prefixes = {n.rsplit("-", 1)[0] for n in numbers}
    assert len(prefixes) == 1
    sequence = sorted(int(n.rsplit("-", 1)[1]) for n in numbers)
    assert sequence == list(range(sequence[0], sequence[0] + INTAKES))
    assert Incident.objects.count() == INTAKES
    assert verify_chain() == (INTAKES, None, "")
