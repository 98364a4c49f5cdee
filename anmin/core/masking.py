"""Masking of personal data in lists (PIPL): show only what the task needs."""


def mask_phone(phone: str) -> str:
    """13812345678 → 138****5678; short numbers keep only their last two digits."""
    if not phone:
        return ""
    if len(phone) >= 8:
        return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
    return "*" * max(0, len(phone) - 2) + phone[-2:]


def mask_id_number(number: str) -> str:
    """131102199001011234 → 131102********1234: a 居民身份证号码 (GB 11643-1999) keeps its division code and
    its sequence code and check character, enough to tell records apart and to check against the card, while
    the birth date, which together with the rest identifies the person, is hidden.

    A 15-digit first-generation number has a 6-digit birth date and no check character, so it keeps its last
    three (131102******123): keeping four would show the last digit of the birth day. Anything shorter is a
    typo or a fragment, where first-6-and-last-4 would show nearly all of it: only its last two characters
    are kept, and none of four characters or fewer.
    """
    if not number:
        return ""
    if len(number) == 15:
        return number[:6] + "*" * 6 + number[-3:]
    if len(number) > 15:
        return number[:6] + "*" * (len(number) - 10) + number[-4:]
    visible = 2 if len(number) > 4 else 0
    return "*" * (len(number) - visible) + number[len(number) - visible :]
