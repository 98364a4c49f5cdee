"""The permission matrix's entries for the patrol app's routes, and the objects of station A1 they name."""

from tests.matrix import API, API_OBJECT, OBJECT, STAFF, r  # noqa: F401 - the kinds entries use

HTML: dict = {
    # 巡控: the station is in the path; another station's answers 404
    "patrol/": r(STAFF),
    "patrol/<int:station_id>/": r(OBJECT, station_id="patrol_station"),
    "patrol/<int:station_id>/generate/": r(OBJECT, station_id="patrol_station"),
    "patrol/<int:station_id>/print/": r(OBJECT, station_id="patrol_station"),
    "patrol/<int:station_id>/coverage/": r(OBJECT, station_id="patrol_station"),
}
API_ROUTES: dict = {
    "GET /hotspots": r(API),
    "GET /patrol/plans": r(API),
    "GET /patrol/plans/{plan_id}": r(API_OBJECT, plan_id="patrol_plan"),
}


def world(city, citizen, w: dict) -> dict:
    """Objects of station A1 (made through the actions) that this part's entries name."""
    from django.utils import timezone

    from anmin.patrol.actions import GeneratePatrolPlans

    (plan,) = GeneratePatrolPlans(
        station=city.station_a1, day=timezone.localdate(), shift="day", by=city.station_officer
    ).execute()
    return {"patrol_station": city.station_a1, "patrol_plan": plan}
