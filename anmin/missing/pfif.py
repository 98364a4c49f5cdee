"""Interchange with Person Finder in PFIF 1.4 (People Finder Interchange Format,
http://zesty.ca/pfif/1.4): the cases the family agreed to publish go out as `<pfif:person>` records
with their clues as nested `<pfif:note>` records; `anmin import pfif FILE` takes persons and notes
back in, idempotent by record id.

What leaves the police (个人信息保护法 art. 13, 23: published only with the family's consent): only
cases with `may_publish`; of those, the name, sex, age and description the family gave and the
clues' texts, with any phone or ID number in free text masked (`scrub`) and a clue provider's name
masked — that person did not consent. Never phones, ID numbers, the reporter, the officer, the
incident, the station's internal notes or the photo (served to officers only; there is no public
URL to put in photo_url).

PFIF has no field for the last-seen point. A case opened here carries it as its first note
(`last_known_location` "lat,lon", the place in its text, source_date the time last seen);
an import takes the case's point and time from the earliest note whose location is "lat,lon", so
an export imported into an empty database gives the same persons and notes. (A clue keeps no PFIF
status beyond "found", so other statuses of imported notes are not exported again; a location
that is a place name rather than a point is kept in the clue's text.) PFIF has no category
either: an import derives it from the age (child under 14, elderly from 60).

Security: the file is parsed by expat with every DTD refused before ElementTree sees it, so no
entity expansion ("billion laughs") or external entity can happen; a file that is not well-formed
or not PFIF 1.4 is refused as a whole with one line naming the element, and nothing is written.
"""

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from xml.etree import ElementTree as ET  # noqa: S405 - parsed only after expat refused any DTD
from xml.parsers import expat

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from anmin.core.actions import Action
from anmin.core.errors import ActionError
from anmin.core.pii import mask_name, scrub
from anmin.geo.models import GridCell
from anmin.missing.actions import category_for_age
from anmin.missing.models import Clue, MissingCase
from anmin.org.models import Organization
from anmin.reports.actions import next_number

NS = "http://zesty.ca/pfif/1.4"
P = f"{{{NS}}}"
#: How long a published record stays in Person Finder unless renewed.
EXPIRY = timedelta(days=365)
SEX_OUT = {"M": "male", "F": "female"}
SEX_IN = {"male": "M", "female": "F"}
NOTE_STATUSES = ("information_sought", "is_note_author", "believed_alive", "believed_missing", "believed_dead")
MAX_FILE_MB = 50

ET.register_namespace("pfif", NS)


def utc(value: datetime) -> str:
    """PFIF timestamps: UTC, to the second, `YYYY-MM-DDThh:mm:ssZ`."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def seen_note_id(case: MissingCase) -> str:
    return f"{case.pfif_id}.seen"


def _author() -> str:
    root = Organization.objects.filter(parent__isnull=True).order_by("id").first()
    return root.name if root else settings.PFIF_DOMAIN


def _add(parent: ET.Element, name: str, value) -> None:
    if value is None or value == "":
        return
    ET.SubElement(parent, P + name).text = str(value)


def _note(
    person: ET.Element, *, note_id, person_id, entry_date, author, source_date, made_contact, status, location, text
):
    # The order of PFIF 1.4's note sequence.
    note = ET.SubElement(person, P + "note")
    _add(note, "note_record_id", note_id)
    _add(note, "person_record_id", person_id)
    _add(note, "entry_date", utc(entry_date))
    _add(note, "author_name", author)
    _add(note, "source_date", utc(source_date) if source_date else None)
    _add(note, "author_made_contact", "true" if made_contact else None)
    _add(note, "status", status)
    _add(note, "last_known_location", location)
    _add(note, "text", text)


def _point(lat: float, lon: float) -> str:
    return f"{lat:.6f},{lon:.6f}"


def export(cases) -> bytes:
    """The PFIF 1.4 document of `cases` (a queryset already scoped to the reader); only those with
    the family's consent are in it, whatever the caller passed."""
    author = _author()
    root = ET.Element(P + "pfif")
    published = (
        cases.filter(may_publish=True).exclude(pfif_id=None).prefetch_related("clues").order_by("created_at", "id")
    )
    for case in published:
        person = ET.SubElement(root, P + "person")
        # The order of PFIF 1.4's person sequence.
        _add(person, "person_record_id", case.pfif_id)
        _add(person, "entry_date", utc(case.created_at))
        _add(person, "expiry_date", utc(case.created_at + EXPIRY))
        _add(person, "author_name", author)
        _add(person, "source_name", author)
        _add(person, "source_date", utc(case.created_at))
        _add(person, "full_name", case.full_name)
        _add(person, "description", scrub(case.description))
        _add(person, "sex", SEX_OUT.get(case.sex))
        _add(person, "age", case.age)
        if case.source != MissingCase.Source.PFIF:
            _note(
                person,
                note_id=seen_note_id(case),
                person_id=case.pfif_id,
                entry_date=case.created_at,
                author=author,
                source_date=case.last_seen_at,
                made_contact=False,
                status=None,
                location=_point(case.lat, case.lon),
                text=_("最后出现：%(place)s") % {"place": case.last_seen_place or _point(case.lat, case.lon)},
            )
        for clue in case.clues.all():
            if not clue.pfif_id:
                continue
            found = clue.says_found
            _note(
                person,
                note_id=clue.pfif_id,
                person_id=case.pfif_id,
                entry_date=clue.at,
                # A provider's name is theirs (no consent given); an imported note's is already public.
                author=clue.author_name if clue.source == Clue.Source.PFIF else (mask_name(clue.author_name) or author),
                source_date=clue.seen_at or clue.at,
                # Found by the police: the author (an officer) has seen the person alive.
                made_contact=found,
                status="believed_alive" if found else None,
                location=_point(clue.lat, clue.lon) if clue.lat is not None and clue.lon is not None else None,
                text=scrub(clue.text),
            )
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


