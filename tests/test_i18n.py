"""The UI is Chinese first; English is kept working (compiled catalogue in anmin/locale)."""

import ast
import gettext as gettext_module
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings


def test_it_speaks_chinese_by_default(city):
    page = city.login(city.dispatcher).get("/board/").content.decode()
    assert "警情队列" in page
    assert 'lang="zh-CN"' in page


def test_it_speaks_english_when_asked(city):
    client = city.login(city.dispatcher)
    page = client.get("/board/", headers={"Accept-Language": "en"}).content.decode()
    assert "Incident queue" in page
    assert "警情队列" not in page


def test_it_switches_language_from_the_header_button(city):
    client = city.login(city.dispatcher)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/board/"})
    assert response.status_code == 302
    assert "Dispatch board" in client.get("/board/").content.decode()


# The English catalogue itself. A Chinese string without English shows Chinese on an English page,
# and a fuzzy entry is never compiled: both fail here rather than on a user's screen.

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)")


@dataclass
class Entry:
    line: int
    flags: set[str] = field(default_factory=set)
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"django.po:{self.line} {self.msgid!r}"


def read_po(path: Path) -> list[Entry]:
    """The live entries of a .po file (header and obsolete `#~` entries left out), strings unescaped."""
    entries: list[Entry] = []
    entry: Entry | None = None
    key: tuple[str, int] | None = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            entry = key = None
            continue
        if line.startswith("#"):
            if entry is None:
                entry = Entry(line=number)
                entries.append(entry)
            if line.startswith("#,"):
                entry.flags.update(flag.strip() for flag in line[2:].split(","))
            continue
        match = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])? (".*")$', line)
        text = match.group(3) if match else line
        value = ast.literal_eval(text)
        if entry is None:
            entry = Entry(line=number)
            entries.append(entry)
        if match:
            key = (match.group(1), int(match.group(2) or 0))
            if key[0] == "msgid":
                entry.line = number
            if key[0] == "msgstr":
                entry.msgstr[key[1]] = ""
            elif key[0] != "msgid":
                setattr(entry, key[0], "")
        assert key is not None, f"django.po:{number}: a string outside any entry"
        if key[0] == "msgstr":
            entry.msgstr[key[1]] += value
        else:
            setattr(entry, key[0], getattr(entry, key[0]) + value)
    return [e for e in entries if e.msgid and e.msgstr]


def test_it_has_english_for_every_string():
    entries = read_po(CATALOGUE)
    assert len(entries) > 1000  # the parser read the catalogue, not an empty file
    untranslated = [str(e) for e in entries if not all(e.msgstr.values())]
    fuzzy = [str(e) for e in entries if "fuzzy" in e.flags]
    assert untranslated == [], "msgstr left empty: translate them in django.po, then compile"
    assert fuzzy == [], "fuzzy entries are not compiled: check the English and remove the flag"


def test_it_keeps_the_placeholders_in_english():
    wrong = []
    for e in read_po(CATALOGUE):
        asked = set(PLACEHOLDER.findall(e.msgid))
        if e.msgid_plural is None:
            # Every placeholder is filled in: a missing one loses a number, an unknown one is a KeyError.
            if set(PLACEHOLDER.findall(e.msgstr[0])) != asked:
                wrong.append(str(e))
        else:
            # "One item" may leave %(n)s out; no form may ask for a name the code does not give.
            given = asked | set(PLACEHOLDER.findall(e.msgid_plural))
            if any(not set(PLACEHOLDER.findall(s)) <= given for s in e.msgstr.values()):
                wrong.append(str(e))
    assert wrong == []


def test_it_ships_the_compiled_catalogue_of_the_po():
    # Django reads only django.mo: English edited in the .po but not compiled never shows.
    with CATALOGUE.with_suffix(".mo").open("rb") as fp:
        compiled = gettext_module.GNUTranslations(fp)
    stale = []
    for e in read_po(CATALOGUE):
        if e.msgid_plural is not None:
            got = (
                [compiled.npgettext(e.msgctxt, e.msgid, e.msgid_plural, n) for n in (1, 2)]
                if e.msgctxt
                else [compiled.ngettext(e.msgid, e.msgid_plural, n) for n in (1, 2)]
            )
            expected = [e.msgstr[0], e.msgstr[1]]
        else:
            got = [compiled.pgettext(e.msgctxt, e.msgid) if e.msgctxt else compiled.gettext(e.msgid)]
            expected = [e.msgstr[0]]
        if got != expected:
            stale.append(str(e))
    assert stale == [], "django.mo is older than django.po: run manage.py compilemessages"


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext is not installed")
def test_it_catalogues_every_string_in_the_code(tmp_path, monkeypatch):
    # A string marked for translation but never extracted has no entry at all, so the tests above
    # cannot see it. Extract from a copy of the code, so nothing is written into the source tree.
    shutil.copytree(
        settings.BASE_DIR, tmp_path / "anmin", ignore=shutil.ignore_patterns("locale", "__pycache__", "*.pyc")
    )
    monkeypatch.chdir(tmp_path)
    with override_settings(LOCALE_PATHS=[tmp_path / "locale"]):
        call_command("makemessages", locale=["en"], no_obsolete=True, verbosity=0)

    def keys(path: Path) -> set[tuple[str | None, str]]:
        return {(e.msgctxt, e.msgid) for e in read_po(path)}

    missing = keys(tmp_path / "locale" / "en" / "LC_MESSAGES" / "django.po") - keys(CATALOGUE)
    assert sorted(missing, key=str) == [], "new strings: run makemessages -l en and translate them"
