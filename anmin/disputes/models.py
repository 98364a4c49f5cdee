"""枫桥: 矛盾纠纷 (disputes found, mediated and followed up) and 访民 (visits when there is no call).

"小事不出村、大事不出镇、矛盾不上交": a station registers every dispute it finds — from a 110 call, a
visit, a walk-in or a 12345 referral — mediates it or hands it to the body that can settle it, and
goes back later to see whether the settlement holds. The parties' names, phones and ID numbers are
personal data (个人信息保护法 art. 51): encrypted at rest, shown masked, revealed through the one
audited "显示".
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anmin.core.crypto import EncryptedCharField
from anmin.geo.models import lat_validators, lon_validators
from anmin.org.models import Organization, scope_path


class StationScoped(models.QuerySet):
    def visible_to(self, user):
        """A station sees its own rows, a branch its stations', the bureau all of them."""
        path = scope_path(user)
        if path is None:
            return self.none()
        return self.filter(station__path__startswith=path) if path else self


class DisputeKind(models.TextChoices):
    NEIGHBOUR = "neighbour", _("邻里纠纷")
    FAMILY = "family", _("家庭纠纷")
    ROMANCE = "romance", _("婚恋纠纷")
    LAND = "land", _("土地纠纷")
    LABOUR = "labour", _("劳资纠纷")
    DEBT = "debt", _("债务纠纷")
    PROPERTY = "property", _("物业纠纷")
    DAMAGES = "damages", _("损害赔偿纠纷")
    OTHER = "other", _("其他纠纷")


class Risk(models.TextChoices):
    LOW = "low", _("低")
    MEDIUM = "medium", _("中")
    HIGH = "high", _("高")
    MAJOR = "major", _("重大")


#: Risk levels from the lowest: escalation moves a dispute one step along this list.
RISK_ORDER = [Risk.LOW, Risk.MEDIUM, Risk.HIGH, Risk.MAJOR]


class Source(models.TextChoices):
    INCIDENT = "incident", _("110警情")
    VISIT = "visit", _("走访发现")
    WALK_IN = "walk_in", _("群众来访")
    REFERRAL = "referral", _("12345转办")


class Status(models.TextChoices):
    FOUND = "found", _("已排查")
    ACCEPTED = "accepted", _("已受理")
    MEDIATING = "mediating", _("调解中")
    AGREED = "agreed", _("达成协议")
    TRANSFERRED = "transferred", _("已移交")
    FOLLOWED_UP = "followed_up", _("已回访")
    CLOSED = "closed", _("已办结")


class TransferBody(models.TextChoices):
    JUSTICE = "justice", _("司法所")
    MEDIATION = "mediation", _("人民调解委员会")
    COURT = "court", _("人民法院")


class Step(models.TextChoices):
    """The workflow's steps (each one an action, each audited as "dispute.<step>")."""

    ACCEPT = "accept", _("受理")
    MEDIATE = "mediate", _("调解")
    AGREE = "agree", _("达成协议")
    TRANSFER = "transfer", _("移交")
    FOLLOW_UP = "follow_up", _("回访")
    CLOSE = "close", _("办结")


#: The allowed transitions, as data: step → (the statuses it may start from, the status it leads to).
#: 调解 may be held more than once (a second session after a first without agreement); an agreement
#: or a transfer needs a follow-up visit before the dispute is closed.
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    Step.ACCEPT: (frozenset({Status.FOUND}), Status.ACCEPTED),
    Step.MEDIATE: (frozenset({Status.ACCEPTED, Status.MEDIATING}), Status.MEDIATING),
    Step.AGREE: (frozenset({Status.MEDIATING}), Status.AGREED),
    Step.TRANSFER: (frozenset({Status.ACCEPTED, Status.MEDIATING}), Status.TRANSFERRED),
    Step.FOLLOW_UP: (frozenset({Status.AGREED, Status.TRANSFERRED}), Status.FOLLOWED_UP),
    Step.CLOSE: (frozenset({Status.FOLLOWED_UP}), Status.CLOSED),
}


def steps_from(status: str) -> list[str]:
    """The steps a dispute standing at `status` may take next, in workflow order."""
    return [step for step, (sources, _to) in TRANSITIONS.items() if status in sources]


def default_escalation_classes() -> list[str]:
    """纠纷 calls and 治安 calls (殴打、威胁…) — what a dispute that is boiling over sends to 110."""
    return ["dispute", "public_order"]


