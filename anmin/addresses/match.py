"""地址匹配: from what a caller says to entries of the standard address library, offline.

A call-taker types what the caller says, as the caller says it: levels left out ("河西街道王庄村",
no county), 简称 ("桃城河西王庄"), typing slips ("河西街到"), homophones from the pinyin input
method ("和西街道"), words in any order ("王庄村，桃城区河西街道"), a landmark ("衡水学院东门") or a
house number ("人民路88号"). No online geocoder is reachable from a police intranet, so the
library is matched here, in memory:

1. **Mentions.** Every substring of the query is looked up among the names and aliases of every
   entry: as written (quality 1 for a name, 0.96 for an alias), by sound (the pinyin of each
   character, pypinyin, with the usual confusions of 平翘舌、前后鼻音 and n/l folded: 0.9 for the
   same pinyin, 0.85 for a folded one), and, where neither explains a character, one typing slip
   away (a symmetric-delete index: one character replaced 0.8, missing or extra 0.75, checked
   with rapidfuzz's Levenshtein distance).
2. **Candidates.** An entry mentioned in the query is scored with its ancestors: each ancestor's
   best mention that does not overlap the ones already counted adds its length times its
   quality. The score is the share of the query so explained (0–100). Words that every address
   may carry without naming anything (河北省、衡水市, 东门、附近, house numbers) count only when
   an entry's name covers them; the uncovered ones are handed back as `detail`, so "人民路88号"
   answers road 人民路 with "88号" kept. A house number with its own 门牌 entry under the road
   (or a 楼栋 under a compound) answers that entry instead.
3. **Fallback.** When no mention scores, rapidfuzz compares the whole query with each entry's
   address below the city, so a query with several slips still finds its neighbours.

The index is built once per process from one query and rebuilt when the library's version
(IndexVersion) changes; a match reads that version at most once a second (one row by its key) and
does no other database work.
Building it for the 衡水 divisions (≈5,300 entries) takes well under a second.
"""

import re
import threading
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from pypinyin import lazy_pinyin
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from anmin.addresses.models import PREFIX, Address, IndexVersion, Level
from anmin.core.cache import TtlCache

#: Longest query considered (the API refuses longer ones).
MAX_QUERY = 100
#: Below this no candidate is offered: a query that explains less than this share names nothing.
MIN_SCORE = 40
DEFAULT_LIMIT = 10

NAME_QUALITY = 1.0
ALIAS_QUALITY = 0.96
SECTION_QUALITY = 0.95  # 人民东路 for 人民路
SOUND_QUALITY = 0.9
FOLDED_SOUND_QUALITY = 0.85
REPLACED_QUALITY = 0.8
MISSING_OR_EXTRA_QUALITY = 0.75
#: Typing slips are looked for in names of 3 to this many characters (longer ones have aliases).
TYPO_MAX = 12
FALLBACK_FACTOR = 0.8
#: More entries than this one slip from the query: only those below a division it names are kept.
SLIP_CANDIDATES = 40
#: The best mentions of each ancestor tried when scoring an entry.
ANCESTOR_OPTIONS = 4
#: How long a process trusts its index without asking the database whether another process
#: changed the library (its own changes clear it at once).
VERSION_CHECK_S = 1.0

#: Order among equal scores: the broader division first ("河西" is 河西街道 before 河西村).
LEVEL_RANK = {
    Level.COUNTY: 0,
    Level.TOWN: 1,
    Level.POI: 2,
    Level.COMPOUND: 3,
    Level.ROAD: 4,
    Level.VILLAGE: 5,
    Level.HOUSE: 6,
    Level.BUILDING: 7,
}
#: Entries found through a house number or building number under their parent, not by name.
NUMBERED_LEVELS = (Level.HOUSE, Level.BUILDING)

