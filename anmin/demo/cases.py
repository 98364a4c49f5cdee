"""Demo cases: a few dozen cases opened from the demo city's recent criminal and public-order
incidents, spread over the lifecycle, with persons (valid GB 11643 numbers) and some requests waiting
in the leader's approval inbox. Like the incident history, they are imported history: written
directly, with consistent timestamps, not through actions (and so not in the audit trail).

They look like a month of a real bureau's work: most steps are taken well inside their legal time
limit, so most running clocks are green; a few cases were planned to sit near the end of a limit
today (yellow) and a few to have let one run out days ago (red, never by more than MAX_OVERDUE). A
case is opened only from the detailed history (`Incident.imported` is False): the archive's incidents
were handled in the old system, and a case opened from a call of last year would have a clock that
ran out a year ago.
"""

import bisect
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from anmin.cases.actions import next_case_number
from anmin.cases.lifecycle import CaseKind, CaseStatus
from anmin.cases.models import ApprovalRequest, Case, CaseEvent, CasePerson, Measure
from anmin.incidents.models import Incident, IncidentClass
from anmin.org.models import Officer, Role
from anmin.supervision.clocks import backfill, warn_lead
from anmin.supervision.deadlines import clock_state, deadline, rule_spec
from anmin.supervision.models import ClockState

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红"
DIVISIONS = ("131102", "131103", "131121", "131122", "131123", "131124", "131125", "131126", "131127", "131128")

#: How many cases the demo opens.
CASES = 60
#: Cases planned to sit inside the warning period of a limit today (yellow), and past one (red).
DUE_SOON_CASES = 7
OVERDUE_CASES = 4
#: The furthest past its limit a planned red clock is today: a late case, not a forgotten one.
MAX_OVERDUE = timedelta(days=10)
#: The longest a 受案 may follow the end of the call it comes from.
MAX_INTAKE_DELAY = timedelta(hours=12)

#: Criminal path after 受案, with the label of each step.
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
#: The rule that runs while a case waits for the first step after 受案 (立案审查, 受案审查).
REVIEW_RULE = {CaseKind.CRIMINAL: "criminal_filing_review", CaseKind.ADMINISTRATIVE: "admin_acceptance_review"}
#: The rule an administrative case runs until its decision (处罚决定).
HANDLING_RULE = "admin_case_handling"
#: Share of a limit by which an officer on time has taken the step (the clock turns yellow at 80 %).
ON_TIME = (0.1, 0.7)


@dataclass
class _Plan:
    """A case to open: from which incident, when (受案), and which clock it was planned to show."""

    incident: Incident
    kind: str
    accepted: datetime
    #: "due_soon" / "overdue" for the planned cases, "" for a case handled on time.
    fate: str = ""
    #: The rule whose clock the fate is about.
    rule: str = ""


def id_number(rng: random.Random) -> tuple[str, str, object]:
    born = timezone.now().date() - timedelta(days=rng.randrange(18 * 365, 70 * 365))
    serial = rng.randrange(100, 999)
    first17 = f"{rng.choice(DIVISIONS)}{born:%Y%m%d}{serial:03d}"
    check = "10X98765432"[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]
    return first17 + check, ("male" if serial % 2 else "female"), born


def case_title(incident: Incident) -> str:
    """案件名称 as a station writes it: the place (without the house number) and the offence."""
    place = re.sub(r"\d+号$", "", incident.address).strip()
    return f"{place}{incident.category.name}案"[:120]


def start_for(rule_code: str, state: str, now: datetime, earliest: datetime, rng: random.Random) -> datetime | None:
    """A 受案 moment whose clock under `rule_code` is in `state` (due_soon or overdue) at `now`, no
    earlier than `earliest`; None when the history is too short for it.

    Drawn at random around where such moments lie, and checked with the same deadline and warning
    arithmetic as the live clocks: a limit in days ends at the end of a day and moves past holidays,
    so the moments that give a colour do not follow from the period alone."""
    spec = rule_spec(rule_code)
    if spec is None or not spec.active:
        return None
    period = deadline(rule_code, now) - now
    day = timedelta(days=1)
    if state == ClockState.DUE_SOON:
        low, high = now - period - day, now - period + warn_lead(spec, now - period, now) + day
    else:
        low, high = now - period - MAX_OVERDUE - day, now - period + day
    low, high = max(low, earliest), min(high, now)
    if low >= high:
        return None
    for _attempt in range(400):
        start = low + (high - low) * rng.random()
        due = deadline(rule_code, start)
        if clock_state(due, now, warn_before=warn_lead(spec, start, due)) == state and now - due <= MAX_OVERDUE:
            return start  # the first hit of a uniform draw is a uniform draw among the hits
    return None