# --- import ---------------------------------------------------------------------------------------


class PfifError(ActionError):
    """The file cannot be imported as a whole: one line naming the element."""


def _refuse_doctype(*args):
    raise PfifError(_("PFIF 文件含有 DTD（<!DOCTYPE>），为防止实体注入攻击已拒绝"), field="file", code="dtd")


def parse_safely(data: bytes) -> ET.Element:
    """Parse `data`, refusing any DTD (entities, external references) before ElementTree sees it."""
    scanner = expat.ParserCreate()
    scanner.StartDoctypeDeclHandler = _refuse_doctype
    scanner.EntityDeclHandler = _refuse_doctype
    scanner.ExternalEntityRefHandler = _refuse_doctype
    try:
        scanner.Parse(data, True)
        return ET.fromstring(data)  # noqa: S314 - expat refused any DTD above
    except (expat.ExpatError, ET.ParseError) as exc:
        raise PfifError(_("PFIF 文件不是有效的 XML：%(error)s") % {"error": exc}, field="file", code="xml") from None


@dataclass
class NoteIn:
    record_id: str
    entry_date: datetime
    author: str
    source_date: datetime | None
    made_contact: bool
    status: str
    location: tuple[float, float] | None
    text: str


@dataclass
class PersonIn:
    record_id: str
    entry_date: datetime
    source_date: datetime | None
    full_name: str
    description: str
    sex: str
    age: int | None
    notes: list[NoteIn] = field(default_factory=list)


def _where(tag: str, index: int, record_id: str = "") -> str:
    name = f"<pfif:{tag}>"
    return (
        _("第 %(n)s 个 %(tag)s（%(id)s）") % {"n": index, "tag": name, "id": record_id}
        if record_id
        else _("第 %(n)s 个 %(tag)s") % {"n": index, "tag": name}
    )


class _Reader:
    def __init__(self, element: ET.Element, where: str):
        self.element = element
        self.where = where

    def fail(self, name: str, problem: str):
        raise PfifError(
            _("%(where)s 的 <pfif:%(name)s> %(problem)s") % {"where": self.where, "name": name, "problem": problem},
            field=name,
        )

    def text(self, name: str, limit: int, *, required: bool = False) -> str:
        found = self.element.findall(P + name)
        if len(found) > 1:
            self.fail(name, _("重复出现"))
        value = (found[0].text or "").strip() if found else ""
        if required and not value:
            self.fail(name, _("缺失或为空"))
        if len(value) > limit:
            self.fail(name, _("超过 %(limit)s 个字符") % {"limit": limit})
        if any(ord(c) < 32 and c not in "\n\t\r" for c in value):
            self.fail(name, _("含有控制字符"))
        return value

    def record_id(self, name: str) -> str:
        value = self.text(name, 200, required=True)
        domain, _slash, unique = value.partition("/")
        if not domain or not unique or " " in value:
            self.fail(name, _("应为“域名/唯一标识”的形式"))
        return value

    def date(self, name: str, *, required: bool = False) -> datetime | None:
        value = self.text(name, 40, required=required)
        if not value:
            return None
        try:
            return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        except ValueError:
            self.fail(name, _("应为 UTC 时间 YYYY-MM-DDThh:mm:ssZ"))