#: The city every address is in: named or not, it says nothing about which entry is meant.
CITY_WORDS = ("中华人民共和国", "中国", "河北省", "河北", "衡水市", "衡水")
#: Where at a place: kept for the answer, not matched.
PLACE_WORDS = (
    "十字路口",
    "交叉口",
    "停车场",
    "东门",
    "西门",
    "南门",
    "北门",
    "正门",
    "大门",
    "后门",
    "侧门",
    "门口",
    "门前",
    "对面",
    "附近",
    "旁边",
    "东侧",
    "西侧",
    "南侧",
    "北侧",
    "东边",
    "西边",
    "南边",
    "北边",
    "里面",
    "院内",
    "路口",
    "周边",
    "一带",
    "楼下",
)
_CITY = re.compile("|".join(map(re.escape, sorted(CITY_WORDS, key=len, reverse=True))))
_PLACE = re.compile("|".join(map(re.escape, sorted(PLACE_WORDS, key=len, reverse=True))))
_CN_DIGIT_CHARS = ("零〇", "一", "二两", "三", "四", "五", "六", "七", "八", "九")
_CN_DIGITS = {c: v for v, chars in enumerate(_CN_DIGIT_CHARS) for c in chars}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_NUMBER = re.compile(
    r"(?P<n>\d+(?:[-之]\d+)?|[零〇一二两三四五六七八九十百千]+)(?P<unit>号院|号楼|号|栋|幢|单元|室|层)|(?P<f>\d+)楼"
)
_SECTION_SUFFIXES = ("大街", "大道", "路", "街", "道", "巷")
_SECTIONS = ("东", "西", "南", "北", "中")


def normalize(text: str) -> str:
    """Full-width to half-width, lower case, no spaces or punctuation ("-" kept for 88-1号)."""
    text = unicodedata.normalize("NFKC", text).lower()
    return re.sub(r"[^\w-]|_", "", text)


def _chinese_number(text: str) -> int | None:
    """八十八 → 88, 一百零五 → 105, 一二三 → 123; None when it is not a plain number below 10,000."""
    if all(c in _CN_DIGITS for c in text):
        return int("".join(str(_CN_DIGITS[c]) for c in text))
    total, current = 0, 0
    for c in text:
        if c in _CN_DIGITS:
            current = _CN_DIGITS[c]
        elif c in _CN_UNITS:
            total += (current or 1) * _CN_UNITS[c]
            current = 0
        else:
            return None
    return total + current


def number_key(text: str) -> str | None:
    """The house or building number in `text`, written one way: "88号", "3栋" (for 3号楼/3幢/3栋),
    "2单元"; None without one. 门牌 and 楼栋 entries are found under their parent by this key."""
    found = _NUMBER.search(normalize(text))
    if not found:
        return None
    if found.group("f"):
        return f"{found.group('f')}层"
    number, unit = found.group("n"), found.group("unit")
    if not number[0].isdigit():
        value = _chinese_number(number)
        if value is None:
            return None
        number = str(value)
    unit = {"号楼": "栋", "幢": "栋", "号院": "号"}.get(unit, unit)
    return f"{number}{unit}"


_FOLDS = (("zh", "z"), ("ch", "c"), ("sh", "s"))


@lru_cache(maxsize=65536)
def syllable(char: str) -> str:
    """The toneless pinyin of one character in its most common reading; the character itself when
    it has none (digits, letters)."""
    return lazy_pinyin(char)[0]


@lru_cache(maxsize=65536)
def folded(char: str) -> str:
    """The syllable with the confusions of many speakers folded: zh/z, ch/c, sh/s, n/l, and the
    front and back nasals (in/ing, en/eng, an/ang)."""
    s = syllable(char)
    for long, short in _FOLDS:
        if s.startswith(long):
            s = short + s[len(long) :]
            break
    if s.startswith("n") and len(s) > 1 and s != "ng":
        s = "l" + s[1:]
    if s.endswith("ng") and len(s) > 2 and s[-3] in "aeio":
        s = s[:-1]
    return s


@dataclass(slots=True)
class Entry:
    code: str
    name: str
    full_name: str
    level: str
    parent: int  # index in Index.entries, -1 for none
    lat: float | None
    lon: float | None
    approximate: bool
    category: str
    rank: int


@dataclass(frozen=True, slots=True)
class Candidate:
    code: str
    name: str
    full_name: str
    level: str
    score: int
    lat: float | None
    lon: float | None
    approximate: bool
    category: str = ""
    detail: str = ""  # what the query added to the entry: a house number, 东门


def forms_of(entry_name: str, aliases: Iterable[str], level: str) -> dict[str, float]:
    """The texts that name an entry, normalized, with the quality of finding each one."""
    forms: dict[str, float] = {}

    def add(text: str, quality: float) -> None:
        text = normalize(text)
        if len(text) >= 2 and forms.get(text, 0) < quality:
            forms[text] = quality

    add(entry_name, NAME_QUALITY)
    for alias in aliases:
        add(alias, ALIAS_QUALITY)
    if level == Level.ROAD:
        # 人民东路、胜利西路: a section of the road, named with its direction before the suffix.
        name = normalize(entry_name)
        for suffix in _SECTION_SUFFIXES:
            if name.endswith(suffix) and len(name) > len(suffix):
                stem = name[: -len(suffix)]
                for section in _SECTIONS:
                    add(f"{stem}{section}{suffix}", SECTION_QUALITY)
                break
    return forms


