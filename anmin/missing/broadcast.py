"""The broadcast engine: a missing-person alert that reaches the bureau's work groups in widening
rings, each group once, until the person is found — then a thanks to every group that got it.

How it runs: `case_opened` enqueues `tasks.advance_case`; each run calls `advance(case, now)`, which
logs every ring whose time has come (`RingStep`), makes one alert `Send` per newly reached group,
delivers what is due, and answers when it next has work (the next ring, a send waiting for its
retry or for the robot's rate-limit window); the task re-enqueues itself for that moment.
`case_found` stops the rings and queues one thanks per alerted group.

Which groups a ring reaches (every active group of the bureau is a candidate):
- a radius step: groups whose point (own, else community's, else township's) lies within the radius
  of the last-seen point — a group with its own radius counts when the two circles meet — and the
  groups of the case's station (the person was lost in its area);
- station: groups owned by the case's station or a unit under it, and groups whose own circle holds
  the last-seen point;
- township: the above, and groups of the case's township — a township group of that township, a
  group whose point's nearest township is it;
- county: the above, and groups in the case's county (the station's division code; a group's county
  is its township's, else its owning unit's);
- city: every group.
"""

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core import signing
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from anmin.core.actions import Action
from anmin.core.pii import mask_name
from anmin.missing import vendors
from anmin.missing.broadcast_models import Group, MessageKind, Reach, RingRule, RingStep, Send, SendAttempt, SendStatus
from anmin.missing.models import MissingCase

log = logging.getLogger("anmin.missing.broadcast")

#: Minutes to wait before each retry (a vendor outage often lasts minutes, not seconds).
BACKOFF_MINUTES = [1, 5, 15, 60]
#: Attempts after which a send is given up as failed (and shown so on the case).
MAX_ATTEMPTS = 5
#: How long a claimed send is held before another worker may try it (a worker that died mid-send).
CLAIM_SECONDS = 120
CLUE_SALT = "anmin.missing.clue"


# ---------------------------------------------------------------------------------------------
# Places


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(h))


def _towns() -> list[tuple[str, float, float]]:
    from anmin.addresses.models import Address, Level

    return list(
        Address.objects.filter(level=Level.TOWN, lat__isnull=False, lon__isnull=False).values_list("code", "lat", "lon")
    )


def nearest_town(point, towns) -> str | None:
    if point is None or not towns:
        return None
    return min(towns, key=lambda t: distance_km(point, (t[1], t[2])))[0]


@dataclass
class Place:
    """Where a case or group sits for the rings: its point, township code and county code."""

    point: tuple[float, float] | None
    town: str | None
    county: str | None


def case_place(case: MissingCase, towns) -> Place:
    point = (case.lat, case.lon)
    town = nearest_town(point, [t for t in towns if t[0].startswith(case.station.division_code)]) or nearest_town(
        point, towns
    )
    return Place(point, town, case.station.division_code)


def group_place(group: Group, towns) -> Place:
    point = group.point()
    town = group.township_id or nearest_town(point, towns)
    county = town[:6] if town else group.org.division_code
    return Place(point, town, county)


def reached_by(rule: RingRule, case: MissingCase, groups: list[Group], towns) -> list[Group]:
    """The groups `rule` reaches for `case` (already-alerted ones included; the caller skips them)."""
    here = case_place(case, towns)
    station_path = case.station.path
    out = []
    for group in groups:
        place = group_place(group, towns)
        dist = distance_km(here.point, place.point) if place.point else None
        own_circle = dist is not None and group.radius_km is not None and dist <= group.radius_km
        if rule.reach == Reach.RADIUS:
            # The station's own groups are inside any radius: the person was lost in its area.
            hit = group.org.path.startswith(station_path) or (
                dist is not None and dist <= (rule.radius_km or 0) + (group.radius_km or 0)
            )
        elif rule.reach == Reach.CITY:
            hit = True
        else:
            hit = group.org.path.startswith(station_path) or own_circle
            if rule.reach in (Reach.TOWNSHIP, Reach.COUNTY):
                hit = hit or (here.town is not None and place.town == here.town)
            if rule.reach == Reach.COUNTY:
                hit = hit or (here.county is not None and place.county == here.county)
        if hit:
            out.append(group)
    return out


