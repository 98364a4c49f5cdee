"""Actions on the typical-case library: save a draft, publish it, withdraw it."""

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anmin.cases.models import Case
from anmin.core.actions import Action
from anmin.core.errors import ActionError, Conflict, Denied
from anmin.core.validation import clean_text
from anmin.incidents.models import Category
from anmin.library.anonymise import anonymise, find_personal_data
from anmin.library.models import Tag, TypicalCase, can_edit_library

MAX_TITLE = 120
MAX_TEXT = {"summary": 10000, "key_points": 10000, "legal_basis": 5000}
MAX_TAGS = 10
MAX_TAG = 20
MAX_REASON = 500

#: Field → label, in the order a refusal names them.
LABELS = {
    "title": gettext_lazy("标题"),
    "summary": gettext_lazy("案情"),
    "key_points": gettext_lazy("办案要点"),
    "legal_basis": gettext_lazy("法律依据"),
    "tags": gettext_lazy("标签"),
}


def _require_editor(by) -> None:
    if not can_edit_library(by):
        raise Denied(_("只有法制部门或领导可以编辑、发布典型案例"))


def _locked(case: TypicalCase, by) -> TypicalCase:
    """The case re-read under a row lock (PostgreSQL) from what `by` may see: two editors publishing
    or withdrawing at once are serialized, and the second sees the first one's status."""
    # of=("self",): lock the case row only, not the author and unit rows the scope filter joins.
    locked = TypicalCase.objects.visible_to(by).select_for_update(of=("self",)).filter(pk=case.pk).first()
    if locked is None:
        raise Denied(_("无权处理该典型案例"), field="id")
    return locked


def _text(value, field: str, limit: int, *, required: bool = False) -> str:
    return clean_text(value, field, LABELS[field], limit, required=required)


def _tag_names(values) -> list[str]:
    if values is None:
        return []
    if not isinstance(values, list | tuple):
        raise ActionError(_("标签应为文本数组"), field="tags")
    names: list[str] = []
    for value in values:
        if not isinstance(value, str):
            raise ActionError(_("标签应为文本"), field="tags")
        name = " ".join(value.split())
        if not name:
            continue
        if len(name) > MAX_TAG:
            raise ActionError(_("每个标签不能超过 %(limit)s 个字") % {"limit": MAX_TAG}, field="tags", code="too_long")
        if name.lower() not in (n.lower() for n in names):
            names.append(name)
    if len(names) > MAX_TAGS:
        raise ActionError(_("标签不能超过 %(limit)s 个") % {"limit": MAX_TAGS}, field="tags", code="too_many")
    return names


class SaveDraft(Action):
    """Write a new typical case, or rework a draft or withdrawn one (which returns to draft).

    A draft may still hold personal data — it is often pasted from the file — but it is seen only
    by editors; `anonymise=True` replaces ID numbers, mobile numbers and plates with placeholders
    on the way in. The source case must be one the editor may see; it is kept for the legal unit
    and never shown to readers. The audit entry records which fields changed, never their text: the
    trail cannot be edited, and a draft's text may still identify someone.
    """

    def audit_action(self) -> str:
        return "library.create" if self.case is None else "library.edit"

    def __init__(
        self,
        *,
        by,
        case: TypicalCase | None = None,
        title: str,
        summary: str = "",
        key_points: str = "",
        legal_basis: str = "",
        tags: list[str] | None = None,
        category: Category | None = None,
        source_case: Case | None = None,
        anonymise: bool = False,
    ):
        self.by = by
        self.case = case
        self.values = {"title": title, "summary": summary, "key_points": key_points, "legal_basis": legal_basis}
        self.tags = tags
        self.category = category
        self.source_case = source_case
        self.anonymise = anonymise

    def check(self) -> None:
        _require_editor(self.by)
        if self.case is not None:
            self.case = _locked(self.case, self.by)
            if self.case.status == TypicalCase.Status.PUBLISHED:
                raise Conflict(_("已发布的典型案例须先撤回再修改"), field="status")
        self.clean = {"title": _text(self.values["title"], "title", MAX_TITLE, required=True)}
        for field, limit in MAX_TEXT.items():
            self.clean[field] = _text(self.values[field], field, limit)
        self.tag_names = _tag_names(self.tags)
        if self.anonymise:
            self.clean = {field: anonymise(value) for field, value in self.clean.items()}
            self.tag_names = [anonymise(name) for name in self.tag_names]
        if self.category is not None and not self.category.active:
            raise ActionError(_("该警情类别已停用"), field="category", code="inactive")
        if (
            self.source_case is not None
            and not Case.objects.visible_to(self.by).filter(pk=self.source_case.pk).exists()
        ):
            raise ActionError(_("来源案件不存在或无权查看"), field="source_case_id", code="not_found")

    def run(self) -> TypicalCase:
        created = self.case is None
        case = self.case or TypicalCase(author=self.by)
        changed = [f for f, v in self.clean.items() if getattr(case, f) != v]
        if case.category_id != (self.category.pk if self.category else None):
            changed.append("category")
        if case.source_case_id != (self.source_case.pk if self.source_case else None):
            changed.append("source_case")
        for field, value in self.clean.items():
            setattr(case, field, value)
        case.category = self.category
        case.source_case = self.source_case
        case.status = TypicalCase.Status.DRAFT
        case.save()
        tags = [Tag.objects.get_or_create(name=name)[0] for name in self.tag_names]
        if created or {t.pk for t in tags} != set(case.tags.values_list("pk", flat=True)):
            changed.append("tags")
            case.tags.set(tags)  # m2m_changed brings search_text up to date with the tags
        self.audit(case, {"changed": changed, "anonymised": self.anonymise})
        return case