class EscalationRule(models.Model):
    """When a dispute's place keeps producing 110 calls: `min_incidents` incidents within `meters`
    of its point (or at its address) in `days` days raise its risk one level and flag it. Held as a
    row so a bureau can tighten it without a release; the first row is the rule in force."""

    min_incidents = models.PositiveSmallIntegerField(_("报警次数阈值"), default=3)
    days = models.PositiveSmallIntegerField(_("统计天数"), default=30)
    meters = models.PositiveIntegerField(_("半径（米）"), default=100)
    # Only the calls a quarrel produces: a street's traffic accidents, fires and requests for help
    # within 100 m are not the neighbours' dispute (counting every class flagged most urban disputes).
    classes = models.JSONField(
        _("计入的警情类别"),
        default=default_escalation_classes,
        help_text=_("警情大类代码，如 dispute、public_order"),
    )

    class Meta:
        verbose_name = _("纠纷风险升级规则")
        verbose_name_plural = _("纠纷风险升级规则")

    def __str__(self):
        return f"{self.days}/{self.min_incidents}/{self.meters}"

    @classmethod
    def current(cls) -> "EscalationRule":
        return cls.objects.order_by("pk").first() or cls()


class DisputeSequence(models.Model):
    """Counter behind the dispute numbers (JF + date + sequence), per day."""

    day = models.DateField(unique=True)
    last = models.PositiveIntegerField(default=0)


