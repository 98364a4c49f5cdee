"""The demo city's missing-person cases: the night the seed tells of, an open child case and a
family's portal report.

At one in the morning a man with dementia who cannot say where he lives is found wandering at a
rural station; the night-shift officer opens a case, the broadcast alerts the station's village
work groups, a village party secretary answers through the link in the alert, and the man is home
within the hour. The broadcast engine runs synchronously here (its advance at each moment), so
the rings and sends exist in the demo as they would after a night of `anmin db_worker`.
"""

import io
import logging
import time
from datetime import datetime, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from anmin.citizens.models import Citizen
from anmin.geo.models import GridCell
from anmin.missing import broadcast
from anmin.missing.actions import AddClue, MarkFound, OpenMissingCase
from anmin.missing.broadcast_actions import PostGroupClue
from anmin.missing.models import Group, MissingCase
from anmin.org.models import Officer, Organization, Role
from anmin.reports.actions import ReportMissingPerson

log = logging.getLogger(__name__)


def _photo(name: str, shade: tuple[int, int, int]) -> SimpleUploadedFile:
    """A plain portrait placeholder (head and shoulders): the demo has no real people's photos."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (240, 300), (232, 236, 241))
    draw = ImageDraw.Draw(image)
    draw.ellipse((80, 50, 160, 140), fill=shade)
    draw.rounded_rectangle((45, 150, 195, 300), radius=40, fill=shade)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def _officer(station: Organization) -> Officer | None:
    return (
        Officer.objects.filter(organization=station, is_active=True, role=Role.STATION).order_by("id").first()
        or Officer.objects.filter(organization=station, is_active=True).order_by("id").first()
    )


def _last_one_am(now: datetime) -> datetime:
    local = timezone.localtime(now)
    one = local.replace(hour=1, minute=0, second=0, microsecond=0)
    return one if local - one >= timedelta(hours=2) else one - timedelta(days=1)


def _night_of_the_seed(now: datetime) -> MissingCase | None:
    village_groups = Group.objects.filter(org__kind=Organization.Kind.STATION, lat__isnull=False).select_related("org")
    group = village_groups.exclude(org__name="河西派出所").order_by("id").first()
    if group is None:
        return None
    station = group.org
    officer = _officer(station)
    if officer is None:
        return None
    one = _last_one_am(now)
    opened = one + timedelta(minutes=6)
    case = OpenMissingCase(
        by=officer,
        data={
            "full_name": "刘德顺",
            "category": MissingCase.Category.ELDERLY,
            "sex": "M",
            "age": 81,
            "description": (
                "身高约 165 厘米，偏瘦，白发，穿深蓝色棉袄、黑色棉裤、黑布鞋；患阿尔茨海默病，说不清住址和家人电话"
            ),
            "last_seen_at": one - timedelta(minutes=20),
            "last_seen_place": f"{group.name.removeprefix(station.name).removesuffix('群')}附近公路边",
            "lat": group.lat + 0.004,
            "lon": group.lon - 0.003,
            "may_publish": False,
        },
        photo=_photo("demo-elderly.png", (120, 128, 140)),
        now=opened,
    ).execute()
    broadcast.advance(case, now=opened + timedelta(minutes=1))
    broadcast.advance(case, now=opened + timedelta(minutes=31))
    PostGroupClue(
        case=case,
        group=group,
        data={
            "text": "我是村支书。老人像是邻村的刘大爷，以前在我们村集上见过，家在村西头，我这就带人过去认一下",
            "name": "村支书",
        },
        now=opened + timedelta(minutes=38),
    ).execute()
    AddClue(
        case=case,
        by=officer,
        data={
            "text": "已联系村支书，值班民警驱车前往核实",
            "place": group.name.removeprefix(station.name).removesuffix("群"),
        },
        now=opened + timedelta(minutes=40),
    ).execute()
    found_at = opened + timedelta(minutes=52)
    MarkFound(
        case=case,
        by=officer,
        data={"where": "村党支部书记家中", "found_by": "村党支部书记", "found_at": found_at, "note": "家属已到场接回"},
        now=found_at,
    ).execute()
    broadcast.advance(case, now=found_at + timedelta(minutes=1))
    case.refresh_from_db()
    return case


def _open_child_case(now: datetime) -> MissingCase | None:
    hexi = Organization.objects.filter(name="河西派出所").first()
    officer = _officer(hexi) if hexi else None
    # The station's 第1网格 is the one nearest its seat: the town centre, where the park is.
    cell = GridCell.objects.filter(jurisdiction=hexi).order_by("name").first() if hexi else None
    if officer is None or cell is None:
        return None
    point = (cell.lat, cell.lon)
    opened = now - timedelta(minutes=40)
    case = OpenMissingCase(
        by=officer,
        data={
            "full_name": "张子涵",
            "category": MissingCase.Category.CHILD,
            "sex": "F",
            "age": 6,
            "description": "身高约 115 厘米，扎两个小辫，粉色羽绒服、白色运动鞋，背蓝色小书包",
            "last_seen_at": now - timedelta(minutes=55),
            "last_seen_place": "人民公园东门游乐场",
            "lat": point[0],
            "lon": point[1],
            "may_publish": True,
        },
        photo=_photo("demo-child.png", (214, 120, 150)),
        now=opened,
    ).execute()
    broadcast.advance(case, now=opened + timedelta(minutes=1))
    broadcast.advance(case, now=now)
    return case


def _portal_report(now: datetime) -> bool:
    citizen = Citizen.objects.filter(verified_at__isnull=False).order_by("id").first()
    hexi = Organization.objects.filter(name="河西派出所").first()
    case_point = MissingCase.objects.filter(station=hexi).values_list("lat", "lon").first() if hexi else None
    if citizen is None or case_point is None:
        return False
    ReportMissingPerson(
        citizen=citizen,
        data={
            "name": "赵桂兰",
            "sex": "F",
            "age": "74",
            "description": "身高约 155 厘米，短发花白，紫色外套，左手拄拐杖",
            "last_seen_at": now - timedelta(hours=3),
            "last_seen_address": "育才街菜市场",
            "lat": case_point[0] + 0.002,
            "lon": case_point[1] + 0.002,
        },
        photo=_photo("demo-report.png", (150, 110, 160)),
        now=now - timedelta(hours=2),
    ).execute()
    return True


def build(now: datetime) -> str:
    """Builds this part of the demo into the new demo city; returns one line for the log."""
    started = time.monotonic()
    night = _night_of_the_seed(now)
    child = _open_child_case(now)
    reported = _portal_report(now)
    if night is None and child is None:
        return ""
    parts = []
    if night is not None:
        minutes = int((night.found_at - night.created_at).total_seconds() // 60)
        parts.append(f"凌晨走失老人 {night.number}（{night.station.name}，{minutes} 分钟内经村支书回复找到）")
    if child is not None:
        parts.append(f"查找中的走失儿童 {child.number}")
    if reported:
        parts.append("一份群众网上走失报告（自动立案）")
    log.info("demo missing cases built in %.1f s", time.monotonic() - started)
    return "走失人员：" + "、".join(parts)
