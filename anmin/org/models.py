"""The unit tree (组织机构), officers (民警) and their roles, API tokens."""

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import RegexValidator
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anmin.core.cache import TtlCache
from anmin.core.crypto import EncryptedCharField

#: Bearer token → ApiToken (with officer and organization), per process.
token_cache = TtlCache("api-tokens", ttl=60)

phone_validator = RegexValidator(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|\d{3,8})$", _("请输入有效的电话号码"))


def scope_path(user) -> str | None:
    """The organization-path prefix a user's reads are limited to: "" for everything (the bureau
    and its command centre), None for nothing (anonymous, or not placed in any unit)."""
    if not getattr(user, "is_authenticated", False):
        return None
    if user.sees_everything:
        return ""
    if user.organization_id is None:
        return None
    return user.organization.path


class OrganizationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Organizations in the user's subtree; the whole tree for the command centre."""
        path = scope_path(user)
        if path is None:
            return self.none()
        return self.filter(path__startswith=path) if path else self


class Organization(models.Model):
    """A node of the unit tree: 市局 › 分局/县局 › 派出所 › 警务站, plus 特警、巡警、交警 units.

    `code` is the 12-digit organization code built on the GB/T 2260 division code of the area the
    unit serves (first six digits). `path` holds the ids from the root ("/1/4/17/") so a subtree is
    one indexed prefix query.
    """

    class Kind(models.TextChoices):
        BUREAU = "bureau", _("市局")
        COMMAND = "command", _("指挥中心")
        BRANCH = "branch", _("分局/县局")
        STATION = "station", _("派出所")
        POST = "post", _("警务站")
        SWAT = "swat", _("特警")
        PATROL = "patrol", _("巡警")
        TRAFFIC = "traffic", _("交警")

    code = models.CharField(
        _("机构代码"),
        max_length=12,
        unique=True,
        validators=[RegexValidator(r"^\d{12}$", _("机构代码为12位数字"))],
    )
    name = models.CharField(_("名称"), max_length=60)
    short_name = models.CharField(_("简称"), max_length=30, blank=True)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级单位"),
        null=True,
        blank=True,
        related_name="children",
        on_delete=models.PROTECT,
    )
    division_code = models.CharField(
        _("行政区划代码"), max_length=6, validators=[RegexValidator(r"^\d{6}$", _("行政区划代码为6位数字"))]
    )
    path = models.CharField(_("路径"), max_length=200, db_index=True, editable=False, default="")
    commands_all = models.BooleanField(
        _("全局指挥"), default=False, help_text=_("市局指挥中心：可查看并调度全市警力（扁平化指挥）")
    )
    phone = models.CharField(_("值班电话"), max_length=20, blank=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        ordering = ["code"]

    def __str__(self):
        return self.name

    @property
    def label(self) -> str:
        return self.short_name or self.name

    def save(self, *args, **kwargs):
        old_path = self.path
        with transaction.atomic():
            if self.pk is None:
                super().save(*args, **kwargs)
                kwargs.pop("force_insert", None)
            self.path = (self.parent.path if self.parent_id else "/") + f"{self.pk}/"
            super().save(*args, **kwargs)
            if old_path and old_path != self.path:
                # Moved in the tree: every descendant's path changes with it.
                for child in Organization.objects.filter(path__startswith=old_path).exclude(pk=self.pk):
                    child.path = self.path + child.path[len(old_path) :]
                    super(Organization, child).save(update_fields=["path"])

    def ancestors_and_self_ids(self) -> list[int]:
        return [int(part) for part in self.path.strip("/").split("/") if part]

    def station(self):
        """The 派出所 this unit belongs to (itself, or the parent of a 警务站)."""
        node = self
        while node is not None and node.kind != self.Kind.STATION:
            node = node.parent
        return node


class Role(models.TextChoices):
    DISPATCHER = "dispatcher", _("接警员/指挥员")
    PATROL = "patrol", _("巡逻民警")
    STATION = "station", _("派出所民警")
    LEGAL = "legal", _("法制监督员")
    STATISTICIAN = "statistician", _("内勤统计员")
    TRAFFIC = "traffic", _("交通民警")
    LEADER = "leader", _("领导")
    ADMIN = "admin", _("系统管理员")
    # 三权分立 (GB/T 22239-2019 8.1.4.2): the security administrator keeps accounts, roles and
    # the security policy; the audit administrator reads and exports the audit trail; neither can
    # do the other's work, and the system administrator can do neither.
    SECURITY_ADMIN = "secadmin", _("安全管理员")
    AUDITOR = "auditor", _("审计管理员")


#: Roles that may take calls and dispatch units within what they can see.
COMMAND_ROLES = {Role.DISPATCHER, Role.LEADER, Role.ADMIN, Role.STATION}
#: Roles that handle cases in their unit (besides a case's own 主办 and 协办).
CASE_ROLES = {Role.STATION, Role.TRAFFIC, Role.LEADER}
#: Roles that approve what the law reserves to a leader (立案、撤案、处罚决定…).
APPROVER_ROLES = {Role.LEADER}


class OfficerManager(UserManager):
    def visible_to(self, user):
        orgs = Organization.objects.visible_to(user)
        return self.get_queryset().filter(organization__in=orgs)


class Officer(AbstractUser):
    """A police officer (民警) — also the login account. Officers without a login have no usable password."""

    class Rank(models.TextChoices):
        NONE = "", _("无")
        SUPERINTENDENT_2 = "2su", _("二级警监")
        SUPERINTENDENT_3 = "3su", _("三级警监")
        INSPECTOR_1 = "1in", _("一级警督")
        INSPECTOR_2 = "2in", _("二级警督")
        INSPECTOR_3 = "3in", _("三级警督")
        SERGEANT_1 = "1se", _("一级警司")
        SERGEANT_2 = "2se", _("二级警司")
        SERGEANT_3 = "3se", _("三级警司")
        CONSTABLE_1 = "1co", _("一级警员")
        CONSTABLE_2 = "2co", _("二级警员")

    badge_number = models.CharField(
        _("警号"),
        max_length=10,
        unique=True,
        null=True,
        blank=True,
        validators=[RegexValidator(r"^\d{6}$", _("警号为6位数字"))],
    )
    full_name = models.CharField(_("姓名"), max_length=30, blank=True)
    rank = models.CharField(_("警衔"), max_length=3, choices=Rank.choices, blank=True, default="")
    # An officer's own mobile number is personal data like anyone's: encrypted at rest.
    phone = EncryptedCharField(_("手机"), max_length=20, blank=True, validators=[phone_validator])
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("所属单位"),
        null=True,
        blank=True,
        related_name="officers",
        on_delete=models.PROTECT,
    )
    role = models.CharField(_("角色"), max_length=12, choices=Role.choices, default=Role.STATION)

    objects = OfficerManager()

    class Meta:
        verbose_name = _("民警")
        verbose_name_plural = _("民警")
        ordering = ["badge_number", "username"]

    def __str__(self):
        name = self.full_name or self.username
        return f"{name}（{self.badge_number}）" if self.badge_number else name

    @property
    def audit_label(self) -> str:
        return self.badge_number or self.username

    @property
    def sees_everything(self) -> bool:
        """The bureau and its command centre see and command everything (扁平化指挥)."""
        if self.is_superuser:
            return True
        org = self.organization
        return org is not None and (org.commands_all or org.parent_id is None)

    @property
    def administers_security(self) -> bool:
        """The security and the audit administrator: they keep accounts and read the trail, and
        police work (incidents, cases, property) is not theirs to see (三权分立)."""
        return self.role in (Role.SECURITY_ADMIN, Role.AUDITOR)

    @property
    def can_command(self) -> bool:
        return self.is_superuser or self.role in COMMAND_ROLES

    @property
    def can_approve(self) -> bool:
        return self.is_superuser or self.role in APPROVER_ROLES