class _Planner:
    """Chooses the incidents the cases are opened from, and when."""

    def __init__(self, incidents: list[Incident], now: datetime, rng: random.Random):
        self.now, self.rng = now, rng
        self.used: set[int] = set()
        self.by_kind: dict[str, list[Incident]] = {CaseKind.CRIMINAL: [], CaseKind.ADMINISTRATIVE: []}
        for incident in incidents:  # ordered by closed_at
            self.by_kind[kind_of(incident)].append(incident)
        self.closed = {kind: [i.closed_at for i in items] for kind, items in self.by_kind.items()}
        self.earliest = min((i.closed_at for i in incidents), default=now)

    def near(self, kind: str, accepted: datetime) -> Incident | None:
        """An unused incident of `kind` that ended shortly before `accepted`."""
        items, times = self.by_kind[kind], self.closed[kind]
        index = bisect.bisect_right(times, accepted) - 1
        while index >= 0 and accepted - times[index] <= MAX_INTAKE_DELAY:
            if items[index].pk not in self.used:
                return items[index]
            index -= 1
        return None

    def planned(self, fate: str, rules: list[tuple[str, str]]) -> _Plan | None:
        """A case whose clock of one of `rules` ((kind, rule), tried in order) is in `fate` today."""
        for kind, rule in rules:
            accepted = start_for(rule, fate, self.now, self.earliest + timedelta(minutes=5), self.rng)
            incident = self.near(kind, accepted) if accepted else None
            if incident is not None:
                self.used.add(incident.pk)
                return _Plan(incident, kind, accepted, fate, rule)
        return None

    def plans(self, total: int) -> list[_Plan]:
        criminal = (CaseKind.CRIMINAL, REVIEW_RULE[CaseKind.CRIMINAL])
        acceptance = (CaseKind.ADMINISTRATIVE, REVIEW_RULE[CaseKind.ADMINISTRATIVE])
        handling = (CaseKind.ADMINISTRATIVE, HANDLING_RULE)
        plans = []
        for n in range(OVERDUE_CASES):
            rules = [criminal, acceptance] if n % 2 == 0 else [acceptance, criminal]
            plans.append(self.planned(ClockState.OVERDUE, rules))
        orders = ((criminal, acceptance, handling), (acceptance, criminal, handling), (handling, criminal, acceptance))
        for n in range(DUE_SOON_CASES):
            plans.append(self.planned(ClockState.DUE_SOON, list(orders[n % 3])))
        plans = [p for p in plans if p is not None]
        rest = [i for items in self.by_kind.values() for i in items if i.pk not in self.used]
        self.rng.shuffle(rest)
        for incident in rest[: max(0, total - len(plans))]:
            delay = timedelta(minutes=self.rng.uniform(10, 120))
            accepted = incident.closed_at + min(delay, (self.now - incident.closed_at) / 2)
            plans.append(_Plan(incident, kind_of(incident), accepted))
        plans.sort(key=lambda p: p.accepted)
        return plans


def kind_of(incident: Incident) -> str:
    return CaseKind.CRIMINAL if incident.category.klass == IncidentClass.CRIMINAL else CaseKind.ADMINISTRATIVE


