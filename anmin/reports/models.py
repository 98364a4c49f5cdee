"""Reports from the public (群众上报): 事故快处, online non-emergency reports, anonymous tips (举报线索),
lost-person reports (走失人员) and the message thread on each (警民互动).

A citizen sees only their own matters (every portal read filters by `citizen=request.citizen`);
staff reads go through `visible_to(user)`, scoped by the organization tree like every other domain.
A tip keeps nothing that identifies the tipster: no citizen, no address, no session — only the hash
of a tracking code that the tipster alone was shown.
"""

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anmin.core.crypto import BlindIndexField, EncryptedCharField, matching
from anmin.core.uploads import private_storage
from anmin.geo.models import GridCell, lat_validators, lon_validators
from anmin.org.models import Organization, scope_path


def _scoped(qs, user, *fields: str):
    path = scope_path(user)
    if path is None:
        return qs.none()
    if not path:
        return qs
    condition = Q()
    for field in fields:
        condition |= Q(**{f"{field}__path__startswith": path})
    return qs.filter(condition)


class ReportSequence(models.Model):
    """Counter behind the matter numbers (事故快处 KC, 走失 ZS), per kind and day."""

    kind = models.CharField(max_length=4)
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "day"], name="uniq_report_sequence")]


class PhotoType(models.TextChoices):
    JPEG = "image/jpeg", "JPEG"
    PNG = "image/png", "PNG"


# --- 事故快处 --------------------------------------------------------------------------------------


class Liability(models.TextChoices):
    """责任划分 between the two parties of a two-vehicle accident (道路交通事故处理程序规定: 全部、主要、
    同等、次要、无责任; 快处 uses the three a simple accident needs)."""

    A_FULL = "a_full", _("甲方全责、乙方无责")
    B_FULL = "b_full", _("乙方全责、甲方无责")
    EQUAL = "equal", _("甲乙双方同等责任")

    def of(self, role: str) -> str:
        if self == Liability.EQUAL:
            return str(_("同等责任"))
        full = (self == Liability.A_FULL) == (role == AccidentParty.Role.A)
        return str(_("全部责任")) if full else str(_("无责任"))


class QuickAccidentQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The traffic unit that decides and the station whose grid the accident is in."""
        return _scoped(self, user, "traffic_unit", "station")

    def decidable_by(self, user):
        """Accidents whose liability `user` may decide: traffic police (or a leader) of the
        responsible traffic unit's subtree."""
        from anmin.org.models import Role

        if not getattr(user, "is_authenticated", False):
            return self.none()
        if not (user.is_superuser or user.role in (Role.TRAFFIC, Role.LEADER)):
            return self.none()
        return _scoped(self, user, "traffic_unit")

    def of_citizen(self, citizen):
        """The accidents a citizen is a party to: those they reported (甲方), and those naming their
        mobile number as 乙方's — the number the confirmation code and the notice of the document
        went to, which their portal sign-in proved they hold."""
        as_b = AccidentParty.objects.filter(matching(AccidentParty, "phone", citizen.phone), role=AccidentParty.Role.B)
        return self.filter(Q(citizen=citizen) | Q(pk__in=as_b.values("accident_id")))


class QuickAccident(models.Model):
    """事故快处: a minor accident between two motor vehicles with property damage only, reported by a
    party from the scene (道路交通安全法 第七十条: no injury, facts undisputed → the parties may move
    the vehicles and settle themselves). Either both parties agree on liability (协议书), or they ask
    the traffic police to decide online under the simple procedure (简易程序道路交通事故认定书)."""

    class Mode(models.TextChoices):
        AGREEMENT = "agreement", _("自行协商")
        OFFICER = "officer", _("申请民警在线定责")

    class Status(models.TextChoices):
        AWAITING_CONFIRMATION = "awaiting", _("待乙方确认")
        AGREED = "agreed", _("已协商，协议书已生成")
        PENDING_DECISION = "pending", _("待民警定责")
        DECIDED = "decided", _("已定责，认定书已生成")

    number = models.CharField(_("快处编号"), max_length=24, unique=True)
    citizen = models.ForeignKey(
        "citizens.Citizen", verbose_name=_("报告人"), related_name="accidents", on_delete=models.PROTECT
    )
    occurred_at = models.DateTimeField(_("事故时间"))
    address = models.CharField(_("事故地点"), max_length=200)
    lat = models.FloatField(_("纬度"), validators=lat_validators)
    lon = models.FloatField(_("经度"), validators=lon_validators)
    grid_cell = models.ForeignKey(GridCell, verbose_name=_("网格"), on_delete=models.PROTECT)
    station = models.ForeignKey(Organization, verbose_name=_("属地派出所"), related_name="+", on_delete=models.PROTECT)
    traffic_unit = models.ForeignKey(
        Organization, verbose_name=_("责任交警单位"), related_name="+", on_delete=models.PROTECT
    )
    description = models.TextField(_("事故经过"), max_length=1000, blank=True)
    mode = models.CharField(_("处理方式"), max_length=10, choices=Mode.choices)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices)
    liability = models.CharField(_("责任划分"), max_length=8, choices=Liability.choices, blank=True)
    # Party B's confirmation: a code sent to B's phone, stored as a keyed hash, a few tries.
    confirm_code_hash = models.CharField(max_length=64, blank=True)
    confirm_code_sent_at = models.DateTimeField(null=True, blank=True)
    confirm_attempts = models.PositiveSmallIntegerField(default=0)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("定责民警"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.PROTECT,
    )
    decided_at = models.DateTimeField(_("定责时间"), null=True, blank=True)
    decision_facts = models.TextField(_("事故事实及责任认定理由"), max_length=2000, blank=True)
    document = models.FileField(_("文书"), storage=private_storage, upload_to="reports/documents/%Y/%m/", blank=True)
    document_sha256 = models.CharField(_("文书 SHA-256"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("提交时间"), default=timezone.now)

    objects = QuickAccidentQuerySet.as_manager()

    class Meta:
        verbose_name = _("事故快处")
        verbose_name_plural = _("事故快处")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self):
        return self.number

    @property
    def document_title(self) -> str:
        if self.status == self.Status.AGREED:
            return str(_("道路交通事故自行协商协议书"))
        if self.status == self.Status.DECIDED:
            return str(_("简易程序道路交通事故认定书"))
        return ""

    def party(self, role: str) -> "AccidentParty":
        return next(p for p in self.parties.all() if p.role == role)

    @property
    def party_a(self) -> "AccidentParty":
        return self.party(AccidentParty.Role.A)

    @property
    def party_b(self) -> "AccidentParty":
        return self.party(AccidentParty.Role.B)


