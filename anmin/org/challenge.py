"""The image challenge (图形验证码) a staff sign-in needs once its name or address has failed too often.

Drawn here with Pillow: an intranet has no CAPTCHA service to call, and none should see who signs in.
Each image is a new challenge; only an HMAC of its answer is kept, in the session, and it is used
up by the first answer given, right or wrong, so one image buys one password check at most.
"""

import io
import secrets
import time

from django.utils.crypto import constant_time_compare, salted_hmac
from PIL import Image, ImageDraw, ImageFilter, ImageFont

#: Letters and digits that cannot be taken for one another (no 0/O/Q, 1/I/L, 2/Z, 5/S, 8/B, 6/G, U/V).
ALPHABET = "ACDEFHJKMNPRTUWXY3479"
LENGTH = 5
#: An answer to an image older than this is refused: a challenge is solved while the page is open.
MAX_AGE_SECONDS = 300
SESSION_KEY = "anmin_login_challenge"
SIZE = (170, 60)


def new_text() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalize(answer: str) -> str:
    return "".join(answer.split()).upper()


def _hash(text: str, nonce: str) -> str:
    return salted_hmac("anmin.org.challenge", f"{nonce}:{text}", algorithm="sha256").hexdigest()


def issue(request) -> bytes:
    """A new challenge for this session (replacing any earlier one), as a PNG."""
    text = new_text()
    nonce = secrets.token_hex(8)
    request.session[SESSION_KEY] = {"hash": _hash(text, nonce), "nonce": nonce, "at": int(time.time())}
    return draw(text)


def verify(request, answer: str) -> bool | None:
    """Whether `answer` solves this session's challenge; None if no challenge was issued (no image
    was loaded). The challenge is used up either way."""
    pending = request.session.pop(SESSION_KEY, None)
    if not isinstance(pending, dict):
        return None
    if time.time() - pending.get("at", 0) > MAX_AGE_SECONDS:
        return False
    return constant_time_compare(_hash(normalize(answer), str(pending.get("nonce", ""))), pending.get("hash", ""))


def _font(size: int):
    try:
        return ImageFont.load_default(size=size)  # FreeType build of Pillow ≥ 10.1: a scalable font
    except (TypeError, OSError):  # pragma: no cover - a Pillow without FreeType
        return ImageFont.load_default()


def draw(text: str) -> bytes:
    """The characters, each turned and shifted a little, over crossing lines and specks."""
    rng = secrets.SystemRandom()
    width, height = SIZE
    image = Image.new("RGB", SIZE, (240, 244, 250))
    pen = ImageDraw.Draw(image)
    for _ in range(180):
        pen.point((rng.randrange(width), rng.randrange(height)), fill=tuple(rng.randrange(120, 220) for _ in "rgb"))
    step = (width - 40) // len(text)
    for index, char in enumerate(text):
        glyph = Image.new("RGBA", (44, 52), (0, 0, 0, 0))
        colour = (rng.randrange(10, 90), rng.randrange(30, 90), rng.randrange(90, 160), 255)
        ImageDraw.Draw(glyph).text((8, 4), char, font=_font(rng.randrange(32, 39)), fill=colour)
        glyph = glyph.rotate(rng.uniform(-20, 20), resample=Image.Resampling.BICUBIC, expand=False)
        image.paste(glyph, (4 + index * step + rng.randrange(-2, 3), rng.randrange(0, 7)), glyph)
    for _ in range(6):
        start = (rng.randrange(0, width // 3), rng.randrange(height))
        end = (rng.randrange(2 * width // 3, width), rng.randrange(height))
        colour = tuple(rng.randrange(60, 170) for _ in "rgb")
        pen.line([start, end], fill=colour, width=rng.choice((1, 2)))
    image = image.filter(ImageFilter.SMOOTH)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