class Index:
    """Every name and alias of the library, by text, by sound and by one-slip variants."""

    def __init__(self, rows: Iterable[tuple], version: int):
        self.version = version
        self.entries: list[Entry] = []
        self.exact: dict[str, list[tuple[int, float]]] = defaultdict(list)
        self.sounds: dict[str, list[tuple[int, float, str]]] = defaultdict(list)
        self.deletes: dict[str, list[tuple[int, float, str]]] = defaultdict(list)
        self.numbered: dict[tuple[int, str], int] = {}
        rows = list(rows)
        position = {row[0]: i for i, row in enumerate(rows)}
        longest = 2
        for i, (code, name, full_name, level, parent_code, aliases, category, lat, lon, approximate) in enumerate(rows):
            self.entries.append(
                Entry(
                    code=code,
                    name=name,
                    full_name=full_name,
                    level=level,
                    parent=position.get(parent_code, -1) if parent_code else -1,
                    lat=lat,
                    lon=lon,
                    approximate=approximate,
                    category=category,
                    rank=LEVEL_RANK.get(level, 9),
                )
            )
            if level in NUMBERED_LEVELS:
                key = number_key(name)
                parent = position.get(parent_code) if parent_code else None
                if key and parent is not None:
                    self.numbered.setdefault((parent, key), i)
                    continue
            for form, quality in forms_of(name, aliases or (), level).items():
                longest = max(longest, len(form))
                self.exact[form].append((i, quality))
                self.sounds[" ".join(folded(c) for c in form)].append((i, quality, form))
                if 3 <= len(form) <= TYPO_MAX:
                    for k in range(len(form)):
                        self.deletes[form[:k] + form[k + 1 :]].append((i, quality, form))
        self.longest = longest
        # For the fallback: each entry's address below the city, as a caller might say it all.
        self.paths = [e.full_name.removeprefix(PREFIX) or e.name for e in self.entries]

    @classmethod
    def build(cls, version: int) -> "Index":
        rows = Address.objects.order_by("code").values_list(
            "code", "name", "full_name", "level", "parent_id", "aliases", "category", "lat", "lon", "approximate"
        )
        return cls(rows.iterator(chunk_size=5000), version)

    # -- matching --------------------------------------------------------------------------------

    def match(self, text: str, limit: int = DEFAULT_LIMIT) -> list[Candidate]:
        query = normalize(text)[:MAX_QUERY]
        if not query:
            return []
        n = len(query)
        neutral = [False] * n
        details: list[tuple[int, int, str]] = []  # (start, end, number key or "") kept for the answer
        for found in _CITY.finditer(query):
            neutral[found.start() : found.end()] = [True] * (found.end() - found.start())
        for found in _PLACE.finditer(query):
            if not any(neutral[found.start() : found.end()]):
                neutral[found.start() : found.end()] = [True] * (found.end() - found.start())
                details.append((found.start(), found.end(), ""))
        for found in _NUMBER.finditer(query):
            if not any(neutral[found.start() : found.end()]):
                neutral[found.start() : found.end()] = [True] * (found.end() - found.start())
                details.append((found.start(), found.end(), number_key(found.group()) or ""))
        details.sort()
        mentions = self._mentions(query, neutral)
        base = n - sum(neutral)
        scored: dict[int, tuple[float, str]] = {}
        for entry in mentions:
            score, used = self._score(entry, mentions, neutral, base)
            if score <= 0:
                continue
            self._keep(scored, entry, score, self._detail(query, details, used))
            self._numbered(scored, query, entry, score, used, neutral, base, details)
        candidates = [(round(100 * s), i, d) for i, (s, d) in scored.items() if round(100 * s) >= MIN_SCORE]
        if not candidates:
            candidates = self._fallback(query, neutral, limit)
        # Equal scores: the entry that leaves nothing over (the 门牌 before its road), then the broader.
        candidates.sort(key=lambda c: (-c[0], bool(c[2]), self.entries[c[1]].rank, self.entries[c[1]].code))
        return [self._candidate(i, score, detail) for score, i, detail in candidates[:limit]]

    def _mentions(self, query: str, neutral: list[bool]) -> dict[int, list[tuple[int, int, float]]]:
        """entry → [(start, end, quality)]: where the query names it, and how surely."""
        n = len(query)
        found: dict[int, dict[tuple[int, int], float]] = defaultdict(dict)

        def add(entry: int, start: int, end: int, quality: float) -> None:
            spans = found[entry]
            if spans.get((start, end), 0) < quality:
                spans[(start, end)] = quality

        explained = [False] * n
        keys = [folded(c) for c in query]
        plain = [syllable(c) for c in query]
        for i in range(n):
            key = keys[i]
            for end in range(i + 2, min(n, i + self.longest) + 1):
                key = f"{key} {keys[end - 1]}"
                text = query[i:end]
                exact = self.exact.get(text, ())
                for entry, quality in exact:
                    add(entry, i, end, quality)
                sounds = self.sounds.get(key)
                if sounds:
                    said = plain[i:end]
                    for entry, quality, form in sounds:
                        if form != text:
                            same = [syllable(c) for c in form] == said
                            add(entry, i, end, quality * (SOUND_QUALITY if same else FOLDED_SOUND_QUALITY))
                # Only a name as written explains its characters: two characters are weak evidence
                # ("水庄" is some village's short name) and a sound may be a slip's neighbour
                # (深州市基州镇: 基州镇 sounds like 冀州镇 but is a slip of 深州镇).
                if exact and end - i >= 3:
                    explained[i:end] = [True] * (end - i)
        unexplained = [not (e or nt) for e, nt in zip(explained, neutral, strict=True)]
        if any(unexplained):
            firm = {entry: list(spans) for entry, spans in found.items()}
            slips: dict[int, list[tuple[int, int, float]]] = defaultdict(list)

            def add_slip(entry: int, start: int, end: int, quality: float) -> None:
                # A slip over a name already found as written is that name plus a neighbour's
                # character (枣强枣强: 枣强镇 one slip from 枣强枣), not a second mention.
                if all(e <= start or s >= end for s, e in firm.get(entry, ())):
                    slips[entry].append((start, end, quality))

            self._slips(query, unexplained, add_slip)
            if len(slips) > SLIP_CANDIDATES:
                # A slip in a common pattern (?庄村) is one step from hundreds of villages: only
                # those in a division the query names can win, and scoring the rest costs time.
                slips = {entry: spans for entry, spans in slips.items() if self._within(entry, firm)}
            for entry, spans in slips.items():
                for start, end, quality in spans:
                    add(entry, start, end, quality)
        return {entry: [(s, e, q) for (s, e), q in spans.items()] for entry, spans in found.items()}

    def _within(self, entry: int, named) -> bool:
        parent = self.entries[entry].parent
        while parent >= 0:
            if parent in named:
                return True
            parent = self.entries[parent].parent
        return False

    def _slips(self, query: str, unexplained: list[bool], add) -> None:
        """Names one typing slip away from a part of the query that nothing else explains."""
        n = len(query)
        for i in range(n):
            for end in range(i + 3, min(n, i + TYPO_MAX + 1) + 1):
                if not any(unexplained[i:end]):
                    continue
                text = query[i:end]
                length = end - i
                # A character missing from the query: the text is a form with one deleted.
                for entry, quality, form in self.deletes.get(text, ()):
                    if len(form) == length + 1:
                        add(entry, i, end, quality * MISSING_OR_EXTRA_QUALITY)
                for k in range(length):
                    shorter = text[:k] + text[k + 1 :]
                    # One character too many in the query.
                    if len(shorter) >= 3:
                        for entry, quality in self.exact.get(shorter, ()):
                            add(entry, i, end, quality * MISSING_OR_EXTRA_QUALITY)
                    # One character replaced: the form, less the same position, is the text less it.
                    for entry, quality, form in self.deletes.get(shorter, ()):
                        if len(form) == length and Levenshtein.distance(form, text, score_cutoff=1) == 1:
                            add(entry, i, end, quality * REPLACED_QUALITY)

    def _score(
        self, entry: int, mentions: dict[int, list[tuple[int, int, float]]], neutral: list[bool], base: int
    ) -> tuple[float, list[tuple[int, int]]]:
        """The share of the query an entry explains with its ancestors, and the spans counted: the
        best choice of one mention (or none) per ancestor, no two overlapping."""
        options = []
        parent = self.entries[entry].parent
        while parent >= 0:
            found = mentions.get(parent)
            if found:
                options.append(sorted(found, key=lambda m: -m[2] * (m[1] - m[0]))[:ANCESTOR_OPTIONS])
            parent = self.entries[parent].parent
        best: tuple[float, list[tuple[int, int]]] = (0.0, [])
        for start, end, quality in mentions[entry]:
            best = self._fit(options, 0, [(start, end)], quality * (end - start), neutral, base, best)
        return min(best[0], 1.0), best[1]

    def _fit(self, options, k, used, explained, neutral, base, best):
        if k == len(options):
            denominator = base + sum(sum(neutral[s:e]) for s, e in used)
            score = explained / denominator if denominator else 0.0
            return (score, list(used)) if score > best[0] else best
        best = self._fit(options, k + 1, used, explained, neutral, base, best)
        for s, e, q in options[k]:
            if all(e <= us or s >= ue for us, ue in used):
                used.append((s, e))
                best = self._fit(options, k + 1, used, explained + q * (e - s), neutral, base, best)
                used.pop()
        return best

    def _numbered(self, scored, query, entry, score, used, neutral, base, details) -> None:
        """A house number or building number said after its road or compound: that entry, if the
        library has it, explaining the number as well."""
        for start, end, key in details:
            child = self.numbered.get((entry, key)) if key else None
            if child is None:
                continue
            denominator = base + sum(sum(neutral[s:e]) for s, e in used)
            explained = score * denominator + (end - start)
            with_number = [*used, (start, end)]
            detail = self._detail(query, details, with_number)
            self._keep(scored, child, explained / (denominator + end - start), detail)

    @staticmethod
    def _keep(scored: dict[int, tuple[float, str]], entry: int, score: float, detail: str) -> None:
        if entry not in scored or scored[entry][0] < score:
            scored[entry] = (score, detail)

    @staticmethod
    def _detail(query: str, details: list[tuple[int, int, str]], used: list[tuple[int, int]]) -> str:
        return "".join(query[s:e] for s, e, _ in details if all(e <= us or s >= ue for us, ue in used))

    def _fallback(self, query: str, neutral: list[bool], limit: int) -> list[tuple[int, int, str]]:
        core = "".join(c for c, nt in zip(query, neutral, strict=True) if not nt)
        if len(core) < 2:
            return []
        found = process.extract(core, self.paths, scorer=fuzz.ratio, limit=limit, score_cutoff=MIN_SCORE)
        out = []
        for _text, similarity, i in found:
            score = round(similarity * FALLBACK_FACTOR)
            if score >= MIN_SCORE:
                out.append((score, i, ""))
        return out

    def _candidate(self, i: int, score: int, detail: str) -> Candidate:
        e = self.entries[i]
        return Candidate(
            code=e.code,
            name=e.name,
            full_name=e.full_name + detail,
            level=e.level,
            score=score,
            lat=e.lat,
            lon=e.lon,
            approximate=e.approximate,
            category=e.category,
            detail=detail,
        )


