"""Category suggestions from the call's description (简要警情): a transparent model the call-taker
can check, never a decision.

The model is multinomial naive Bayes over jieba words (and their characters, see `words`), with
Laplace (add-one) smoothing, trained on
the bureau's own closed incidents (`anmin categories train`), with each category's name as one more
document so that a category nobody has called about yet still has its own words. For a text it
ranks every category by

    log P(category) + Σ over the text's words  count(word) · log P(word | category)

and shows the three best with their probability and the words that drove each: the words whose
log P(word | category) lies furthest above that word's average over all categories — "抢 and 刀
point to 抢劫" is something a call-taker can agree or disagree with at a glance. Words the model
never saw are ignored; a text without any known word gets no suggestion rather than the most
frequent categories.

Why naive Bayes and not something stronger: its parameters are counts a reader can verify, it trains
in seconds on a laptop, it answers in well under a millisecond, and it is honest about what it
does not know. It never picks a category by itself: the call-taker does (the intake form keeps the
category box empty until they do).

Until a model has been trained the suggestions come from the code table only — a category's
keywords, or pairs of characters of its name, found in the text — and say so (`source` "names",
`trained_on` 0).
"""

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import Count

from anmin.core.actions import Action
from anmin.core.cache import TtlCache
from anmin.core.text import HAN
from anmin.incidents.categories import bigrams, code_table, plain_name
from anmin.incidents.models import Category, CategoryModel, Incident
from anmin.library.text import STOP_WORDS, normalise, tokenizer

#: Laplace smoothing: every word is counted once more in every category than it was seen.
ALPHA = 1.0
#: Words kept, the most widespread first (by the number of descriptions they occur in).
MAX_VOCABULARY = 6000
#: A word must occur in at least this many descriptions to be kept: a one-off (a person's or a
#: shop's name, a typo) tells nothing about the next call and should not sit in the model.
MIN_DOCUMENTS = 2
#: Words that tell less than this (see `information`) are left out: a place, a time or a person
#: found in every kind of call only adds noise, and costs the rare categories most, whose few
#: descriptions never had the chance to use it.
MIN_INFORMATION = 0.1
#: The prior counts with this weight: P(category)^0.5. The suggestions are read by a person who
#: picks, so a rare category (the 八类严重暴力 are a few calls in ten thousand) that the words point
#: to must reach the list rather than be outvoted by how common 求助 is; the benchmark measures
#: what it costs the common ones (anmin bench categories).
PRIOR_WEIGHT = 0.5
#: Descriptions read per category, the newest first: enough to learn a category's words, while
#: training stays a matter of seconds on a bureau's hundreds of thousands of closed incidents.
PER_CATEGORY = 2000
#: Suggestions shown, and words shown per suggestion.
SUGGESTIONS = 3
WORDS_SHOWN = 4
#: Characters of a description read: a 110 summary is a few sentences.
MAX_TEXT = 2000
#: Trained models kept; older rows are deleted when a new one is stored.
KEEP_MODELS = 3

#: Words every description has, which say nothing about its category.
FORMULA_WORDS = frozenset(
    """
    报警 报警称 报警人 称 称其 来电 求助人 现场 民警 出警 请求 要求 处理 情况 目前 发现 一名 有人 对方 发生 因
    人 前 后 上 下 里 内 外 要 说 让 给 再 才 刚才 现在 比较 一直 东西 具体情况
    """.split()
)
_HAS_DIGIT = re.compile(r"\d")
_HAN = re.compile(f"[{HAN}]")

model_cache = TtlCache("category-model", ttl=60)


def words(text: str) -> list[str]:
    """The words of a description as the model counts them, in order, repeats kept: jieba's words,
    then the Han characters of every word of two or more.

    The characters are what lets a model trained on some phrasings read others: a caller's 电瓶车
    shares 车 with the 电动车 of the training text, 偷走 shares 偷 with 被偷, 捅伤 shares 伤 with
    砍伤. Measured on hand-written calls unlike any training text (anmin bench categories), they
    took top-1 from about 50 % to 75 %. Numbers are dropped (phone numbers, plates, sums of money
    and house numbers identify a call, not its kind), and so are stop-words, punctuation and the
    formula words of every report."""
    cut = [t.strip() for t in tokenizer().lcut(normalise(text)[:MAX_TEXT])]
    kept = [
        w
        for w in cut
        if w
        and w not in STOP_WORDS
        and w not in FORMULA_WORDS
        and not _HAS_DIGIT.search(w)
        and any(c.isalpha() for c in w)
        and not (len(w) == 1 and w.isascii())
    ]
    characters = [
        c for w in kept if len(w) > 1 for c in w if _HAN.match(c) and c not in STOP_WORDS and c not in FORMULA_WORDS
    ]
    return kept + characters


