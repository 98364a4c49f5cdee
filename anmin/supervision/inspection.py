"""受案立案审查巡查: what the 法制部门 looks for (《公安部关于改革完善受案立案制度的意见》, 2015).

* 有警不接、有案不立 — a criminal (刑事) or public-order (治安) incident, finished and reported
  (已反馈), with no case opened from it after the review limit: 立案审查 (3 日) for a criminal
  incident, 受案审查 (24 小时) for a public-order one, counted from the incident's end (`closed_at`)
  as `deadlines.deadline()` counts them, holidays included.
* 久拖不办 — an open case that has stayed in one status longer than INSPECTION_IDLE_DAYS.

Rows a supervisor dismissed with a reason (`InspectionDismissal`) leave the list. Both lists are
limited to the user's units (an incident by its 责任派出所, a case by `Case.objects.visible_to`), and
may be narrowed to one unit of them (`unit`: its whole subtree).
History imported from an earlier system (`Incident.imported`) was reviewed there and is not listed.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet

from anmin.cases.models import Case
from anmin.core.errors import ActionError
from anmin.incidents.models import Incident, IncidentClass
from anmin.org.models import Organization, scope_path
from anmin.supervision.deadlines import deadline, rule_spec
from anmin.supervision.models import InspectionDismissal

#: Incident class → the rule whose period an incident of that class may wait for its case.
REVIEW_RULES = {
    IncidentClass.CRIMINAL: "criminal_filing_review",
    IncidentClass.PUBLIC_ORDER: "admin_acceptance_review",
}
#: Longest look-back of the cut-off search; no review limit comes near it.
_SEARCH_SPAN = timedelta(days=400)


def review_cutoff(rule_code: str, now: datetime) -> datetime | None:
    """The latest start whose limit under `rule_code` ran out before `now` (to the second): a
    start at or before it is overdue. None when the rule is missing or disabled.

    `deadline()` never decreases as its start moves later (periods, month ends and holiday rolls
    all move forward together), so the starts that are overdue form one interval ending here, and
    a binary search over it (≈ 25 deadline() calls) replaces a per-row computation in Python."""
    spec = rule_spec(rule_code)
    if spec is None or not spec.active:
        return None
    lo, hi = now - _SEARCH_SPAN, now
    try:
        if deadline(rule_code, lo) >= now:
            return None
        while hi - lo > timedelta(seconds=1):
            mid = lo + (hi - lo) / 2
            if deadline(rule_code, mid) < now:
                lo = mid
            else:
                hi = mid
    except ActionError:
        return None
    return lo


def incidents_without_case(user, now: datetime, unit: Organization | None = None) -> QuerySet[Incident]:
    """有警无案: reported criminal/public-order incidents past their review limit with no case."""
    path = scope_path(user)
    if path is None:
        return Incident.objects.none()
    if unit is not None:
        if not unit.path.startswith(path):
            return Incident.objects.none()
        path = unit.path
    overdue = Q(pk__in=[])
    for klass, rule_code in REVIEW_RULES.items():
        cutoff = review_cutoff(rule_code, now)
        if cutoff is not None:
            overdue |= Q(category__klass=klass, closed_at__lte=cutoff)
    dismissed = InspectionDismissal.objects.filter(incident=OuterRef("pk"))
    case = Case.objects.filter(incident=OuterRef("pk"))
    return (
        Incident.objects.filter(station__path__startswith=path, status=Incident.Status.REPORTED, imported=False)
        .filter(overdue)
        .filter(~Exists(case), ~Exists(dismissed))
        .select_related("category", "station")
        .order_by("closed_at", "id")
    )


def idle_cases(user, now: datetime, unit: Organization | None = None) -> QuerySet[Case]:
    """久拖不办: open cases in one status for more than INSPECTION_IDLE_DAYS, not dismissed for
    this stay in it."""
    cutoff = now - timedelta(days=settings.INSPECTION_IDLE_DAYS)
    dismissed = InspectionDismissal.objects.filter(case=OuterRef("pk"), case_status_since=OuterRef("status_since"))
    cases = Case.objects.visible_to(user)
    if unit is not None:
        cases = cases.filter(organization__path__startswith=unit.path)
    return (
        cases.open()
        .filter(status_since__lt=cutoff)
        .filter(~Exists(dismissed))
        .select_related("organization", "lead_investigator")
        .order_by("status_since", "id")
    )
