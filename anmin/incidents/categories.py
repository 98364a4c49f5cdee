"""The 警情类别代码表 as a call-taker types it: by code (0201), by name (殴打他人) or by part of a
name (殴打, 纠纷).

A call-taker on the phone thinks in words, not in codes, and the intake hint invites words; the
code is what the table keys on. So a typed value is read in this order, and only a clear answer is
taken:

1. a code, alone or as the first word ("0601" and "0601 家庭纠纷" both mean 0601);
2. a sub-category's full name (盗窃 is 0110 even though 入室盗窃 also contains it);
3. the only sub-category whose name contains the text (殴打 → 殴打他人);
4. the longest name the text contains, when only one is that long (入室盗窃案 → 入室盗窃).

Several equally good answers (纠纷 → 家庭纠纷, 邻里纠纷, …; a class name such as 求助) are refused
with the candidates listed, never guessed: a wrong category sends the wrong units. A text that
shares only a pair of characters with some names (噪音扰民 ~ 噪声扰民) is refused the same way, its
near names offered as candidates.

Forms, the API and imports all go through `resolve_category`, so they accept and refuse alike.
"""

import re
import unicodedata
from dataclasses import dataclass

from django.utils.translation import gettext as _

from anmin.core.cache import TtlCache
from anmin.core.errors import ActionError
from anmin.incidents.models import Category

#: The active code table, per process; cleared when a Category is saved (see IncidentsConfig.ready).
category_cache = TtlCache("incident-categories", ttl=60)

#: Characters of a typed value that are looked at: a category name is short, and a pasted
#: paragraph must not cost a scan of every name per character.
MAX_QUERY = 40
#: At most this many candidates are named in a refusal.
MAX_CANDIDATES = 10

_CODE = re.compile(r"\d{2,8}")
_QUALIFIER = re.compile(r"[（(][^）)]*[）)]")


@dataclass(frozen=True)
class CodeTable:
    """The active rows: by code, the sub-categories an incident is recorded under, the classes."""

    by_code: dict[str, Category]
    leaves: tuple[Category, ...]
    classes: tuple[Category, ...]


def code_table() -> CodeTable:
    def load() -> CodeTable:
        rows = list(Category.objects.filter(active=True).order_by("code"))
        return CodeTable(
            by_code={c.code: c for c in rows},
            leaves=tuple(c for c in rows if c.parent_id is not None),
            classes=tuple(c for c in rows if c.parent_id is None),
        )

    return category_cache.get("table", load)


def clean_query(text: str) -> str:
    """Full-width digits and letters made half-width (NFKC: ０６０１ is 0601), spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text or "")[:MAX_QUERY].split())


def plain_name(name: str) -> str:
    """A name without its qualifier: 故意伤害（轻伤） → 故意伤害."""
    return _QUALIFIER.sub("", name).strip()


def bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


@dataclass(frozen=True)
class Match:
    """What a typed value names: one `category`, or none and the `candidates` to choose from."""

    category: Category | None
    candidates: tuple[Category, ...] = ()


def match_category(text: str) -> Match:
    """Read a typed value as described in the module docstring; never raises."""
    query = clean_query(text)
    if not query:
        return Match(None)
    table = code_table()
    first = query.split(" ", 1)[0]
    if first in table.by_code:
        return Match(table.by_code[first])
    name = query.replace(" ", "")
    for leaf in table.leaves:
        if leaf.name == name:
            return Match(leaf)
    # A class name (求助, 纠纷) stands for its sub-categories.
    for klass in table.classes:
        if klass.name == name:
            children = tuple(c for c in table.leaves if c.parent_id == klass.pk)
            return Match(children[0]) if len(children) == 1 else Match(None, children)
    containing = tuple(c for c in table.leaves if name in c.name)
    if len(containing) == 1:
        return Match(containing[0])
    if containing:
        return Match(None, containing)
    contained = [c for c in table.leaves if plain_name(c.name) and plain_name(c.name) in name]
    if contained:
        longest = max(len(plain_name(c.name)) for c in contained)
        best = tuple(c for c in contained if len(plain_name(c.name)) == longest)
        return Match(best[0]) if len(best) == 1 else Match(None, best)
    # Near names only: offered, never taken.
    pairs = bigrams(name)
    near = sorted(
        ((len(pairs & bigrams(plain_name(c.name))), c) for c in table.leaves),
        key=lambda item: (-item[0], item[1].code),
    )
    return Match(None, tuple(c for overlap, c in near if overlap > 0))


def candidate_out(category: Category) -> dict:
    return {"code": category.code, "name": category.name, "serious_violence": category.serious_violence}


def resolve_category(text: object, field: str = "category") -> Category:
    """The category a typed value names, or ActionError naming `field`: required, unknown, or
    ambiguous (with `candidates` in the error for the form's list and the API's client)."""
    if not isinstance(text, str) or not text.strip():
        raise ActionError(_("请选择警情类别"), field=field, code="required")
    found = match_category(text)
    if found.category is not None:
        return found.category
    query = clean_query(text)
    if not found.candidates:
        if _CODE.fullmatch(query):
            message = _("未知的警情类别代码：%(code)s") % {"code": query[:20]}
        else:
            message = _("没有与“%(text)s”相符的警情类别，请输入代码或名称") % {"text": query[:20]}
        raise ActionError(message, field=field, code="unknown")
    shown = found.candidates[:MAX_CANDIDATES]
    names = "、".join(f"{c.code} {c.name}" for c in shown)
    if len(found.candidates) > len(shown):
        names += " …"
    raise ActionError(
        _("“%(text)s”可能是以下警情类别，请选择其一：%(names)s") % {"text": query[:20], "names": names},
        field=field,
        code="ambiguous",
        extra={"candidates": [candidate_out(c) for c in shown]},
    )