def _location(value: str) -> tuple[float, float] | None:
    head = value.split(" ", 1)[0]
    lat, comma, lon = head.partition(",")
    if not comma:
        return None
    try:
        point = float(lat), float(lon)
    except ValueError:
        return None
    return point if -90 <= point[0] <= 90 and -180 <= point[1] <= 180 else None


def _read_note(element: ET.Element, where: str, person_id: str) -> NoteIn:
    r = _Reader(element, where)
    note_id = r.record_id("note_record_id")
    r.where = f"{where}（{note_id}）"
    owner = r.text("person_record_id", 200)
    if owner and owner != person_id:
        r.fail("person_record_id", _("与所属 <pfif:person> 不一致"))
    status = r.text("status", 40)
    if status and status not in NOTE_STATUSES:
        r.fail("status", _("不是 PFIF 1.4 的状态值"))
    contact = r.text("author_made_contact", 5).lower()
    location = r.text("last_known_location", 500)
    text = r.text("text", 2000, required=True)
    if contact not in ("", "true", "false"):
        r.fail("author_made_contact", _("应为 true 或 false"))
    return NoteIn(
        record_id=note_id,
        entry_date=r.date("entry_date", required=True),
        author=r.text("author_name", 30),
        source_date=r.date("source_date"),
        made_contact=contact == "true",
        status=status,
        location=_location(location),
        text=text
        if _location(location) or not location
        else _("%(text)s（最后所在：%(place)s）") % {"text": text, "place": location},
    )


def read(data: bytes) -> list[PersonIn]:
    """The persons and notes of a PFIF 1.4 document, or PfifError naming the first bad element."""
    root = parse_safely(data)
    if root.tag != P + "pfif":
        raise PfifError(
            _("根元素应为 PFIF 1.4 的 <pfif:pfif>（命名空间 %(ns)s），实为 %(tag)s") % {"ns": NS, "tag": root.tag},
            field="pfif",
        )
    persons: dict[str, PersonIn] = {}
    for index, element in enumerate(root.findall(P + "person"), start=1):
        r = _Reader(element, _where("person", index))
        record_id = r.record_id("person_record_id")
        r.where = _where("person", index, record_id)
        if record_id in persons:
            r.fail("person_record_id", _("重复"))
        sex = r.text("sex", 10)
        if sex and sex not in ("female", "male", "other"):
            r.fail("sex", _("应为 female、male 或 other"))
        raw_age = r.text("age", 10)
        age = None
        if raw_age:
            low = raw_age.split("-", 1)[0]
            if not low.isdigit() or not 0 <= int(low) <= 120:
                r.fail("age", _("应为 0–120 的整数或范围"))
            age = int(low)
        person = PersonIn(
            record_id=record_id,
            entry_date=r.date("entry_date", required=True),
            source_date=r.date("source_date"),
            full_name=r.text("full_name", 30, required=True),
            description=r.text("description", 1000),
            sex=SEX_IN.get(sex, ""),
            age=age,
        )
        for n, note in enumerate(element.findall(P + "note"), start=1):
            person.notes.append(_read_note(note, f"{r.where} {_where('note', n)}", record_id))
        persons[record_id] = person
    # Top-level notes (PFIF allows them beside the persons): on a person of the file, or on a case
    # already here (then carried by a person entry with no name, which adds notes only).
    extra: dict[str, PersonIn] = {}
    for index, element in enumerate(root.findall(P + "note"), start=1):
        where = _where("note", index)
        owner = _Reader(element, where).record_id("person_record_id")
        note = _read_note(element, where, owner)
        if owner in persons:
            persons[owner].notes.append(note)
            continue
        if not MissingCase.objects.filter(pfif_id=owner).exists():
            raise PfifError(
                _("%(where)s 的 <pfif:person_record_id> %(id)s 在文件和数据库中都不存在")
                % {"where": where, "id": owner},
                field="person_record_id",
            )
        holder = extra.setdefault(
            owner, PersonIn(owner, note.entry_date, None, full_name="", description="", sex="", age=None)
        )
        holder.notes.append(note)
    return [*persons.values(), *extra.values()]


@dataclass
class Counts:
    read: int = 0
    imported: int = 0
    existing: int = 0


