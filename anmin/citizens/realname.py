"""Real-name verification (实名认证) against the population register, pluggable.

`REALNAME_VERIFIER` names a class with `verify(name, id_number) -> Verdict`. A check-digit-valid
number proves nothing about who typed it: only the population service (人口信息核查) can say
whether a name and a 居民身份证号码 belong together.

- `PopulationServiceVerifier` (production): POSTs {"name", "id_number"} as JSON to
  REALNAME_SERVICE_URL and reads {"match": true|false}. Anything else — no answer within
  REALNAME_SERVICE_TIMEOUT, an HTTP error, a body that is not that JSON — is "unavailable", and
  the citizen is told to try again later: the check fails closed, never open.
- `DemoVerifier` (development): accepts the demo city's identities
  (anmin/citizens/demo_identities.json) and nothing else. It refuses to be constructed unless
  DEBUG, and a system check stops the server from starting with it in production.
"""

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

DEMO_IDENTITIES = Path(__file__).resolve().parent / "demo_identities.json"

DEMO_VERIFIER_IN_PRODUCTION = (
    "REALNAME_VERIFIER is the development verifier anmin.citizens.realname.DemoVerifier, which accepts "
    "the demo identities only: set REALNAME_VERIFIER (and REALNAME_SERVICE_URL) for the population "
    "service (or DEBUG=true for development)"
)


@dataclass(frozen=True)
class Verdict:
    """The register's answer: `ok` when name and number belong together; `reason` says why not
    (for the audit trail — the citizen is told the same thing whatever the reason)."""

    ok: bool
    reason: str = ""


class VerifierUnavailable(Exception):
    """The population service did not answer usably: nobody is verified meanwhile."""


class PopulationServiceVerifier:
    """人口信息核查服务: one JSON request per check, over HTTP(S), with a timeout."""

    def __init__(self):
        self.url = settings.REALNAME_SERVICE_URL
        self.timeout = settings.REALNAME_SERVICE_TIMEOUT
        self.token = settings.REALNAME_SERVICE_TOKEN

    def verify(self, name: str, id_number: str) -> Verdict:
        if urlsplit(self.url).scheme not in ("http", "https"):
            raise VerifierUnavailable("REALNAME_SERVICE_URL is not an http(s) address")
        body = json.dumps({"name": name, "id_number": id_number}, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")  # noqa: S310 (scheme checked above)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                answer = json.loads(response.read(64 * 1024))
        except (OSError, ValueError) as exc:  # URLError, HTTPError and timeouts are OSErrors
            raise VerifierUnavailable(f"population service: {type(exc).__name__}") from None
        match = answer.get("match") if isinstance(answer, dict) else None
        if not isinstance(match, bool):
            raise VerifierUnavailable("population service: the answer has no boolean 'match'")
        return Verdict(True) if match else Verdict(False, "mismatch")


@cache
def demo_identities() -> frozenset[tuple[str, str]]:
    """The demo city's people, as (name, id_number): the development verifier's register."""
    rows = json.loads(DEMO_IDENTITIES.read_text(encoding="utf-8"))
    return frozenset((row["name"], row["id_number"]) for row in rows)


class DemoVerifier:
    """Development: the demo identities are the register. Refused unless DEBUG."""

    def __init__(self):
        if not settings.DEBUG:
            raise ImproperlyConfigured(DEMO_VERIFIER_IN_PRODUCTION)

    def verify(self, name: str, id_number: str) -> Verdict:
        if (name, id_number) in demo_identities():
            return Verdict(True)
        return Verdict(False, "姓名与身份证号码不匹配")


def verifier():
    return import_string(settings.REALNAME_VERIFIER)()
