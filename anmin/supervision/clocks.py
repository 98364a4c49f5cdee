"""Which case events start and stop which legal time limits, and the arithmetic of one clock.

The mapping is code, not data, because it ties the rules (data: `TimeLimitRule`) to this system's
own lifecycle (`anmin.cases.lifecycle`), which is code too. Case-level clocks:

* 刑事案件 受案 → 立案审查 (3 日, 《公安部关于改革完善受案立案制度的意见》), met by 立案 or 不予立案.
* 行政案件 受案登记 → 受案审查 (24 小时, same document), met by 开始调查 — the case system registers the
  report when it opens the case, and 开始调查 is the act of accepting it for investigation; and
  治安案件办理 (30 日, 公安机关办理行政案件程序规定 第一百六十五条), met by the decision (处罚决定、
  不予处罚、其他处理): the rule's end event is 作出处理决定, which comes before 结案.

Measure-level clocks start when a measure takes effect (for 拘留, when a leader approves it) and stop
when it is lifted (解除). 拘留后提请批准逮捕 (刑事诉讼法 第九十一条) is met when the 提请批准逮捕 of the
same person takes effect — i.e. once approved inside the bureau and sent to the procuratorate: a
request still waiting in the leader's inbox has not been made, and stopping the clock then would
hide exactly the case the supervisor must see. Ending the case (结案、撤案) stops every clock.

Some end events (送看守所、通知家属、讯问、询问结束、侦查终结) are not actions of the case system; the
officer records them on the case page (`actions.CompleteClock`).
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from anmin.cases.lifecycle import FINAL_STATUSES, CaseKind, CaseStatus
from anmin.cases.models import ApprovalRequest, Case, Measure
from anmin.core.errors import ActionError
from anmin.core.events import publish
from anmin.supervision.deadlines import RuleSpec, deadline, is_provisional, rule_spec
from anmin.supervision.models import RUNNING_STATES, Clock, ClockState, Event, StopReason

log = logging.getLogger(__name__)

#: Rules started when a case is opened (受案), by case kind.
CASE_RULES: dict[str, tuple[str, ...]] = {
    CaseKind.CRIMINAL: ("criminal_filing_review",),
    CaseKind.ADMINISTRATIVE: ("admin_acceptance_review", "admin_case_handling"),
}

#: (case kind, transition code) → the rules whose limit that transition meets.
STOPPED_BY_TRANSITION: dict[tuple[str, str], tuple[str, ...]] = {
    (CaseKind.CRIMINAL, "file"): ("criminal_filing_review",),
    (CaseKind.CRIMINAL, "decline"): ("criminal_filing_review",),
    (CaseKind.ADMINISTRATIVE, "inquire"): ("admin_acceptance_review",),
    (CaseKind.ADMINISTRATIVE, "penalize"): ("admin_case_handling",),
    (CaseKind.ADMINISTRATIVE, "not_penalize"): ("admin_case_handling",),
    (CaseKind.ADMINISTRATIVE, "other_handling"): ("admin_case_handling",),
}

K = Measure.Kind
#: Measure kind → the rules that run while it is in force.
MEASURE_RULES: dict[str, tuple[str, ...]] = {
    K.SUMMONS: ("criminal_summons",),
    K.COMPELLED: ("criminal_summons",),
    K.DETENTION: (
        "detention_to_jail",
        "detention_family_notice",
        "detention_interrogation",
        "detention_arrest_request",
    ),
    K.ARREST: ("arrest_custody",),
    K.BAIL: ("bail",),
    K.SURVEILLANCE: ("residential_surveillance",),
    K.ADMIN_SUMMONS: ("admin_inquiry",),
}

#: A measure taking effect meets these limits of the same person's other measures.
STOPPED_BY_MEASURE: dict[str, tuple[str, ...]] = {
    K.ARREST_REQUEST: ("detention_arrest_request",),
    # An arrest presupposes the request: never leave the 3-day count running past it.
    K.ARREST: ("detention_arrest_request",),
}

#: End events that only the officer can record (the case system has no action for them).
MANUAL_END_EVENTS = frozenset(
    {Event.JAILED, Event.FAMILY_NOTIFIED, Event.INTERROGATED, Event.QUESTIONING_ENDED, Event.INVESTIGATION_CONCLUDED}
)


def warn_lead(rule: RuleSpec, started_at: datetime, due_at: datetime) -> timedelta:
    """How long before `due_at` the clock turns yellow: the rule's own `warn_before`, else
    CLOCK_WARN_FRACTION of the period kept within [CLOCK_WARN_MIN_HOURS, CLOCK_WARN_MAX_DAYS] —
    4 h 48 min for a 24-hour limit, 15 days for 12 months of 取保候审. Never earlier than the start."""
    period = max(due_at - started_at, timedelta(0))
    if rule.warn_before is not None:
        lead = rule.warn_before
    else:
        lead = period * settings.CLOCK_WARN_FRACTION
        lead = max(lead, timedelta(hours=settings.CLOCK_WARN_MIN_HOURS))
        lead = min(lead, timedelta(days=settings.CLOCK_WARN_MAX_DAYS))
    return min(max(lead, timedelta(0)), period)


def start_clock(case: Case, rule_code: str, started_at: datetime | None, *, measure: Measure | None = None):
    """Start `rule_code` for the case (or one of its measures) at `started_at`; returns the clock.

    Idempotent: a clock already running for the same case, rule and measure is returned as it is.
    A rule that is missing or disabled in the admin starts nothing (logged): a switched-off limit
    must never block the case action that would have started it. New clocks are green; the next
    scan colours a clock that started late (a backdated measure) and tells people once.
    """
    spec = rule_spec(rule_code)
    if spec is None or not spec.active or started_at is None:
        log.info("clock %s not started for case %s: rule missing, disabled or no start time", rule_code, case.pk)
        return None
    existing = Clock.objects.filter(case=case, rule_id=spec.pk, measure=measure, state__in=RUNNING_STATES).first()
    if existing is not None:
        return existing
    try:
        due = deadline(rule_code, started_at)
    except ActionError:
        log.exception("clock %s not started for case %s", rule_code, case.pk)
        return None
    return Clock.objects.create(
        case=case,
        rule_id=spec.pk,
        measure=measure,
        started_at=started_at,
        due_at=due,
        provisional=is_provisional(rule_code, started_at, due),
        warn_at=due - warn_lead(spec, started_at, due),
        state=ClockState.NORMAL,
    )


def stop_clocks(clocks, *, at: datetime, reason: str, by=None) -> int:
    """Stop the running clocks of the queryset `clocks` at `at`; return how many stopped.

    Pending extension requests of those clocks are withdrawn: there is nothing left to extend."""
    ids = list(clocks.filter(state__in=RUNNING_STATES).values_list("id", flat=True))
    if not ids:
        return 0
    Clock.objects.filter(id__in=ids).update(
        state=ClockState.STOPPED,
        state_changed_at=at,
        stopped_at=at,
        stop_reason=reason,
        stopped_by=by if getattr(by, "pk", None) else None,
    )
    ApprovalRequest.objects.filter(status=ApprovalRequest.Status.PENDING, clock_extension__clock_id__in=ids).update(
        status=ApprovalRequest.Status.WITHDRAWN, decided_at=at
    )
    return len(ids)


def organization_groups(paths) -> set[str]:
    """Channels groups of every unit above (and including) each organization path."""
    return {f"org-{part}" for path in paths for part in path.strip("/").split("/") if part}


def publish_case_clocks(case: Case) -> None:
    """Tell open boards of the case's units (after commit) that its clocks changed."""
    publish(organization_groups([case.organization.path]), {"kind": "clocks", "case": case.pk})


