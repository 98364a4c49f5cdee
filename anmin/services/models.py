"""政务服务事项 and 办件: what the public may apply for online (网上办、掌上办), and each application
through 提交 → 受理 → 审核 → 办结, or 退回补正 / 不予受理.

Basis: 《中华人民共和国行政许可法》第三十二条 (受理、一次性告知补正、不予受理并说明理由) and 第四十二条
(办理期限); the promised limits (承诺时限) are the bureau's own, in working days, shorter than the law's.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anmin.citizens.models import Citizen
from anmin.core.uploads import private_storage
from anmin.org.models import Organization, scope_path

#: File types a material may accept (the kinds anmin.core.uploads knows by their first bytes).
FILE_KINDS = ("pdf", "jpeg", "png")
FIELD_TYPES = ("text", "date", "select")


def validate_form_fields(value) -> None:
    """The form of an item: a list of {name, label, type, required, choices}; checked when staff save
    it, so an applicant never meets a broken form."""
    if not isinstance(value, list):
        raise ValidationError(_("表单字段应为列表"))
    names = set()
    for number, spec in enumerate(value, start=1):
        if not isinstance(spec, dict):
            raise ValidationError(_("第 %(n)s 个字段应为对象") % {"n": number})
        name, label, kind = spec.get("name"), spec.get("label"), spec.get("type", "text")
        if not isinstance(name, str) or not name.isidentifier() or name in names:
            raise ValidationError(_("第 %(n)s 个字段的 name 应为不重复的英文标识") % {"n": number})
        names.add(name)
        if not isinstance(label, str) or not label.strip():
            raise ValidationError(_("第 %(n)s 个字段缺少 label") % {"n": number})
        if kind not in FIELD_TYPES:
            raise ValidationError(_("第 %(n)s 个字段的 type 应为 text、date 或 select") % {"n": number})
        choices = spec.get("choices", [])
        if kind == "select" and (
            not isinstance(choices, list) or not choices or not all(isinstance(c, str) for c in choices)
        ):
            raise ValidationError(_("第 %(n)s 个字段是下拉选择，需要 choices 列表") % {"n": number})


def validate_kinds(value: str) -> None:
    kinds = [k.strip() for k in value.split(",") if k.strip()]
    if not kinds or any(k not in FILE_KINDS for k in kinds):
        raise ValidationError(_("文件类型应为 pdf、jpeg、png 中的一个或几个，以逗号分隔"))


class ServiceItem(models.Model):
    """A 政务服务事项 in the catalogue: what the public can apply for, which department handles it
    (its queue), what must be uploaded, which fields the form asks, and the promised time limit in
    working days counted from 受理. 全省通办: any office in the province accepts it."""

    code = models.CharField(_("事项编码"), max_length=30, unique=True)
    name = models.CharField(_("事项名称"), max_length=60)
    department = models.ForeignKey(
        Organization,
        verbose_name=_("受理部门"),
        null=True,  # the seed runs before any unit exists; an item without one cannot be applied for
        related_name="service_items",
        on_delete=models.PROTECT,
    )
    description = models.TextField(_("办理须知"), blank=True)
    form_fields = models.JSONField(
        _("表单字段"),
        default=list,
        blank=True,
        validators=[validate_form_fields],
        help_text=_(
            '例如 [{"name": "purpose", "label": "用途", "type": "select", "required": true, "choices": ["就业"]}]'
        ),
    )
    time_limit_days = models.PositiveSmallIntegerField(_("承诺时限（工作日）"))
    province_wide = models.BooleanField(_("全省通办"), default=False)
    active = models.BooleanField(_("启用"), default=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=50)

    class Meta:
        verbose_name = _("政务服务事项")
        verbose_name_plural = _("政务服务事项")
        ordering = ["order", "code"]

    def __str__(self):
        return self.name


class Material(models.Model):
    """One material (申请材料) an item asks for: a scan or photo the applicant uploads."""

    item = models.ForeignKey(ServiceItem, verbose_name=_("事项"), related_name="materials", on_delete=models.CASCADE)
    name = models.CharField(_("材料名称"), max_length=100)
    required = models.BooleanField(_("必须提交"), default=True)
    kinds = models.CharField(
        _("接受的文件类型"),
        max_length=30,
        default="pdf,jpeg,png",
        validators=[validate_kinds],
        help_text="pdf,jpeg,png",
    )
    note = models.CharField(_("说明"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("申请材料")
        verbose_name_plural = _("申请材料")
        ordering = ["order", "id"]

    def __str__(self):
        return self.name

    @property
    def kind_list(self) -> tuple[str, ...]:
        return tuple(k.strip() for k in self.kinds.split(",") if k.strip())

    @property
    def accept_attr(self) -> str:
        """For <input type=file accept=…>: a hint for the phone's picker; the server checks content."""
        mime = {"pdf": "application/pdf", "jpeg": "image/jpeg", "png": "image/png"}
        return ",".join(mime[k] for k in self.kind_list if k in mime)


class ApplicationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("已提交")
    ACCEPTED = "accepted", _("已受理")
    REVIEWING = "reviewing", _("审核中")
    COMPLETED = "completed", _("已办结")
    RETURNED = "returned", _("退回补正")
    REJECTED = "rejected", _("不予受理")


#: Statuses in which the department still owes the citizen something (the queue).
OPEN_STATUSES = (ApplicationStatus.SUBMITTED, ApplicationStatus.ACCEPTED, ApplicationStatus.REVIEWING)
FINAL_STATUSES = (ApplicationStatus.COMPLETED, ApplicationStatus.REJECTED)


class ApplicationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Staff: applications of departments in the user's subtree (a station its own queue, the
        bureau all of them)."""
        path = scope_path(user)
        if path is None:
            return self.none()
        return self.filter(department__path__startswith=path) if path else self

    def of_citizen(self, citizen: Citizen):
        """The public: only the citizen's own applications."""
        return self.filter(citizen=citizen)


class Application(models.Model):
    """An application (办件) for a service item by a verified citizen.

    `number` (办件编号) is "BJ", the submission date and a 6-digit serial of that day; with the last
    four digits of the applicant's phone (`phone_last4`, copied so the public progress query is one
    indexed lookup) anyone holding the receipt can follow it without signing in. `department` is the
    item's department at submission: the queue the application belongs to. `due_at` is set at 受理:
    the end of the promised number of working days (holidays and 调休 respected)."""

    number = models.CharField(_("办件编号"), max_length=20, unique=True, editable=False)
    citizen = models.ForeignKey(
        Citizen, verbose_name=_("申请人"), related_name="applications", on_delete=models.PROTECT
    )
    item = models.ForeignKey(ServiceItem, verbose_name=_("事项"), related_name="applications", on_delete=models.PROTECT)
    department = models.ForeignKey(
        Organization, verbose_name=_("受理部门"), related_name="service_applications", on_delete=models.PROTECT
    )
    phone_last4 = models.CharField(_("手机尾号"), max_length=4, editable=False)
    applicant_name = models.CharField(_("申请人姓名"), max_length=30)
    form_data = models.JSONField(_("表单内容"), default=dict, blank=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=ApplicationStatus.choices, default=ApplicationStatus.SUBMITTED
    )
    submitted_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    due_at = models.DateTimeField(_("承诺办结时间"), null=True, blank=True)
    completed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    missing = models.JSONField(_("需补正材料"), default=list, blank=True)
    reason = models.TextField(_("说明/理由"), blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.PROTECT,
    )

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        verbose_name = _("办件")
        verbose_name_plural = _("办件")
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(fields=["department", "status", "due_at"]),
            models.Index(fields=["citizen", "-submitted_at"]),
        ]

    def __str__(self):
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def time_left(self, now=None):
        """Time until the promised date (negative when overdue); None before 受理 or once final."""
        if self.due_at is None or not self.is_open:
            return None
        return self.due_at - (now or timezone.now())

    @property
    def is_overdue(self) -> bool:
        left = self.time_left()
        return left is not None and left.total_seconds() < 0


