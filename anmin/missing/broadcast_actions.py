"""Actions of the broadcast that people take: set up or change a work group, and a group member's
clue posted through the link in an alert. (The engine's own actions — rings, sends — are in
`broadcast.py`.)"""

import re
import urllib.parse
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from anmin.addresses.models import Address, Level
from anmin.communities.models import Community
from anmin.core.actions import Action
from anmin.core.errors import ActionError, Denied
from anmin.core.validation import clean_text
from anmin.missing.broadcast_models import AreaKind, Group, GroupKind
from anmin.missing.models import Clue, MissingCase
from anmin.org.models import Organization, scope_path

MOBILE = re.compile(r"^1[3-9]\d{9}$")
#: An SMS list is the handful of people a village relies on (村支书、网格员), not a mass mailing.
MAX_PHONES = 50
SIGNED_KINDS = (GroupKind.DINGTALK, GroupKind.FEISHU)
ROBOT_KINDS = (GroupKind.WECOM, GroupKind.DINGTALK, GroupKind.FEISHU)


def clean_phones(value) -> str:
    """Phones of an SMS list from a list or text (one per line, or separated by commas/spaces):
    each a mainland mobile number, no repeats; stored one per line."""
    if value is None:
        return ""
    items = value if isinstance(value, list | tuple) else re.split(r"[\s,，;；、]+", str(value))
    phones: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise ActionError(_("手机号码应为文本"), field="phones")
        digits = re.sub(r"[\s-]", "", item)
        if digits.startswith("+86"):
            digits = digits[3:]
        if not digits:
            continue
        if not MOBILE.match(digits):
            raise ActionError(_("手机号码无效：应为11位手机号"), field="phones")
        if digits not in phones:
            phones.append(digits)
    if len(phones) > MAX_PHONES:
        raise ActionError(_("短信列表最多 %(n)s 个号码") % {"n": MAX_PHONES}, field="phones")
    return "\n".join(phones)


def clean_url(value) -> str:
    url = clean_text(value, "webhook_url", _("Webhook 地址"), 500, required=False)
    if not url:
        return ""
    parts = urllib.parse.urlsplit(url)
    # The vendors' hosts are not enforced: intranets reach them through their own proxies.
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in url:
        raise ActionError(_("Webhook 地址应为 http:// 或 https:// 开头的网址"), field="webhook_url")
    return url


def _number(value, field: str, label: str, low: float, high: float) -> float | None:
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ActionError(_("%(label)s应为数字") % {"label": label}, field=field) from None
    if not low <= number <= high:
        raise ActionError(_("%(label)s超出范围") % {"label": label}, field=field)
    return number