class _IndexCache(TtlCache):
    """This process's index and when it last checked the library's version: a TtlCache, so that
    clearing every cache (a test's fresh start, anmin.core.cache.clear_all) drops the index too."""

    def __init__(self):
        super().__init__("address-index", ttl=VERSION_CHECK_S)
        self.index: Index | None = None
        self.building = threading.Lock()

    def clear(self, *args, **kwargs) -> None:
        super().clear()
        self.index = None

    def fresh(self) -> Index:
        version = IndexVersion.current()  # read before the rows: a change meanwhile rebuilds again
        with self.building:
            index = self.index
            if index is None or index.version != version:
                index = Index.build(version)
                self.index = index
        return index


_cache = _IndexCache()


def invalidate(*args, **kwargs) -> None:
    """The library changed: this process rebuilds at its next match, every other one within
    VERSION_CHECK_S once the change is committed (IndexVersion). Also a signal receiver."""
    _cache.clear()
    IndexVersion.bump()


def current_index() -> Index:
    """This process's index, rebuilt first if the library changed since it was built."""
    return _cache.get("index", _cache.fresh)


def match(text: str, limit: int = DEFAULT_LIMIT) -> list[Candidate]:
    """Up to `limit` library entries the text may mean, best first, each with a score of 0–100."""
    return current_index().match(text, limit)
