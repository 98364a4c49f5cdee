"""The permission matrix's entries for the communities app's routes, and the objects of station A1 they name."""

from tests.matrix import API, API_OBJECT, OBJECT, STAFF, r

HTML: dict = {
    # 智慧平安社区
    "communities/": r(STAFF),
    "communities/new/": r(STAFF),
    "communities/<int:pk>/": r(OBJECT, pk="community"),
    "communities/<int:pk>/edit/": r(OBJECT, pk="community"),
    "communities/<int:pk>/parts/": r(OBJECT, pk="community"),
    "^communities/(?P<pk>[0-9]+)/parts/(?P<part>worker|building|access|source)/$": r(
        OBJECT, pk="community", part="=worker"
    ),
    "communities/<int:pk>/incidents/": r(OBJECT, pk="community"),
    "communities/<int:pk>/cases/": r(OBJECT, pk="community"),
    "communities/<int:pk>/leads/": r(OBJECT, pk="community"),
    "communities/leads/<int:pk>/mark/": r(OBJECT, pk="community_lead"),
}
API_ROUTES: dict = {
    "GET /communities": r(API),
    "GET /communities/{community_id}": r(API_OBJECT, community_id="community"),
    # Posted by a community system with its own key; an officer's token or a session is refused (401).
    "POST /community-leads": r(API),
    "GET /community-leads": r(API),
    "GET /community-leads/{lead_id}": r(API_OBJECT, lead_id="community_lead"),
    "POST /community-leads/{lead_id}/mark": r(API_OBJECT, lead_id="community_lead"),
}


def world(city, citizen, w: dict) -> dict:
    """Objects of station A1 (made through the actions) that this part's entries name."""
    from django.utils import timezone

    from anmin.communities.actions import ReceiveLead, RegisterLeadSource, SaveCommunity
    from tests.conftest import A1_POINT

    community = SaveCommunity(
        by=city.station_officer,
        data={
            "name": "桃园小区",
            "kind": "compound",
            "station": city.station_a1,
            "lat": A1_POINT[0],
            "lon": A1_POINT[1],
        },
    ).execute()
    source, _key = RegisterLeadSource(by=city.station_officer, community=community, name="门禁平台").execute()
    lead = ReceiveLead(
        source=source,
        data={"kind": "stranger", "occurred_at": timezone.now(), "description": "陌生人夜间多次出入"},
    ).execute()
    return {"community": community, "community_lead": lead}
