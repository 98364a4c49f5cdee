"""Fake group-robot webhooks of 钉钉, 飞书 and 企业微信 for the broadcast's tests: a small threaded HTTP
server that checks each request as the vendor would (the URL's token or key, the signature, the
body's format) and answers as the vendor does — success, a signature error, a rate-limit error —
so the tests run the broadcast's real HTTP path.

Routes (robot id = the access_token / hook id / key):
  POST /dingtalk/robot/send?access_token=ID&timestamp=…&sign=…   body {"msgtype": "markdown", …}
  POST /feishu/open-apis/bot/v2/hook/ID                          body {"timestamp", "sign", "msg_type", …}
  POST /wecom/cgi-bin/webhook/send?key=ID                        body {"msgtype": "markdown", …}
"""

import base64
import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

#: A vendor refuses a timestamp more than an hour from its clock.
SKEW_MS = 3600 * 1000


class FakeWebhooks:
    """The three vendors on one local port. `robots[id] = secret` registers a robot; `fail[id]` is
    a list of answers ("500", "rate", "busy") to give before answering normally; `received[id]`
    keeps every accepted body; `refused` keeps (id, reason) of every refused request."""

    def __init__(self):
        self.robots: dict[str, str] = {}
        self.fail: dict[str, list[str]] = defaultdict(list)
        self.received: dict[str, list[dict]] = defaultdict(list)
        self.refused: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                return

            def do_POST(self):
                parts = urllib.parse.urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                status, answer = fake.handle(parts.path, urllib.parse.parse_qs(parts.query), raw, self.headers)
                data = json.dumps(answer, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    # URLs a group is registered with
    def dingtalk_url(self, robot: str) -> str:
        return f"{self.base}/dingtalk/robot/send?access_token={robot}"

    def feishu_url(self, robot: str) -> str:
        return f"{self.base}/feishu/open-apis/bot/v2/hook/{robot}"

    def wecom_url(self, robot: str) -> str:
        return f"{self.base}/wecom/cgi-bin/webhook/send?key={robot}"

    def handle(self, path: str, query: dict, raw: bytes, headers) -> tuple[int, dict]:
        if not headers.get("Content-Type", "").startswith("application/json"):
            return 400, {"errcode": 40035, "errmsg": "content type must be json"}
        try:
            body = json.loads(raw)
        except ValueError:
            return 400, {"errcode": 40035, "errmsg": "invalid json"}
        if path.startswith("/dingtalk/"):
            return self._dingtalk(query, body)
        if path.startswith("/feishu/open-apis/bot/v2/hook/"):
            return self._feishu(path.rsplit("/", 1)[-1], body)
        if path.startswith("/wecom/"):
            return self._wecom(query, body)
        return 404, {}

    def _scripted(self, robot: str, vendor: str) -> tuple[int, dict] | None:
        with self.lock:
            if not self.fail[robot]:
                return None
            what = self.fail[robot].pop(0)
        if what == "500":
            return 502, {"message": "bad gateway"}
        rate = {
            "dingtalk": {"errcode": 130101, "errmsg": "send too fast"},
            "feishu": {"code": 9499, "msg": "too many request"},
        }
        busy = {
            "dingtalk": {"errcode": -1, "errmsg": "系统繁忙"},
            "feishu": {"code": 11232, "msg": "frequency limited"},
        }
        wecom = {
            "rate": {"errcode": 45009, "errmsg": "api freq out of limit"},
            "busy": {"errcode": -1, "errmsg": "system busy"},
        }
        if vendor == "wecom":
            return 200, wecom[what]
        return 200, (rate if what == "rate" else busy)[vendor]

    def _refuse(self, robot: str, reason: str, answer: dict) -> tuple[int, dict]:
        self.refused.append((robot, reason))
        return 200, answer

    def _accept(self, robot: str, body: dict, answer: dict) -> tuple[int, dict]:
        with self.lock:
            self.received[robot].append(body)
        return 200, answer

    def _dingtalk(self, query: dict, body: dict) -> tuple[int, dict]:
        robot = (query.get("access_token") or [""])[0]
        if robot not in self.robots:
            return self._refuse(robot, "token", {"errcode": 300001, "errmsg": "token is not exist"})
        secret = self.robots[robot]
        ts, sign = (query.get("timestamp") or [""])[0], (query.get("sign") or [""])[0]
        if not ts.isdigit() or abs(int(ts) - time.time() * 1000) > SKEW_MS:
            return self._refuse(robot, "timestamp", {"errcode": 310000, "errmsg": "invalid timestamp"})
        # parse_qs has already URL-decoded the sign once, as DingTalk does.
        expected = base64.b64encode(
            hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest()
        ).decode()
        if not hmac.compare_digest(sign, expected):
            return self._refuse(robot, "sign", {"errcode": 310000, "errmsg": "sign not match"})
        if body.get("msgtype") != "markdown" or not isinstance(body.get("markdown"), dict):
            return self._refuse(robot, "format", {"errcode": 40035, "errmsg": "缺少参数 msgtype"})
        md = body["markdown"]
        if not isinstance(md.get("title"), str) or not isinstance(md.get("text"), str) or not md["text"]:
            return self._refuse(robot, "format", {"errcode": 40035, "errmsg": "缺少参数 markdown"})
        return self._scripted(robot, "dingtalk") or self._accept(robot, body, {"errcode": 0, "errmsg": "ok"})

    def _feishu(self, robot: str, body: dict) -> tuple[int, dict]:
        if robot not in self.robots:
            return self._refuse(
                robot, "token", {"code": 19001, "msg": "param invalid: incoming webhook access token invalid"}
            )
        secret = self.robots[robot]
        ts, sign = str(body.get("timestamp", "")), body.get("sign", "")
        if not ts.isdigit() or abs(int(ts) - time.time()) > SKEW_MS / 1000:
            return self._refuse(
                robot,
                "timestamp",
                {"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time"},
            )
        expected = base64.b64encode(hmac.new(f"{ts}\n{secret}".encode(), b"", hashlib.sha256).digest()).decode()
        if not hmac.compare_digest(str(sign), expected):
            return self._refuse(
                robot,
                "sign",
                {"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time"},
            )
        if body.get("msg_type") not in ("text", "post", "interactive", "image", "share_chat"):
            return self._refuse(robot, "format", {"code": 19002, "msg": "params error, msg_type need"})
        if body["msg_type"] == "post":
            post = body.get("content", {}).get("post", {})
            lang = post.get("zh_cn") or post.get("en_us")
            rows = lang.get("content") if isinstance(lang, dict) else None
            if not isinstance(rows, list) or not all(isinstance(r, list) and all("tag" in e for e in r) for r in rows):
                return self._refuse(robot, "format", {"code": 9499, "msg": "Bad Request"})
        return self._scripted(robot, "feishu") or self._accept(robot, body, {"code": 0, "msg": "success", "data": {}})

    def _wecom(self, query: dict, body: dict) -> tuple[int, dict]:
        robot = (query.get("key") or [""])[0]
        if robot not in self.robots:
            return self._refuse(robot, "key", {"errcode": 93000, "errmsg": "invalid webhook url"})
        if body.get("msgtype") not in ("text", "markdown", "news", "image", "file", "template_card"):
            return self._refuse(robot, "format", {"errcode": 40008, "errmsg": "invalid message type"})
        if body["msgtype"] == "markdown":
            content = body.get("markdown", {}).get("content")
            if not isinstance(content, str) or not content:
                return self._refuse(robot, "format", {"errcode": 44004, "errmsg": "markdown content is empty"})
            if len(content.encode()) > 4096:
                return self._refuse(
                    robot, "format", {"errcode": 40058, "errmsg": "markdown.content exceed max length 4096"}
                )
        return self._scripted(robot, "wecom") or self._accept(robot, body, {"errcode": 0, "errmsg": "ok"})