class LoginThrottle(models.Model):
    """Failed staff sign-ins counted for one typed account name or one client address (身份鉴别:
    登录失败处理, GB/T 22239-2019 8.1.4.1 b).

    The account name is counted as typed, whether or not such an account exists, so an unknown name
    is slowed exactly like a real one and the answers tell an attacker nothing. Only an HMAC of the
    name or address is kept (`key`): typed names (often a password typed into the wrong box) are
    not stored. The rows are managed by `anmin.org.throttle`; nothing else writes them.
    """

    class Kind(models.TextChoices):
        ACCOUNT = "account", _("账号")
        ADDRESS = "address", _("地址")

    kind = models.CharField(_("类型"), max_length=7, choices=Kind.choices)
    key = models.CharField(max_length=64, unique=True, editable=False)
    failures = models.PositiveIntegerField(_("失败次数"), default=0)
    next_allowed_at = models.DateTimeField(_("下次允许"), null=True, blank=True)
    challenge_required = models.BooleanField(_("需要验证码"), default=False)
    #: Whether the refusal of an attempt during the current wait has been audited: one entry per wait,
    #: so a flood of refused requests does not flood the audit trail.
    refusal_audited = models.BooleanField(default=False, editable=False)
    updated_at = models.DateTimeField(_("更新时间"), db_index=True)

    class Meta:
        verbose_name = _("登录限速")
        verbose_name_plural = _("登录限速")

    def __str__(self):
        return f"{self.get_kind_display()} {self.key[:8]}…"


class ApiToken(models.Model):
    """A bearer token for the JSON API. Only a SHA-256 hash is stored; the token is shown once."""

    officer = models.ForeignKey(Officer, verbose_name=_("民警"), related_name="api_tokens", on_delete=models.CASCADE)
    name = models.CharField(_("用途"), max_length=60, blank=True)
    prefix = models.CharField(_("前缀"), max_length=8, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("最后使用"), null=True, blank=True, editable=False)
    revoked = models.BooleanField(_("已吊销"), default=False)

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")

    def __str__(self):
        return f"{self.prefix}… ({self.officer})"

    @staticmethod
    def hash_key(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @classmethod
    def issue(cls, officer: Officer, name: str = "") -> tuple["ApiToken", str]:
        raw = "anm_" + secrets.token_urlsafe(32)
        token = cls.objects.create(officer=officer, name=name, prefix=raw[:8], key_hash=cls.hash_key(raw))
        return token, raw

    @classmethod
    def authenticate(cls, raw: str) -> Officer | None:
        if not raw or len(raw) > 200:
            return None
        key_hash = cls.hash_key(raw)

        def load():
            return (
                cls.objects.select_related("officer__organization")
                .filter(key_hash=key_hash, revoked=False, officer__is_active=True)
                .first()
            )

        # Cached for a minute per process (cleared here on any token or officer change), so a busy
        # client costs no query per request; a revoked token stops working in other processes
        # within TOKEN_CACHE_SECONDS.
        token = token_cache.get(key_hash, load)
        if token is None:
            return None
        now = timezone.now()
        # Touch last_used at most once a minute: a write per request would serialize the API.
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            cls.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        return token.officer
