"""Personal information (个人信息保护法 art. 51; 等保三级 个人信息保护): one masking policy, one audited reveal.

Every page, API answer, admin screen, PDF, export, timeline text and notification shows a person's
phone number, ID number (a driving licence number is the holder's 公民身份号码) and name masked, by the
functions here. An officer who needs the full value of one field of one record presses "显示": the
request names the record and the field by a public key ("incident.caller_phone"), the registry below
says which model and attribute that is, of which kind, and through which object the officer's scope
is checked (the app's own `visible_to(user)`), and `RevealPersonalData` returns the value after
writing one audit entry ("pii.reveal", {field, kind}) — so the trail says who saw whose data, when.

Core imports no domain app: the registry names models by their label and resolves them on use.
Addresses are not masked: the police go there.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce

from django.apps import apps
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from anmin.core.actions import Action
from anmin.core.errors import ActionError
from anmin.core.masking import mask_id_number, mask_phone

__all__ = [
    "FIELDS",
    "Kind",
    "NotVisible",
    "PiiField",
    "RevealPersonalData",
    "admin_masked",
    "field_for",
    "mask",
    "mask_id_number",
    "mask_name",
    "mask_phone",
    "scrub",
]


class Kind(models.TextChoices):
    PHONE = "phone", _("电话号码")
    ID_NUMBER = "id_number", _("身份证号码")
    NAME = "name", _("姓名")


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***: the first character only, one "*" for each of the others, so the
    length of the name shows (a two-character and a three-character name look different) but the
    given name, which with the family name and a place identifies a person, does not."""
    name = (name or "").strip()
    if not name:
        return ""
    return name[0] + "*" * (len(name) - 1)


_MASKS: dict[str, Callable[[str], str]] = {
    Kind.PHONE: mask_phone,
    Kind.ID_NUMBER: mask_id_number,
    Kind.NAME: mask_name,
}


#: A mobile number (11 digits from 13…19) or an ID number (17 digits and a check character, or the
#: 15-digit first generation) standing alone in free text: not inside a longer run of digits.
_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])(1[3-9][0-9]{9}|[0-9]{17}[0-9Xx]|[0-9]{15})(?![0-9A-Za-z])")


def scrub(text: str) -> str:
    """Free text (a timeline entry, a note) with every phone and ID number in it masked: the
    platform writes none into free text, but rows written before it stopped, and what an officer
    typed, may hold one."""
    if not text:
        return text or ""

    def masked(match: re.Match) -> str:
        found = match.group(1)
        return mask_phone(found) if len(found) == 11 else mask_id_number(found)

    return _IN_TEXT.sub(masked, text)


def mask(kind: str, value) -> str:
    """The masked form of `value` of `kind` ("phone", "id_number", "name"); "" for an empty value."""
    if value is None:
        return ""
    return _MASKS[kind](str(value))


class NotVisible(ActionError):  # noqa: N818 - an answer ("no such record for you"), named as the API says it
    """The record does not exist or is outside the officer's scope: the same 404 either way, so a
    guessed id tells nothing."""

    status = 404

    def __init__(self):
        super().__init__(gettext("对象不存在或无权查看"), field="id", code="not_found")


@dataclass(frozen=True)
class PiiField:
    """One field of personal data that pages show masked and "显示" reveals.

    `attr` is the attribute path on the record ("citizen.phone" for the reporter's phone of a
    missing-person report); `scope` the path to the object whose queryset decides who may see it
    ("accident" for a party of a quick accident), empty for the record itself.
    """

    key: str
    model: str
    attr: str
    kind: str
    scope: str = ""

    @property
    def object_name(self) -> str:
        return self.key.split(".", 1)[0]

    @property
    def field_name(self) -> str:
        return self.key.split(".", 1)[1]

    def model_class(self) -> type[models.Model]:
        return apps.get_model(self.model)

    def value_of(self, obj) -> str:
        value = reduce(lambda o, name: getattr(o, name, None) if o is not None else None, self.attr.split("."), obj)
        return "" if value is None else str(value)

    def masked(self, obj) -> str:
        return mask(self.kind, self.value_of(obj))

    def visible(self, user) -> models.QuerySet:
        """The records of this field the user may see: the scope object's own `visible_to(user)`."""
        model = self.model_class()
        if not self.scope:
            return model.objects.visible_to(user)
        scope_model = reduce(lambda m, name: m._meta.get_field(name).related_model, self.scope.split("__"), model)
        return model.objects.filter(**{f"{self.scope}__in": scope_model.objects.visible_to(user)})


def _fields(*rows: tuple) -> dict[str, PiiField]:
    return {row[0]: PiiField(*row) for row in rows}


P, ID, N = Kind.PHONE, Kind.ID_NUMBER, Kind.NAME