class SaveGroup(Action):
    """建群/改群: register one of the bureau's work groups for missing-person alerts (or change it):
    its kind, webhook and signing secret or phones, the unit that owns it and the area it covers.
    The webhook, secret and phones are credentials and personal data: stored encrypted, and the
    audit entry names what changed, never their values."""

    def audit_action(self) -> str:
        return "missing.group_edit" if self.group else "missing.group_create"

    def __init__(self, *, by, data: dict, group: Group | None = None):
        self.by, self.data, self.group = by, data, group

    def check(self) -> None:
        if scope_path(self.by) is None:
            raise Denied(_("无权管理工作群"))
        d, group = self.data, self.group
        if group is not None and not Group.objects.visible_to(self.by).filter(pk=group.pk).exists():
            raise Denied(_("无权管理该工作群"), field="id")

        def given(name):
            return name in d and d[name] is not None

        def filled(name):
            return given(name) and d[name] not in ("", [])

        def current(name, default=None):
            return getattr(group, name) if group is not None else default

        self.name = (
            clean_text(d.get("name"), "name", _("群名称"), 80, required=True)
            if given("name") or not group
            else group.name
        )
        self.kind = d["kind"] if given("kind") else current("kind")
        if self.kind not in GroupKind.values:
            raise ActionError(_("类型应为企业微信、钉钉、飞书或短信列表之一"), field="kind", code="required")
        # Credentials are never shown back in full, so a blank one on an edit keeps the one stored.
        self.webhook_url = clean_url(d["webhook_url"]) if filled("webhook_url") else current("webhook_url", "")
        self.secret = (
            clean_text(d["secret"], "secret", _("签名密钥"), 200, required=False)
            if filled("secret")
            else current("secret", "")
        )
        self.phones = clean_phones(d["phones"]) if filled("phones") else current("phones", "")
        if self.kind in ROBOT_KINDS and not self.webhook_url:
            raise ActionError(_("群机器人须填写 Webhook 地址"), field="webhook_url", code="required")
        if self.kind in SIGNED_KINDS and not self.secret:
            raise ActionError(_("钉钉、飞书群机器人须填写签名密钥（加签）"), field="secret", code="required")
        if self.kind == GroupKind.SMS and not self.phones:
            raise ActionError(_("短信列表须填写手机号码"), field="phones", code="required")

        org = d.get("org") if given("org") else None
        if org is None:
            self.org = current("org") or self.by.organization
        else:
            units = Organization.objects.visible_to(self.by)
            text = str(org).strip()
            self.org = units.filter(code=text).first() or (
                units.filter(pk=int(text)).first() if text.isdigit() and len(text) < 12 else None
            )
            if self.org is None:
                raise ActionError(_("所属单位不存在或不在本单位范围内"), field="org")

        # The edit form sends every area field: a blank one clears it.
        keep_area = not d.get("clear_area")

        def area(name):
            return current(name) if keep_area else None

        self.community = area("community")
        if given("community"):
            self.community = Community.objects.visible_to(self.by).filter(pk=d["community"]).first()
            if self.community is None:
                raise ActionError(_("社区/村不存在或不在本单位范围内"), field="community")
        self.township = area("township")
        if given("township"):
            self.township = Address.objects.filter(code=str(d["township"]), level=Level.TOWN).first()
            if self.township is None:
                raise ActionError(_("乡镇/街道代码无效"), field="township")
        self.lat = _number(d.get("lat"), "lat", _("纬度"), -90, 90) if given("lat") else area("lat")
        self.lon = _number(d.get("lon"), "lon", _("经度"), -180, 180) if given("lon") else area("lon")
        if (self.lat is None) != (self.lon is None):
            raise ActionError(_("经纬度须同时填写"), field="lon" if self.lon is None else "lat")
        self.radius_km = (
            _number(d.get("radius_km"), "radius_km", _("半径（公里）"), 0.1, 1000)
            if given("radius_km")
            else area("radius_km")
        )
        if self.lat is not None:
            self.area = AreaKind.POINT
        elif self.community is not None:
            self.area = AreaKind.COMMUNITY
        elif self.township is not None:
            self.area = AreaKind.TOWNSHIP
        else:
            self.area = AreaKind.UNIT
        self.active = bool(d["active"]) if given("active") else current("active", True)

    def run(self) -> Group:
        group = self.group or Group()
        before = {f: getattr(group, f) for f in ("webhook_url", "secret", "phones")} if self.group else {}
        for field in (
            "name",
            "kind",
            "webhook_url",
            "secret",
            "phones",
            "org",
            "area",
            "community",
            "township",
            "lat",
            "lon",
            "radius_km",
            "active",
        ):
            setattr(group, field, getattr(self, field))
        group.save()
        changed = [f for f, v in before.items() if getattr(group, f) != v]
        self.audit(group, {"name": group.name, "kind": group.kind, "credentials_changed": changed})
        return group


class PostGroupClue(Action):
    """A member of a work group (a village party secretary, a shopkeeper in the group) answers an
    alert through its link: a clue on the case, marked as coming from that group, with the name
    and phone they chose to give (stored encrypted, shown masked)."""

    audit_action = "missing.group_clue"

    def __init__(self, *, case: MissingCase, group: Group, data: dict, now: datetime | None = None):
        self.case, self.group, self.data = case, group, data
        self.now = now or timezone.now()
        self.by = None

    def check(self) -> None:
        if self.case.status != MissingCase.Status.SEARCHING:
            raise ActionError(_("此人已找到或查找已结束，感谢您的关注"), field=None, code="closed")
        d = self.data
        self.text = clean_text(d.get("text"), "text", _("线索内容"), 2000, required=True)
        self.name = clean_text(d.get("name"), "name", _("您的称呼"), 30, required=False)
        phone = clean_phones(d.get("phone")) if d.get("phone") else ""
        if "\n" in phone:
            raise ActionError(_("请只填写一个手机号码"), field="phone")
        self.phone = phone

    def run(self) -> Clue:
        author = self.name + (f" {self.phone}" if self.phone else "")
        clue = Clue.objects.create(
            case=self.case,
            source=Clue.Source.GROUP,
            author_name=author[:30],
            text=self.text,
            via_group=self.group,
            at=self.now,
        )
        self.audit(clue, {"case": self.case.number, "group": self.group.name})
        return clue
