"""Actions on missing-person cases: open (from the portal, a 110 incident or an officer), clues, found,
closed. Each validates everything before writing anything, runs in one transaction, leaves an audit
entry, and announces what happened (anmin.missing.signals) only after the commit, so the broadcast
never alerts work groups about a case that was rolled back."""

import logging
import math
from datetime import datetime

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.translation import gettext as _

from anmin.core.actions import Action, after_commit
from anmin.core.errors import ActionError, Conflict, Denied
from anmin.core.validation import clean_text
from anmin.incidents.models import Incident
from anmin.missing.models import Clue, MissingCase
from anmin.missing.signals import case_found, case_opened
from anmin.org.models import Officer, scope_path
from anmin.property.actions import check_photo
from anmin.reports.actions import SetMissingStatus, WritesFiles, clean_when, locate, next_number, portal_account
from anmin.reports.models import MissingPersonReport
from anmin.reports.signals import missing_reported

#: Case numbers share the portal's 走失 sequence (ZS + date + 4 digits): a case opened from a
#: portal report keeps the number the family was given, and no two cases or reports share one.
NUMBER_PREFIX = "ZS"
#: Ages at which a case imported without a category is taken as a child's or an elderly person's.
CHILD_UNDER = 14
ELDERLY_FROM = 60
SEXES = ("M", "F")

log = logging.getLogger(__name__)


def _visible(user, case: MissingCase) -> bool:
    return MissingCase.objects.visible_to(user).filter(pk=case.pk).exists()


def clean_age(raw) -> int | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        raise ActionError(_("年龄应为 0–120 的整数"), field="age")
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise ActionError(_("年龄应为 0–120 的整数"), field="age") from None
    if not 0 <= value <= 120:
        raise ActionError(_("年龄应为 0–120 的整数"), field="age", code="out_of_range")
    return value


def _optional_point(data: dict) -> tuple[float | None, float | None]:
    """A clue's place on the map is optional; given, both halves must be numbers in range."""
    raw_lat, raw_lon = data.get("lat"), data.get("lon")
    if raw_lat in (None, "") and raw_lon in (None, ""):
        return None, None
    out = []
    for field, raw, low, high in (("lat", raw_lat, -90, 90), ("lon", raw_lon, -180, 180)):
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise ActionError(_("位置应为数字"), field=field) from None
        if isinstance(raw, bool) or not math.isfinite(value) or not low <= value <= high:
            raise ActionError(_("位置超出范围"), field=field, code="out_of_range")
        out.append(value)
    return out[0], out[1]


def pfif_record_id(number: str) -> str:
    """The PFIF person_record_id of a case opened here: this repository's domain / its number."""
    return f"{settings.PFIF_DOMAIN}/{number}"


def next_clue_record_id(case: MissingCase) -> str:
    """The PFIF note_record_id of the next clue on `case` (its number and the clue's ordinal; the
    case row is locked by the caller, and the id is unique in the database as the backstop)."""
    return f"{settings.PFIF_DOMAIN}/{case.number}.{case.clues.count() + 1}"


def _announce(signal, case: MissingCase) -> None:
    after_commit(lambda: signal.send(sender=MissingCase, case=case))


