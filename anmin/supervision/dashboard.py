"""The supervisor's board: red / yellow / green running clocks per unit, and the drill-down behind
each number (the list behind a number is exactly as long as the number)."""

from dataclasses import dataclass

from django.db.models import Count, QuerySet

from anmin.org.models import Organization, scope_path
from anmin.supervision.models import RUNNING_STATES, Clock, ClockState

#: Units always shown (with zeros); others (警务站, 特警, 交警…) only when they have running clocks.
ALWAYS_SHOWN = (Organization.Kind.BUREAU, Organization.Kind.BRANCH, Organization.Kind.STATION)


@dataclass
class Row:
    """One unit of the board; counts cover its whole subtree (a 分局 counts its 派出所)."""

    organization: Organization
    depth: int
    overdue: int = 0
    due_soon: int = 0
    normal: int = 0

    @property
    def total(self) -> int:
        return self.overdue + self.due_soon + self.normal

    @property
    def cells(self) -> list[tuple[str, int]]:
        """(state, count), red first: the order of the board's columns."""
        return [
            (ClockState.OVERDUE, self.overdue),
            (ClockState.DUE_SOON, self.due_soon),
            (ClockState.NORMAL, self.normal),
        ]

    def as_dict(self) -> dict:
        org = self.organization
        return {
            "organization_id": org.pk,
            "name": org.name,
            "kind": org.kind,
            "parent_id": org.parent_id,
            "depth": self.depth,
            "overdue": self.overdue,
            "due_soon": self.due_soon,
            "normal": self.normal,
        }


def summary(user) -> list[Row]:
    """Rows for the units in the user's scope, in tree order (branch → its stations), siblings by code.

    Two queries whatever the size of the city: the units, and one GROUP BY over running clocks."""
    path = scope_path(user)
    if path is None:
        return []
    orgs = list(Organization.objects.visible_to(user))
    paths = {org.pk: org.path for org in orgs}
    counts = Clock.objects.running()  # "not stopped", as the partial index says
    if path:
        # A subquery, not a join: one lookup per clock fewer, on the board's only heavy query.
        counts = counts.filter(case__organization__in=Organization.objects.filter(path__startswith=path))
    by_path: dict[str, dict[str, int]] = {}
    for org_id, state, n in counts.values_list("case__organization_id", "state").annotate(n=Count("id")):
        states = by_path.setdefault(paths[org_id], {})
        states[state] = states.get(state, 0) + n
    children: dict[int | None, list[Organization]] = {}
    ids = {org.pk for org in orgs}
    for org in orgs:
        parent = org.parent_id if org.parent_id in ids else None
        children.setdefault(parent, []).append(org)
    rows: list[Row] = []

    def visit(org: Organization, depth: int) -> None:
        row = Row(organization=org, depth=depth)
        for org_path, states in by_path.items():
            if org_path.startswith(org.path):
                row.overdue += states.get(ClockState.OVERDUE, 0)
                row.due_soon += states.get(ClockState.DUE_SOON, 0)
                row.normal += states.get(ClockState.NORMAL, 0)
        if org.kind in ALWAYS_SHOWN or row.total:
            rows.append(row)
        for child in sorted(children.get(org.pk, []), key=lambda o: o.code):
            visit(child, depth + 1)

    for root in sorted(children.get(None, []), key=lambda o: o.code):
        visit(root, 0)
    return rows


def drill_down(user, organization: Organization, state: str) -> QuerySet[Clock]:
    """The running clocks in `state` of the cases handled in `organization`'s subtree — the list
    behind one number of the board; nothing for a unit outside the user's scope."""
    if state not in RUNNING_STATES or not Organization.objects.visible_to(user).filter(pk=organization.pk).exists():
        return Clock.objects.none()
    return (
        Clock.objects.filter(state=state, case__organization__path__startswith=organization.path)
        .select_related("rule", "case__organization", "case__lead_investigator", "measure__person")
        .order_by("due_at", "id")
    )