class VisitPlan(models.Model):
    """A planned visit list (走访计划) of a community officer: whom to visit (households, persons,
    described as the officer knows them, not a resident register) in which community, by when."""

    station = models.ForeignKey(
        Organization, verbose_name=_("派出所"), related_name="visit_plans", on_delete=models.PROTECT
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("社区民警"), related_name="visit_plans", on_delete=models.PROTECT
    )
    community = models.ForeignKey(
        "communities.Community",
        verbose_name=_("社区"),
        related_name="visit_plans",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    targets = models.TextField(_("走访对象"), max_length=2000, help_text=_("户、人，每行一项"))
    planned_count = models.PositiveSmallIntegerField(_("计划走访数"), default=1)
    due_date = models.DateField(_("完成期限"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("制定人"), related_name="+", on_delete=models.PROTECT
    )
    created_at = models.DateTimeField(_("制定时间"), default=timezone.now)

    objects = StationScoped.as_manager()

    class Meta:
        verbose_name = _("走访计划")
        verbose_name_plural = _("走访计划")
        ordering = ["due_date", "pk"]

    def __str__(self):
        return str(self.community or self.station)


class Visit(models.Model):
    """A 访民 record: an officer visited a person (masked everywhere) at a place, with no call
    behind it, and wrote down what was raised. An issue raised becomes a dispute or a task."""

    station = models.ForeignKey(Organization, verbose_name=_("派出所"), related_name="visits", on_delete=models.PROTECT)
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("走访民警"), related_name="visits", on_delete=models.PROTECT
    )
    plan = models.ForeignKey(
        VisitPlan, verbose_name=_("走访计划"), related_name="visits", on_delete=models.SET_NULL, null=True, blank=True
    )
    community = models.ForeignKey(
        "communities.Community",
        verbose_name=_("社区"),
        related_name="visits",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    visited_at = models.DateTimeField(_("走访时间"), default=timezone.now, db_index=True)
    person_name = EncryptedCharField(_("走访对象"), max_length=30)
    person_phone = EncryptedCharField(_("联系电话"), max_length=20)
    address = models.CharField(_("地点"), max_length=200)
    lat = models.FloatField(_("纬度"), validators=lat_validators, null=True, blank=True)
    lon = models.FloatField(_("经度"), validators=lon_validators, null=True, blank=True)
    raised = models.TextField(_("反映问题"), max_length=2000, blank=True)

    objects = StationScoped.as_manager()

    class Meta:
        verbose_name = _("走访记录")
        verbose_name_plural = _("走访记录")
        ordering = ["-visited_at", "-pk"]

    def __str__(self):
        return self.address


class VisitTask(models.Model):
    """A follow-up task (待办) from an issue raised on a visit that is no dispute: who does it, by when."""

    visit = models.ForeignKey(Visit, verbose_name=_("走访记录"), related_name="tasks", on_delete=models.CASCADE)
    description = models.CharField(_("事项"), max_length=500)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("承办民警"), related_name="visit_tasks", on_delete=models.PROTECT
    )
    due_date = models.DateField(_("完成期限"))
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("走访待办")
        verbose_name_plural = _("走访待办")
        ordering = ["due_date", "pk"]

    def __str__(self):
        return self.description


class Dispute(models.Model):
    """A 矛盾纠纷 on the station's register: what kind, how risky, where it came from (a 110 call, a
    visit, a walk-in, a 12345 referral), where it is, and how far the mediation has gone."""

    number = models.CharField(_("纠纷编号"), max_length=16, unique=True)
    kind = models.CharField(_("纠纷类型"), max_length=10, choices=DisputeKind.choices)
    risk = models.CharField(_("风险等级"), max_length=6, choices=Risk.choices, default=Risk.LOW)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.FOUND)
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices)
    incident = models.ForeignKey(
        "incidents.Incident",
        verbose_name=_("来源警情"),
        related_name="disputes",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    visit = models.ForeignKey(
        Visit, verbose_name=_("来源走访"), related_name="disputes", on_delete=models.SET_NULL, null=True, blank=True
    )
    referral_number = models.CharField(_("12345工单号"), max_length=30, blank=True)
    station = models.ForeignKey(
        Organization, verbose_name=_("派出所"), related_name="disputes", on_delete=models.PROTECT
    )
    community = models.ForeignKey(
        "communities.Community",
        verbose_name=_("社区"),
        related_name="disputes",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    address = models.CharField(_("纠纷地点"), max_length=200)
    lat = models.FloatField(_("纬度"), validators=lat_validators, null=True, blank=True)
    lon = models.FloatField(_("经度"), validators=lon_validators, null=True, blank=True)
    description = models.TextField(_("纠纷简况"), max_length=4000)
    found_at = models.DateTimeField(_("排查时间"), default=timezone.now, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), related_name="+", on_delete=models.PROTECT
    )
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    agreement = models.TextField(_("协议内容"), max_length=4000, blank=True)
    agreed_at = models.DateTimeField(_("达成协议时间"), null=True, blank=True)
    transfer_body = models.CharField(_("移交机构类别"), max_length=10, choices=TransferBody.choices, blank=True)
    transfer_to = models.CharField(_("接收单位"), max_length=80, blank=True)
    transferred_at = models.DateTimeField(_("移交时间"), null=True, blank=True)
    follow_up_at = models.DateTimeField(_("回访时间"), null=True, blank=True)
    follow_up_holds = models.BooleanField(_("协议履行/化解稳定"), null=True, blank=True)
    follow_up_result = models.TextField(_("回访情况"), max_length=2000, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    flagged = models.BooleanField(_("风险预警"), default=False)
    flag_reason = models.CharField(_("预警原因"), max_length=200, blank=True)
    flagged_at = models.DateTimeField(_("预警时间"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = StationScoped.as_manager()

    class Meta:
        verbose_name = _("矛盾纠纷")
        verbose_name_plural = _("矛盾纠纷")
        ordering = ["-found_at", "-pk"]
        indexes = [models.Index(fields=["station", "status"], name="dispute_station_status")]

    def __str__(self):
        return self.number

    @property
    def next_steps(self) -> list[str]:
        return steps_from(self.status)

    @property
    def resolved(self) -> bool:
        """化解: settled by agreement here (whatever came after); a transfer is counted apart."""
        return self.agreed_at is not None


class DisputeParty(models.Model):
    """A party (当事人) of a dispute: name, phone and ID number, encrypted and masked."""

    class Role(models.TextChoices):
        APPLICANT = "applicant", _("申请人")
        RESPONDENT = "respondent", _("被申请人")
        OTHER = "other", _("其他当事人")

    dispute = models.ForeignKey(Dispute, verbose_name=_("纠纷"), related_name="parties", on_delete=models.CASCADE)
    role = models.CharField(_("身份"), max_length=10, choices=Role.choices, default=Role.APPLICANT)
    name = EncryptedCharField(_("姓名"), max_length=30)
    phone = EncryptedCharField(_("联系电话"), max_length=20)
    id_number = EncryptedCharField(_("身份证号码"), max_length=18)

    class Meta:
        verbose_name = _("当事人")
        verbose_name_plural = _("当事人")
        ordering = ["pk"]

    def __str__(self):
        return self.get_role_display()


class MediationSession(models.Model):
    """One 调解 session: when, who mediated, what came of it."""

    dispute = models.ForeignKey(Dispute, verbose_name=_("纠纷"), related_name="sessions", on_delete=models.CASCADE)
    held_at = models.DateTimeField(_("调解时间"))
    mediator = models.CharField(_("调解人"), max_length=60)
    result = models.TextField(_("调解情况"), max_length=2000)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("记录人"), related_name="+", on_delete=models.PROTECT
    )

    class Meta:
        verbose_name = _("调解记录")
        verbose_name_plural = _("调解记录")
        ordering = ["held_at", "pk"]

    def __str__(self):
        return self.mediator
