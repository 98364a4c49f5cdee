"""Actions on 办件: submit, 补正 and resubmit (the citizen); 受理, 审核, 办结, 退回补正, 不予受理 (staff);
messages both ways. Each runs in one transaction with its audit entry and timeline event, and tells
the citizen (SMS after commit, and a notice in the portal).

Basis: 《行政许可法》第三十二条 — an incomplete application is returned once with everything that is
missing (一次性告知), a refusal states its reason.
"""

import hashlib
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from anmin.citizens import sms
from anmin.citizens.models import Citizen
from anmin.core.actions import Action
from anmin.core.errors import ActionError, Conflict, Denied
from anmin.core.sequences import increment
from anmin.core.uploads import check_upload
from anmin.core.validation import clean_text
from anmin.org.models import Role
from anmin.services import signals
from anmin.services.models import (
    FINAL_STATUSES,
    Application,
    ApplicationEvent,
    ApplicationFile,
    ApplicationMessage,
    ApplicationSequence,
    ApplicationStatus,
    EventKind,
    Material,
    Notice,
    ServiceItem,
)
from anmin.supervision.calendar import LEGAL_TZ, add_working_days

MAX_FILE_MB = 10
MAX_FILES = 30
MAX_TEXT = 200
MAX_MESSAGE = 1000
MAX_REASON = 1000
#: Roles that process applications (a patrol officer or a dispatcher does not).
PROCESSING_ROLES = {Role.STATION, Role.TRAFFIC, Role.LEADER, Role.ADMIN}

S = ApplicationStatus


# --- files ----------------------------------------------------------------------------------------


@dataclass
class CheckedFile:
    upload: UploadedFile
    material: Material
    kind: str
    sha256: str
    name: str


def check_files(
    item: ServiceItem, files: Mapping[int, Sequence[UploadedFile]], *, require: Sequence[Material] | None
) -> list[CheckedFile]:
    """Check every upload by content before any is stored (PDF/JPEG/PNG as the material accepts, at
    most 10 MB); `require` lists the materials that must have at least one file. One bad file
    refuses the whole submission and the message names the material and the file."""
    materials = {m.pk: m for m in item.materials.all()}
    unknown = [pk for pk in files if pk not in materials]
    if unknown:
        raise ActionError(_("材料不属于该事项"), field=f"material-{unknown[0]}", code="invalid")
    total = sum(len([u for u in uploads if u is not None]) for uploads in files.values())
    if total > MAX_FILES:
        raise ActionError(_("一次最多上传 %(max)s 个文件") % {"max": MAX_FILES}, field="files", code="too_many")
    for material in require or ():
        if not [u for u in files.get(material.pk, ()) if u is not None]:
            raise ActionError(
                _("请上传“%(name)s”") % {"name": material.name}, field=f"material-{material.pk}", code="required"
            )
    checked = []
    for pk, uploads in files.items():
        material = materials[pk]
        for upload in uploads:
            if upload is None:
                continue
            field = f"material-{pk}"
            try:
                kind = check_upload(upload, field=field, kinds=material.kind_list, max_mb=MAX_FILE_MB)
            except ActionError as exc:
                raise ActionError(
                    _("“%(material)s”的文件 %(name)s：%(reason)s")
                    % {"material": material.name, "name": str(upload.name)[:60], "reason": exc.message},
                    field=field,
                    code=exc.code,
                ) from None
            digest = hashlib.sha256()
            for chunk in upload.chunks():
                digest.update(chunk)
            upload.seek(0)
            extension = {"jpeg": "jpg"}.get(kind, kind)
            checked.append(CheckedFile(upload, material, kind, digest.hexdigest(), f"{uuid.uuid4().hex}.{extension}"))
    return checked


class StoresFiles(Action):
    """Removes the files it wrote when the transaction does not commit (rows roll back by themselves)."""

    def execute(self):
        self.written: list[ApplicationFile] = []
        try:
            return super().execute()
        except BaseException:
            for stored in self.written:
                stored.file.delete(save=False)
            raise

    def store(self, application: Application, checked: list[CheckedFile], round_: int, actor) -> None:
        for c in checked:
            row = ApplicationFile(
                application=application,
                material=c.material,
                material_name=c.material.name,
                original_name=re.sub(r"[\x00-\x1f/\\]", "_", str(c.upload.name))[-100:],
                content_type=c.kind,
                size=c.upload.size,
                sha256=c.sha256,
                round=round_,
            )
            row.file.save(c.name, File(c.upload), save=False)
            self.written.append(row)
            row.save()
            data = {"number": application.number, "material": row.material_name, "sha256": row.sha256}
            self.audit(row, data, action="services.file", actor=actor)


