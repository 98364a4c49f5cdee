"""案件: criminal and administrative cases, their timeline, and approval requests (审批)."""

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anmin.cases.lifecycle import FINAL_STATUSES, CaseKind, CaseStatus
from anmin.core.approvals import Approval, ApprovalQuerySet
from anmin.core.crypto import BlindIndexField, EncryptedCharField, matching
from anmin.core.uploads import private_storage
from anmin.incidents.models import Category, Incident
from anmin.org.models import Organization, scope_path


class CaseQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A unit sees the cases its subtree handles; an investigator also sees the cases they
        work on as 主办 or 协办, wherever those are handled."""
        path = scope_path(user)
        if path is None:
            return self.none()
        if not path:
            return self
        helping = Case.helpers.through.objects.filter(case=OuterRef("pk"), officer=user)
        return self.filter(Q(organization__path__startswith=path) | Q(lead_investigator=user) | Exists(helping))

    def open(self):
        return self.exclude(status__in=FINAL_STATUSES)


class Case(models.Model):
    """A case (案件) from 受案 to 结案. `number` is the 案件编号: A (criminal) or X (administrative),
    the handling unit's 12-digit code, the year and month of acceptance, and a 4-digit serial."""

    number = models.CharField(_("案件编号"), max_length=24, unique=True)
    kind = models.CharField(_("案件类型"), max_length=16, choices=CaseKind.choices)
    title = models.CharField(_("案件名称"), max_length=120)
    cause = models.CharField(_("案由"), max_length=60, blank=True)
    summary = models.TextField(_("简要案情"), max_length=5000, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=CaseStatus.choices, default=CaseStatus.ACCEPTED)
    organization = models.ForeignKey(
        Organization, verbose_name=_("办案单位"), related_name="cases", on_delete=models.PROTECT
    )
    lead_investigator = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("主办侦查员"), related_name="lead_cases", on_delete=models.PROTECT
    )
    helpers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("协办民警"), related_name="helper_cases", blank=True
    )
    incident = models.ForeignKey(
        Incident, verbose_name=_("来源警情"), null=True, blank=True, related_name="cases", on_delete=models.PROTECT
    )
    category = models.ForeignKey(
        Category,
        verbose_name=_("案件类别"),
        null=True,
        blank=True,
        related_name="cases",
        on_delete=models.PROTECT,
        help_text=_("警情类别代码表中的类别；由警情受案时沿用警情类别。统计破案率、八类案件按此分类。"),
    )
    accepted_at = models.DateTimeField(_("受案时间"), default=timezone.now)
    # Set once by the 立案 and 破案 transitions; the statistics count cases filed and solved by these.
    filed_at = models.DateTimeField(_("立案时间"), null=True, blank=True)
    solved_at = models.DateTimeField(_("破案时间"), null=True, blank=True)
    status_since = models.DateTimeField(_("进入当前状态"), default=timezone.now)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), related_name="+", null=True, on_delete=models.SET_NULL
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("案件")
        verbose_name_plural = _("案件")
        ordering = ["-accepted_at"]
        indexes = [
            models.Index(fields=["status", "status_since"]),
            models.Index(fields=["organization", "accepted_at"]),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status not in FINAL_STATUSES


class CaseSequence(models.Model):
    """The counter behind 案件编号: one per case kind, handling unit and month."""

    prefix = models.CharField(max_length=20, unique=True)
    last = models.PositiveIntegerField(default=0)


class CaseEvent(models.Model):
    """One step of a case's timeline (受案, 立案申请, 批准立案, 侦查, …) with its time and actor."""

    case = models.ForeignKey(Case, verbose_name=_("案件"), related_name="events", on_delete=models.CASCADE)
    action = models.CharField(_("操作"), max_length=30)
    label = models.CharField(_("环节"), max_length=40)
    from_status = models.CharField(_("原状态"), max_length=16, blank=True)
    to_status = models.CharField(_("新状态"), max_length=16, blank=True)
    at = models.DateTimeField(_("时间"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("说明"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("案件环节")
        verbose_name_plural = _("案件环节")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.case.number} {self.label}"


class ApprovalRequest(Approval):
    """审批: a transition the law reserves to a leader (立案、不予立案、撤案、处罚决定), a 强制措施
    (拘留、提请批准逮捕) or 延长办案期限, asked for by the investigator and decided by someone else
    with the right to approve. Nobody approves their own request (see anmin.core.approvals)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待审批")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("不批准")
        # A 延长办案期限 request whose clock stopped before anyone decided it (supervision).
        WITHDRAWN = "withdrawn", _("已撤回")

    subject_field = "case"

    case = models.ForeignKey(Case, verbose_name=_("案件"), related_name="approvals", on_delete=models.CASCADE)
    transition = models.CharField(_("申请事项"), max_length=30)
    label = models.CharField(_("事项名称"), max_length=40)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    measure = models.ForeignKey(
        "Measure", verbose_name=_("强制措施"), null=True, blank=True, related_name="approvals", on_delete=models.CASCADE
    )

    objects = ApprovalQuerySet.as_manager()

    class Meta(Approval.Meta):
        verbose_name = _("审批")
        verbose_name_plural = _("审批")
        constraints = [
            # One open request per case and matter: a second 立案 request while one waits is a mistake.
            models.UniqueConstraint(
                fields=["case", "transition"], condition=Approval.OPEN, name="one_pending_request_per_matter"
            )
        ]

    def __str__(self):
        return f"{self.case.number} {self.label} {self.get_status_display()}"


class CasePersonQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(case__in=Case.objects.visible_to(user))

    def with_id_number(self, number: str):
        """The persons registered under this ID number (by its blind index: the column is encrypted)."""
        return self.filter(matching(CasePerson, "id_number", number))


class CasePerson(models.Model):
    """涉案人员: a suspect, victim, witness or reporter of a case. The ID number (GB 11643, validated
    and normalized to 18 characters) and the phone number are encrypted at rest and found by the ID
    number's blind index; lists show them masked, and showing them in full is an audit event
    (个人信息保护法 art. 51)."""

    class Role(models.TextChoices):
        SUSPECT = "suspect", _("嫌疑人")
        VICTIM = "victim", _("被害人")
        WITNESS = "witness", _("证人")
        REPORTER = "reporter", _("报案人")

    case = models.ForeignKey(Case, verbose_name=_("案件"), related_name="persons", on_delete=models.CASCADE)
    role = models.CharField(_("身份"), max_length=10, choices=Role.choices)
    name = models.CharField(_("姓名"), max_length=40)
    id_number = EncryptedCharField(_("身份证号码"), max_length=18, blank=True)
    id_number_index = BlindIndexField(source="id_number", kind="id_number")
    sex = models.CharField(_("性别"), max_length=6, blank=True)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    phone = EncryptedCharField(_("联系电话"), max_length=20, blank=True)
    address = models.CharField(_("住址"), max_length=200, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), related_name="+", null=True, on_delete=models.SET_NULL
    )
    added_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    objects = CasePersonQuerySet.as_manager()

    class Meta:
        verbose_name = _("涉案人员")
        verbose_name_plural = _("涉案人员")
        ordering = ["case", "role", "id"]

    def __str__(self):
        return f"{self.get_role_display()} {self.name}"


class Measure(models.Model):
    """强制措施 on a person of a case. 拘留 and 提请批准逮捕 are decided by a leader (公安机关负责人
    批准, 《公安机关办理刑事案件程序规定》 — article numbers to be checked against the 2020 text): requested,
    they wait in the approval inbox and take effect when approved."""

    class Kind(models.TextChoices):
        SUMMONS = "summons", _("传唤")
        COMPELLED = "compelled", _("拘传")
        DETENTION = "detention", _("拘留")
        ARREST_REQUEST = "arrest_request", _("提请批准逮捕")
        ARREST = "arrest", _("逮捕")
        BAIL = "bail", _("取保候审")
        SURVEILLANCE = "surveillance", _("监视居住")
        ADMIN_SUMMONS = "admin_summons", _("治安传唤")

    class Status(models.TextChoices):
        REQUESTED = "requested", _("待审批")
        ACTIVE = "active", _("执行中")
        ENDED = "ended", _("已解除")
        REJECTED = "rejected", _("未批准")

    NEEDS_APPROVAL = (Kind.DETENTION, Kind.ARREST_REQUEST)
    #: 治安传唤 belongs to administrative (public-order) cases; every other measure to criminal ones.
    ADMINISTRATIVE = (Kind.ADMIN_SUMMONS,)

    case = models.ForeignKey(Case, verbose_name=_("案件"), related_name="measures", on_delete=models.CASCADE)
    person = models.ForeignKey(CasePerson, verbose_name=_("对象"), related_name="measures", on_delete=models.PROTECT)
    kind = models.CharField(_("措施"), max_length=16, choices=Kind.choices)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), related_name="+", null=True, on_delete=models.SET_NULL
    )

    class Meta:
        verbose_name = _("强制措施")
        verbose_name_plural = _("强制措施")
        ordering = ["case", "started_at", "id"]
        indexes = [models.Index(fields=["kind", "status", "started_at"])]

    def __str__(self):
        return f"{self.get_kind_display()} {self.person.name}"


def _document_path(instance: "CaseDocument", filename: str) -> str:
    # The stored name carries no user-chosen path parts: only the case and a random token.
    import secrets
    from pathlib import PurePosixPath

    suffix = PurePosixPath(filename).suffix.lower()[:5]
    return f"cases/{instance.case_id}/{secrets.token_hex(12)}{suffix}"


class CaseDocument(models.Model):
    """A file of the case (文书、照片、扫描件): PDF or image, checked by content, kept outside the web root
    and served only to those who can see the case."""

    class Kind(models.TextChoices):
        DOCUMENT = "document", _("法律文书")
        EVIDENCE = "evidence", _("证据材料")
        PHOTO = "photo", _("照片")
        OTHER = "other", _("其他")

    case = models.ForeignKey(Case, verbose_name=_("案件"), related_name="documents", on_delete=models.CASCADE)
    kind = models.CharField(_("类别"), max_length=10, choices=Kind.choices, default=Kind.DOCUMENT)
    title = models.CharField(_("名称"), max_length=120)
    file = models.FileField(_("文件"), upload_to=_document_path, storage=private_storage, max_length=200)
    content_type = models.CharField(_("文件类型"), max_length=10)
    size = models.PositiveIntegerField(_("大小（字节）"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), related_name="+", null=True, on_delete=models.SET_NULL
    )
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    class Meta:
        verbose_name = _("案件材料")
        verbose_name_plural = _("案件材料")
        ordering = ["case", "uploaded_at"]

    def __str__(self):
        return self.title
