"""The board's incident queue (警情队列): what is listed, in which order, and how it is narrowed.

Order: 待派警 first — nobody is on the way yet — by priority, the oldest first within a priority;
then the incidents past their arrival target (超时未到场) that have units; then the rest. A new call
used to land at the bottom of a long queue sorted by priority and age, out of sight.

The counts per status are those of the current station, class and search, so each status badge
says how many it will show. The alert state (which incidents wait for a unit, which are overdue)
is always the user's whole scope: a filter must not hide a new call from the desk's alert.

A phone number is stored encrypted; a search by number is an exact match on its blind index, under
every data key (`anmin.core.crypto.matching`), as the repeat-call check at intake does.
"""

import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django import forms
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anmin.core.crypto import matching
from anmin.incidents.models import Incident, IncidentClass
from anmin.org.models import Organization

QUEUE_LIMIT = 200
#: How many waiting or overdue incidents the alert state carries (far more than a desk holds).
ALERT_LIMIT = 1000
#: The status filter's value for 超时未到场, which spans the statuses before arrival.
OVERDUE = "overdue"
MAX_SEARCH = 40
#: What a search for a phone number looks like: digits, maybe a leading +, dashes or spaces.
PHONE_LIKE = re.compile(r"\+?[0-9][0-9 \-]{2,19}")
OPEN_STATUSES = [s for s in Incident.Status if s not in Incident.CLOSED_STATUSES]


def _status_choices():
    return [("", _("全部")), *((s.value, s.label) for s in OPEN_STATUSES), (OVERDUE, _("超时未到场"))]


class QueueForm(forms.Form):
    """The queue's filters, from the board's address (`?status=&station=&klass=&q=`) and from its
    filter form. A station is named by its organization code, never by a database id."""

    status = forms.ChoiceField(
        required=False, choices=_status_choices, label=_("状态"), error_messages={"invalid_choice": _("不是可选的状态")}
    )
    station = forms.ModelChoiceField(
        queryset=Organization.objects.none(),
        required=False,
        to_field_name="code",
        label=_("派出所"),
        empty_label=_("全部派出所"),
        error_messages={"invalid_choice": _("不是可选的派出所")},
    )
    klass = forms.ChoiceField(
        required=False,
        choices=[("", _("全部类别")), *IncidentClass.choices],
        label=_("类别"),
        error_messages={"invalid_choice": _("不是可选的警情类别")},
    )
    q = forms.CharField(required=False, max_length=MAX_SEARCH, label=_("搜索"))

    def __init__(self, data=None, *, user):
        super().__init__(data, auto_id="queue-%s")
        self.fields["station"].queryset = (
            Organization.objects.visible_to(user).filter(kind=Organization.Kind.STATION).order_by("code")
        )
        for name in ("station", "klass"):
            self.fields[name].widget.attrs["aria-label"] = self.fields[name].label

    def filters(self) -> dict:
        """The valid filters (an invalid one is left out, and named by `first_error`)."""
        data = getattr(self, "cleaned_data", {})
        return {name: data[name] for name in self.fields if data.get(name)}

    def query(self, **changes) -> str:
        """The query string of these filters with `changes` applied (for the status badges' links)."""
        values = self.filters() | changes
        params = {k: (v.code if isinstance(v, Organization) else v) for k, v in values.items() if v}
        return urlencode(params)


def scope(user) -> QuerySet:
    """Open incidents the user may see."""
    return Incident.objects.visible_to(user).open()


def overdue_q(now) -> Q:
    """超时未到场, as `Incident.is_overdue` says it, in the database."""
    return Q(status__in=Incident.NOT_ARRIVED_STATUSES, arrival_due_at__lt=now)


def search_q(text: str) -> Q:
    """接警单号 or address containing `text`, or a caller's number equal to it."""
    condition = Q(number__icontains=text) | Q(address__icontains=text)
    if PHONE_LIKE.fullmatch(text):
        condition |= matching(Incident, "caller_phone", text)
        bare = re.sub(r"[ \-]", "", text)
        if bare != text:
            condition |= matching(Incident, "caller_phone", bare)
    return condition


def narrowed(qs: QuerySet, filters: dict) -> QuerySet:
    """`qs` limited by station, class and search (not by status: the badges count those)."""
    if filters.get("station"):
        qs = qs.filter(station=filters["station"])
    if filters.get("klass"):
        qs = qs.filter(category__klass=filters["klass"])
    if filters.get("q"):
        qs = qs.filter(search_q(filters["q"]))
    return qs


def with_status(qs: QuerySet, status: str | None, now) -> QuerySet:
    if status == OVERDUE:
        return qs.filter(overdue_q(now))
    if status:
        return qs.filter(status=status)
    return qs