# —— the case system's events ——


def case_opened(case: Case) -> None:
    for code in CASE_RULES.get(case.kind, ()):
        start_clock(case, code, case.accepted_at)
    publish_case_clocks(case)


def case_transitioned(case: Case, code: str, by=None) -> None:
    at = case.status_since or timezone.now()
    if case.status in FINAL_STATUSES:
        stopped = stop_clocks(case.clocks.all(), at=at, reason=StopReason.CASE_ENDED, by=by)
    else:
        codes = STOPPED_BY_TRANSITION.get((case.kind, code), ())
        stopped = (
            stop_clocks(case.clocks.filter(rule__code__in=codes), at=at, reason=StopReason.DONE, by=by) if codes else 0
        )
    if stopped:
        publish_case_clocks(case)


def measure_changed(measure: Measure, change: str, by=None) -> None:
    case = measure.case
    if change == "started":
        for code in MEASURE_RULES.get(measure.kind, ()):
            start_clock(case, code, measure.started_at, measure=measure)
        met = STOPPED_BY_MEASURE.get(measure.kind, ())
        if met:
            others = case.clocks.filter(measure__person_id=measure.person_id, rule__code__in=met).exclude(
                measure=measure
            )
            stop_clocks(others, at=measure.started_at or timezone.now(), reason=StopReason.DONE, by=by)
    elif change == "ended":
        stop_clocks(measure.clocks.all(), at=measure.ended_at or timezone.now(), reason=StopReason.MEASURE_ENDED, by=by)
    else:
        return
    publish_case_clocks(case)


def backfill(cases=None) -> int:
    """Start the clocks that the current state of open cases calls for and that are not running —
    for cases written before this engine existed or imported directly (the demo city). Returns how
    many clocks were started. Idempotent."""
    started = 0
    cases = (cases if cases is not None else Case.objects.all()).exclude(status__in=FINAL_STATUSES)
    for case in cases.select_related("organization").iterator(chunk_size=500):
        codes: list[str] = []
        if case.kind == CaseKind.CRIMINAL and case.status == CaseStatus.ACCEPTED:
            codes.append("criminal_filing_review")
        if case.kind == CaseKind.ADMINISTRATIVE:
            if case.status == CaseStatus.ACCEPTED:
                codes.append("admin_acceptance_review")
            if case.status in (CaseStatus.ACCEPTED, CaseStatus.UNDER_INQUIRY):
                codes.append("admin_case_handling")
        before = Clock.objects.filter(case=case).count()
        for code in codes:
            start_clock(case, code, case.accepted_at)
        measures = list(case.measures.all())
        requested = {m.person_id for m in measures if m.kind in STOPPED_BY_MEASURE and m.started_at is not None}
        for measure in measures:
            if measure.status != Measure.Status.ACTIVE or measure.started_at is None:
                continue
            for code in MEASURE_RULES.get(measure.kind, ()):
                if code == "detention_arrest_request" and measure.person_id in requested:
                    continue
                start_clock(case, code, measure.started_at, measure=measure)
        started += Clock.objects.filter(case=case).count() - before
    return started
