"""`anmin bench addresses`: how often the address matcher finds what a caller meant, and how fast.

The full 衡水 library (13 county-level divisions, 129 乡镇/街道, 5,118 村/社区, and the demo's roads
and landmarks) is loaded into a fresh database, the way `anmin demo` loads it. From it a held-out
set of queries is generated, seeded, `PER_KIND` of each kind a caller produces:

* **exact** — the address as the library writes it below the city ("桃城区河西街道游园社区"): the control;
* **missing_level** — levels left out: the village alone where its name is unique in the city,
  else with its 乡镇 ("河西街道游园社区"), a 乡镇 without its county;
* **alias** — every level in its short form ("桃城河西游园");
* **typo** — one character of the 乡镇's or the village's name replaced by another that does not
  sound the same ("河西街道游园社匹");
* **homophone** — one character replaced by another with the same pinyin, as a pinyin input
  method offers it ("和西街道");
* **word_order** — the levels in another order, with or without a space or comma;
* **landmark** — a landmark or compound by its name or a common name with where at it
  ("衡水学院东门", "衡中附近");
* **house_number** — a road or a village with a house number ("人民路88号", "景县建设路八号"),
  the county added where the road's name is not unique in the city.

Every query must stay unambiguous: the parts it names must fit only the entry it came from (a
village name shared by several 乡镇 keeps its 乡镇; a slip must not land on a sibling's name or be
one slip from it). A query counts as found in the top 1 / top 5 when the entry's code is first /
among the first five candidates. Latency is the wall time of `match()`, which includes its one
read of the library's version. Targets: top-1 ≥ 95 % over all queries, p99 ≤ 20 ms.

The data is written in a temporary SQLite database in a temp dir, or in `--database-url`, which
must not hold an address library yet: the benchmark never writes into a real one.
"""

import json
import os
import random
import secrets
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from anmin.bench import BenchError, Result, bench_keys, machine, run_child, summarize_ms, target
from anmin.bench.deadlines import redact

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
SEED = 2026
PER_KIND = 300
KINDS = ("exact", "missing_level", "alias", "typo", "homophone", "word_order", "landmark", "house_number")
TOP1_TARGET_PCT = 95.0
P99_TARGET_MS = 20.0
WARMUP_CALLS = 50
CHILD_TIMEOUT_S = 1800
PLACE_WORDS = ("东门", "西门", "南门", "北门", "门口", "附近", "对面", "东侧", "停车场", "旁边")
CN_DIGITS = "零一二三四五六七八九"


def run(*, database_url: str | None = None, per_kind: int = PER_KIND, seed: int = SEED) -> Result:
    """Load the library and measure in a child process on a temporary SQLite database (or
    `database_url`), then report."""
    tmp = Path(tempfile.mkdtemp(prefix="anmin-bench-addresses-"))
    try:
        env = dict(os.environ)
        env.update(
            ANMIN_VAR_DIR=str(tmp),
            DEBUG="false",  # DEBUG records every query: memory and time a real match does not spend
            SECRET_KEY=secrets.token_urlsafe(32),
            **bench_keys(),
            DJANGO_SETTINGS_MODULE="anmin.settings",
        )
        # Never the caller's database by accident: only the one named on the command line.
        env["DATABASE_URL"] = database_url or f"sqlite:///{tmp / 'bench.sqlite3'}"
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH", "")) if p)
        params = {"per_kind": per_kind, "seed": seed, "given_database": bool(database_url)}
        measured = run_child("anmin.bench.addresses", params, env=env, cwd=tmp, timeout_s=CHILD_TIMEOUT_S)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    overall = measured["results"]["overall"]
    latency = measured["results"]["latency"]
    targets = [
        target(f"top-1 ≥ {TOP1_TARGET_PCT:g} %", "overall.top1_pct", ">=", TOP1_TARGET_PCT, overall["top1_pct"]),
        target(f"match p99 ≤ {P99_TARGET_MS:g} ms", "latency.p99_ms", "<=", P99_TARGET_MS, latency["p99_ms"]),
    ]
    return {
        "bench": "addresses",
        "machine": machine(measured["vendor"]),
        "params": {
            "per_kind": per_kind,
            "kinds": len(KINDS),
            "seed": seed,
            "database": redact(database_url) if database_url else "temporary SQLite",
        },
        "results": measured["results"],
        "targets": targets,
        "targets_met": all(t["met"] for t in targets),
    }