# --- training -------------------------------------------------------------------------------------


def fit(
    documents: Iterable[tuple[str, str]],
    *,
    classes: Sequence[str],
    names: dict[str, str],
    incidents: dict[str, int] | None = None,
    max_vocabulary: int = MAX_VOCABULARY,
    min_documents: int = MIN_DOCUMENTS,
    min_information: float = MIN_INFORMATION,
    prior_weight: float = PRIOR_WEIGHT,
) -> dict:
    """The model's parameters from (code, description) pairs: counts, JSON-ready.

    `names` gives each category's own words — its name and keywords — which count as one more
    document of the category and are kept in the vocabulary whatever their frequency. `incidents`
    counts the incidents of each category for the prior (all closed incidents, not only those whose
    descriptions were read); by default the documents are counted.

    The vocabulary is the words found in at least `min_documents` descriptions whose spread over
    the categories tells something (see `information`), the most widespread first, at most
    `max_vocabulary`."""
    position = {code: i for i, code in enumerate(classes)}
    cut: list[tuple[int, list[str]]] = []
    seen_in: dict[str, Counter] = {}
    documents_per_class = [0] * len(classes)
    for code, text in documents:
        i = position.get(code)
        if i is None:
            continue
        tokens = words(text)
        cut.append((i, tokens))
        for w in set(tokens):
            seen_in.setdefault(w, Counter())[i] += 1
        documents_per_class[i] += 1
    share = [n / max(1, len(cut)) for n in documents_per_class]
    widespread = sorted(seen_in.items(), key=lambda item: (-item[1].total(), item[0]))
    kept = [
        w
        for w, by_class in widespread
        if by_class.total() >= min_documents and information(by_class, share) >= min_information
    ][:max_vocabulary]
    seeds = {code: words(plain_name(names.get(code, ""))) for code in classes}
    vocabulary = set(kept) | {w for ws in seeds.values() for w in ws}
    counts: dict[str, Counter] = {}
    totals = [0] * len(classes)
    for i, tokens in cut + [(position[code], ws) for code, ws in seeds.items()]:
        for w in tokens:
            if w in vocabulary:
                counts.setdefault(w, Counter())[i] += 1
                totals[i] += 1
    if incidents is None:
        incidents = {code: documents_per_class[i] for code, i in position.items()}
    return {
        "method": "multinomial naive Bayes",
        "alpha": ALPHA,
        "prior_weight": prior_weight,
        "classes": list(classes),
        "incidents": [int(incidents.get(code, 0)) for code in classes],
        "documents": documents_per_class,
        "word_totals": totals,
        "words": {w: {classes[i]: n for i, n in sorted(c.items())} for w, c in sorted(counts.items())},
    }


def information(by_class: Counter, share: Sequence[float]) -> float:
    """How much knowing that a description holds the word tells about its category, in nats: the
    Kullback–Leibler divergence of the word's categories (by the descriptions it is found in) from
    all descriptions' categories. 0 for a word spread like the calls themselves (半小时, 门口,
    对方), large for one found in few categories (纵火, 赎金)."""
    total = by_class.total()
    return sum((n / total) * math.log((n / total) / share[i]) for i, n in by_class.items() if n)


# --- the model ------------------------------------------------------------------------------------


@dataclass
class Ranked:
    """One category's standing for a text: its probability and the words that drove it."""

    code: str
    score: float
    words: list[str] = field(default_factory=list)