class PublishCase(Action):
    """发布: make a draft (or a withdrawn case) visible to every officer as guidance.

    Only the legal unit and leaders publish. The case must have its 案情, 办案要点 and 法律依据, and
    no field may still contain an ID number, a mobile number or a plate: the refusal names the
    field and shows what was found, masked, so the author can remove it or apply `anonymise()`.
    """

    audit_action = "library.publish"

    def __init__(self, *, case: TypicalCase, by):
        self.case = case
        self.by = by

    def check(self) -> None:
        _require_editor(self.by)
        self.case = _locked(self.case, self.by)
        if self.case.status == TypicalCase.Status.PUBLISHED:
            raise Conflict(_("该典型案例已发布"), field="status")
        for field in ("summary", "key_points", "legal_basis"):
            if not getattr(self.case, field).strip():
                raise ActionError(_("发布前请填写%(label)s") % {"label": LABELS[field]}, field=field, code="required")
        texts = {field: getattr(self.case, field) for field in ("title", "summary", "key_points", "legal_basis")}
        texts["tags"] = "\n".join(self.case.tags.values_list("name", flat=True))
        findings = {field: find_personal_data(text) for field, text in texts.items()}
        findings = {field: found for field, found in findings.items() if found}
        if findings:
            field, found = next(iter(findings.items()))
            shown = "、".join(f"{f.kind.label} {f.masked}" for f in found)
            raise ActionError(
                _("%(label)s中仍含有个人信息：%(found)s。请隐去后再发布（可使用“自动隐去”替换为占位符）")
                % {"label": LABELS[field], "found": shown},
                field=field,
                code="personal_data",
                extra={
                    "found": [f.as_dict() for f in found],
                    "fields": {name: [f.as_dict() for f in items] for name, items in findings.items()},
                },
            )

    def run(self) -> TypicalCase:
        previous = self.case.status
        self.case.status = TypicalCase.Status.PUBLISHED
        self.case.published_at = timezone.now()
        self.case.published_by = self.by
        self.case.save(update_fields=["status", "published_at", "published_by", "updated_at"])
        self.audit(self.case, {"title": self.case.title, "from": previous})
        return self.case


class WithdrawCase(Action):
    """撤回: take a published case out of the library — the law changed, or the guidance proved
    wrong. It disappears from search at once; editors can rework and publish it again."""

    audit_action = "library.withdraw"

    def __init__(self, *, case: TypicalCase, by, reason: str = ""):
        self.case = case
        self.by = by
        self.reason = reason

    def check(self) -> None:
        _require_editor(self.by)
        self.case = _locked(self.case, self.by)
        if self.case.status != TypicalCase.Status.PUBLISHED:
            raise Conflict(_("只有已发布的典型案例可以撤回"), field="status")
        if not isinstance(self.reason, str):
            raise ActionError(_("撤回原因应为文本"), field="reason")
        self.reason = self.reason.strip()
        if len(self.reason) > MAX_REASON:
            raise ActionError(
                _("撤回原因不能超过 %(limit)s 个字") % {"limit": MAX_REASON}, field="reason", code="too_long"
            )

    def run(self) -> TypicalCase:
        self.case.status = TypicalCase.Status.WITHDRAWN
        self.case.save(update_fields=["status", "updated_at"])
        # The trail cannot be edited afterwards: a reason that names someone is anonymised first.
        self.audit(self.case, {"title": self.case.title, "reason": anonymise(self.reason)})
        return self.case