# —— the held-out queries ——


class Library:
    """The loaded library as the generator sees it: entries, their chains and every name they go by."""

    def __init__(self, rows: list[tuple]):
        from anmin.addresses.match import forms_of, normalize

        self.normalize = normalize
        self.entries = {r[0]: r for r in rows}  # code → (code, name, level, parent, aliases)
        self.children: dict[str | None, list[str]] = defaultdict(list)
        self.by_form: dict[str, set[str]] = defaultdict(set)
        self.forms: dict[str, set[str]] = {}
        for code, name, level, parent, aliases in rows:
            self.children[parent].append(code)
            self.forms[code] = set(forms_of(name, aliases, level))
            for form in self.forms[code]:
                self.by_form[form].add(code)
        self.chars = sorted({c for r in rows for c in r[1] if "\u4e00" <= c <= "\u9fff"})

    def level(self, code: str) -> str:
        return self.entries[code][2]

    def name(self, code: str) -> str:
        return self.entries[code][1]

    def chain(self, code: str) -> list[str]:
        """The entry and its ancestors, broadest first."""
        out = []
        while code:
            out.append(code)
            code = self.entries[code][3]
        return out[::-1]

    def short(self, code: str) -> str:
        """The entry's shortest alias of two characters or more, else its name."""
        name, aliases = self.entries[code][1], self.entries[code][4]
        shorter = [a for a in aliases if 2 <= len(a) < len(name) and name.startswith(a[:1])]
        return min(shorter, key=len) if shorter else name

    def fits(self, parts: list[str], code: str) -> bool:
        """Whether the texts (the last naming the entry itself, the others its ancestors) name
        only `code`: no other entry goes by the last with all the others among its ancestors' names."""
        leaf = self.normalize(parts[-1])
        others = [self.normalize(p) for p in parts[:-1]]
        if code not in self.by_form.get(leaf, ()):
            return False
        for other in self.by_form[leaf]:
            if other == code:
                continue
            around = set().union(*(self.forms[a] for a in self.chain(other)[:-1]))
            if all(o in around for o in others):
                return False
        return True


def _pinyin(char: str) -> str:
    from pypinyin import lazy_pinyin

    return lazy_pinyin(char)[0]


def _with_char(text: str, i: int, char: str) -> str:
    return text[:i] + char + text[i + 1 :]


def _chinese(number: int) -> str:
    """88 → 八十八, 8 → 八, 105 → 一百零五 (below 1,000)."""
    hundreds, rest = divmod(number, 100)
    tens, ones = divmod(rest, 10)
    out = ""
    if hundreds:
        out += CN_DIGITS[hundreds] + "百"
        if rest and tens == 0:
            out += "零"
    if tens:
        out += ("" if tens == 1 and not hundreds else CN_DIGITS[tens]) + "十"
    if ones:
        out += CN_DIGITS[ones]
    return out or "零"


