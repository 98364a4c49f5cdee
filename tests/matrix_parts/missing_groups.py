"""The permission matrix's entries for the missing-person broadcast (groups, the clue link)."""

from types import SimpleNamespace

from tests.matrix import API, API_OBJECT, OBJECT, PUBLIC, STAFF, r

HTML: dict = {
    "missing/groups/": r(STAFF),  # the list is scoped: a station sees its own groups
    "missing/groups/new/": r(STAFF),
    "missing/groups/<int:pk>/edit/": r(OBJECT, pk="work_group"),
    "missing/groups/case/<int:pk>/": r(OBJECT, pk="broadcast_case"),
    # The link in an alert: the signed token (case + group) is the key; group members have no account.
    "m/clue/<str:token>/": r(PUBLIC, token="clue_ref.token"),
}
API_ROUTES: dict = {
    "GET /groups": r(API),
    "POST /groups": r(API),
    "GET /groups/{group_id}": r(API_OBJECT, group_id="work_group"),
    "PATCH /groups/{group_id}": r(API_OBJECT, group_id="work_group"),
}


def world(city, citizen, w: dict) -> dict:
    """Objects of station A1 (made through the actions) that this part's entries name."""
    from django.utils import timezone

    from anmin.missing.actions import OpenMissingCase
    from anmin.missing.broadcast import clue_token
    from anmin.missing.broadcast_actions import SaveGroup
    from tests.conftest import A1_POINT

    group = SaveGroup(
        by=city.station_officer,
        data={"name": "河西所东明村群", "kind": "wecom", "webhook_url": "https://qyapi.example/send?key=k"},
    ).execute()
    case = OpenMissingCase(
        by=city.station_officer,
        data={
            "full_name": "王建国",
            "category": "elderly",
            "description": "灰色外套",
            "last_seen_at": timezone.now(),
            "lat": A1_POINT[0],
            "lon": A1_POINT[1],
        },
    ).execute()
    return {"work_group": group, "broadcast_case": case, "clue_ref": SimpleNamespace(token=clue_token(case, group))}
