"""Time-based one-time codes (RFC 6238, what every authenticator app speaks) and recovery codes.

A code is checked against the current 30-second step and one step either side, so a phone clock a
little off still signs in; the step of the accepted code is stored and no step is accepted twice.
"""

import hmac
import secrets

import pyotp
import segno
from django.conf import settings
from django.utils import timezone

RECOVERY_CODES = 10
# Without 0/o, 1/l/i: codes are copied from paper. 31 symbols × 16 = 79 bits each.
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_RECOVERY_LENGTH = 16


def new_secret() -> str:
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, account: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=settings.TOTP_ISSUER)


def qr_svg(uri: str) -> str:
    """The QR code of `uri` as inline SVG markup: drawn here, no outside service and no image URL."""
    return segno.make(uri, error="m").svg_inline(scale=5, dark="#0b2545", border=2)


def current_step(now=None) -> int:
    return pyotp.TOTP(new_secret()).timecode(now or timezone.now())


def matching_step(secret: str, code: str, now=None) -> int | None:
    """The step (±1 around now) whose code is `code`, or None."""
    code = code.strip().replace(" ", "")
    if not secret or len(code) != 6 or not code.isascii() or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    step = totp.timecode(now or timezone.now())
    for candidate in (step, step - 1, step + 1):
        if hmac.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


def code_at(secret: str, step: int) -> str:
    """The code of `step` (tests and the browser test type it as an app would show it)."""
    return pyotp.TOTP(secret).generate_otp(step)


def new_recovery_codes() -> list[str]:
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        codes.append("-".join(raw[i : i + 4] for i in range(0, _RECOVERY_LENGTH, 4)))
    return codes


def looks_like_totp(code: str) -> bool:
    code = code.strip().replace(" ", "")
    return len(code) == 6 and code.isascii() and code.isdigit()