class AccidentParty(models.Model):
    """当事人 of a quick accident: the driver, their 驾驶证号 (the 公民身份号码 on the licence), the
    vehicle's plate (GA 36) and its compulsory insurance (交强险) insurer and policy."""

    class Role(models.TextChoices):
        A = "A", _("甲方")
        B = "B", _("乙方")

    accident = models.ForeignKey(QuickAccident, related_name="parties", on_delete=models.CASCADE)
    role = models.CharField(_("当事方"), max_length=1, choices=Role.choices)
    name = models.CharField(_("姓名"), max_length=30)
    phone = EncryptedCharField(_("手机号码"), max_length=11, blank=False)
    # Finds 乙方's accidents for 我的事项 when they sign in on the portal with this number.
    phone_index = BlindIndexField(source="phone", kind="phone")
    licence_number = EncryptedCharField(_("驾驶证号"), max_length=18, blank=False)
    plate = models.CharField(_("号牌号码"), max_length=10)
    insurer = models.CharField(_("保险公司"), max_length=60)
    policy_number = models.CharField(_("保单号"), max_length=40)
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("事故当事人")
        verbose_name_plural = _("事故当事人")
        ordering = ["role"]
        constraints = [models.UniqueConstraint(fields=["accident", "role"], name="uniq_accident_party_role")]

    def __str__(self):
        return f"{self.get_role_display()} {self.name} {self.plate}"


class AccidentPhoto(models.Model):
    """A scene photo (现场照片): checked by content, stored under a random name outside the web root."""

    accident = models.ForeignKey(QuickAccident, related_name="photos", on_delete=models.CASCADE)
    file = models.FileField(storage=private_storage, upload_to="reports/accidents/%Y/%m/")
    content_type = models.CharField(max_length=20, choices=PhotoType.choices)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["id"]


# --- 网上报警/求助 -----------------------------------------------------------------------------------


class OnlineReportQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _scoped(self, user, "incident__station")


class OnlineReport(models.Model):
    """A non-emergency report or request for help made online (网上报警/求助). It becomes an incident
    in the dispatch queue like a 110 call; this row links it to the citizen so they can follow it."""

    citizen = models.ForeignKey(
        "citizens.Citizen", verbose_name=_("报告人"), related_name="online_reports", on_delete=models.PROTECT
    )
    incident = models.OneToOneField(
        "incidents.Incident", verbose_name=_("警情"), related_name="online_report", on_delete=models.PROTECT
    )
    created_at = models.DateTimeField(_("提交时间"), default=timezone.now)

    objects = OnlineReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("网上报警求助")
        verbose_name_plural = _("网上报警求助")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.incident.number


# --- 举报线索 ---------------------------------------------------------------------------------------


class TipQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _scoped(self, user, "organization")


def hash_tracking_code(code: str) -> str:
    # The code carries 80 random bits, so a plain hash cannot be reversed by trying codes.
    return hashlib.sha256(code.encode()).hexdigest()