class NaiveBayes:
    """A trained model (the `weights` of a CategoryModel), ready to rank categories for a text."""

    def __init__(self, weights: dict):
        self.alpha = float(weights["alpha"])
        self.classes: list[str] = list(weights["classes"])
        self.index = {code: i for i, code in enumerate(self.classes)}
        self.counts: dict[str, dict[int, int]] = {
            w: {self.index[code]: n for code, n in by_code.items() if code in self.index}
            for w, by_code in weights["words"].items()
        }
        size = len(self.counts)
        incidents = weights["incidents"]
        total = sum(incidents) + len(self.classes)
        # Laplace on the prior too: a category never called about is rare, not impossible.
        weight = float(weights.get("prior_weight", 1.0))
        self.log_prior = [weight * math.log((n + 1) / total) for n in incidents]
        self.log_denominator = [math.log(t + self.alpha * size) for t in weights["word_totals"]]
        self.log_alpha = math.log(self.alpha)
        self.mean_log_denominator = sum(self.log_denominator) / len(self.classes)

    def log_likelihood(self, word: str, i: int) -> float:
        """log P(word | category i), smoothed."""
        return math.log(self.counts[word].get(i, 0) + self.alpha) - self.log_denominator[i]

    def rank(self, text: str, limit: int = SUGGESTIONS, shown: int = WORDS_SHOWN) -> list[Ranked]:
        """The `limit` most probable categories for `text`; [] if it has no word the model knows."""
        known = Counter(w for w in words(text) if w in self.counts)
        if not known:
            return []
        return self.rank_words(known, limit=limit, shown=shown)

    def rank_words(self, known: Counter, *, limit: int, shown: int) -> list[Ranked]:
        size = sum(known.values())
        # Every word's unseen-count term, for all categories at once; then the counted ones added.
        scores = [
            prior + size * (self.log_alpha - den)
            for prior, den in zip(self.log_prior, self.log_denominator, strict=True)
        ]
        for w, k in known.items():
            for i, n in self.counts[w].items():
                scores[i] += k * (math.log(n + self.alpha) - self.log_alpha)
        top = max(scores)
        mass = sum(math.exp(s - top) for s in scores)
        order = sorted(range(len(scores)), key=lambda i: (-scores[i], self.classes[i]))[:limit]
        return [Ranked(self.classes[i], math.exp(scores[i] - top) / mass, self.drivers(known, i, shown)) for i in order]

    def drivers(self, known: Counter, i: int, shown: int) -> list[str]:
        """The text's words that raise category i most above the average category: k · (log P(w|i) −
        mean over categories of log P(w|c)). Only words seen in category i that raise it are shown."""
        lifts = []
        for w, k in known.items():
            by_class = self.counts[w]
            if i not in by_class:
                # Never seen in this category: a rare category's smoothing can lift it above the
                # average, but it is not what the category is about.
                continue
            log_counts = sum(math.log(n + self.alpha) for n in by_class.values())
            log_counts += (len(self.classes) - len(by_class)) * self.log_alpha
            mean = log_counts / len(self.classes) - self.mean_log_denominator
            lift = k * (self.log_likelihood(w, i) - mean)
            if lift > 0:
                lifts.append((-lift, w))
        # A character is not shown beside a word it is part of (持刀, not 持刀 · 持 · 刀).
        chosen: list[str] = []
        for _lift, w in sorted(lifts):
            if any(w in c for c in chosen):
                continue
            chosen = [c for c in chosen if c not in w] + [w]
        return chosen[:shown]


def current_model() -> tuple[NaiveBayes, CategoryModel] | None:
    """The newest trained model, per process for a minute (a retrain clears this process's copy)."""

    def load():
        row = CategoryModel.objects.order_by("-trained_at", "-id").first()
        return None if row is None else (NaiveBayes(row.weights), row)

    return model_cache.get("current", load)


# --- suggesting -----------------------------------------------------------------------------------


@dataclass
class Suggestion:
    category: Category
    score: float
    words: list[str]

    def as_dict(self) -> dict:
        return {
            "code": self.category.code,
            "name": self.category.name,
            "score": round(self.score, 3),
            "serious_violence": self.category.serious_violence,
            "words": self.words,
        }


@dataclass
class Suggestions:
    """What the intake page and the API show under the description."""

    suggestions: list[Suggestion]
    trained_on: int
    #: "model" (the trained naive Bayes) or "names" (no model yet: names and keywords found in the text).
    source: str

    def as_dict(self) -> dict:
        return {
            "suggestions": [s.as_dict() for s in self.suggestions],
            "trained_on": self.trained_on,
            "source": self.source,
        }


def suggest(text: str) -> Suggestions:
    """The three most likely categories for a description. Never raises for any text."""
    table = code_table()
    loaded = current_model()
    if loaded is None:
        return Suggestions(by_names(text, table.leaves), 0, "names")
    model, row = loaded
    found = []
    # Ranked a little deeper than shown: a category retired since training is skipped.
    for ranked in model.rank(text, limit=SUGGESTIONS + 3):
        category = table.by_code.get(ranked.code)
        if category is not None and category.parent_id is not None:
            found.append(Suggestion(category, ranked.score, ranked.words))
    return Suggestions(found[:SUGGESTIONS], row.trained_on, "model")


def own_words(category: Category) -> str:
    """A category's name and keywords: its own words, counted as one more description in training."""
    return f"{plain_name(category.name)} {category.keywords}".strip()