# --- form -----------------------------------------------------------------------------------------


def clean_form(item: ServiceItem, data: Mapping[str, object]) -> dict[str, str]:
    """The item's form fields as submitted: required ones present, dates real dates, selections
    among the choices, text at most 200 characters. Unknown keys are dropped."""
    cleaned = {}
    for spec in item.form_fields:
        name, label = spec["name"], spec["label"]
        field = f"form-{name}"
        value = clean_text(data.get(name), field, label, MAX_TEXT, required=bool(spec.get("required")))
        if value and spec.get("type") == "date":
            try:
                date.fromisoformat(value)
            except ValueError:
                raise ActionError(
                    _("%(label)s应为日期，如 2026-05-01") % {"label": label}, field=field, code="invalid"
                ) from None
        if value and spec.get("type") == "select" and value not in spec.get("choices", []):
            raise ActionError(_("%(label)s请从列表中选择") % {"label": label}, field=field, code="invalid")
        cleaned[name] = value
    return cleaned


# --- notifications --------------------------------------------------------------------------------


def notify(application: Application, text: str) -> None:
    """A notice in the portal now; the SMS once the transaction commits (never for a rolled-back step)."""
    Notice.objects.create(citizen=application.citizen, application=application, text=text[:300])
    sms.send(application.citizen.phone, text)


def _event(application: Application, kind: EventKind, *, officer=None, note: str = "", at=None) -> None:
    ApplicationEvent.objects.create(
        application=application, kind=kind, officer=officer, note=note, at=at or timezone.now()
    )


def next_number(day: date) -> str:
    return f"BJ{day:%Y%m%d}{increment(ApplicationSequence, day=day):06d}"


# --- the citizen ----------------------------------------------------------------------------------


class SubmitApplication(StoresFiles):
    """提交: a verified citizen applies for an active item with its form and materials."""

    audit_action = "services.submit"

    def audit_actor(self):
        return self.citizen

    def __init__(
        self,
        *,
        citizen: Citizen,
        item: ServiceItem,
        form: Mapping[str, object],
        files: Mapping[int, Sequence[UploadedFile]],
        now: datetime | None = None,
    ):
        self.citizen = citizen
        self.item = item
        self.form = form
        self.files = files
        self.now = now or timezone.now()

    def check(self):
        if not self.citizen.is_verified:
            raise Denied(_("请先完成实名认证"), field="citizen", code="not_verified")
        if not self.item.active:
            raise ActionError(_("该事项暂停网上办理"), field="item", code="inactive")
        if self.item.department_id is None:
            raise ActionError(_("该事项尚未配置受理部门，暂不能网上办理"), field="item", code="no_department")
        self.cleaned = clean_form(self.item, self.form)
        required = [m for m in self.item.materials.all() if m.required]
        self.checked = check_files(self.item, self.files, require=required)

    def run(self) -> Application:
        application = Application.objects.create(
            number=next_number(self.now.astimezone(LEGAL_TZ).date()),
            citizen=self.citizen,
            item=self.item,
            department_id=self.item.department_id,
            phone_last4=self.citizen.phone[-4:],
            applicant_name=self.citizen.name,
            form_data=self.cleaned,
            submitted_at=self.now,
        )
        self.store(application, self.checked, 1, self.citizen)
        _event(application, EventKind.SUBMIT, at=self.now)
        self.audit(application, {"number": application.number, "item": self.item.code, "files": len(self.checked)})
        notify(
            application,
            _("【安民】您申请的“%(item)s”已提交，办件编号 %(number)s，可凭编号和手机尾号查询进度。")
            % {"item": self.item.name, "number": application.number},
        )
        return application


