"""How a message reaches each kind of work group: the vendor's body format, its signing, what its
answer means, and its rate limit — each as the vendor documents it for group robots.

- 钉钉 (DingTalk) custom robot: POST JSON to the webhook (`…/robot/send?access_token=…`) with
  `timestamp` (milliseconds) and `sign` in the query, `sign` = urlencode(Base64(HMAC-SHA256(key=secret,
  msg="timestamp\\nsecret"))); body `{"msgtype": "markdown", "markdown": {"title", "text"}}`; success is
  `errcode == 0`, 130101 is "sending too fast"; at most 20 messages a minute per robot.
- 飞书 (Feishu/Lark) custom bot: `timestamp` (seconds) and `sign` in the JSON body, `sign` =
  Base64(HMAC-SHA256(key="timestamp\\nsecret", msg="")); body `{"msg_type": "post", "content": {"post":
  {"zh_cn": {"title", "content": [[…]]}}}}`; success is `code == 0`, 9499/11232 are rate limits.
- 企业微信 (WeCom) group robot: the key is in the URL (`…/webhook/send?key=…`), no signing; body
  `{"msgtype": "markdown", "markdown": {"content"}}` (at most 4096 bytes); success is `errcode == 0`,
  45009 is the rate limit; 20 messages a minute per robot.
- 短信列表: each phone through the bureau's SMS gateway (`anmin.citizens.sms.send`).

Outbound HTTP uses the standard library with a short timeout and runs only in the background task
(never in a request): a vendor that hangs delays one send, never an officer's page.
"""

import base64
import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

log = logging.getLogger("anmin.missing.broadcast")

#: Messages per window (seconds) each kind of group accepts: the vendors' documented robot limits.
#: An SMS list is bounded by the gateway, not by a robot; kept at the same pace so one case cannot
#: flood the gateway either.
RATE_LIMITS: dict[str, tuple[int, int]] = {
    "wecom": (20, 60),
    "dingtalk": (20, 60),
    "feishu": (20, 60),
    "sms": (20, 60),
}

#: Seconds the vendor gets to answer.
TIMEOUT = 5
#: 企业微信 refuses a markdown body over 4096 bytes.
WECOM_MAX_BYTES = 4096

#: Vendor error codes that mean "try again later" (rate limits, system busy).
RETRYABLE_CODES = {
    "dingtalk": {-1, 130101},
    "feishu": {9499, 11232, 11233},
    "wecom": {-1, 45009},
}


@dataclass
class Outcome:
    """What one attempt came to: delivered or not, whether to try again, and the answer's excerpt."""

    ok: bool
    retryable: bool
    response: str


@dataclass
class Message:
    """A message for a group: a title and a Markdown body, and the clue link (for vendors that show
    a link apart from the text)."""

    title: str
    text: str
    link: str = ""


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """钉钉: Base64(HMAC-SHA256(key=secret, msg="timestamp\\nsecret")), URL-encoded for the query."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest).decode())


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """飞书: Base64(HMAC-SHA256(key="timestamp\\nsecret", msg=""))."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _with_query(url: str, extra: str) -> str:
    return url + ("&" if urllib.parse.urlsplit(url).query else "?") + extra


def request_for(kind: str, url: str, secret: str, message: Message, *, now: float | None = None) -> tuple[str, dict]:
    """The URL to POST to and the JSON body, for a robot of `kind`."""
    now = time.time() if now is None else now
    linked = (
        f"#### {message.title}\n\n"
        + message.text
        + (f"\n\n[{_('点此提供线索')}]({message.link})" if message.link else "")
    )
    if kind == "dingtalk":
        ts = int(now * 1000)
        if secret:
            url = _with_query(url, f"timestamp={ts}&sign={dingtalk_sign(secret, ts)}")
        return url, {"msgtype": "markdown", "markdown": {"title": message.title, "text": linked}}
    if kind == "feishu":
        ts = int(now)
        lines = [[{"tag": "text", "text": line}] for line in message.text.splitlines() if line]
        if message.link:
            lines.append([{"tag": "a", "text": _("点此提供线索"), "href": message.link}])
        body: dict = {"msg_type": "post", "content": {"post": {"zh_cn": {"title": message.title, "content": lines}}}}
        if secret:
            body = {"timestamp": str(ts), "sign": feishu_sign(secret, ts), **body}
        return url, body
    if kind == "wecom":
        content = f"**{message.title}**\n" + message.text
        while len(content.encode()) > WECOM_MAX_BYTES - 400:
            content = content[:-50]
        content += f"\n\n[{_('点此提供线索')}]({message.link})" if message.link else ""
        return url, {"msgtype": "markdown", "markdown": {"content": content}}
    raise ValueError(kind)


def _judge(kind: str, status: int, raw: bytes) -> Outcome:
    excerpt = raw[:250].decode("utf-8", "replace")
    try:
        answer = json.loads(raw or b"{}")
    except ValueError:
        return Outcome(False, status >= 500 or status == 429, f"HTTP {status} {excerpt}")
    code = answer.get("code", answer.get("StatusCode")) if kind == "feishu" else answer.get("errcode")
    if status == 200 and code == 0:
        return Outcome(True, False, excerpt)
    retryable = status >= 500 or status == 429 or code in RETRYABLE_CODES.get(kind, ())
    return Outcome(False, retryable, f"HTTP {status} {excerpt}")


def post_json(kind: str, url: str, body: dict) -> Outcome:
    data = json.dumps(body, ensure_ascii=False).encode()
    req = urllib.request.Request(  # noqa: S310 - the scheme is checked when the group is saved (http/https only)
        url, data=data, method="POST", headers={"Content-Type": "application/json; charset=utf-8"}
    )
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:  # noqa: S310 - as above
            return _judge(kind, resp.status, resp.read(4096))
    except urllib.error.HTTPError as exc:
        return _judge(kind, exc.code, exc.read(4096) if exc.fp else b"")
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return Outcome(False, True, (_("网络错误：%(reason)s") % {"reason": reason})[:250])


def transport() -> str:
    """ "http" sends for real; "log" (the demo, development) writes each message to the log and
    reports it delivered, so a demo's groups, whose webhooks point nowhere, never reach a vendor."""
    return getattr(settings, "MISSING_BROADCAST_TRANSPORT", "log" if settings.DEBUG else "http")


def deliver(group, message: Message) -> Outcome:
    """One attempt to deliver `message` to `group`."""
    if transport() == "log":
        log.warning("工作群 %s（%s）: %s", group.name, group.get_kind_display(), message.title)
        return Outcome(True, False, _("演示环境：已写入日志，未实际发送"))
    if group.kind == "sms":
        from anmin.citizens.sms import send as send_sms

        phones = [p for p in group.phones.split() if p]
        if not phones:
            return Outcome(False, False, _("短信列表没有手机号码"))
        text = f"{message.title}\n{message.text}" + (f"\n{message.link}" if message.link else "")
        for phone in phones:
            send_sms(phone, text)
        return Outcome(True, False, _("已提交短信平台：%(n)s 个号码") % {"n": len(phones)})
    url, body = request_for(group.kind, group.webhook_url, group.secret, message)
    return post_json(group.kind, url, body)
