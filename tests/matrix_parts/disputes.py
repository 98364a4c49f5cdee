"""The permission matrix's entries for the disputes app's routes, and the objects of station A1 they name."""

from tests.matrix import API, API_OBJECT, OBJECT, STAFF, r  # noqa: F401 - the kinds entries use

HTML: dict = {
    # 矛盾纠纷 (scoped lists and forms: the outsider sees none of A1's)
    "disputes/": r(STAFF),
    "disputes/new/": r(STAFF),
    "disputes/report/": r(STAFF),
    "disputes/<int:pk>/": r(OBJECT, pk="dispute"),
    # 调解 with an empty form is refused (400) and moves nothing
    "disputes/<int:pk>/steps/<str:step>/": r(OBJECT, pk="dispute", step="=mediate"),
    "disputes/<int:pk>/agreement.pdf": r(OBJECT, pk="agreed_dispute"),
    "disputes/<int:pk>/agreement-signing.pdf": r(OBJECT, pk="agreed_dispute"),
    # 访民
    "visits/plans/": r(STAFF),
    "visits/phone/": r(STAFF),
    "visits/<int:pk>/tasks/": r(OBJECT, pk="visit"),
    "visits/tasks/<int:pk>/done/": r(OBJECT, pk="visit_task"),
}
API_ROUTES: dict = {
    "GET /disputes": r(API),
    "POST /disputes": r(API),
    "GET /disputes/{dispute_id}": r(API_OBJECT, dispute_id="dispute"),
    "POST /disputes/{dispute_id}/steps/{step}": r(API_OBJECT, dispute_id="dispute", step="=mediate"),
}


def world(city, citizen, w: dict) -> dict:
    """Objects of station A1 (made through the actions) that this part's entries name."""
    from datetime import timedelta

    from django.utils import timezone

    from anmin.disputes.actions import (
        AcceptDispute,
        CreateDispute,
        CreateVisitTask,
        LogVisit,
        RecordAgreement,
        RecordMediation,
    )
    from tests.conftest import A1_POINT

    officer = city.station_officer
    data = {
        "kind": "neighbour",
        "source": "walk_in",
        "address": "桃城区人民路 120 号",
        "lat": A1_POINT[0],
        "lon": A1_POINT[1],
        "description": "矩阵测试纠纷",
    }
    parties = [{"name": "张三", "phone": "13812345678"}]
    dispute = CreateDispute(by=officer, data=data, parties=parties).execute()
    agreed = CreateDispute(by=officer, data=data, parties=parties).execute()
    AcceptDispute(dispute=agreed, by=officer).execute()
    RecordMediation(dispute=agreed, by=officer, mediator="调解员", result="同意").execute()
    RecordAgreement(dispute=agreed, by=officer, agreement="赔偿 100 元").execute()
    visit = LogVisit(
        by=officer, data={"person_name": "李四", "address": "桃城区人民路 130 号", "raised": "噪音扰民"}
    ).execute()
    task = CreateVisitTask(
        by=officer,
        visit=visit,
        description="协调物业",
        assigned_to=officer,
        due_date=timezone.localdate() + timedelta(days=3),
    ).execute()
    return {"dispute": dispute, "agreed_dispute": agreed, "visit": visit, "visit_task": task}