# ---------------------------------------------------------------------------------------------
# The clue link


def clue_token(case: MissingCase, group: Group) -> str:
    """A signed token naming the case and the group: the link cannot be forged or moved to another case."""
    return signing.dumps([case.pk, group.pk], salt=CLUE_SALT, compress=False)


def read_clue_token(token: str) -> tuple[int, int] | None:
    try:
        case_id, group_id = signing.loads(token, salt=CLUE_SALT)
        return int(case_id), int(group_id)
    except (signing.BadSignature, ValueError, TypeError):
        return None


def clue_link(case: MissingCase, group: Group) -> str:
    """The absolute link a group member opens to post a clue (the portal's public address)."""
    from anmin.feedback.actions import portal_base_url

    return portal_base_url() + reverse("missing_groups:clue", args=[clue_token(case, group)])


# ---------------------------------------------------------------------------------------------
# Messages


def message_for(case: MissingCase, group: Group, kind: str) -> vendors.Message:
    """The alert (or the thanks) for `group`: the name masked (王某某), never an id."""
    name = mask_name(case.full_name) or _("（姓名未知）")
    if kind == MessageKind.THANKS:
        title = _("已找到，感谢 %(number)s") % {"number": case.number}
        text = _("%(name)s（%(number)s）已找到，感谢群内各位的关注和线索！") % {
            "name": name,
            "number": case.number,
        }
        return vendors.Message(title, text)
    who = " ".join(
        part
        for part in (
            str(case.get_sex_display()) if case.sex else "",
            _("%(age)s岁") % {"age": case.age} if case.age else "",
        )
        if part
    )
    when = timezone.localtime(case.last_seen_at).strftime("%Y-%m-%d %H:%M")
    lines = [
        _("姓名：%(name)s %(who)s") % {"name": name, "who": who},
        _("特征：%(text)s") % {"text": case.description},
        _("最后出现：%(when)s %(place)s") % {"when": when, "place": case.last_seen_place},
        _("编号：%(number)s") % {"number": case.number},
    ]
    if case.station.phone:
        lines.append(
            _("如有线索请联系 %(station)s 值班电话 %(phone)s")
            % {"station": case.station.name, "phone": case.station.phone}
        )
    title = _("协查寻人（%(category)s）%(number)s") % {"category": case.get_category_display(), "number": case.number}
    return vendors.Message(title, "\n\n".join(lines), clue_link(case, group))


# ---------------------------------------------------------------------------------------------
# Actions


class AdvanceRings(Action):
    """Widen a missing-person alert: log every ring whose time has come for the case and queue one
    alert for each group it newly reaches. Nothing happens once the case is found or closed."""

    audit_action = "missing.ring"

    def __init__(self, *, case: MissingCase, now: datetime, by=None):
        self.case, self.now, self.by = case, now, by

    def run(self) -> list[RingStep]:
        case = MissingCase.objects.select_for_update().select_related("station").get(pk=self.case.pk)
        if case.status != MissingCase.Status.SEARCHING:
            return []
        done = set(RingStep.objects.filter(case=case).values_list("rule_id", flat=True))
        due = [
            rule
            for rule in RingRule.objects.filter(category=case.category).order_by("step")
            if rule.pk not in done and case.created_at + timedelta(minutes=rule.after_minutes) <= self.now
        ]
        if not due:
            return []
        groups = list(Group.objects.filter(active=True).select_related("org", "community", "township"))
        towns = _towns()
        alerted = set(Send.objects.filter(case=case, kind=MessageKind.ALERT).values_list("group_id", flat=True))
        steps = []
        for rule in due:
            new = [g for g in reached_by(rule, case, groups, towns) if g.pk not in alerted]
            alerted.update(g.pk for g in new)
            step = RingStep.objects.create(case=case, rule=rule, label=rule.label(), reached_at=self.now)
            step.groups.set(new)
            Send.objects.bulk_create(
                [
                    Send(case=case, group=g, kind=MessageKind.ALERT, next_try_at=self.now, created_at=self.now)
                    for g in new
                ]
            )
            self.audit(case, {"ring": step.label, "groups": len(new)})
            steps.append(step)
        return steps


