"""The demo city's work groups for missing-person alerts.

Every 派出所 gets its own 企业微信 duty group; 河西派出所 and a rural station get one group per
village or 社区 (the seed's night-shift officer sent a lost man's photo to his station's 23 village
groups), the townships of 桃城区 a 钉钉 group each, every 分局/县局 a 飞书 group, and the two
stations an SMS list of their 村支书. Their webhooks point at 127.0.0.1:9 (the discard port) and the
demo runs with DEBUG, where MISSING_BROADCAST_TRANSPORT defaults to "log": an alert in the demo is
written to the log and sent nowhere real.
"""

from datetime import datetime

from anmin.addresses.models import Address, Level
from anmin.communities.models import Community
from anmin.geo.models import GridCell
from anmin.missing.broadcast_actions import SaveGroup
from anmin.org.models import Officer, Organization

TAOCHENG = "131102"
#: The seed's rural station had 23 village work groups.
VILLAGE_GROUPS = 23
DEMO_HOOK = "http://127.0.0.1:9/demo-webhook/"


def _station_at(lat: float, lon: float) -> Organization | None:
    cell = GridCell.locate(lat, lon)
    if cell is None or cell.jurisdiction.kind != Organization.Kind.STATION:
        return None
    return cell.jurisdiction


def build(now: datetime) -> str:
    """Builds the work groups into the new demo city; returns one line for the log."""
    by = Officer.objects.filter(organization__parent__isnull=True, is_active=True).first()
    if by is None or not by.sees_everything:
        by = next(
            (o for o in Officer.objects.filter(is_active=True).select_related("organization") if o.sees_everything),
            None,
        )
    if by is None:
        return ""
    made = {"wecom": 0, "dingtalk": 0, "feishu": 0, "sms": 0}
    used: set[str] = set()

    def save(name: str, kind: str, org: Organization, **area) -> None:
        if name in used:
            return
        used.add(name)
        data = {"name": name, "kind": kind, "org": org.code, "webhook_url": f"{DEMO_HOOK}{kind}/{len(used)}"}
        if kind in ("dingtalk", "feishu"):
            data["secret"] = f"SECdemo{len(used):04d}"
        if kind == "sms":
            data = {
                "name": name,
                "kind": kind,
                "org": org.code,
                "phones": [f"1380000{len(used):04d}", f"1390000{len(used):04d}"],
            }
        SaveGroup(by=by, data={**data, **area}).execute()
        made[kind] += 1

    stations = list(Organization.objects.filter(kind=Organization.Kind.STATION).order_by("code"))
    for station in stations:
        save(f"{station.name}值班群", "wecom", station)
    for branch in Organization.objects.filter(kind=Organization.Kind.BRANCH).order_by("code"):
        save(f"{branch.name}寻人协查群", "feishu", branch)

    # 河西派出所: one group per 社区/小区 it looks after.
    hexi = next((s for s in stations if s.name == "河西派出所"), None)
    if hexi is not None:
        for c in Community.objects.filter(station=hexi).order_by("name")[:VILLAGE_GROUPS]:
            save(f"{hexi.name}{c.name}群", "wecom", hexi, community=c.pk)
        save(f"{hexi.name}社区网格员短信", "sms", hexi)

    # The township groups, and the rural station with the most villages: one group per village.
    towns = Address.objects.filter(level=Level.TOWN, parent_id=TAOCHENG, lat__isnull=False).order_by("code")
    by_station: dict[int, list[Address]] = {}
    for town in towns:
        owner = _station_at(town.lat, town.lon)
        if owner is None:
            continue
        save(f"{town.name}联防群", "dingtalk", owner, township=town.code)
        if town.name.endswith("街道"):
            continue
        for village in Address.objects.filter(level=Level.VILLAGE, parent=town, lat__isnull=False).order_by("code"):
            station = _station_at(village.lat, village.lon)
            if station is not None and station != hexi:
                by_station.setdefault(station.pk, []).append(village)
    if by_station:
        station_pk, villages = max(by_station.items(), key=lambda kv: len(kv[1]))
        rural = Organization.objects.get(pk=station_pk)
        for i, village in enumerate(villages[:VILLAGE_GROUPS]):
            kind = "wecom" if i % 2 == 0 else "dingtalk"
            save(f"{rural.name}{village.name}群", kind, rural, lat=village.lat, lon=village.lon, radius_km=2)
        save(f"{rural.name}村支书短信", "sms", rural)
    total = sum(made.values())
    return (
        f"寻人协查工作群：{total} 个（企业微信 {made['wecom']}、钉钉 {made['dingtalk']}、飞书 {made['feishu']}、"
        f"短信列表 {made['sms']}），演示环境只写日志、不实际发送"
    )
