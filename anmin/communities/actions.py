"""智慧平安社区 actions: a community's place and people, its buildings and access points, the
community systems that post leads, the leads they post and what the officers made of each."""

import math
import re
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from shapely.geometry import Polygon

from anmin.communities.models import AccessPoint, Building, Community, GridWorker, Lead, LeadSource
from anmin.core.actions import Action
from anmin.core.errors import ActionError, Denied
from anmin.core.idnumber import clean_id_number
from anmin.org.models import Organization, Role

#: Who keeps a community's record: the officers of its station and leaders above it.
EDITOR_ROLES = {Role.STATION, Role.LEADER}
#: The most corners an outline may have (a compound's wall is drawn with tens of points).
MAX_VERTICES = 500
#: An outline larger than this is not one community (a whole town drawn by mistake): 25 km².
MAX_AREA_M2 = 25_000_000
_PHONE = re.compile(r"1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8}")


def can_edit(user, station: Organization) -> bool:
    """Officers of the station (派出所民警) and leaders whose scope holds it keep its communities."""
    if not (user and user.is_authenticated):
        return False
    if not (user.is_superuser or user.role in EDITOR_ROLES):
        return False
    return Organization.objects.visible_to(user).filter(pk=station.pk).exists()


def _require_editor(user, station: Organization) -> None:
    if not can_edit(user, station):
        raise Denied(_("只有本所民警或领导可以维护社区信息"))


def clean_boundary(value) -> list | None:
    """A GeoJSON polygon's coordinates ([[[lon, lat], …]], outer ring first), checked: closed (the
    last point is closed for the user if they left it open), at least three corners, within WGS-84,
    not crossing itself, and of a community's size."""
    if value in (None, "", []):
        return None
    field = "boundary"
    if not isinstance(value, list) or not value or not all(isinstance(ring, list) for ring in value):
        raise ActionError(_("边界应为 GeoJSON 多边形坐标 [[[经度, 纬度], …]]"), field=field)
    rings = []
    for ring in value:
        points = []
        for point in ring:
            if (
                not isinstance(point, list | tuple)
                or len(point) != 2
                or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in point)
            ):
                raise ActionError(_("边界的每个点应为 [经度, 纬度] 两个数"), field=field)
            lon, lat = float(point[0]), float(point[1])
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                raise ActionError(_("边界的点超出经纬度范围（经度在前、纬度在后）"), field=field)
            points.append([lon, lat])
        if len(points) > MAX_VERTICES:
            raise ActionError(_("边界的点过多（最多 %(n)s 个）") % {"n": MAX_VERTICES}, field=field)
        if points and points[0] != points[-1]:
            points.append(points[0])
        if len(points) < 4:
            raise ActionError(_("边界至少需要三个不同的角点"), field=field)
        rings.append(points)
    polygon = Polygon(rings[0], rings[1:])
    if not polygon.is_valid or polygon.area == 0:
        raise ActionError(_("边界自相交或面积为零，请重新勾画"), field=field)
    # Degrees² to m² near the polygon (equirectangular; a check of size, not a survey).

    lat = polygon.centroid.y
    area = polygon.area * 111_320**2 * math.cos(math.radians(lat))
    if area > MAX_AREA_M2:
        raise ActionError(_("边界面积过大，超出一个社区的范围"), field=field)
    return rings


def _clean_phone(value: str, field: str) -> str:
    value = (value or "").strip().replace(" ", "")
    if not value:
        raise ActionError(_("请填写联系电话"), field=field, code="required")
    if not _PHONE.fullmatch(value):
        raise ActionError(_("联系电话应为 11 位手机号或带区号的固定电话"), field=field)
    return value