#: Every field of personal data a staff page or the API shows: public key → where it lives.
FIELDS: dict[str, PiiField] = _fields(
    # 110 接处警: the caller.
    ("incident.caller_phone", "incidents.Incident", "caller_phone", P),
    ("incident.caller_name", "incidents.Incident", "caller_name", N),
    # 事故快处: both parties (the licence number is the holder's 公民身份号码).
    ("accident_party.name", "reports.AccidentParty", "name", N, "accident"),
    ("accident_party.phone", "reports.AccidentParty", "phone", P, "accident"),
    ("accident_party.licence", "reports.AccidentParty", "licence_number", ID, "accident"),
    # 网上报警 and 走失人员: the citizen who reported; the missing person.
    ("online.reporter_name", "reports.OnlineReport", "citizen.name", N),
    ("online.reporter_phone", "reports.OnlineReport", "citizen.phone", P),
    ("missing.name", "reports.MissingPersonReport", "name", N),
    ("missing.reporter_name", "reports.MissingPersonReport", "citizen.name", N),
    ("missing.reporter_phone", "reports.MissingPersonReport", "citizen.phone", P),
    # 走失/被拐案件: the missing person; who gave a clue.
    ("missing_case.name", "missing.MissingCase", "full_name", N),
    ("missing_clue.author", "missing.Clue", "author_name", N, "case"),
    # 回访
    ("survey.phone", "feedback.Survey", "phone", P),
    # 涉案人员 and 涉案财物
    ("case_person.name", "cases.CasePerson", "name", N),
    ("case_person.id_number", "cases.CasePerson", "id_number", ID),
    ("case_person.phone", "cases.CasePerson", "phone", P),
    ("property_item.owner_name", "property.SeizedItem", "owner_name", N),
    ("property_item.owner_id_number", "property.SeizedItem", "owner_id_number", ID),
    # 政务服务
    ("application.applicant_name", "services.Application", "applicant_name", N),
    ("application.phone", "services.Application", "citizen.phone", P),
    ("application.id_number", "services.Application", "citizen.id_number", ID),
    # 预约约考
    ("appointment.name", "bookings.Appointment", "citizen.name", N),
    ("appointment.phone", "bookings.Appointment", "citizen.phone", P),
    ("exam_applicant.name", "bookings.ExamApplicant", "name", N),
    ("exam_applicant.id_number", "bookings.ExamApplicant", "id_number", ID),
    ("exam_booking.name", "bookings.ExamBooking", "applicant.name", N),
    # 矛盾纠纷: the parties; 访民: the person visited
    ("dispute_party.name", "disputes.DisputeParty", "name", N, "dispute"),
    ("dispute_party.phone", "disputes.DisputeParty", "phone", P, "dispute"),
    ("dispute_party.id_number", "disputes.DisputeParty", "id_number", ID, "dispute"),
    ("visit.person_name", "disputes.Visit", "person_name", N),
    ("visit.person_phone", "disputes.Visit", "person_phone", P),
    # 智慧平安社区: the 网格员 (civilians), and the person a community system's lead names
    ("grid_worker.name", "communities.GridWorker", "name", N, "community"),
    ("grid_worker.phone", "communities.GridWorker", "phone", P, "community"),
    ("community_lead.person_name", "communities.Lead", "person_name", N),
    ("community_lead.person_id_number", "communities.Lead", "person_id_number", ID),
    # 检查站核查: the ID number of the person checked
    ("post_check.id_number", "posts.CheckRecord", "id_number", ID),
)
del P, ID, N


def field_for(key: str) -> PiiField:
    """The registered field `key` ("incident.caller_phone"), or a 400 naming what was asked for."""
    field = FIELDS.get(key)
    if field is None:
        raise ActionError(gettext("没有可显示的该项个人信息"), field="field", code="unknown_field")
    return field


class RevealPersonalData(Action):
    """显示: the full value of one field of personal data of one record, to an officer whose scope
    covers the record; each showing is an audit entry naming the record and the field
    (个人信息保护法 art. 51: 记录个人信息处理活动; 等保三级: 查看个人信息纳入安全审计)."""

    audit_action = "pii.reveal"

    def __init__(self, *, key: str, pk: int, by, obj=None):
        self.key = key
        self.pk = pk
        self.by = by
        self.obj = obj

    def check(self) -> None:
        self.field = field_for(self.key)
        obj = self.field.visible(self.by).filter(pk=self.pk).first()
        if obj is None:
            raise NotVisible()
        self.obj = obj

    def run(self) -> str:
        self.audit(self.obj, {"field": self.key, "kind": self.field.kind})
        return self.field.value_of(self.obj)


def admin_masked(key: str, description) -> Callable:
    """A read-only admin column/field showing field `key` masked. The admin offers no "显示": an
    administrator configures the platform and has no case to see a person for (三权分立), so the
    raw field is excluded from the form and this stands in its place."""
    field = FIELDS[key]

    def show(admin, obj) -> str:
        return field.masked(obj) or "-"

    show.short_description = description
    show.__name__ = f"masked_{field.field_name}"
    return show


def reveal_entries(action: Action, obj, keys: list[str]) -> dict[str, str]:
    """For an older reveal that shows several fields at once (the caller's phone and name): one
    entry per field, the same as "显示" writes, and the values by key."""
    values = {}
    for key in keys:
        field = FIELDS[key]
        action.audit(obj, {"field": key, "kind": field.kind}, action=RevealPersonalData.audit_action)
        values[key] = field.value_of(obj)
    return values
