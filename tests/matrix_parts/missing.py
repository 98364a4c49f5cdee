"""The permission matrix's entries for the missing app's routes, and the objects of station A1 they name."""

from tests.matrix import API, API_OBJECT, OBJECT, STAFF, r  # noqa: F401 - the kinds entries use

HTML: dict = {
    "missing/": r(STAFF),
    "missing/new/": r(STAFF),
    "missing/from-incident/<int:pk>/": r(OBJECT, pk="incident"),
    "missing/<int:pk>/": r(OBJECT, pk="missing_case"),
    "missing/<int:pk>/photo/": r(OBJECT, pk="missing_case"),
    "missing/<int:pk>/clues/": r(OBJECT, pk="missing_case"),
    "missing/<int:pk>/found/": r(OBJECT, pk="missing_case"),
    "missing/<int:pk>/close/": r(OBJECT, pk="missing_case"),
}
API_ROUTES: dict = {
    "POST /missing": r(API),
    "GET /missing": r(API),
    "GET /missing/pfif": r(API),
    "GET /missing/{case_id}": r(API_OBJECT, case_id="missing_case"),
    "POST /missing/{case_id}/found": r(API_OBJECT, case_id="missing_case"),
    "POST /missing/{case_id}/clues": r(API_OBJECT, case_id="missing_case"),
}


def world(city, citizen, w: dict) -> dict:
    """Objects of station A1 (made through the actions) that this part's entries name."""
    from datetime import timedelta

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from anmin.missing.actions import OpenMissingCase
    from tests.conftest import A1_POINT
    from tests.files import PNG
    from tests.matrix import committed

    data = {
        "full_name": "矩阵测试",
        "category": "elderly",
        "description": "灰色棉袄",
        "last_seen_at": timezone.now() - timedelta(hours=1),
        "lat": A1_POINT[0],
        "lon": A1_POINT[1],
        "may_publish": True,
    }
    with committed():
        case = OpenMissingCase(by=city.station_officer, data=data, photo=SimpleUploadedFile("p.png", PNG)).execute()
    return {"missing_case": case}
