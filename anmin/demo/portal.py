"""The demo city's portal: catalogue departments, two booking offices with a fortnight of counter
slots, driving-exam sessions open for requests — made through the same actions staff use — and two
citizens: one verified, one waiting for the station to approve a change of name.

Real-name verification in the demo asks the development verifier, whose register is
anmin/citizens/demo_identities.json: only those names and numbers can be verified.
"""

from datetime import time, timedelta

from django.utils import timezone

from anmin.bookings.actions import CreateExamSession, CreateOffice, CreateSlots
from anmin.bookings.models import Subject
from anmin.citizens.actions import RequestIdentityChange
from anmin.citizens.models import Citizen
from anmin.citizens.realname import demo_identities
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
    citizens = build_demo_citizens(station)
    return f"掌上办：2 个预约窗口（未来两周），{sessions} 个考试场次；{citizens}"


#: (phone, name, id_number) of the demo's citizens. 王五 was verified before his change of name to
#: 王武 (the register knows the new name), and asks the station to change it on his account.
VERIFIED = ("13800138001", "张三", "131102198506123011")
RENAMED = ("13800138002", "王五", "131103197811200038")


def build_demo_citizens(station: Organization) -> str:
    now = timezone.now()
    made = {}
    for phone, name, id_number in (VERIFIED, RENAMED):
        made[phone] = Citizen.objects.create(phone=phone, name=name, id_number=id_number, verified_at=now)
    RequestIdentityChange(
        citizen=made[RENAMED[0]],
        station=station.pk,
        name="王武",
        id_number=RENAMED[2],
        reason="依法变更姓名，户口簿已变更",
    ).execute()
    names = "、".join(sorted(name for name, _number in demo_identities()))
    return (
        f"群众 {VERIFIED[0]}（已实名）、{RENAMED[0]}（实名变更待{station.name}审核）；"
        f"可实名认证的演示身份：{names}（见 anmin/citizens/demo_identities.json）"
    )