def ordered(qs: QuerySet, now, limit: int = QUEUE_LIMIT) -> list[Incident]:
    """The queue's incidents in desk order, each marked `overdue` and with its `active_units`."""
    group = Case(
        When(status=Incident.Status.RECEIVED, then=Value(0)),
        When(overdue_q(now), then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    incidents = list(
        qs.annotate(queue_group=group)
        .select_related("category", "station")
        .prefetch_related("assignments__unit")
        .order_by("queue_group", "priority", "received_at", "pk")[:limit]
    )
    for incident in incidents:
        incident.overdue = incident.is_overdue(now)
        incident.active_units = [a.unit.callsign for a in incident.assignments.all() if a.closed_at is None]
    return incidents


@dataclass
class Badge:
    value: str
    label: str
    count: int
    query: str
    on: bool


@dataclass
class AlertState:
    """What the desk's alert compares between refreshes: incidents waiting for a unit, and those
    past their arrival target, in the user's whole scope."""

    waiting: list[int] = field(default_factory=list)
    overdue: list[int] = field(default_factory=list)


def status_counts(qs: QuerySet, now) -> tuple[dict[str, int], int]:
    """(count per status, count overdue) of `qs`, in one query."""
    rows = qs.values("status").annotate(n=Count("pk"), late=Count("pk", filter=overdue_q(now))).order_by()
    return {row["status"]: row["n"] for row in rows}, sum(row["late"] for row in rows)


def badges(counts: dict[str, int], late: int, form: QueueForm) -> list[Badge]:
    """全部, one badge per open status and one for 超时未到场, each with its count and its link."""
    current = form.filters().get("status", "")
    result = [Badge("", str(_("全部")), sum(counts.values()), form.query(status=""), not current)]
    for s in OPEN_STATUSES:
        result.append(Badge(s.value, str(s.label), counts.get(s.value, 0), form.query(status=s.value), current == s))
    result.append(Badge(OVERDUE, str(_("超时未到场")), late, form.query(status=OVERDUE), current == OVERDUE))
    return result


def scope_rows(user, now) -> list[tuple[int, str, bool]] | None:
    """(pk, status, overdue) of every open incident in the user's scope, or None past ALERT_LIMIT.
    One small query gives both the alert state and, when no filter narrows the queue, the counts."""
    rows = list(scope(user).order_by("pk").values_list("pk", "status", "arrival_due_at")[: ALERT_LIMIT + 1])
    if len(rows) > ALERT_LIMIT:
        return None
    return [(pk, status, status in Incident.NOT_ARRIVED_STATUSES and due < now) for pk, status, due in rows]


def alert_state(user, now, rows: list[tuple[int, str, bool]] | None) -> AlertState:
    if rows is None:  # a scope too large to list: the incidents the alert is about, at most ALERT_LIMIT
        found = scope(user).filter(Q(status=Incident.Status.RECEIVED) | overdue_q(now)).order_by("-pk")
        rows = [
            (pk, status, status in Incident.NOT_ARRIVED_STATUSES and due < now)
            for pk, status, due in found.values_list("pk", "status", "arrival_due_at")[:ALERT_LIMIT]
        ]
    state = AlertState()
    for pk, status, late in rows:
        if status == Incident.Status.RECEIVED:
            state.waiting.append(pk)
        if late:
            state.overdue.append(pk)
    return state


@dataclass
class Queue:
    incidents: list[Incident]
    badges: list[Badge]
    alerts: AlertState | None
    searching: bool
    truncated: bool


def build(user, form: QueueForm, *, alerts: bool) -> Queue:
    """The queue for `user` with the form's valid filters; `alerts` adds the alert state."""
    now = timezone.now()
    filters = form.filters()
    narrow = narrowed(scope(user), filters)
    incidents = ordered(with_status(narrow, filters.get("status"), now), now, QUEUE_LIMIT + 1)
    narrowing = any(filters.get(k) for k in ("station", "klass", "q"))
    rows = scope_rows(user, now) if alerts or not narrowing else None
    if narrowing or rows is None:
        counts, late = status_counts(narrow, now)
    else:
        counts, late = {}, 0
        for _pk, status, overdue in rows:
            counts[status] = counts.get(status, 0) + 1
            late += overdue
    return Queue(
        incidents=incidents[:QUEUE_LIMIT],
        badges=badges(counts, late, form),
        alerts=alert_state(user, now, rows) if alerts else None,
        searching=bool(filters.get("q")),
        truncated=len(incidents) > QUEUE_LIMIT,
    )
