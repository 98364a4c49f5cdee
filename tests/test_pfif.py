"""PFIF 1.4: the export (valid XML in the 1.4 namespace, record ids domain/unique, UTC timestamps,
only cases the family agreed to publish, nothing an officer alone may read), the import (idempotent
by record id, all or nothing, DTDs refused) and the round trip into an empty database."""

import re
from datetime import timedelta
from xml.etree import ElementTree as ET

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from anmin.missing.actions import AddClue, MarkFound, OpenMissingCase
from anmin.missing.models import Clue, MissingCase
from anmin.missing.pfif import NS, parse_safely
from tests.conftest import A1_POINT
from tests.matrix import committed

P = f"{{{NS}}}"
UTC_STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    settings.PFIF_DOMAIN = "anmin.test.example"


def open_case(city, name, *, may_publish=True, category="elderly", age="78", **extra) -> MissingCase:
    data = {
        "full_name": name,
        "category": category,
        "sex": "M",
        "age": age,
        "description": "灰色棉袄，家属电话 13912345678",
        "last_seen_at": (timezone.localtime() - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "last_seen_place": "河西村",
        "lat": str(A1_POINT[0]),
        "lon": str(A1_POINT[1]),
        "may_publish": may_publish,
        **extra,
    }
    with committed():
        return OpenMissingCase(by=city.station_officer, data=data).execute()


def build(city):
    published = open_case(city, "李国栋")
    AddClue(
        case=published,
        by=city.station_officer,
        data={"text": "小卖部老板看见他往北走", "author_name": "赵四", "lat": A1_POINT[0] + 0.001, "lon": A1_POINT[1]},
    ).execute()
    with committed():
        MarkFound(
            case=published, by=city.station_officer, data={"where": "河西村村委会", "found_by": "王书记"}
        ).execute()
    private = open_case(city, "张秘密", may_publish=False)
    child = open_case(city, "王小明", category="child", age="7")
    return published, private, child


def export(client) -> tuple[bytes, ET.Element]:
    response = client.get("/api/v1/missing/pfif")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    body = response.content
    return body, parse_safely(body)


def persons(root) -> dict:
    out = {}
    for person in root.findall(P + "person"):
        record = {child.tag.removeprefix(P): (child.text or "") for child in person if child.tag != P + "note"}
        record["notes"] = [
            {child.tag.removeprefix(P): (child.text or "") for child in note} for note in person.findall(P + "note")
        ]
        out[record["person_record_id"]] = record
    return out


def test_the_export_is_pfif_14_with_only_publishable_cases(city):
    published, private, child = build(city)
    body, root = export(city.api(city.station_officer))
    assert root.tag == P + "pfif"
    assert body.startswith(b"<?xml")
    records = persons(root)
    assert set(records) == {f"anmin.test.example/{published.number}", f"anmin.test.example/{child.number}"}
    text = body.decode()
    assert "张秘密" not in text and private.number not in text
    # Published with consent: the name as the family gave it; never a phone, never the provider's name.
    person = records[f"anmin.test.example/{published.number}"]
    assert person["full_name"] == "李国栋" and person["sex"] == "male" and person["age"] == "78"
    assert "13912345678" not in text and "139****5678" in person["description"]
    assert "赵四" not in text and "王书记" not in text
    for stamp in ("entry_date", "expiry_date", "source_date"):
        assert UTC_STAMP.match(person[stamp]), person[stamp]
    # The person's elements in PFIF 1.4's order.
    order = ["person_record_id", "entry_date", "expiry_date", "author_name", "source_name", "source_date", "full_name"]
    tags = [c.tag.removeprefix(P) for c in root.find(P + "person")]
    assert [t for t in tags if t in order] == order
    notes = person["notes"]
    assert [n["note_record_id"] for n in notes] == [
        f"anmin.test.example/{published.number}.seen",
        f"anmin.test.example/{published.number}.1",
        f"anmin.test.example/{published.number}.2",
    ]
    assert all(n["person_record_id"] == person["person_record_id"] for n in notes)
    assert notes[0]["last_known_location"] == "37.735000,115.675000" and notes[0]["text"] == "最后出现：河西村"
    found = notes[2]
    assert found["status"] == "believed_alive" and found["author_made_contact"] == "true"
    for note in notes:
        assert UTC_STAMP.match(note["entry_date"])
        assert all(key not in note for key in ("phone_of_found_person", "email_of_found_person"))
    # Every id is domain/unique.
    for pid in records:
        assert re.match(r"^[a-z0-9.-]+/\S+$", pid)


def test_the_export_is_scoped_to_the_reader(city):
    build(city)
    _, root = export(city.api(city.outsider))
    assert root.findall(P + "person") == []


def test_the_round_trip_gives_the_same_persons_and_notes(city, tmp_path):
    build(city)
    first, root = export(city.api(city.station_officer))
    before = persons(root)
    path = tmp_path / "pfif.xml"
    path.write_bytes(first)
    # An empty database: the cases and clues gone, then the file imported.
    Clue.objects.all().delete()
    MissingCase.objects.all().delete()
    call_command("import", "pfif", str(path))
    assert MissingCase.objects.count() == 2
    assert Clue.objects.count() == 4
    found = MissingCase.objects.get(status=MissingCase.Status.FOUND)
    assert found.full_name == "李国栋" and found.source == MissingCase.Source.PFIF
    assert found.station == city.station_a1 and (found.lat, found.lon) == pytest.approx(A1_POINT)
    second, root2 = export(city.api(city.station_officer))
    after = persons(root2)
    assert after == before
    # Importing the same file again changes nothing.
    call_command("import", "pfif", str(path))
    assert MissingCase.objects.count() == 2 and Clue.objects.count() == 4


def test_importing_our_own_export_into_the_same_database_adds_nothing(city, tmp_path):
    build(city)
    body, _ = export(city.api(city.station_officer))
    path = tmp_path / "pfif.xml"
    path.write_bytes(body)
    cases, clues = MissingCase.objects.count(), Clue.objects.count()
    call_command("import", "pfif", str(path))
    assert (MissingCase.objects.count(), Clue.objects.count()) == (cases, clues)


def person_xml(person_id="example.org/p1", extra="", notes=None) -> str:
    if notes is None:
        notes = (
            "<pfif:note><pfif:note_record_id>example.org/n1</pfif:note_record_id>"
            f"<pfif:person_record_id>{person_id}</pfif:person_record_id>"
            "<pfif:entry_date>2026-12-01T01:00:00Z</pfif:entry_date>"
            "<pfif:last_known_location>37.735,115.675</pfif:last_known_location>"
            "<pfif:text>在河西村口见到</pfif:text></pfif:note>"
        )
    return (
        f"<pfif:person><pfif:person_record_id>{person_id}</pfif:person_record_id>"
        "<pfif:entry_date>2026-12-01T00:00:00Z</pfif:entry_date>"
        f"<pfif:full_name>刘某某</pfif:full_name><pfif:age>80</pfif:age>{extra}{notes}</pfif:person>"
    )


def doc(*persons_xml, head='<?xml version="1.0" encoding="UTF-8"?>') -> bytes:
    return f'{head}<pfif:pfif xmlns:pfif="{NS}">{"".join(persons_xml)}</pfif:pfif>'.encode()


def test_a_person_finder_file_imports_as_a_case_with_its_clues(city, tmp_path):
    path = tmp_path / "in.xml"
    path.write_bytes(doc(person_xml()))
    call_command("import", "pfif", str(path))
    case = MissingCase.objects.get()
    assert case.source == MissingCase.Source.PFIF and case.pfif_id == "example.org/p1"
    assert case.category == MissingCase.Category.ELDERLY and case.station == city.station_a1
    assert case.clues.get().pfif_id == "example.org/n1"
    # A later file with a new note on the same person adds just the note.
    more = person_xml(
        notes=(
            "<pfif:note><pfif:note_record_id>example.org/n2</pfif:note_record_id>"
            "<pfif:entry_date>2026-12-01T02:00:00Z</pfif:entry_date><pfif:author_made_contact>true</pfif:author_made_contact>"
            "<pfif:status>believed_alive</pfif:status><pfif:text>已与本人通话</pfif:text></pfif:note>"
        )
    )
    path.write_bytes(doc(more))
    call_command("import", "pfif", str(path))
    case.refresh_from_db()
    assert MissingCase.objects.count() == 1 and case.clues.count() == 2
    assert case.status == MissingCase.Status.FOUND


@pytest.mark.parametrize(
    ("content", "named"),
    [
        (b"<pfif:pfif", "XML"),
        (doc(person_xml()).replace(b"pfif/1.4", b"pfif/1.3"), "pfif:pfif"),
        (doc(person_xml(person_id="no-slash")), "person_record_id"),
        (doc(person_xml().replace("2026-12-01T00:00:00Z", "2026-12-01 00:00")), "entry_date"),
        (doc(person_xml(extra="<pfif:sex>robot</pfif:sex>")), "sex"),
        (doc(person_xml().replace("<pfif:full_name>刘某某</pfif:full_name>", "")), "full_name"),
        (doc(person_xml(notes="")), "last_known_location"),
        (doc(person_xml().replace("<pfif:text>在河西村口见到</pfif:text>", "")), "text"),
        (doc(person_xml(), person_xml(person_id="example.org/p2", extra="<pfif:age>abc</pfif:age>")), "age"),
    ],
)
def test_a_malformed_file_gives_one_line_naming_the_element_and_writes_nothing(city, tmp_path, content, named):
    path = tmp_path / "bad.xml"
    path.write_bytes(content)
    with pytest.raises(CommandError) as err:
        call_command("import", "pfif", str(path))
    message = str(err.value)
    assert named in message and "\n" not in message.strip()
    assert not MissingCase.objects.exists() and not Clue.objects.exists()


def test_a_file_with_a_dtd_or_entities_is_refused(city, tmp_path):
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        f'<pfif:pfif xmlns:pfif="{NS}">&lol2;</pfif:pfif>'
    )
    external = f'<?xml version="1.0"?><!DOCTYPE x SYSTEM "file:///etc/passwd"><pfif:pfif xmlns:pfif="{NS}"/>'
    for text in (bomb, external):
        path = tmp_path / "evil.xml"
        path.write_text(text)
        with pytest.raises(CommandError) as err:
            call_command("import", "pfif", str(path))
        assert "DTD" in str(err.value)
    assert not MissingCase.objects.exists()
