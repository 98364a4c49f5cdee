"""Demo cases: a few dozen cases opened from the demo city's criminal and public-order incidents,
spread over the lifecycle, with persons (valid GB 11643 numbers) and some requests waiting in the
leader's approval inbox. Like the incident history, they are imported history: written directly,
with consistent timestamps, not through actions (and so not in the audit trail)."""

import random
from collections.abc import Callable
from datetime import timedelta

from django.utils import timezone

from anmin.cases.actions import next_case_number
from anmin.cases.lifecycle import CaseKind, CaseStatus
from anmin.cases.models import ApprovalRequest, Case, CaseEvent, CasePerson, Measure
from anmin.incidents.models import Incident, IncidentClass
from anmin.org.models import Officer, Role

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红"
DIVISIONS = ("131102", "131103", "131121", "131122", "131123", "131124", "131125", "131126", "131127", "131128")

#: Criminal path up to each status, with the label of each step (approval steps marked).
CRIMINAL_PATH = [
    ("file", "立案", CaseStatus.FILED),
    ("investigate", "开始侦查", CaseStatus.INVESTIGATING),
    ("solve", "破案", CaseStatus.SOLVED),
    ("prosecute", "移送起诉", CaseStatus.PROSECUTION),
    ("close", "结案", CaseStatus.CLOSED),
]
ADMIN_PATH = [
    ("inquire", "开始调查", CaseStatus.UNDER_INQUIRY),
    ("penalize", "处罚决定", CaseStatus.PENALIZED),
    ("close", "结案", CaseStatus.CLOSED),
]


def id_number(rng: random.Random) -> tuple[str, str, object]:
    born = timezone.now().date() - timedelta(days=rng.randrange(18 * 365, 70 * 365))
    serial = rng.randrange(100, 999)
    first17 = f"{rng.choice(DIVISIONS)}{born:%Y%m%d}{serial:03d}"
    check = "10X98765432"[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]
    return first17 + check, ("male" if serial % 2 else "female"), born


def build_demo_cases(*, seed: int = 20261130, out: Callable[[str], None] | None = None) -> int:
    out = out or (lambda _line: None)
    rng = random.Random(seed)
    leader = Officer.objects.filter(username="leader").first()
    station_user = Officer.objects.filter(username="station").first()
    incidents = list(
        Incident.objects.filter(
            category__klass__in=(IncidentClass.CRIMINAL, IncidentClass.PUBLIC_ORDER), status=Incident.Status.REPORTED
        )
        .select_related("category", "station")
        .order_by("received_at")
    )
    rng.shuffle(incidents)
    investigators: dict[int, list[Officer]] = {}
    for officer in Officer.objects.filter(role__in=(Role.STATION, Role.PATROL), organization__isnull=False):
        investigators.setdefault(officer.organization_id, []).append(officer)
    made = 0
    for incident in incidents[:60]:
        kind = CaseKind.CRIMINAL if incident.category.klass == IncidentClass.CRIMINAL else CaseKind.ADMINISTRATIVE
        station = incident.station
        lead = station_user if station_user and station_user.organization_id == station.pk else None
        lead = lead or rng.choice(investigators.get(station.pk) or [station_user])
        accepted = incident.closed_at or incident.received_at + timedelta(hours=1)
        case = Case.objects.create(
            number=next_case_number(kind, station, accepted),
            kind=kind,
            title=f"{incident.address}{incident.category.name}案"[:120],
            cause=incident.category.name,
            summary=incident.description,
            organization=station,
            lead_investigator=lead,
            incident=incident,
            category=incident.category,
            accepted_at=accepted,
            status_since=accepted,
            created_by=lead,
        )
        events = [
            CaseEvent(case=case, action="accept", label="受案", to_status=CaseStatus.ACCEPTED, at=accepted, actor=lead)
        ]
        path = CRIMINAL_PATH if kind == CaseKind.CRIMINAL else ADMIN_PATH
        steps = rng.randrange(0, len(path) + 1)
        at, status = accepted, CaseStatus.ACCEPTED
        for code, label, target in path[:steps]:
            # Steps follow each other and stay in the past (a recent case may have had no time for more).
            at = max(at, min(at + timedelta(hours=rng.uniform(4, 72)), timezone.now() - timedelta(minutes=5)))
            approver = leader if code in ("file", "penalize") else lead
            events.append(
                CaseEvent(
                    case=case, action=code, label=label, from_status=status, to_status=target, at=at, actor=approver
                )
            )
            status = target
            if target == CaseStatus.FILED:
                case.filed_at = at
            elif target == CaseStatus.SOLVED:
                case.solved_at = at
        case.status, case.status_since = status, at
        case.closed_at = at if status == CaseStatus.CLOSED else None
        case.save(update_fields=["status", "status_since", "closed_at", "filed_at", "solved_at"])
        CaseEvent.objects.bulk_create(events)
        for role in ("suspect", "victim") if kind == CaseKind.CRIMINAL else ("suspect",):
            number, sex, born = id_number(rng)
            person = CasePerson.objects.create(
                case=case,
                role=role,
                name=rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(("", rng.choice(GIVEN))),
                id_number=number,
                sex=sex,
                birth_date=born,
                phone=f"13{rng.randrange(10**9):09d}",
                address=incident.address,
                added_by=lead,
                added_at=accepted,
            )
            if role == "suspect" and status in (CaseStatus.INVESTIGATING, CaseStatus.SOLVED):
                Measure.objects.create(
                    case=case, person=person, kind=Measure.Kind.BAIL, started_at=at, created_by=lead, note="取保候审"
                )
        if status == CaseStatus.ACCEPTED and kind == CaseKind.CRIMINAL and rng.random() < 0.6:
            ApprovalRequest.objects.create(
                case=case,
                transition="file",
                label="立案",
                reason="经审查，有犯罪事实需要追究刑事责任，拟立案侦查",
                requested_by=lead,
                requested_at=accepted + timedelta(hours=2),
            )
            CaseEvent.objects.create(
                case=case, action="request_file", label="申请立案", at=accepted + timedelta(hours=2), actor=lead
            )
        made += 1
    out(f"案件：{made} 起（含待审批立案 {ApprovalRequest.objects.filter(status='pending').count()} 件）")
    return made