def _steps(plan: _Plan, now: datetime, rng: random.Random) -> list[tuple[str, str, str, datetime]]:
    """The steps the case has taken by `now`: (code, label, status, at)."""
    accepted, kind = plan.accepted, plan.kind
    if plan.fate and plan.rule == REVIEW_RULE[kind]:
        return []  # still waiting for 立案 / 开始调查: that clock is the one planned
    review_due = deadline(REVIEW_RULE[kind], accepted)
    at = accepted + (review_due - accepted) * rng.uniform(*ON_TIME)
    steps = []
    if kind == CaseKind.CRIMINAL:
        # How far this case will get at all: not every case is solved, fewer are prosecuted.
        reach = rng.choices((1, 2, 3, 4, 5), weights=(2, 5, 3, 2, 2))[0]
        gaps = [
            timedelta(0),
            timedelta(hours=rng.uniform(1, 24)),
            timedelta(days=rng.expovariate(1 / 8)),
            timedelta(days=rng.uniform(2, 10)),
            timedelta(days=rng.uniform(3, 20)),
        ]
        for (code, label, status), gap in list(zip(CRIMINAL_PATH, gaps, strict=True))[:reach]:
            at += gap
            if at > now:
                break
            steps.append((code, label, status, at))
        return steps
    if at > now:
        return steps
    steps.append((*ADMIN_PATH[0], at))
    if plan.fate:
        return steps  # the 30-day handling clock is the one planned: no decision yet
    handling_due = deadline(HANDLING_RULE, accepted)
    decided = accepted + (handling_due - accepted) * rng.uniform(*ON_TIME)
    if decided > now or decided <= at:
        return steps
    steps.append((*ADMIN_PATH[1], decided))
    closed = decided + timedelta(days=rng.uniform(1, 7))
    if closed <= now and rng.random() < 0.7:
        steps.append((*ADMIN_PATH[2], closed))
    return steps


def build_demo_cases(
    *,
    seed: int = 20261130,
    out: Callable[[str], None] | None = None,
    now: datetime | None = None,
    total: int = CASES,
) -> int:
    """Open the demo's cases (see the module docstring); returns how many. Their clocks are started
    by `start_demo_clocks`."""
    out = out or (lambda _line: None)
    rng = random.Random(seed)
    now = now or timezone.now()
    leader = Officer.objects.filter(username="leader").first()
    station_user = Officer.objects.filter(username="station").first()
    incidents = list(
        Incident.objects.filter(
            category__klass__in=(IncidentClass.CRIMINAL, IncidentClass.PUBLIC_ORDER),
            status=Incident.Status.REPORTED,
            imported=False,
            closed_at__isnull=False,
            closed_at__lte=now,
        )
        .select_related("category", "station")
        .order_by("closed_at", "id")
    )
    investigators: dict[int, list[Officer]] = {}
    for officer in Officer.objects.filter(role__in=(Role.STATION, Role.PATROL), organization__isnull=False):
        investigators.setdefault(officer.organization_id, []).append(officer)
    made = 0
    for plan in _Planner(incidents, now, rng).plans(total):
        _open(plan, now, rng, leader=leader, station_user=station_user, investigators=investigators)
        made += 1
    out(f"案件：{made} 起（含待审批立案 {ApprovalRequest.objects.filter(status='pending').count()} 件）")
    return made


def _open(plan: _Plan, now: datetime, rng: random.Random, *, leader, station_user, investigators) -> Case:
    incident, kind, accepted = plan.incident, plan.kind, plan.accepted
    station = incident.station
    lead = station_user if station_user and station_user.organization_id == station.pk else None
    lead = lead or rng.choice(investigators.get(station.pk) or [station_user])
    case = Case.objects.create(
        number=next_case_number(kind, station, accepted),
        kind=kind,
        title=case_title(incident),
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

    def event(code: str, label: str, at: datetime, actor, **statuses) -> CaseEvent:
        return CaseEvent(case=case, action=code, label=label, at=at, actor=actor, **statuses)

    events = [event("accept", "受案", accepted, lead, to_status=CaseStatus.ACCEPTED)]
    at, status = accepted, CaseStatus.ACCEPTED
    for code, label, target, when in _steps(plan, now, rng):
        approver = leader if code in ("file", "penalize") else lead
        events.append(event(code, label, when, approver, from_status=status, to_status=target))
        at, status = when, target
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
    if status == CaseStatus.ACCEPTED and kind == CaseKind.CRIMINAL and (plan.fate or rng.random() < 0.6):
        # A case waiting for 立案 has its request in the leader's inbox (a late one all the more).
        asked = min(accepted + timedelta(hours=2), now - timedelta(minutes=1))
        ApprovalRequest.objects.create(
            case=case,
            transition="file",
            label="立案",
            reason="经审查，有犯罪事实需要追究刑事责任，拟立案侦查",
            requested_by=lead,
            requested_at=asked,
        )
        CaseEvent.objects.create(case=case, action="request_file", label="申请立案", at=asked, actor=lead)
    return case


def start_demo_clocks(now: datetime | None = None):
    """Start the clocks the demo cases' state calls for (they were written as imported history) and
    colour them as of `now`; returns (clocks started, the scan's result)."""
    from anmin.supervision.scan import scan

    started = backfill()
    return started, scan(now or timezone.now())
