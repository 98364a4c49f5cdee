"""The demo's 枫桥 part: disputes from 110 纠纷 calls in every state, visits, and one escalated address."""

from datetime import timedelta

from django.utils import timezone

from anmin.demo import disputes as demo
from anmin.disputes.models import Dispute, Status, Visit, VisitTask
from anmin.incidents.actions import ReceiveCall
from tests.conftest import A1_POINT


def test_the_demo_builds_disputes_in_every_state_and_escalates_a_place(city, call_data):
    now = timezone.now()
    codes = list(demo.KINDS)
    for n in range(len(demo.STAGES) * 2):
        data = {
            **call_data,
            "category": codes[n % len(codes)],
            "lat": A1_POINT[0] + 0.002 * (n % 5),
            "lon": A1_POINT[1] + 0.002 * (n // 5),
            "address": f"桃城区人民路 {n + 1} 号",
            "caller_name": "周建国",
        }
        ReceiveCall(by=city.dispatcher, data=data, force_new=True, at=now - timedelta(days=40 + n)).execute()
    line = demo.build(now)
    assert line.startswith("矛盾纠纷：")
    statuses = set(Dispute.objects.values_list("status", flat=True))
    assert statuses == set(Status.values)
    assert Dispute.objects.filter(flagged=True, flag_reason__startswith="30天内该地址报警").exists()
    assert Dispute.objects.filter(agreement__gt="").exists()
    assert Dispute.objects.filter(source="visit").exists()
    assert Visit.objects.filter(officer=city.station_officer).count() == 3
    assert VisitTask.objects.exists()