class Resubmit(StoresFiles):
    """补正后重新提交: the citizen adds what was asked for after 退回补正; the application goes back to
    the department as submitted. Each material named as missing needs at least one new file."""

    audit_action = "services.resubmit"

    def audit_actor(self):
        return self.citizen

    def __init__(
        self,
        *,
        citizen: Citizen,
        application: Application,
        form: Mapping[str, object] | None,
        files: Mapping[int, Sequence[UploadedFile]],
        note: str = "",
    ):
        self.citizen = citizen
        self.application = application
        self.form = form
        self.files = files
        self.note = note

    def check(self):
        app = Application.objects.select_for_update().get(pk=self.application.pk)
        if app.citizen_id != self.citizen.pk:
            raise Denied(_("无权操作该办件"))
        if app.status != S.RETURNED:
            raise Conflict(_("该办件不在退回补正状态，无需补正"), field="status")
        self.app = app
        self.cleaned = clean_form(app.item, self.form) if self.form is not None else app.form_data
        self.clean_note = clean_text(self.note, "note", _("补正说明"), MAX_MESSAGE, required=False)
        missing = set(app.missing)
        require = [m for m in app.item.materials.all() if m.name in missing]
        self.checked = check_files(app.item, self.files, require=require)
        if not self.checked and self.cleaned == app.form_data and not self.clean_note:
            raise ActionError(_("请上传补正材料或修改申请内容"), field="files", code="required")

    def run(self) -> Application:
        app = self.app
        round_ = (max((f.round for f in app.files.all()), default=1)) + 1
        self.store(app, self.checked, round_, self.citizen)
        app.form_data = self.cleaned
        app.status = S.SUBMITTED
        app.missing = []
        app.save(update_fields=["form_data", "status", "missing"])
        _event(app, EventKind.RESUBMIT, note=self.clean_note)
        self.audit(app, {"number": app.number, "files": len(self.checked), "round": round_})
        notify(app, _("【安民】办件 %(number)s 的补正材料已提交，请等待受理。") % {"number": app.number})
        return app


# --- staff ----------------------------------------------------------------------------------------


class Step(models.TextChoices):
    """What staff can do to an application, and its button label."""

    ACCEPT = "accept", _l("受理")
    REVIEW = "review", _l("审核")
    COMPLETE = "complete", _l("审核通过，办结")
    RETURN = "return", _l("退回补正")
    REJECT = "reject", _l("不予受理")


#: step → (statuses it may start from, status it leads to, timeline event)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str, EventKind]] = {
    Step.ACCEPT: ((S.SUBMITTED,), S.ACCEPTED, EventKind.ACCEPT),
    Step.REVIEW: ((S.ACCEPTED,), S.REVIEWING, EventKind.REVIEW),
    Step.COMPLETE: ((S.REVIEWING,), S.COMPLETED, EventKind.COMPLETE),
    Step.RETURN: ((S.SUBMITTED, S.ACCEPTED, S.REVIEWING), S.RETURNED, EventKind.RETURN),
    # 不予受理 is decided instead of 受理, so only before it.
    Step.REJECT: ((S.SUBMITTED,), S.REJECTED, EventKind.REJECT),
}


def available_steps(application: Application) -> list[Step]:
    return [Step(step) for step, (sources, _to, _e) in TRANSITIONS.items() if application.status in sources]


def can_process(officer) -> bool:
    return bool(getattr(officer, "is_superuser", False) or getattr(officer, "role", None) in PROCESSING_ROLES)


def _staff_application(officer, application: Application, *, lock: bool) -> Application:
    qs = Application.objects.visible_to(officer)
    if lock:
        qs = qs.select_for_update()
    app = qs.filter(pk=application.pk).first()
    if app is None:
        raise Denied(_("该办件不属于本单位"), field="application")
    if not can_process(officer):
        raise Denied(_("本岗位不能办理政务服务事项"), field="application")
    return app


def _clean_missing(value) -> list[str]:
    if isinstance(value, str):
        value = value.splitlines()
    if not isinstance(value, list | tuple):
        raise ActionError(_("需补正的材料应为列表"), field="missing", code="invalid")
    items = []
    for entry in value:
        text = clean_text(entry, "missing", _("需补正的材料"), 100, required=False)
        if text and text not in items:
            items.append(text)
    if not items:
        raise ActionError(_("请写明需要补正的材料（一次性告知）"), field="missing", code="required")
    if len(items) > 20:
        raise ActionError(_("需补正的材料最多 20 项"), field="missing", code="too_many")
    return items