class SaveCommunity(Action):
    """建档/修改社区: a 小区 or 村 as a place — its point and outline, its station and 社区民警.

    Residents are not entered here or anywhere in bulk (个人信息保护法 art. 6, 最小必要): the police
    record only the persons their own work brings them to."""

    audit_action = "community.save"

    def __init__(self, *, by, data: dict, community: Community | None = None):
        self.by = by
        self.data = data
        self.community = community

    def check(self) -> None:
        station = self.data["station"]
        if station.kind != Organization.Kind.STATION:
            raise ActionError(_("责任单位应为派出所"), field="station")
        _require_editor(self.by, station)
        if self.community is not None:
            _require_editor(self.by, self.community.station)
        officer = self.data.get("officer")
        if officer is not None and officer.organization_id != station.pk:
            raise ActionError(_("社区民警应为本所民警"), field="officer")
        self.boundary = clean_boundary(self.data.get("boundary"))
        name = self.data["name"]
        clash = Community.objects.filter(station=station, name=name)
        if self.community is not None:
            clash = clash.exclude(pk=self.community.pk)
        if clash.exists():
            raise ActionError(_("本所已有同名社区「%(name)s」") % {"name": name}, field="name", code="duplicate")

    def run(self) -> Community:
        c = self.community or Community()
        for name in ("name", "kind", "station", "lat", "lon", "officer", "households", "radius_m", "address"):
            if name in self.data:
                setattr(c, name, self.data[name])
        c.boundary = self.boundary
        created = c.pk is None
        c.save()
        self.audit(c, {"created": created, "name": c.name, "outline": bool(c.boundary)})
        return c


class AddGridWorker(Action):
    """登记网格员: a civilian who looks after the community's grid; name and phone are kept
    encrypted and shown masked (个人信息保护法 art. 51)."""

    audit_action = "community.grid_worker"

    def __init__(self, *, by, community: Community, name: str, phone: str, duty: str = ""):
        self.by, self.community, self.name, self.phone, self.duty = by, community, name, phone, duty

    def check(self) -> None:
        _require_editor(self.by, self.community.station)
        self.name = (self.name or "").strip()
        if not self.name:
            raise ActionError(_("请填写网格员姓名"), field="name", code="required")
        if len(self.name) > 30:
            raise ActionError(_("姓名过长"), field="name")
        self.phone = _clean_phone(self.phone, "phone")

    def run(self) -> GridWorker:
        worker = GridWorker.objects.create(community=self.community, name=self.name, phone=self.phone, duty=self.duty)
        # The trail names the record, never the person's name or number.
        self.audit(worker, {"community": self.community.pk})
        return worker


class AddBuilding(Action):
    """登记楼栋: a block of the community, with its floors and households (counts, never residents)."""

    audit_action = "community.building"

    def __init__(self, *, by, community: Community, data: dict):
        self.by, self.community, self.data = by, community, data

    def check(self) -> None:
        _require_editor(self.by, self.community.station)
        if self.community.buildings.filter(name=self.data["name"]).exists():
            raise ActionError(_("该社区已有楼栋「%(name)s」") % {"name": self.data["name"]}, field="name")

    def run(self) -> Building:
        building = Building.objects.create(community=self.community, **self.data)
        self.audit(building, {"community": self.community.pk, "name": building.name})
        return building


class AddAccessPoint(Action):
    """登记出入口设备: a door, face gate, vehicle barrier or camera of the community's systems,
    with the code its system gives it (the leads it raises name it by that code)."""

    audit_action = "community.access_point"

    def __init__(self, *, by, community: Community, data: dict):
        self.by, self.community, self.data = by, community, data

    def check(self) -> None:
        _require_editor(self.by, self.community.station)
        code = self.data.get("device_code") or ""
        if code and self.community.access_points.filter(device_code=code).exists():
            raise ActionError(_("该社区已有设备编码「%(code)s」") % {"code": code}, field="device_code")

    def run(self) -> AccessPoint:
        point = AccessPoint.objects.create(community=self.community, **self.data)
        self.audit(point, {"community": self.community.pk, "kind": point.kind})
        return point


class RegisterLeadSource(Action):
    """登记线索来源系统: issues a key to a community's 门禁/视频 platform. The key is returned once
    and only its hash is kept, so a leaked database does not let anyone post leads."""

    audit_action = "community.lead_source"

    def __init__(self, *, by, community: Community, name: str):
        self.by, self.community, self.name = by, community, (name or "").strip()

    def check(self) -> None:
        _require_editor(self.by, self.community.station)
        if not self.name:
            raise ActionError(_("请填写系统名称"), field="name", code="required")

    def run(self) -> tuple[LeadSource, str]:
        raw = LeadSource.new_key()
        source = LeadSource.objects.create(
            community=self.community, name=self.name[:60], key_hash=LeadSource.hash_key(raw), key_prefix=raw[:8]
        )
        self.audit(source, {"community": self.community.pk, "name": source.name})
        return source, raw


