"""The demo city's portal: catalogue departments, two booking offices with a fortnight of counter
slots, and driving-exam sessions open for requests — made through the same actions staff use."""

from datetime import time, timedelta

from django.utils import timezone

from anmin.bookings.actions import CreateExamSession, CreateOffice, CreateSlots
from anmin.bookings.models import Subject
from anmin.org.models import Officer, Organization, Role
from anmin.services.demo import assign_departments


def build_demo_portal() -> str:
    assign_departments()
    admin = Officer.objects.filter(role=Role.ADMIN, organization__parent=None).order_by("pk").first()
    traffic = Organization.objects.filter(kind=Organization.Kind.TRAFFIC).order_by("path").first()
    station = Organization.objects.filter(kind=Organization.Kind.STATION).order_by("path").first()
    if admin is None or traffic is None or station is None:
        return "掌上办：缺少管理员或单位，未生成预约数据"
    today = timezone.localdate()
    dmv = CreateOffice(by=admin, organization=traffic, name="车管所业务大厅", address="桃城区人民东路 1 号").execute()
    hukou = CreateOffice(by=admin, organization=station, name=f"{station.name}户籍窗口").execute()
    for office in (dmv, hukou):
        CreateSlots(
            by=admin,
            office=office,
            first_day=today + timedelta(days=1),
            last_day=today + timedelta(days=14),
            start=time(9, 0),
            end=time(17, 0),
            minutes=30,
            capacity=4,
        ).execute()
    now = timezone.now()
    sessions = 0
    for offset, subject in ((7, Subject.ONE), (8, Subject.TWO), (9, Subject.THREE), (10, Subject.FOUR)):
        CreateExamSession(
            by=admin,
            venue=dmv,
            subject=subject,
            date=(today + timedelta(days=offset)).isoformat(),
            start="09:00",
            seats=30,
            opens_at=now.isoformat(),
            closes_at=(now + timedelta(days=5)).isoformat(),
        ).execute()
        sessions += 1
    return f"掌上办：2 个预约窗口（未来两周），{sessions} 个考试场次"