class OpenMissingCase(WritesFiles):
    """立案查找: a missing person — an elderly person with dementia, a child, anyone not come home —
    entered by an officer (or the portal, or from a 110 call). The case goes to the station whose
    grid the person was last seen in, which then owns the search; the broadcast to work groups
    starts the moment the case is committed (no waiting period for a child or a person with
    dementia: 公安部《关于建立快速查找走失儿童工作机制的通知》)."""

    audit_action = "missing.open"

    def __init__(
        self,
        *,
        by: Officer,
        data: dict,
        photo=None,
        source: str = MissingCase.Source.OFFICER,
        incident: Incident | None = None,
        report: MissingPersonReport | None = None,
        now: datetime | None = None,
    ):
        self.by = by
        self.data = data
        self.photo = photo
        self.source = source
        self.incident = incident
        self.report = report
        self.now = now or timezone.now()

    def check(self):
        if self.source != MissingCase.Source.PORTAL and scope_path(self.by) is None:
            raise Denied(_("无权登记走失人员"))
        if self.incident is not None:
            if not Incident.objects.visible_to(self.by).filter(pk=self.incident.pk).exists():
                raise Denied(_("无权处理该警情"))
            self.source = MissingCase.Source.INCIDENT
        d = self.data
        self.full_name = clean_text(d.get("full_name"), "full_name", _("姓名"), 30, required=True)
        self.category = d.get("category")
        if self.category not in MissingCase.Category.values:
            raise ActionError(_("请选择类别（老人/失智、儿童、其他）"), field="category", code="required")
        self.sex = d.get("sex") or ""
        if self.sex not in ("", *SEXES):
            raise ActionError(_("性别无效"), field="sex")
        self.age = clean_age(d.get("age"))
        self.description = clean_text(d.get("description"), "description", _("体貌特征及衣着"), 1000, required=True)
        self.last_seen_at = clean_when(d.get("last_seen_at"), "last_seen_at", _("最后出现时间"), now=self.now)
        self.place = clean_text(d.get("last_seen_place"), "last_seen_place", _("最后出现地点"), 200, required=False)
        self.lat, self.lon, self.cell = locate(d)
        self.may_publish = bool(d.get("may_publish"))
        self.checked = check_photo(self.photo, "photo") if self.photo else None
        if self.report is not None and MissingCase.objects.filter(report=self.report).exists():
            raise ActionError(_("该报告已立案"), field="report", code="duplicate")

    def run(self) -> MissingCase:
        number = self.report.number if self.report else next_number(NUMBER_PREFIX, self.now)
        case = MissingCase(
            number=number,
            pfif_id=pfif_record_id(number),
            full_name=self.full_name,
            category=self.category,
            sex=self.sex,
            age=self.age,
            description=self.description,
            last_seen_at=self.last_seen_at,
            last_seen_place=self.place,
            lat=self.lat,
            lon=self.lon,
            station=self.cell.jurisdiction,
            source=self.source,
            incident=self.incident,
            report=self.report,
            may_publish=self.may_publish,
            created_by=self.by,
            created_at=self.now,
        )
        photo_sha = ""
        if self.checked is not None:
            case.photo.save(self.checked.name, self.checked.upload, save=False)
            self.written.append(case.photo)
            photo_sha = self.checked.sha256
        elif self.report is not None and self.report.photo:
            # The portal already checked and re-encoded it; the case keeps its own copy so the report
            # and the case can each be deleted under their own retention rules.
            with self.report.photo.open("rb") as f:
                case.photo.save(self.report.photo.name.rsplit("/", 1)[-1], ContentFile(f.read()), save=False)
            self.written.append(case.photo)
        case.save()
        self.audit(
            case,
            {
                "number": case.number,
                "source": case.source,
                "category": case.category,
                "station": case.station.code,
                "incident": self.incident.number if self.incident else None,
                "photo": photo_sha,
            },
        )
        _announce(case_opened, case)
        return case


def open_from_report(report: MissingPersonReport, *, now: datetime | None = None) -> MissingCase:
    """The case for a family's portal report, opened under the portal's account (the citizen is named
    in the report); the report's photo and number carry over."""
    data = {
        "full_name": report.name,
        "category": category_for_age(report.age),
        "sex": report.sex,
        "age": report.age,
        "description": report.description,
        "last_seen_at": report.last_seen_at,
        "last_seen_place": report.last_seen_address,
        "lat": report.lat,
        "lon": report.lon,
    }
    return OpenMissingCase(
        by=portal_account(), data=data, source=MissingCase.Source.PORTAL, report=report, now=now or report.created_at
    ).execute()


def category_for_age(age: int | None) -> str:
    if age is not None and age < CHILD_UNDER:
        return MissingCase.Category.CHILD
    if age is not None and age >= ELDERLY_FROM:
        return MissingCase.Category.ELDERLY
    return MissingCase.Category.OTHER


class _CaseAction(Action):
    """An officer's step on a case their scope covers, while it is still being searched for."""

    def __init__(self, *, case: MissingCase, by: Officer, data: dict | None = None, now: datetime | None = None):
        self.case = case
        self.by = by
        self.data = data or {}
        self.now = now or timezone.now()

    def check(self):
        if not _visible(self.by, self.case):
            raise Denied(_("无权处理该案件"))
        self.case = MissingCase.objects.select_for_update().get(pk=self.case.pk)
        if self.case.status != MissingCase.Status.SEARCHING:
            raise Conflict(_("该案件已%(status)s") % {"status": self.case.get_status_display()}, code="not_open")

    def _report_follows(self, status: str) -> None:
        """The family's portal report shows what the case came to (and they are told by SMS)."""
        report = self.case.report
        if report is not None and report.status != status:
            SetMissingStatus(report=report, by=self.by, status=status).execute()