class ReceiveLead(Action):
    """接收线索: a community system posts what its devices saw. Only for its own community; the
    device, if named, must be one of that community's. A lead is information for an officer to
    check, never a decision about a person."""

    audit_action = "community.lead_receive"

    def __init__(self, *, source: LeadSource, data: dict, now: datetime | None = None):
        self.source, self.data, self.now = source, data, now

    def audit_actor(self):
        return self.source

    def check(self) -> None:
        community_id = self.data.get("community_id")
        if community_id is not None and community_id != self.source.community_id:
            raise Denied(_("该系统只能报送本社区的线索"), field="community_id")
        code = self.data.get("device_code") or ""
        self.access_point = None
        if code:
            self.access_point = AccessPoint.objects.filter(
                community_id=self.source.community_id, device_code=code
            ).first()
            if self.access_point is None:
                raise ActionError(_("本社区没有该设备编码"), field="device_code", code="unknown")
        now = self.now or timezone.now()
        if self.data["occurred_at"] > now + timedelta(minutes=5):
            raise ActionError(_("发生时间不能晚于当前时间"), field="occurred_at")
        self.plate = ""
        if self.data.get("plate"):
            from anmin.reports.plates import clean_plate

            self.plate = clean_plate(self.data["plate"], field="plate")
        self.id_number = ""
        if self.data.get("person_id_number"):
            self.id_number = clean_id_number(self.data["person_id_number"], field="person_id_number")

    def run(self) -> Lead:
        now = self.now or timezone.now()
        lead = Lead.objects.create(
            community_id=self.source.community_id,
            source=self.source,
            access_point=self.access_point,
            kind=self.data["kind"],
            occurred_at=self.data["occurred_at"],
            received_at=now,
            description=self.data["description"],
            plate=self.plate,
            person_name=(self.data.get("person_name") or "").strip(),
            person_id_number=self.id_number,
        )
        LeadSource.objects.filter(pk=self.source.pk).update(last_used_at=now)
        self.audit(lead, {"community": lead.community_id, "kind": lead.kind})
        return lead


class MarkLead(Action):
    """核查线索: an officer records what a lead came to — 已核查, 无价值, 抓获 (with the incident or
    case of the arrest) or 破案 (with the case, by its number). These marks are what "cases solved
    with community data" and "fugitives caught" count."""

    audit_action = "community.lead_mark"

    def __init__(
        self, *, by, lead: Lead, status: str, case_number: str = "", incident_number: str = "", note: str = ""
    ):
        self.by, self.lead, self.status = by, lead, status
        self.case_number, self.incident_number, self.note = (
            (case_number or "").strip(),
            (incident_number or "").strip(),
            note,
        )

    def check(self) -> None:
        from anmin.cases.models import Case
        from anmin.incidents.models import Incident

        if not (self.by and self.by.is_authenticated):
            raise Denied()
        if not Lead.objects.visible_to(self.by).filter(pk=self.lead.pk).exists():
            raise Denied(_("无权核查该线索"))
        if self.status not in Lead.Status.values or self.status == Lead.Status.NEW:
            raise ActionError(_("请选择核查结果"), field="status")
        self.case = self.incident = None
        if self.case_number:
            self.case = Case.objects.visible_to(self.by).filter(number=self.case_number).first()
            if self.case is None:
                raise ActionError(_("案件编号不存在或无权查看"), field="case_number", code="not_found")
        if self.incident_number:
            self.incident = Incident.objects.visible_to(self.by).filter(number=self.incident_number).first()
            if self.incident is None:
                raise ActionError(_("接警单号不存在或无权查看"), field="incident_number", code="not_found")
        if self.status == Lead.Status.SOLVED and self.case is None:
            raise ActionError(_("破案须填写所破案件的案件编号"), field="case_number", code="required")
        if self.status == Lead.Status.ARREST and self.case is None and self.incident is None:
            raise ActionError(_("抓获须填写关联的接警单号或案件编号"), field="incident_number", code="required")

    def run(self) -> Lead:
        lead = self.lead
        lead.status = self.status
        lead.case = self.case
        lead.incident = self.incident
        lead.note = (self.note or "")[:500]
        lead.marked_by = self.by
        lead.marked_at = timezone.now()
        lead.save(update_fields=["status", "case", "incident", "note", "marked_by", "marked_at"])
        self.audit(lead, {"status": lead.status, "case": lead.case_id, "incident": lead.incident_id})
        return lead