def by_names(text: str, leaves: Sequence[Category]) -> list[Suggestion]:
    """Without a model: the categories whose keywords, or pairs of characters of whose name, occur
    in the text. Each one's score is its share of all the words found; the words are those found."""
    text = normalise(text)[:MAX_TEXT]
    pairs = bigrams(text)
    found = []
    for category in leaves:
        name = plain_name(category.name)
        hits = [w for w in category.keywords.split() if w in text]
        hits += [p for p in sorted(bigrams(name) & pairs, key=name.find) if not any(p in h for h in hits)]
        if hits:
            found.append((category, hits))
    total = sum(len(hits) for _c, hits in found)
    ranked = [Suggestion(c, len(hits) / total, hits[:WORDS_SHOWN]) for c, hits in found]
    ranked.sort(key=lambda s: (-s.score, s.category.code))
    return ranked[:SUGGESTIONS]


# --- training from the database -------------------------------------------------------------------


def training_documents(per_category: int = PER_CATEGORY) -> tuple[list[tuple[str, str]], dict[str, int]]:
    """(code, description) of the newest closed incidents of each category, and every category's
    count of closed incidents (the prior). Closed means 已反馈: the category was confirmed by the
    officers who went. A cancelled call (误报, a duplicate) was never checked, so it is left out."""
    closed = Incident.objects.filter(status=Incident.Status.REPORTED)
    counts = dict(closed.values_list("category__code").annotate(n=Count("id")).values_list("category__code", "n"))
    documents = []
    for category in code_table().leaves:
        texts = (
            closed.filter(category=category)
            .exclude(description="")
            .order_by("-received_at", "-id")
            .values_list("description", flat=True)[:per_category]
        )
        documents.extend((category.code, text) for text in texts)
    return documents, counts


def train(*, per_category: int = PER_CATEGORY, max_vocabulary: int = MAX_VOCABULARY, by=None) -> CategoryModel:
    """Train on the database's closed incidents and store the model; the newest is used from then on."""
    table = code_table()
    documents, counts = training_documents(per_category)
    weights = fit(
        documents,
        classes=[c.code for c in table.leaves],
        names={c.code: own_words(c) for c in table.leaves},
        incidents=counts,
        max_vocabulary=max_vocabulary,
    )
    return StoreCategoryModel(weights=weights, trained_on=len(documents), by=by).execute()


class StoreCategoryModel(Action):
    """训练类别推荐模型: store a newly trained model, which suggestions use from then on. Run by the
    server's operator (`anmin categories train`), recorded as the system unless an officer is given."""

    audit_action = "incidents.category_model"

    def __init__(self, *, weights: dict, trained_on: int, evaluation: dict | None = None, by=None):
        self.weights = weights
        self.trained_on = trained_on
        self.evaluation = evaluation or {}
        self.by = by

    def run(self) -> CategoryModel:
        row = CategoryModel.objects.create(
            trained_on=self.trained_on,
            vocabulary=len(self.weights["words"]),
            weights=self.weights,
            evaluation=self.evaluation,
        )
        old = CategoryModel.objects.order_by("-trained_at", "-id").values_list("pk", flat=True)[KEEP_MODELS:]
        CategoryModel.objects.filter(pk__in=list(old)).delete()
        model_cache.clear()
        self.audit(row, {"trained_on": row.trained_on, "vocabulary": row.vocabulary})
        return row


# --- evaluation -----------------------------------------------------------------------------------


def evaluate(model: NaiveBayes, documents: Sequence[tuple[str, str]], weights: Sequence[float] | None = None) -> dict:
    """Top-1 and top-3 accuracy of `model` on (code, description) pairs it was not trained on, each
    counted with its weight (default 1), and how many descriptions had no word the model knows (no
    suggestion at all: counted as misses)."""
    top1 = top3 = total = 0.0
    empty = 0
    for (code, text), weight in zip(documents, weights or [1.0] * len(documents), strict=True):
        ranked = [r.code for r in model.rank(text, limit=SUGGESTIONS, shown=0)]
        empty += not ranked
        total += weight
        top1 += weight * (bool(ranked) and ranked[0] == code)
        top3 += weight * (code in ranked)
    total = total or 1.0
    return {
        "count": len(documents),
        "top1": round(top1 / total, 4),
        "top3": round(top3 / total, 4),
        "no_known_word": empty,
    }


def holdout_evaluation(per_category: int = PER_CATEGORY, share: float = 0.2) -> dict:
    """`anmin categories evaluate`: train on 80 % of the database's closed incidents and measure on
    the other 20 % (every fifth description, so the split is the same on every run); nothing is stored."""
    table = code_table()
    documents, counts = training_documents(per_category)
    step = round(1 / share)
    held = [d for i, d in enumerate(documents) if i % step == 0]
    kept = [d for i, d in enumerate(documents) if i % step != 0]
    classes, names = [c.code for c in table.leaves], {c.code: own_words(c) for c in table.leaves}
    model = NaiveBayes(fit(kept, classes=classes, names=names, incidents=counts))
    return {"train": len(kept), **evaluate(model, held)}