class ProcessApplication(Action):
    """A staff step on an application: 受理 (starts the promised limit: due at the end of the n-th
    working day after the day of 受理), 审核, 办结, 退回补正 (with the list of what is missing: 一次性告知),
    不予受理 (with the reason). A 受理 after 补正 starts the limit anew: the time the citizen took to
    supplement is not the department's."""

    def audit_action(self) -> str:
        return f"services.{self.step}"

    def __init__(self, *, by, application: Application, step: str, missing=None, reason: str = "", now=None):
        self.by = by
        self.application = application
        self.step = step
        self.missing = missing
        self.reason = reason
        self.now = now or timezone.now()

    def check(self):
        if self.step not in TRANSITIONS:
            raise ActionError(_("未知的办理操作"), field="step", code="invalid")
        self.app = _staff_application(self.by, self.application, lock=True)
        sources, self.target, self.kind = TRANSITIONS[self.step]
        if self.app.status not in sources:
            raise Conflict(
                _("办件当前为“%(status)s”，不能%(step)s")
                % {"status": self.app.get_status_display(), "step": Step(self.step).label},
                field="step",
                code="wrong_status",
            )
        self.clean_missing = _clean_missing(self.missing) if self.step == Step.RETURN else []
        self.clean_reason = clean_text(self.reason, "reason", _("理由"), MAX_REASON, required=self.step == Step.REJECT)

    def run(self) -> Application:
        app = self.app
        app.status = self.target
        app.handled_by = self.by
        fields = ["status", "handled_by"]
        if self.step == Step.ACCEPT:
            app.accepted_at = self.now
            app.due_at = add_working_days(self.now, app.item.time_limit_days)
            app.reason = ""
            fields += ["accepted_at", "due_at", "reason"]
        elif self.step == Step.COMPLETE:
            app.completed_at = self.now
            fields.append("completed_at")
        elif self.step == Step.RETURN:
            app.missing = self.clean_missing
            app.reason = self.clean_reason
            app.accepted_at = app.due_at = None
            fields += ["missing", "reason", "accepted_at", "due_at"]
        elif self.step == Step.REJECT:
            app.reason = self.clean_reason
            fields.append("reason")
        app.save(update_fields=fields)
        note = self.clean_reason
        if self.step == Step.RETURN:
            note = "；".join(self.clean_missing) + (f"。{self.clean_reason}" if self.clean_reason else "")
        _event(app, self.kind, officer=self.by, note=note, at=self.now)
        if app.status in FINAL_STATUSES:
            signals.application_finished.send(sender=Application, application=app, step=self.step, by=self.by)
        self.audit(app, {"number": app.number, "status": app.status, "missing": self.clean_missing, "reason": note})
        notify(app, self.message(app))
        return app

    def message(self, app: Application) -> str:
        number = app.number
        if self.step == Step.ACCEPT:
            return _("【安民】办件 %(number)s 已受理，承诺于 %(due)s 前办结。") % {
                "number": number,
                "due": app.due_at.astimezone(LEGAL_TZ).strftime("%Y-%m-%d"),
            }
        if self.step == Step.REVIEW:
            return _("【安民】办件 %(number)s 已进入审核。") % {"number": number}
        if self.step == Step.COMPLETE:
            return _("【安民】办件 %(number)s 已办结。") % {"number": number}
        if self.step == Step.RETURN:
            return _("【安民】办件 %(number)s 需补正：%(missing)s。请登录掌上办补正后重新提交。") % {
                "number": number,
                "missing": "、".join(app.missing),
            }
        return _("【安民】办件 %(number)s 不予受理：%(reason)s") % {"number": number, "reason": app.reason}


# --- messages -------------------------------------------------------------------------------------


class PostMessage(Action):
    """警民互动: the applicant asks, the department answers, on the application's thread. A reply
    from staff is sent to the citizen as a notice (and SMS)."""

    audit_action = "services.message"

    def audit_actor(self):
        return self.citizen or self.officer

    def __init__(self, *, application: Application, text: str, citizen: Citizen | None = None, officer=None):
        if (citizen is None) == (officer is None):
            raise ValueError("a message is from a citizen or from an officer")
        self.application = application
        self.text = text
        self.citizen = citizen
        self.officer = officer

    def check(self):
        if self.citizen is not None:
            if self.application.citizen_id != self.citizen.pk:
                raise Denied(_("无权操作该办件"))
        else:
            self.application = _staff_application(self.officer, self.application, lock=False)
        self.clean = clean_text(self.text, "text", _("留言内容"), MAX_MESSAGE, required=True)

    def run(self) -> ApplicationMessage:
        message = ApplicationMessage.objects.create(
            application=self.application, from_citizen=self.citizen is not None, officer=self.officer, text=self.clean
        )
        self.audit(message, {"number": self.application.number, "length": len(self.clean)})
        if self.officer is not None:
            notify(
                self.application,
                _("【安民】您的办件 %(number)s 有新的回复，请登录掌上办查看。") % {"number": self.application.number},
            )
        return message