class ApplicationSequence(models.Model):
    """The day's last 办件编号 serial (anmin.core.sequences.increment)."""

    day = models.DateField(unique=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("办件编号序列")
        verbose_name_plural = _("办件编号序列")

    def __str__(self):
        return f"{self.day} {self.last}"


class FileType(models.TextChoices):
    PDF = "pdf", "PDF"
    JPEG = "jpeg", "JPEG"
    PNG = "png", "PNG"


class ApplicationFile(models.Model):
    """An uploaded material: kept outside the web root under a random name, streamed only to the
    applicant and to staff who see the application. `round` counts submissions (1 = the first, 2 =
    the first 补正…), so staff can tell what came with which."""

    application = models.ForeignKey(Application, verbose_name=_("办件"), related_name="files", on_delete=models.CASCADE)
    material = models.ForeignKey(
        Material, verbose_name=_("材料"), null=True, blank=True, related_name="+", on_delete=models.SET_NULL
    )
    material_name = models.CharField(_("材料名称"), max_length=100)
    file = models.FileField(_("文件"), storage=private_storage, upload_to="services/%Y/%m/")
    original_name = models.CharField(_("原文件名"), max_length=100)
    content_type = models.CharField(_("文件类型"), max_length=8, choices=FileType.choices)
    size = models.PositiveIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    round = models.PositiveSmallIntegerField(_("提交轮次"), default=1)
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    class Meta:
        verbose_name = _("办件材料")
        verbose_name_plural = _("办件材料")
        ordering = ["round", "id"]

    def __str__(self):
        return f"{self.application.number} {self.material_name}"


class EventKind(models.TextChoices):
    SUBMIT = "submit", _("提交申请")
    ACCEPT = "accept", _("受理")
    REVIEW = "review", _("审核")
    COMPLETE = "complete", _("办结")
    RETURN = "return", _("退回补正")
    RESUBMIT = "resubmit", _("补正后重新提交")
    REJECT = "reject", _("不予受理")


class ApplicationEvent(models.Model):
    """One step on the application's timeline (the public sees kind and time; staff also the note)."""

    application = models.ForeignKey(
        Application, verbose_name=_("办件"), related_name="events", on_delete=models.CASCADE
    )
    kind = models.CharField(_("环节"), max_length=10, choices=EventKind.choices)
    at = models.DateTimeField(_("时间"), default=timezone.now)
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.PROTECT,
    )
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("办件环节")
        verbose_name_plural = _("办件环节")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.application.number} {self.get_kind_display()}"


class ApplicationMessage(models.Model):
    """警民互动: one message in the thread between the applicant and the department."""

    application = models.ForeignKey(
        Application, verbose_name=_("办件"), related_name="messages", on_delete=models.CASCADE
    )
    from_citizen = models.BooleanField(_("群众留言"), default=True)
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("回复民警"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.PROTECT,
    )
    text = models.TextField(_("内容"))
    at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("办件留言")
        verbose_name_plural = _("办件留言")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.application.number} {self.at:%Y-%m-%d %H:%M}"


class Notice(models.Model):
    """A notice in the citizen's portal inbox (the same words as the SMS sent with it)."""

    citizen = models.ForeignKey(
        Citizen, verbose_name=_("群众"), related_name="service_notices", on_delete=models.CASCADE
    )
    application = models.ForeignKey(
        Application, verbose_name=_("办件"), null=True, blank=True, related_name="notices", on_delete=models.CASCADE
    )
    text = models.CharField(_("内容"), max_length=300)
    at = models.DateTimeField(_("时间"), default=timezone.now)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("办件通知")
        verbose_name_plural = _("办件通知")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["citizen", "-at"])]

    def __str__(self):
        return self.text[:40]


def describe_time_left(application: Application, now=None) -> str:
    """ "剩余 2 天 3 小时" / "已超期 1 天 2 小时", or "" when no clock runs."""
    from django.utils.translation import gettext as _g

    left = application.time_left(now)
    if left is None:
        return ""
    seconds = abs(int(left.total_seconds()))
    days, hours = seconds // 86400, seconds % 86400 // 3600
    span = (
        _g("%(days)s 天 %(hours)s 小时") % {"days": days, "hours": hours}
        if days
        else _g("%(hours)s 小时") % {"hours": hours}
    )
    if left.total_seconds() < 0:
        return _g("已超期 %(span)s") % {"span": span}
    return _g("剩余 %(span)s") % {"span": span}