class StopBroadcast(Action):
    """The person is found: no further rings, alerts not yet delivered are cancelled, and every group
    that got the alert is queued one "已找到，感谢" message."""

    audit_action = "missing.broadcast_stop"

    def __init__(self, *, case: MissingCase, now: datetime, by=None):
        self.case, self.now, self.by = case, now, by

    def run(self) -> int:
        case = self.case
        Send.objects.filter(
            case=case, kind=MessageKind.ALERT, status__in=[SendStatus.PENDING, SendStatus.RETRYING]
        ).update(status=SendStatus.CANCELLED, next_try_at=None)
        alerted = Send.objects.filter(case=case, kind=MessageKind.ALERT, status=SendStatus.SENT).values_list(
            "group_id", flat=True
        )
        thanked = set(Send.objects.filter(case=case, kind=MessageKind.THANKS).values_list("group_id", flat=True))
        new = [
            Send(case=case, group_id=g, kind=MessageKind.THANKS, next_try_at=self.now, created_at=self.now)
            for g in alerted
            if g not in thanked
        ]
        Send.objects.bulk_create(new)
        self.audit(case, {"thanks": len(new)})
        return len(new)


class RecordAttempt(Action):
    """Record one delivery attempt of a send and what came of it: delivered, to be retried after the
    back-off, or given up after the last attempt."""

    not_audited = "every attempt is kept in SendAttempt with the vendor's answer; the trail would repeat it"

    def __init__(self, *, send: Send, outcome: vendors.Outcome, now: datetime):
        self.send, self.outcome, self.now = send, outcome, now
        self.by = None

    def run(self) -> Send:
        send, outcome = self.send, self.outcome
        send.attempts += 1
        send.response = outcome.response[:300]
        SendAttempt.objects.create(send=send, at=self.now, ok=outcome.ok, response=outcome.response[:300])
        if outcome.ok:
            send.status, send.sent_at, send.next_try_at = SendStatus.SENT, self.now, None
        elif outcome.retryable and send.attempts < MAX_ATTEMPTS:
            wait = BACKOFF_MINUTES[min(send.attempts, len(BACKOFF_MINUTES)) - 1]
            send.status, send.next_try_at = SendStatus.RETRYING, self.now + timedelta(minutes=wait)
        else:
            send.status, send.next_try_at = SendStatus.FAILED, None
        send.save(update_fields=["attempts", "response", "status", "sent_at", "next_try_at"])
        return send


class WaitForRateLimit(Action):
    """Hold a send until its robot's rate-limit window has room: never dropped, only later."""

    not_audited = "a send waiting for the robot's window changes nothing but its next try"

    def __init__(self, *, send: Send, until: datetime):
        self.send, self.until, self.by = send, until, None

    def run(self) -> None:
        Send.objects.filter(pk=self.send.pk).update(next_try_at=self.until)


def _claim(send: Send, now: datetime) -> bool:
    """Take a due send for this worker (a conditional UPDATE: two workers never both send it)."""
    return bool(
        Send.objects.filter(
            pk=send.pk, attempts=send.attempts, next_try_at=send.next_try_at, status=send.status
        ).update(next_try_at=now + timedelta(seconds=CLAIM_SECONDS))
    )


def rate_wait(group: Group, now: datetime) -> datetime | None:
    """When the group's robot has room again, or None if it has room now."""
    limit, window = vendors.RATE_LIMITS.get(group.kind, (20, 60))
    since = now - timedelta(seconds=window)
    recent = list(
        SendAttempt.objects.filter(send__group=group, at__gt=since, at__lte=now)
        .order_by("at")
        .values_list("at", flat=True)
    )
    if len(recent) < limit:
        return None
    return recent[len(recent) - limit] + timedelta(seconds=window)