class Generator:
    def __init__(self, library: Library, rng: random.Random):
        from rapidfuzz.distance import Levenshtein

        self.lib, self.rng, self.distance = library, rng, Levenshtein.distance
        codes = sorted(library.entries)
        self.villages = [c for c in codes if library.level(c) == "village"]
        self.towns = [c for c in codes if library.level(c) == "town"]
        self.roads = [c for c in codes if library.level(c) == "road"]
        self.places = [c for c in codes if library.level(c) in ("poi", "compound")]
        self.sounds: dict[str, list[str]] = defaultdict(list)
        for char in library.chars:
            self.sounds[_pinyin(char)].append(char)

    def division(self) -> str:
        """A village most of the time, a 乡镇 now and then (as calls name them)."""
        return self.rng.choice(self.towns if self.rng.random() < 0.1 else self.villages)

    def names(self, code: str) -> list[str]:
        return [self.lib.name(c) for c in self.lib.chain(code)]

    def exact(self) -> tuple[str, str] | None:
        code = self.division()
        return "".join(self.names(code)), code

    def missing_level(self) -> tuple[str, str] | None:
        code = self.division()
        names = self.names(code)
        for keep in range(1, len(names)):
            parts = names[-keep:]
            if self.lib.fits(parts, code):
                return "".join(parts), code
        return None

    def alias(self) -> tuple[str, str] | None:
        code = self.division()
        parts = [self.lib.short(c) for c in self.lib.chain(code)]
        if parts == self.names(code) or not self.lib.fits(parts, code):
            return None
        return "".join(parts), code

    def _replace(self, code: str, *, same_sound: bool) -> tuple[str, str] | None:
        chain = self.lib.chain(code)
        names = self.names(code)
        at = self.rng.randrange(1, len(chain))  # the 乡镇 or the village, never the county
        name = names[at]
        i = self.rng.randrange(len(name))
        sound = _pinyin(name[i])
        if same_sound:
            choices = [c for c in self.sounds.get(sound, ()) if c != name[i]]
        else:
            choices = [c for c in self.rng.sample(self.lib.chars, 40) if _pinyin(c) != sound]
        if not choices:
            return None
        changed = _with_char(name, i, self.rng.choice(choices))
        # The slip must not be a name of its own, nor as close to a sibling's name as to its own.
        if self.lib.by_form.get(self.lib.normalize(changed)):
            return None
        for sibling in self.lib.children[self.lib.entries[chain[at]][3]]:
            if sibling != chain[at] and self.distance(changed, self.lib.name(sibling)) <= 1:
                return None
            if same_sound and sibling != chain[at]:
                if [_pinyin(c) for c in self.lib.name(sibling)] == [_pinyin(c) for c in changed]:
                    return None
        names[at] = changed
        return "".join(names), code

    def typo(self) -> tuple[str, str] | None:
        return self._replace(self.division(), same_sound=False)

    def homophone(self) -> tuple[str, str] | None:
        return self._replace(self.division(), same_sound=True)

    def word_order(self) -> tuple[str, str] | None:
        code = self.division()
        names = self.names(code)
        orders = [p for p in ((2, 0, 1), (2, 1, 0), (1, 2, 0), (0, 2, 1), (1, 0, 2)) if max(p) < len(names)]
        if len(names) == 2:
            orders = [(1, 0)]
        order = self.rng.choice(orders)
        glue = self.rng.choice(("", " ", "，"))
        return glue.join(names[i] for i in order), code

    def landmark(self) -> tuple[str, str] | None:
        code = self.rng.choice(self.places)
        name = self.rng.choice([self.lib.name(code), *self.lib.entries[code][4]])
        if not self.lib.fits([name], code):
            return None
        prefix = self.lib.short(self.lib.chain(code)[0]) if self.rng.random() < 0.3 else ""
        return prefix + name + self.rng.choice(PLACE_WORDS), code

    def house_number(self) -> tuple[str, str] | None:
        if self.rng.random() < 0.7:
            code = self.rng.choice(self.roads)
        else:
            code = self.rng.choice(self.villages)
        names = self.names(code)
        for keep in range(1, len(names) + 1):
            parts = names[-keep:]
            if self.lib.fits(parts, code):
                break
        else:
            return None
        number = self.rng.randint(1, 300)
        style = self.rng.random()
        if style < 0.6:
            house = f"{number}号"
        elif style < 0.8:
            house = f"{_chinese(number)}号"
        elif style < 0.9:
            house = f"{number}-{self.rng.randint(1, 9)}号"
        else:
            house = f"{number}号院"
        return "".join(parts) + house, code

    def queries(self, per_kind: int) -> list[tuple[str, str, str]]:
        """(kind, query, code of the entry meant), `per_kind` distinct queries of each kind."""
        out = []
        for kind in KINDS:
            make = getattr(self, kind)
            seen: set[str] = set()
            attempts = 0
            while len(seen) < per_kind and attempts < per_kind * 50:
                attempts += 1
                made = make()
                if made is None or made[0] in seen:
                    continue
                seen.add(made[0])
                out.append((kind, made[0], made[1]))
        return out