class ImportPfif(Action):
    """PFIF 导入: persons and notes from Person Finder (or another bureau's export) become cases and
    clues, all or nothing. A record already here (same record id) is left as it is; a new note on
    it is added. The import is the server operator's, so the entry names the system."""

    audit_action = "missing.pfif_import"

    def __init__(self, *, persons: list[PersonIn], path: str = "", now: datetime | None = None):
        self.persons = persons
        self.path = path
        self.by = None
        self.now = now or timezone.now()
        self.counts = Counts()

    def _place(self, person: PersonIn) -> tuple[NoteIn, GridCell]:
        located = sorted(
            (n for n in person.notes if n.location is not None),
            key=lambda n: (n.source_date or n.entry_date, n.record_id),
        )
        for note in located:
            cell = GridCell.locate(*note.location)
            if cell is not None:
                return note, cell
        raise PfifError(
            _("<pfif:person>（%(id)s）没有位于本市辖区的最后出现地点（<pfif:last_known_location> 应为“纬度,经度”）")
            % {"id": person.record_id},
            field="last_known_location",
        )

    def check(self):
        self.places = {}
        for person in self.persons:
            if person.full_name and not MissingCase.objects.filter(pfif_id=person.record_id).exists():
                self.places[person.record_id] = self._place(person)

    def run(self) -> Counts:
        c = self.counts
        known_notes = set(Clue.objects.filter(pfif_id__isnull=False).values_list("pfif_id", flat=True))
        for person in self.persons:
            c.read += 1 + len(person.notes)
            case = MissingCase.objects.filter(pfif_id=person.record_id).first()
            if case is None:
                seen, cell = self.places[person.record_id]
                created = person.source_date or person.entry_date
                case = MissingCase.objects.create(
                    number=next_number("ZS", self.now),
                    pfif_id=person.record_id,
                    full_name=person.full_name,
                    category=category_for_age(person.age),
                    sex=person.sex,
                    age=person.age,
                    description=person.description or _("（PFIF 记录未描述）"),
                    last_seen_at=seen.source_date or seen.entry_date,
                    last_seen_place="",
                    lat=seen.location[0],
                    lon=seen.location[1],
                    station=cell.jurisdiction,
                    source=MissingCase.Source.PFIF,
                    may_publish=True,  # it came from a public registry
                    created_at=created,
                )
                c.imported += 1
                self.audit(case, {"number": case.number, "pfif_id": case.pfif_id})
            elif person.full_name:
                c.existing += 1
            # A case opened here writes its last-seen note on every export; an imported one keeps it as a clue.
            ours = {seen_note_id(case)} if case.source != MissingCase.Source.PFIF else set()
            for note in person.notes:
                if note.record_id in known_notes or note.record_id in ours:
                    c.existing += 1
                    continue
                found = note.made_contact and note.status in ("believed_alive", "is_note_author")
                Clue.objects.create(
                    case=case,
                    source=Clue.Source.PFIF,
                    author_name=note.author,
                    text=note.text,
                    seen_at=note.source_date,
                    lat=note.location[0] if note.location else None,
                    lon=note.location[1] if note.location else None,
                    says_found=found,
                    pfif_id=note.record_id,
                    at=note.entry_date,
                )
                known_notes.add(note.record_id)
                c.imported += 1
                if found and case.status == MissingCase.Status.SEARCHING:
                    MissingCase.objects.filter(pk=case.pk).update(
                        status=MissingCase.Status.FOUND, found_at=note.source_date or note.entry_date
                    )
                    case.status = MissingCase.Status.FOUND
        return c


def import_pfif(path, *, report_path=None, progress=None):
    """`anmin import pfif FILE`: the stats importer's result (read, imported, already present); a
    bad file raises ImportFileError with one line and writes nothing."""
    from anmin.stats.importer import ImportFileError, ImportResult, conclude

    started = time.monotonic()
    path = Path(path)
    try:
        if path.stat().st_size > MAX_FILE_MB * 1024 * 1024:
            raise ImportFileError(_("PFIF 文件超过 %(mb)s MB") % {"mb": MAX_FILE_MB})
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFileError(_("无法读取 %(path)s：%(error)s") % {"path": path, "error": exc.strerror}) from None
    try:
        persons = read(data)
        counts = ImportPfif(persons=persons, path=str(path)).execute()
    except PfifError as exc:
        raise ImportFileError(exc.message) from None
    result = ImportResult(kind="pfif", read=counts.read, imported=counts.imported, existing=counts.existing)
    if progress:
        progress(counts.read, 1.0)
    report = Path(report_path) if report_path else path.with_name(path.name + ".rejected.csv")
    return conclude(SimpleNamespace(kind="pfif"), result, report=report, path=path, started=started)