class AddClue(_CaseAction):
    """线索: what someone saw — where and when — entered on the case by an officer (a phone call, a
    reply in a work group, a visit). Clues stay on the case after it is found."""

    audit_action = "missing.clue"

    def check(self):
        if not _visible(self.by, self.case):
            raise Denied(_("无权处理该案件"))
        self.case = MissingCase.objects.select_for_update().get(pk=self.case.pk)
        d = self.data
        self.text = clean_text(d.get("text"), "text", _("线索内容"), 2000, required=True)
        self.author = clean_text(d.get("author_name"), "author_name", _("提供人"), 30, required=False)
        self.place = clean_text(d.get("place"), "place", _("地点"), 200, required=False)
        raw_seen = d.get("seen_at")
        self.seen_at = None
        if raw_seen not in (None, ""):
            self.seen_at = clean_when(raw_seen, "seen_at", _("目击时间"), now=self.now)
        self.lat, self.lon = _optional_point(d)

    def run(self) -> Clue:
        # The clue keeps where it was seen in its text: a place is what the officer heard, the
        # point (when given) what they placed on the map.
        text = (
            self.text if not self.place else _("%(text)s（地点：%(place)s）") % {"text": self.text, "place": self.place}
        )
        clue = Clue.objects.create(
            case=self.case,
            source=Clue.Source.OFFICER,
            author_name=self.author,
            text=text,
            seen_at=self.seen_at,
            lat=self.lat,
            lon=self.lon,
            officer=self.by,
            pfif_id=next_clue_record_id(self.case),
            at=self.now,
        )
        self.audit(clue, {"case": self.case.number})
        return clue


class MarkFound(_CaseAction):
    """已找到: the person is safe; who found them and where is kept as the case's last clue. The
    search stops, every work group that got the alert is thanked (the broadcast listens for
    case_found), and the family's portal report is set to found."""

    audit_action = "missing.found"

    def check(self):
        super().check()
        d = self.data
        self.found_by = clean_text(d.get("found_by"), "found_by", _("发现人"), 30, required=False)
        self.where = clean_text(d.get("where"), "where", _("找到地点"), 200, required=True)
        self.note = clean_text(d.get("note"), "note", _("情况说明"), 1000, required=False)
        raw = d.get("found_at")
        self.found_at = self.now if raw in (None, "") else clean_when(raw, "found_at", _("找到时间"), now=self.now)
        if self.found_at < self.case.last_seen_at:
            raise ActionError(_("找到时间不能早于最后出现时间"), field="found_at")

    def run(self) -> MissingCase:
        MissingCase.objects.filter(pk=self.case.pk).update(status=MissingCase.Status.FOUND, found_at=self.found_at)
        self.case.refresh_from_db()
        parts = [_("已找到，地点：%(where)s") % {"where": self.where}]
        if self.note:
            parts.append(self.note)
        Clue.objects.create(
            case=self.case,
            source=Clue.Source.OFFICER,
            author_name=self.found_by,
            text="；".join(parts),
            seen_at=self.found_at,
            says_found=True,
            officer=self.by,
            pfif_id=next_clue_record_id(self.case),
            at=self.now,
        )
        self._report_follows(MissingPersonReport.Status.FOUND)
        self.audit(self.case, {"number": self.case.number, "where": self.where})
        _announce(case_found, self.case)
        return self.case


class CloseCase(_CaseAction):
    """结束查找 without finding the person (the family withdrew the report, the person was a duplicate,
    or the search was handed to another bureau); the reason is recorded. The broadcast reaches no
    further groups: it only advances cases still being searched for."""

    audit_action = "missing.close"

    def check(self):
        super().check()
        self.reason = clean_text(self.data.get("reason"), "reason", _("结束原因"), 500, required=True)

    def run(self) -> MissingCase:
        MissingCase.objects.filter(pk=self.case.pk).update(status=MissingCase.Status.CLOSED)
        self.case.refresh_from_db()
        self._report_follows(MissingPersonReport.Status.CLOSED)
        self.audit(self.case, {"number": self.case.number, "reason": self.reason})
        return self.case


def report_filed(sender, report: MissingPersonReport, **kwargs) -> None:
    """A family's portal report (anmin.reports.signals.missing_reported) opens its case at once.

    It runs after the report's commit: the family's report stands whatever happens here, so a
    failure is logged (and the station still sees the report in its queue) rather than raised into
    the family's request."""
    try:
        open_from_report(report)
    except Exception:
        log.exception("no case opened for missing-person report %s", report.number)


# Connected here rather than in the app's ready(): every process that takes a portal report loads
# the URLconf (and with it this module, through the pages and the API) before the first request is
# handled, and the demo and tests import the workflow themselves. dispatch_uid keeps it to one.
missing_reported.connect(report_filed, sender=MissingPersonReport, dispatch_uid="missing.case_from_report")
