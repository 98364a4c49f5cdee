"""Chinese word segmentation for the typical-case library (jieba), shared by indexing and search.

Chinese has no spaces between words, so neither SQLite nor PostgreSQL's 'simple' text-search
configuration can find 盗窃 inside 入室盗窃电动车. Both sides therefore go through jieba here: a
case's text is stored as its space-separated words (`TypicalCase.search_text`), and a query is cut
the same way, so the databases only ever compare whole, already-segmented words.
"""

import logging
import re
import threading
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import jieba

#: Police and legal terms that jieba's general dictionary cuts badly (跑分 → 跑 / 分) or only into
#: pieces (电信网络诈骗 → 电信 / 网络 / 诈骗). Added whole, they are indexed as one word *and*, through
#: `lcut_for_search`, as their dictionary sub-words, so 诈骗 still finds 电信网络诈骗. After adding a
#: word here, run `anmin library reindex` so that already saved cases are cut the new way.
POLICE_TERMS: tuple[str, ...] = (
    "电信网络诈骗",
    "网络诈骗",
    "冒充公检法",
    "刷单返利",
    "杀猪盘",
    "跑分",
    "帮信罪",
    "入室盗窃",
    "入户盗窃",
    "扒窃",
    "涉案财物",
    "取保候审",
    "监视居住",
    "管制刀具",
    "治安调解",
    "告诫书",
    "人身安全保护令",
    "保护性约束措施",
    "肇事逃逸",
    "交通肇事逃逸",
    "醉酒滋事",
    "违法嫌疑人",
    "犯罪嫌疑人",
    "视频侦查",
    "警务站",
    "网格员",
    "醒酒室",
    "执法记录仪",
    "治安管理处罚法",
    "反家庭暴力法",
    "反电信网络诈骗法",
    "道路交通安全法",
    "人民警察法",
)

#: Function words that carry no meaning for search. Dropped from the index and from queries, so a
#: query made only of them (或 punctuation) matches nothing instead of everything.
STOP_WORDS: frozenset[str] = frozenset(
    """
    的 地 得 了 着 过 和 与 及 以及 或 或者 而 且 并 并且 在 是 为 为了 被 把 对 对于 将 向 从 于 由 以 之 其
    该 此 这 那 这些 那些 这个 那个 也 就 都 又 还 但 但是 却 则 即 等 等等 吗 呢 吧 啊 呀 哦 嗯 么 个 一 一个
    我 你 您 他 她 它 我们 你们 他们 她们 它们 自己 有 没 没有 不 很 已 已经 所 所以 因为 如果 虽然 然后 因此
    可以 进行 关于 通过 a an the and or of to in on for is are
    """.split()
)

#: Queries longer than this are cut: a search box is not a document, and each word costs SQL.
MAX_QUERY_CHARS = 100
#: At most this many words of a query are used.
MAX_QUERY_TERMS = 12

_WORDLIKE = re.compile(r"[^\W_]")  # at least one letter or digit: drops punctuation, symbols, spaces

_lock = threading.Lock()
_tokenizer: "jieba.Tokenizer | None" = None


def tokenizer() -> "jieba.Tokenizer":
    """jieba's tokenizer, loaded on first use and then kept for the life of the process.

    Loading the dictionary takes about a second (less once jieba's cache file exists), so it is not
    done at import time — `manage.py check`, migrations and every page that never searches would
    pay for it — but at the first segmentation, once per process, under a lock because ASGI runs
    requests in several threads. jieba's own INFO banner on stderr is silenced.
    """
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                # A tokenizer of our own, so our added words never leak into other users of jieba's
                # global default tokenizer in the same process.
                tok = jieba.Tokenizer()
                tok.initialize()
                for word in POLICE_TERMS:
                    tok.add_word(word)
                _tokenizer = tok
    return _tokenizer


def normalise(text: str) -> str:
    """Full-width letters and digits to half-width (NFKC), lower case: ＡＢＣ１２３ and abc123 are one word."""
    return unicodedata.normalize("NFKC", text or "").lower()


def is_indexable(word: str) -> bool:
    """A word worth indexing or searching for: not blank, not punctuation, not a stop-word."""
    return bool(word) and _WORDLIKE.search(word) is not None and word not in STOP_WORDS


def words_for_index(text: str) -> list[str]:
    """The words of a text as stored in `search_text`: jieba's search mode, which emits each word
    and also its dictionary sub-words (电动车 → 电动, 动车, 电动车), in order, repeats kept so that
    a word's frequency can count in the rank."""
    return [w for w in (t.strip() for t in tokenizer().lcut_for_search(normalise(text))) if is_indexable(w)]


def index_text(text: str) -> str:
    """`search_text` for a text: its words separated by single spaces."""
    return " ".join(words_for_index(text))


@dataclass(frozen=True)
class Term:
    """One word of a query. A case matches the term if its index holds `word` itself, or — when
    jieba can split the word into dictionary sub-words that together cover every character of it —
    all of `parts`. The fallback catches a text segmented differently from the query (网络诈骗 in a
    case that says 电信网络诈骗, whose index holds 电信 / 网络 / 诈骗 but no 网络诈骗)."""

    word: str
    parts: tuple[str, ...] = ()

    @property
    def tokens(self) -> tuple[str, ...]:
        return (self.word, *self.parts)


def _covering_parts(word: str) -> tuple[str, ...]:
    if len(word) <= 2:
        return ()
    parts = [p for p in dict.fromkeys(tokenizer().lcut_for_search(word)) if p != word and len(p) >= 2]
    parts = [p for p in parts if is_indexable(p)]
    covered = [False] * len(word)
    for part in parts:
        start = word.find(part)
        while start != -1:
            for i in range(start, start + len(part)):
                covered[i] = True
            start = word.find(part, start + 1)
    return tuple(parts) if parts and all(covered) else ()


def parse_query(query: str) -> list[Term]:
    """The terms of a search query, in order, without repeats; [] if nothing searchable is left.

    The query is cut in jieba's precise mode (one reading of the sentence), and each word's
    sub-words come from `lcut_for_search`, the same mode the index uses. Nothing of the query's
    syntax survives: quotes, *, -, NEAR and the like are either dropped as punctuation or become
    plain words, so no query can break the SQL or the database's text-search syntax.
    """
    text = normalise(query)[:MAX_QUERY_CHARS]
    terms: list[Term] = []
    seen: set[str] = set()
    for raw in tokenizer().lcut(text):
        word = raw.strip()
        if not is_indexable(word) or word in seen:
            continue
        seen.add(word)
        terms.append(Term(word, _covering_parts(word)))
        if len(terms) == MAX_QUERY_TERMS:
            break
    return terms
