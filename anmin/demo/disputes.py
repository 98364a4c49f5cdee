"""The demo city's 枫桥 work: disputes registered from the month's 110 纠纷 calls in every state of
the workflow, with parties, mediation sessions and agreements; visit plans and visits by each
station's community officers; and one address that keeps calling 110, escalated.

Everything goes through the actions, as an officer's clicks would (the audit trail shows it)."""

import random
from datetime import datetime, timedelta

from anmin.disputes.actions import (
    AcceptDispute,
    CloseDispute,
    CreateDispute,
    CreateVisitPlan,
    CreateVisitTask,
    EscalateDisputes,
    LogVisit,
    RecordAgreement,
    RecordFollowUp,
    RecordMediation,
    TransferDispute,
)
from anmin.disputes.models import Dispute, Visit

#: 110 categories of 纠纷 and the dispute type each becomes.
KINDS = {"0601": "family", "0602": "neighbour", "0603": "debt", "0604": "labour", "0605": "damages"}
#: How many disputes the demo registers, and how far along each is (cycled).
DISPUTES = 42
STAGES = ["found", "accepted", "mediating", "agreed", "transferred", "followed_up", "closed"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ["建国", "秀英", "志强", "桂兰", "海燕", "国庆", "丽娟", "红梅", "德胜", "春生", "玉兰", "永刚"]
AGREEMENTS = {
    "family": "双方同意互相尊重、和睦相处，男方不得再有摔砸物品行为。",
    "neighbour": "漏水一方于七日内维修管道并赔偿楼下维修费 1200 元，双方不再追究。",
    "debt": "欠款 5000 元分两期归还，首期 2500 元于本月底前支付。",
    "labour": "用工方于十日内结清所欠工资 18600 元，劳动者撤回投诉。",
    "damages": "责任方一次性赔偿对方车辆维修费 800 元，当场支付。",
}


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _phone(rng: random.Random) -> str:
    return f"13{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}"


def _advance(dispute: Dispute, stage: str, officer, at: datetime) -> None:
    order = STAGES.index(stage)
    if order >= 1:
        AcceptDispute(dispute=dispute, by=officer, at=at + timedelta(hours=2)).execute()
    if stage == "transferred" or (stage in ("followed_up", "closed") and dispute.pk % 2):
        TransferDispute(
            dispute=dispute,
            by=officer,
            at=at + timedelta(days=1),
            transfer_body="justice",
            transfer_to=f"{dispute.station.name.removesuffix('派出所')}司法所",
        ).execute()
    elif order >= 2:
        RecordMediation(
            dispute=dispute,
            by=officer,
            at=at + timedelta(days=1),
            held_at=at + timedelta(days=1),
            mediator=f"{officer.full_name or officer.username}、村调委会主任",
            result="向双方释法明理，双方初步同意协商解决",
        ).execute()
        if order >= 3 and stage != "mediating":
            RecordAgreement(
                dispute=dispute, by=officer, at=at + timedelta(days=2), agreement=AGREEMENTS[dispute.kind]
            ).execute()
    if order >= 5:
        RecordFollowUp(
            dispute=dispute, by=officer, at=at + timedelta(days=9), holds=True, result="回访双方，协议已履行，关系平稳"
        ).execute()
    if order >= 6:
        CloseDispute(dispute=dispute, by=officer, at=at + timedelta(days=10)).execute()


def _officer_of(station, officers: dict, fallback):
    return officers.get(station.pk) or fallback


def build(now: datetime) -> str:
    """Builds this part of the demo into the new demo city; returns one line for the log ("" for none)."""
    from anmin.communities.models import Community
    from anmin.incidents.actions import ReceiveCall
    from anmin.incidents.models import Incident
    from anmin.org.models import Officer, Role

    rng = random.Random(20261207)
    fallback = Officer.objects.filter(username="station").first()
    dispatcher = Officer.objects.filter(role=Role.DISPATCHER).order_by("pk").first()
    if fallback is None:
        return ""
    officers: dict[int, Officer] = {}
    for officer in Officer.objects.filter(role=Role.STATION, organization__kind="station").order_by("pk"):
        officers.setdefault(officer.organization_id, officer)
    calls = list(
        Incident.objects.filter(category__code__in=KINDS, imported=False, received_at__lte=now - timedelta(days=2))
        .select_related("category", "station")
        .order_by("-received_at")[: DISPUTES * 3]
    )
    rng.shuffle(calls)
    made: list[Dispute] = []
    for n, incident in enumerate(calls[:DISPUTES]):
        officer = _officer_of(incident.station, officers, fallback)
        parties = [
            {"role": "applicant", "name": incident.caller_name or _name(rng), "phone": incident.caller_phone},
            {"role": "respondent", "name": _name(rng), "phone": _phone(rng)},
        ]
        dispute = CreateDispute(
            by=officer,
            data={
                "kind": KINDS[incident.category.code],
                "risk": rng.choice(["low", "low", "medium", "high"]),
                "source": "incident",
                "incident": incident,
                "description": incident.description or incident.category.name,
            },
            parties=parties,
            at=incident.received_at + timedelta(minutes=40),
        ).execute()
        _advance(dispute, STAGES[n % len(STAGES)], officer, incident.received_at)
        dispute.refresh_from_db()
        made.append(dispute)

    # 访民: a plan and a few visits for the community officer of each station with disputes.
    visits = 0
    for station_id, officer in list(officers.items())[:12]:
        community = Community.objects.filter(station_id=station_id).order_by("pk").first()
        plan = CreateVisitPlan(
            by=officer,
            officer=officer,
            community=community,
            targets="独居老人、重点人员家庭、近期有纠纷的住户",
            planned_count=6,
            due_date=(now + timedelta(days=10)).date(),
        ).execute()
        place = community.name if community else officer.organization.name.removesuffix("派出所")
        for k in range(3):
            visit = LogVisit(
                by=officer,
                data={
                    "plan": plan,
                    "person_name": _name(rng),
                    "person_phone": _phone(rng),
                    "address": f"{place}{k + 2}号院",
                    "raised": ["无", "楼道堆物影响通行", "两户因宅基地边界争执"][k],
                    "lat": community.lat if community else None,
                    "lon": community.lon if community else None,
                },
                at=now - timedelta(days=3 * k + 1),
            ).execute()
            visits += 1
            if k == 1:
                CreateVisitTask(
                    by=officer,
                    visit=visit,
                    description="协调物业清理楼道堆物",
                    assigned_to=officer,
                    due_date=(now + timedelta(days=5)).date(),
                ).execute()
            if k == 2:
                CreateDispute(
                    by=officer,
                    data={
                        "kind": "land",
                        "source": "visit",
                        "visit": visit,
                        "description": visit.raised,
                    },
                    parties=[{"role": "applicant", "name": visit.person_name, "phone": visit.person_phone}],
                    at=visit.visited_at,
                ).execute()

    # 风险预警: the address of an open neighbour dispute calls 110 three more times this month.
    escalated = 0
    target = next((d for d in made if d.status == "accepted" and d.lat is not None), None)
    if target is not None and dispatcher is not None:
        for days in (9, 5, 2):
            ReceiveCall(
                by=dispatcher,
                data={
                    "category": "0602",
                    "lat": target.lat,
                    "lon": target.lon,
                    "address": target.address,
                    "caller_phone": _phone(rng),
                    "description": "报警称与邻居再次因漏水问题发生争执",
                    "priority": 2,
                },
                force_new=True,
                at=now - timedelta(days=days),
            ).execute()
    escalated = len(EscalateDisputes(now=now).execute())
    flagged = Dispute.objects.filter(flagged=True).count()
    return (
        f"矛盾纠纷：{Dispute.objects.count()} 件（风险预警 {flagged} 件，本次升级 {escalated} 件）；"
        f"走访 {Visit.objects.count() or visits} 次"
    )