def deliver_due(case: MissingCase, now: datetime) -> int:
    """Try every send of the case that is due; returns how many were attempted."""
    due = list(
        Send.objects.filter(
            case=case, status__in=[SendStatus.PENDING, SendStatus.RETRYING], next_try_at__lte=now
        ).select_related("group", "case__station")
    )
    tried = 0
    for send in due:
        until = rate_wait(send.group, now)
        if until is not None:
            WaitForRateLimit(send=send, until=until).execute()
            continue
        if not _claim(send, now):
            continue
        message = message_for(send.case, send.group, send.kind)
        try:
            outcome = vendors.deliver(send.group, message)
        except Exception as exc:  # a broken vendor answer must not stop the other groups' sends
            log.exception("send to group %s failed", send.group_id)
            outcome = vendors.Outcome(False, True, f"{type(exc).__name__}")
        RecordAttempt(send=send, outcome=outcome, now=now).execute()
        tried += 1
    return tried


def next_work_at(case: MissingCase) -> datetime | None:
    """When the case next has something to do: a ring still to come, or a send waiting."""
    times = []
    if case.status == MissingCase.Status.SEARCHING:
        done = RingStep.objects.filter(case=case).values_list("rule_id", flat=True)
        rule = RingRule.objects.filter(category=case.category).exclude(pk__in=done).order_by("after_minutes").first()
        if rule is not None:
            times.append(case.created_at + timedelta(minutes=rule.after_minutes))
    waiting = (
        Send.objects.filter(case=case, status__in=[SendStatus.PENDING, SendStatus.RETRYING])
        .order_by("next_try_at")
        .values_list("next_try_at", flat=True)
        .first()
    )
    if waiting is not None:
        times.append(waiting)
    return min(times) if times else None


def advance(case: MissingCase, now: datetime | None = None) -> datetime | None:
    """Do everything due on `case` at `now` (rings, then sends); return when next to run, or None."""
    now = now or timezone.now()
    case = MissingCase.objects.select_related("station").get(pk=case.pk)
    AdvanceRings(case=case, now=now).execute()
    deliver_due(case, now)
    case.refresh_from_db(fields=["status"])
    return next_work_at(case)


def stop(case: MissingCase, now: datetime | None = None) -> int:
    """The person is found: stop the rings and queue the thanks (the task delivers them)."""
    return StopBroadcast(case=case, now=now or timezone.now()).execute()


# ---------------------------------------------------------------------------------------------
# What the case page and the API show


def summary(case: MissingCase) -> dict:
    """The broadcast of a case as data: each ring reached (label, radius or area, when, the groups
    it newly reached) and every send (group, kind, message, status, attempts, sent_at, result)."""
    steps = RingStep.objects.filter(case=case).select_related("rule").prefetch_related("groups").order_by("rule__step")
    sends = Send.objects.filter(case=case).select_related("group").order_by("created_at", "id")
    return {
        "rings": [
            {
                "step": s.rule.step,
                "label": s.label,
                "reach": s.rule.reach,
                "radius_km": s.rule.radius_km,
                "reached_at": s.reached_at,
                "groups": [g.name for g in s.groups.all()],
            }
            for s in steps
        ],
        "sends": [
            {
                "group": s.group.name,
                "kind": s.group.kind,
                "kind_label": s.group.get_kind_display(),
                "message": s.kind,
                "message_label": s.get_kind_display(),
                "status": s.status,
                "status_label": s.get_status_display(),
                "attempts": s.attempts,
                "sent_at": s.sent_at,
                "next_try_at": s.next_try_at,
                "result": s.response,
            }
            for s in sends
        ],
    }


# Signals: connected in MissingConfig.ready().


def on_case_opened(sender=None, case=None, **kwargs) -> None:
    from anmin.missing.tasks import schedule

    schedule(case.pk)


def on_case_found(sender=None, case=None, **kwargs) -> None:
    """Stop and queue the thanks now (the officer's page then shows them queued); the task sends.
    The case is already committed as found: a failure here is logged, never the officer's error."""
    from anmin.missing.tasks import schedule

    try:
        stop(case)
    except Exception:
        log.exception("could not stop the broadcast of case %s", case.pk)
    schedule(case.pk)
