"""Full-text search over the typical-case library, the same on SQLite and PostgreSQL.

Both databases see only jieba's words (see `anmin.library.text`): each case's `search_text` holds
its words separated by spaces, and a query is cut into terms the same way. A case matches when it
contains every term (a term is its word, or all of the sub-words that make it up); the rank puts
cases whose title mentions a term first (one point per term), then orders by how often the terms
occur in the text (a saturating score below one point).

PostgreSQL: a `tsvector` of `search_text` in the 'simple' configuration (no stemming, no stop
words: the words are already cut), matched with `@@` and ranked with `ts_rank`, behind a GIN
expression index created by migration 0002. `django.contrib.postgres.search` works without
`django.contrib.postgres` in INSTALLED_APPS: its lookup is registered on the field class at import.

SQLite: the words are matched as whole tokens with LIKE on ' ' || search_text || ' ', and ranked by
counting occurrences in SQL. Not FTS5, on purpose: Django rebuilds a SQLite table (new table, copy,
drop, rename) for many schema changes, AlterField among them, which silently drops the triggers
that would keep an FTS5 table in step, so the index would go stale after some future migration
with no error anywhere; and FTS5's MATCH has a query language of its own that every term would
have to be escaped for. The library is a curated set (hundreds, at most a few thousand cases) and
SQLite serves the demo and small installations: with 2,000 cases of about 1 KB of words each, a
query that matches nothing takes about 20 ms and one that matches and ranks 250 cases 35-90 ms.
PostgreSQL, which carries production, has the index.
"""

from django.db import connections
from django.db.models import Case, F, FloatField, IntegerField, Q, QuerySet, TextField, Value, When
from django.db.models.functions import Cast, Concat, Length, Replace

from anmin.library.models import TypicalCase
from anmin.library.text import Term, parse_query

#: How fast the occurrence score approaches one point: n / (n + K).
_SATURATION = 2.0


def search(query: str, user) -> QuerySet[TypicalCase]:
    """Published cases matching `query`, best first (each carries a `rank` annotation).

    An empty query, or one of only stop-words and punctuation, returns nothing rather than
    everything: the caller asked for something and none of it is searchable.
    """
    return match(TypicalCase.objects.visible_to(user).published(), query)


def match(queryset: QuerySet[TypicalCase], query: str | list[Term]) -> QuerySet[TypicalCase]:
    """Filter and rank any queryset of typical cases (the editors' list searches drafts too)."""
    terms = parse_query(query) if isinstance(query, str) else query
    if not terms:
        return queryset.none()
    if connections[queryset.db].vendor == "postgresql":
        queryset = _match_postgres(queryset, terms)
    else:
        queryset = _match_tokens(queryset, terms)
    rank = Cast(_title_hits(terms), FloatField()) + F("_text_rank")
    return queryset.annotate(rank=rank).order_by("-rank", "-published_at", "-id")


def _title_hits(terms: list[Term]):
    """How many of the query words appear in the title (a plain substring test: titles are short)."""
    hit = IntegerField()
    return sum(
        (Case(When(title__icontains=t.word, then=Value(1)), default=Value(0), output_field=hit) for t in terms),
        start=Value(0, output_field=hit),
    )


def _match_postgres(queryset: QuerySet, terms: list[Term]) -> QuerySet:
    from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

    def q(word: str) -> SearchQuery:
        # 'plain' = plainto_tsquery: the word is text, never tsquery syntax, whatever it contains.
        return SearchQuery(word, config="simple", search_type="plain")

    condition = None
    for term in terms:
        alternative = q(term.word)
        if term.parts:
            both = q(term.parts[0])
            for part in term.parts[1:]:
                both &= q(part)
            alternative |= both
        condition = alternative if condition is None else condition & alternative
    vector = SearchVector("search_text", config="simple")  # matches the GIN index of migration 0002
    # alias, not annotate: the vector is for the WHERE clause, not a column to send back per row.
    return queryset.alias(_vector=vector).filter(_vector=condition).annotate(_text_rank=SearchRank(vector, condition))


def _match_tokens(queryset: QuerySet, terms: list[Term]) -> QuerySet:
    def has(word: str) -> Q:
        return Q(_padded__contains=f" {word} ")

    condition = Q()
    for term in terms:
        alternative = has(term.word)
        if term.parts:
            both = Q()
            for part in term.parts:
                both &= has(part)
            alternative |= both
        condition &= alternative

    # Occurrences of a word = (length of text - length of text without " word ") / length of " word ".
    # Spaces are doubled first so that adjacent occurrences (" a a ") do not share a space.
    spaced = Replace(F("search_text"), Value(" "), Value("  "))
    doubled = Concat(Value(" "), spaced, Value(" "), output_field=TextField())
    tokens = list(dict.fromkeys(token for term in terms for token in term.tokens))
    occurrences = sum(
        ((Length(doubled) - Length(Replace(doubled, Value(f" {t} "), Value("")))) / Value(len(t) + 2) for t in tokens),
        start=Value(0),
    )
    n = Cast(occurrences, FloatField())
    return (
        queryset.alias(_padded=Concat(Value(" "), F("search_text"), Value(" "), output_field=TextField()))
        .filter(condition)
        .annotate(_text_rank=n / (n + Value(_SATURATION)))
    )


def snippet(text: str, terms: list[Term], width: int = 90) -> tuple[str, list[str]]:
    """A window of `text` around the first term it contains, and the terms found in it, so that a
    reader sees why the case matched; the client marks the words (no HTML is built here)."""
    text = " ".join((text or "").split())
    lowered = text.lower() if len(text.lower()) == len(text) else text
    first, found = None, []
    for term in terms:
        at = {token: lowered.find(token) for token in term.tokens}
        if at[term.word] != -1:
            hits = [term.word]
        elif term.parts and all(at[p] != -1 for p in term.parts):
            hits = list(term.parts)
        else:
            continue
        found.extend(hits)
        first = min([at[h] for h in hits] + ([first] if first is not None else []))
    if first is None or len(text) <= width:
        return (text[:width] + ("…" if len(text) > width else "")), found
    start = max(0, first - width // 3)
    end = min(len(text), start + width)
    return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else ""), found