class Tip(models.Model):
    """举报线索: an anonymous tip. Deliberately holds nothing that could lead back to the tipster —
    no citizen, no IP address, no session, no device — only what they wrote and the hash of the
    tracking code shown to them once, with which they read the reply and add to the thread."""

    class Kind(models.TextChoices):
        DRUGS = "drugs", _("涉毒")
        GAMBLING = "gambling", _("涉赌")
        VICE = "vice", _("涉黄")
        GANG = "gang", _("涉黑涉恶")
        FRAUD = "fraud", _("诈骗")
        OTHER = "other", _("其他违法犯罪")

    class Status(models.TextChoices):
        NEW = "new", _("待处理")
        REPLIED = "replied", _("已答复")
        CLOSED = "closed", _("已办结")

    code_hash = models.CharField(max_length=64, unique=True)
    kind = models.CharField(_("线索类别"), max_length=10, choices=Kind.choices)
    content = models.TextField(_("线索内容"), max_length=3000)
    place = models.CharField(_("涉及地点"), max_length=200, blank=True)
    organization = models.ForeignKey(
        Organization, verbose_name=_("承办单位"), related_name="+", on_delete=models.PROTECT
    )
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.NEW)
    # Day only: an exact time could be matched against a gateway's logs.
    received_on = models.DateField(_("收到日期"), default=timezone.localdate)

    objects = TipQuerySet.as_manager()

    class Meta:
        verbose_name = _("举报线索")
        verbose_name_plural = _("举报线索")
        ordering = ["-received_on", "-id"]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"


# --- 走失人员 ---------------------------------------------------------------------------------------


class MissingPersonQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _scoped(self, user, "station")


class MissingPersonReport(models.Model):
    """走失人员: a child, an elderly person with dementia, someone who did not come home, reported by
    a family member. Goes to the station whose grid the person was last seen in."""

    class Sex(models.TextChoices):
        MALE = "M", _("男")
        FEMALE = "F", _("女")

    class Status(models.TextChoices):
        SEARCHING = "searching", _("查找中")
        FOUND = "found", _("已找到")
        CLOSED = "closed", _("已结束")

    number = models.CharField(_("编号"), max_length=24, unique=True)
    citizen = models.ForeignKey(
        "citizens.Citizen", verbose_name=_("报告人"), related_name="missing_reports", on_delete=models.PROTECT
    )
    name = models.CharField(_("走失人员姓名"), max_length=30)
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices)
    age = models.PositiveSmallIntegerField(_("年龄"))
    description = models.TextField(_("体貌特征及衣着"), max_length=1000)
    last_seen_at = models.DateTimeField(_("最后出现时间"))
    last_seen_address = models.CharField(_("最后出现地点"), max_length=200)
    lat = models.FloatField(_("纬度"), validators=lat_validators)
    lon = models.FloatField(_("经度"), validators=lon_validators)
    station = models.ForeignKey(Organization, verbose_name=_("责任派出所"), related_name="+", on_delete=models.PROTECT)
    photo = models.FileField(_("照片"), storage=private_storage, upload_to="reports/missing/%Y/%m/")
    photo_type = models.CharField(max_length=20, choices=PhotoType.choices)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.SEARCHING)
    created_at = models.DateTimeField(_("提交时间"), default=timezone.now)

    objects = MissingPersonQuerySet.as_manager()

    class Meta:
        verbose_name = _("走失人员报告")
        verbose_name_plural = _("走失人员报告")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.number


# --- 警民互动 ---------------------------------------------------------------------------------------


class Message(models.Model):
    """One message of the thread on a matter (警民互动): from the public (the citizen, or the tipster
    holding the tracking code) or from an officer. Exactly one matter is set."""

    class Author(models.TextChoices):
        PUBLIC = "public", _("群众")
        STAFF = "staff", _("民警")

    accident = models.ForeignKey(
        QuickAccident, null=True, blank=True, related_name="messages", on_delete=models.CASCADE
    )
    online_report = models.ForeignKey(
        OnlineReport, null=True, blank=True, related_name="messages", on_delete=models.CASCADE
    )
    tip = models.ForeignKey(Tip, null=True, blank=True, related_name="messages", on_delete=models.CASCADE)
    missing = models.ForeignKey(
        MissingPersonReport, null=True, blank=True, related_name="messages", on_delete=models.CASCADE
    )
    author = models.CharField(_("发言方"), max_length=8, choices=Author.choices)
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, related_name="+", on_delete=models.PROTECT
    )
    text = models.TextField(_("内容"), max_length=1000)
    at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("互动留言")
        verbose_name_plural = _("互动留言")
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(
                name="message_one_matter",
                condition=(
                    Q(accident__isnull=False, online_report__isnull=True, tip__isnull=True, missing__isnull=True)
                    | Q(accident__isnull=True, online_report__isnull=False, tip__isnull=True, missing__isnull=True)
                    | Q(accident__isnull=True, online_report__isnull=True, tip__isnull=False, missing__isnull=True)
                    | Q(accident__isnull=True, online_report__isnull=True, tip__isnull=True, missing__isnull=False)
                ),
            )
        ]

    def __str__(self):
        return f"{self.get_author_display()} {self.at:%Y-%m-%d %H:%M}"