# —— the child process: Django set up on the benchmark's database ——


def _log(message: str) -> None:
    sys.stderr.write(f"[bench addresses] {message}\n")
    sys.stderr.flush()


def child(params: dict[str, Any]) -> dict[str, Any]:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from anmin.addresses import match as matcher
    from anmin.addresses.demo import load_demo_addresses
    from anmin.addresses.models import Address
    from anmin.demo import data

    call_command("migrate", verbosity=0, interactive=False)
    if params["given_database"] and Address.objects.exists():
        raise BenchError(
            "the database already holds an address library: bench addresses loads its own into an empty one"
        )
    began = time.perf_counter()
    load_demo_addresses(
        landmarks=data.PLACES,
        urban_streets=data.URBAN_STREETS,
        county_streets=data.COUNTY_STREETS,
        ew_roads=data.EW_ROADS,
        ns_roads=data.NS_ROADS,
        counties=[b.division for b in data.BRANCHES],
        out=_log,
    )
    load_s = time.perf_counter() - began
    rows = list(Address.objects.values_list("code", "name", "level", "parent_id", "aliases"))
    counts = defaultdict(int)
    for row in rows:
        counts[row[2]] += 1
    queries = Generator(Library(rows), random.Random(params["seed"])).queries(params["per_kind"])
    _log(f"{len(rows):,} entries loaded in {load_s:.1f} s; {len(queries):,} queries")

    began = time.perf_counter()
    matcher.current_index()
    index_s = time.perf_counter() - began
    for _kind, text, _code in queries[:WARMUP_CALLS]:
        matcher.match(text)

    by_kind: dict[str, dict[str, int]] = {kind: {"queries": 0, "top1": 0, "top5": 0} for kind in KINDS}
    samples: list[float] = []
    misses: dict[str, list[dict]] = defaultdict(list)
    for kind, text, code in queries:
        start = time.perf_counter()
        found = matcher.match(text)
        samples.append(time.perf_counter() - start)
        codes = [c.code for c in found]
        stats = by_kind[kind]
        stats["queries"] += 1
        stats["top1"] += codes[:1] == [code]
        stats["top5"] += code in codes[:5]
        if codes[:1] != [code] and len(misses[kind]) < 3:
            misses[kind].append(
                {"query": text, "meant": code, "got": [f"{c.code} {c.full_name} {c.score}" for c in found[:2]]}
            )
    total = len(queries)
    results: dict[str, Any] = {
        "library": {**dict(sorted(counts.items())), "load_s": round(load_s, 2), "index_build_s": round(index_s, 3)},
        "overall": {
            "queries": total,
            "top1_pct": round(100 * sum(s["top1"] for s in by_kind.values()) / total, 2),
            "top5_pct": round(100 * sum(s["top5"] for s in by_kind.values()) / total, 2),
        },
    }
    for kind, stats in by_kind.items():
        n = stats["queries"] or 1
        results[kind] = {
            "queries": stats["queries"],
            "top1_pct": round(100 * stats["top1"] / n, 2),
            "top5_pct": round(100 * stats["top5"] / n, 2),
        }
        if misses[kind]:
            results[kind]["examples_missed"] = misses[kind]
    summary = summarize_ms(samples)
    results["latency"] = {k: summary[k] for k in ("count", "p50_ms", "p90_ms", "p99_ms", "max_ms")}
    return {"vendor": connection.vendor, "results": results}


if __name__ == "__main__":
    try:
        print(json.dumps(child(json.loads(sys.argv[1])), ensure_ascii=False))  # noqa: T201
    except BenchError as exc:
        sys.stderr.write(f"{exc}\n")
        sys.exit(2)
