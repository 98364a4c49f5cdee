"""ID and phone numbers encrypted at rest (个人信息保护法 art. 51): what the database holds is
ciphertext bound to its column, the models read plain text, the equality lookups the platform
needs go through keyed blind indexes, the migrations encrypt rows stored before, and the data key
can be rotated and the old key dropped."""

import base64
import importlib
from datetime import timedelta
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.exceptions import FieldError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from anmin.bookings.actions import RegisterApplicant
from anmin.bookings.models import ExamApplicant
from anmin.cases.actions import AddPerson, OpenCase
from anmin.cases.models import CasePerson
from anmin.citizens.models import Citizen
from anmin.core import crypto, keys
from anmin.core.errors import Conflict
from anmin.core.models import AuditEntry
from anmin.feedback.actions import OpenSurvey
from anmin.feedback.models import MatterKind, Survey
from anmin.geo.models import GridCell
from anmin.incidents.actions import ReceiveCall, RepeatCall, find_repeat_calls
from anmin.incidents.models import Incident
from anmin.property.actions import RegisterItem
from anmin.property.models import SeizedItem
from anmin.reports.models import AccidentParty, QuickAccident
from tests.conftest import B1_POINT, TEST_DATA_KEY

PHONE = "13812345678"
OTHER_PHONE = "13987654321"
ID_A = "11010519491231002X"
ID_B = "110101199003070070"
NEW_KEY = base64.b64encode(b"n" * 32).decode()
STRANGER_KEY = base64.b64encode(b"s" * 32).decode()


def raw(model, field: str, pk) -> str | None:
    """What the database holds, read past the model."""
    meta = model._meta
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {q(meta.get_field(field).column)} FROM {q(meta.db_table)} WHERE {q(meta.pk.column)} = %s",  # noqa: S608
            [pk],
        )
        return cursor.fetchone()[0]


def write_raw(model, pk, **values) -> None:
    meta = model._meta
    q = connection.ops.quote_name
    sets = ", ".join(f"{q(meta.get_field(name).column)} = %s" for name in values)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {q(meta.db_table)} SET {sets} WHERE {q(meta.pk.column)} = %s",  # noqa: S608
            [*values.values(), pk],
        )


@pytest.fixture
def rows(city, call_data):
    """One row of every model this change encrypts, with its plain values."""
    incident, _ = ReceiveCall(by=city.dispatcher, data={**call_data, "caller_phone": PHONE}, force_new=True).execute()
    case = OpenCase(by=city.station_officer, kind="criminal", title="李某盗窃案").execute()
    person = AddPerson(
        case=case, by=city.station_officer, data={"role": "suspect", "name": "李某", "id_number": ID_A, "phone": PHONE}
    ).execute()
    survey = OpenSurvey(
        matter=incident,
        kind=MatterKind.INCIDENT,
        label=incident.number,
        phone=OTHER_PHONE,
        organization=city.station_a1,
        closed_at=timezone.now(),
    ).execute()
    applicant = RegisterApplicant(
        by=city.leader,
        organization=city.traffic,
        id_number=ID_B,
        name="王五",
        licence_class="C1",
        accepted_on=timezone.localdate().isoformat(),
    ).execute()
    item = RegisterItem(
        by=city.station_officer,
        case=case,
        kind="electronics",
        description="手机",
        quantity="1",
        owner_name="李某",
        owner_id_number=ID_A,
    ).execute()
    citizen = Citizen.objects.create(phone="13700000001", name="赵六", id_number=ID_B, verified_at=timezone.now())
    cell = GridCell.objects.filter(jurisdiction=city.station_a1).order_by("h3").first()
    accident = QuickAccident.objects.create(
        number="KC0000000001",
        citizen=citizen,
        occurred_at=timezone.now(),
        address="人民路口",
        lat=cell.lat,
        lon=cell.lon,
        grid_cell=cell,
        station=city.station_a1,
        traffic_unit=city.traffic,
        mode=QuickAccident.Mode.AGREEMENT,
        status=QuickAccident.Status.AGREED,
    )
    party = AccidentParty.objects.create(
        accident=accident,
        role="A",
        name="赵六",
        phone=OTHER_PHONE,
        licence_number=ID_B,
        plate="冀T12345",
        insurer="某保险",
        policy_number="P1",
    )
    return SimpleNamespace(
        incident=incident,
        person=person,
        survey=survey,
        applicant=applicant,
        item=item,
        party=party,
        values=[
            (incident, "caller_phone", PHONE),
            (person, "id_number", ID_A),
            (person, "phone", PHONE),
            (survey, "phone", OTHER_PHONE),
            (applicant, "id_number", ID_B),
            (item, "owner_id_number", ID_A),
            (party, "phone", OTHER_PHONE),
            (party, "licence_number", ID_B),
        ],
    )


# --- at rest ---------------------------------------------------------------------------------------


def test_the_database_holds_ciphertext_and_the_models_read_the_numbers(rows):
    assert len(rows.values) == 8
    for obj, field, number in rows.values:
        stored = raw(type(obj), field, obj.pk)
        assert stored.startswith("v1:" + keys.data_keys()[0][0] + ":"), (obj, field)
        assert number not in stored and number[-4:] not in stored.split(":", 2)[1], (obj, field)
        fresh = type(obj).objects.get(pk=obj.pk)
        assert getattr(fresh, field) == number
        assert type(obj).objects.filter(pk=obj.pk).values_list(field, flat=True)[0] == number


def test_equal_numbers_give_different_ciphertexts_but_one_index(rows, city, call_data):
    again, _ = ReceiveCall(by=city.dispatcher, data={**call_data, "caller_phone": PHONE}, force_new=True).execute()
    assert raw(Incident, "caller_phone", again.pk) != raw(Incident, "caller_phone", rows.incident.pk)
    index = raw(Incident, "caller_phone_index", again.pk)
    assert index == raw(Incident, "caller_phone_index", rows.incident.pk) == crypto.blind_index("phone", PHONE)
    assert PHONE not in index
    # The same number as an ID number is another kind: another index.
    assert crypto.blind_index("id_number", PHONE) != index


def test_an_empty_number_stays_empty_with_no_index(city, call_data):
    incident, _ = ReceiveCall(by=city.dispatcher, data={**call_data, "caller_phone": ""}, force_new=True).execute()
    assert raw(Incident, "caller_phone", incident.pk) == ""
    assert raw(Incident, "caller_phone_index", incident.pk) is None
    assert Incident.objects.get(pk=incident.pk).caller_phone == ""


def test_a_filter_or_search_on_the_encrypted_column_is_refused_not_silently_empty(rows):
    with pytest.raises(TypeError, match="blind index"):
        list(Incident.objects.filter(caller_phone=PHONE))
    for lookup in ("startswith", "icontains", "in"):
        with pytest.raises(FieldError):
            list(Incident.objects.filter(**{f"caller_phone__{lookup}": PHONE}))
    assert Incident.objects.filter(caller_phone="").count() == 0
    assert Incident.objects.filter(crypto.matching(Incident, "caller_phone", PHONE)).get() == rows.incident
    assert not Incident.objects.filter(crypto.matching(Incident, "caller_phone", "")).exists()


def test_a_value_copied_into_another_column_does_not_decrypt_there(rows):
    # The associated data names the column: a caller's ciphertext pasted into a survey's phone
    # column, or an ID number's into the phone column of the same row, fails to verify.
    write_raw(Survey, rows.survey.pk, phone=raw(Incident, "caller_phone", rows.incident.pk))
    with pytest.raises(crypto.DecryptionError, match=r"feedback\.survey\.phone: ciphertext does not verify"):
        Survey.objects.get(pk=rows.survey.pk)
    write_raw(CasePerson, rows.person.pk, phone=raw(CasePerson, "id_number", rows.person.pk))
    with pytest.raises(crypto.DecryptionError, match=r"cases\.caseperson\.phone"):
        CasePerson.objects.get(pk=rows.person.pk)


def test_an_altered_ciphertext_fails_instead_of_reading_another_number(rows):
    stored = raw(Incident, "caller_phone", rows.incident.pk)
    prefix, body = stored.rsplit(":", 1)
    data = bytearray(base64.b64decode(body))
    data[-1] ^= 1
    write_raw(Incident, rows.incident.pk, caller_phone=f"{prefix}:{base64.b64encode(bytes(data)).decode()}")
    with pytest.raises(crypto.DecryptionError, match="does not verify"):
        Incident.objects.get(pk=rows.incident.pk)


def test_a_wrong_data_key_gives_a_clear_error_not_garbage(rows, settings):
    settings.DATA_KEY = STRANGER_KEY
    with pytest.raises(crypto.DecryptionError, match="which DATA_KEY does not hold"):
        Incident.objects.get(pk=rows.incident.pk)
    # No key at all: the message names the settings.
    settings.DATA_KEY = ""
    settings.DATA_KEY_FILE = None
    settings.VAR_DIR = "/nonexistent-anmin-var"
    with pytest.raises(keys.MissingKey, match="DATA_KEY"):
        Incident.objects.get(pk=rows.incident.pk)


def test_a_value_that_merely_looks_sealed_is_encrypted_like_any_other(rows):
    forged = "v1:" + keys.data_keys()[0][0] + ":" + base64.b64encode(b"x" * 40).decode()
    item = SeizedItem.objects.get(pk=rows.item.pk)
    item.owner_id_number = forged
    item.save()
    assert raw(SeizedItem, "owner_id_number", item.pk) != forged
    assert SeizedItem.objects.get(pk=item.pk).owner_id_number == forged


# --- lookups through the indexes ---------------------------------------------------------------------


def test_a_call_from_the_same_number_is_a_repeat_call_even_from_elsewhere(rows, city, call_data):
    # Another place, another category, the same number within REPEAT_CALL_MINUTES: found by the index.
    elsewhere = {**call_data, "lat": B1_POINT[0], "lon": B1_POINT[1], "category": "0110", "caller_phone": PHONE}
    with pytest.raises(RepeatCall) as caught:
        ReceiveCall(by=city.dispatcher, data=elsewhere).execute()
    assert caught.value.candidates == [rows.incident]
    assert "同一号码" in str(caught.value.message)
    # Another number there is a new incident.
    incident, created = ReceiveCall(by=city.dispatcher, data={**elsewhere, "caller_phone": OTHER_PHONE}).execute()
    assert created and incident.pk != rows.incident.pk


def test_a_call_from_the_same_number_after_the_window_or_to_a_closed_incident_is_new(rows, settings):
    later = rows.incident.received_at + timedelta(minutes=settings.REPEAT_CALL_MINUTES + 1)
    far = B1_POINT
    assert find_repeat_calls(rows.incident.category, *far, later, phone=PHONE) == []
    assert find_repeat_calls(rows.incident.category, *far, rows.incident.received_at, phone=PHONE) == [rows.incident]
    Incident.objects.filter(pk=rows.incident.pk).update(status=Incident.Status.CANCELLED)
    assert find_repeat_calls(rows.incident.category, *far, rows.incident.received_at, phone=PHONE) == []


def test_the_same_person_is_found_by_id_number_and_not_registered_twice_in_a_role(rows, city):
    case = rows.person.case
    with pytest.raises(Conflict) as caught:
        AddPerson(
            case=case, by=city.station_officer, data={"role": "suspect", "name": "李某", "id_number": ID_A}
        ).execute()
    assert caught.value.field == "id_number"
    # The same person in another role (the reporter who is also the victim) is allowed.
    AddPerson(case=case, by=city.station_officer, data={"role": "witness", "name": "李某", "id_number": ID_A}).execute()
    other = OpenCase(by=city.station_officer, kind="criminal", title="另一案").execute()
    AddPerson(
        case=other, by=city.station_officer, data={"role": "suspect", "name": "李某", "id_number": ID_A}
    ).execute()
    assert CasePerson.objects.with_id_number(ID_A).count() == 3
    assert CasePerson.objects.with_id_number(ID_B).count() == 0


def test_one_exam_applicant_per_id_number_by_the_unique_index(rows, city):
    with pytest.raises(Conflict):
        RegisterApplicant(
            by=city.leader,
            organization=city.traffic,
            id_number=ID_B,
            name="王五",
            licence_class="C1",
            accepted_on=timezone.localdate().isoformat(),
        ).execute()
    with pytest.raises(IntegrityError), transaction.atomic():
        ExamApplicant.objects.create(
            organization=city.traffic, id_number=ID_B, name="王五", licence_class="C1", accepted_on=timezone.localdate()
        )
    citizen = rows.party.accident.citizen  # verified under ID_B
    assert ExamApplicant.of(citizen) == rows.applicant


# --- the migrations ---------------------------------------------------------------------------------

MIGRATIONS = [
    ("incidents", "0006_encrypt_caller_phone", "incident", ["caller_phone"]),
    ("cases", "0007_encrypt_person_numbers", "person", ["id_number", "phone"]),
    ("feedback", "0002_encrypt_survey_phone", "survey", ["phone"]),
    ("reports", "0002_encrypt_party_numbers", "party", ["phone", "licence_number"]),
    ("bookings", "0002_encrypt_applicant_id_number", "applicant", ["id_number"]),
    ("property", "0005_encrypt_owner_id_number", "item", ["owner_id_number"]),
]


def data_step(app: str, name: str):
    """The migration's RunPython step and the historical apps it runs with."""
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    state = loader.project_state((app, name), at_end=False)
    migration = importlib.import_module(f"anmin.{app}.migrations.{name}").Migration
    for operation in migration.operations:
        if operation.__class__.__name__ == "RunPython":
            return operation, state.apps
        operation.state_forwards(app, state)
    raise AssertionError(f"{app}.{name} has no data step")


@pytest.mark.parametrize(("app", "name", "attr", "fields"), MIGRATIONS)
def test_the_migration_encrypts_plain_rows_and_reverses(rows, app, name, attr, fields):
    obj = getattr(rows, attr)
    model = type(obj)
    plain = {field: getattr(obj, field) for field in fields}
    step, historical = data_step(app, name)
    # The indexes this migration fills (a later one may add another, e.g. reports 0003 phone_index).
    indexes = [
        f
        for f in historical.get_model(model._meta.label)._meta.concrete_fields
        if isinstance(f, crypto.BlindIndexField)
    ]
    # A row as it was before the migration: numbers in plain text, no index.
    write_raw(model, obj.pk, **plain, **{f.name: None for f in indexes})
    editor = SimpleNamespace(connection=connection)

    step.code(historical, editor)
    for field, number in plain.items():
        assert raw(model, field, obj.pk).startswith("v1:")
        assert getattr(model.objects.get(pk=obj.pk), field) == number
    for index in indexes:
        assert raw(model, index.name, obj.pk) == crypto.blind_index(index.kind, plain[index.source])
    sealed = {field: raw(model, field, obj.pk) for field in fields}
    step.code(historical, editor)  # again (after an interruption): nothing changes
    assert {field: raw(model, field, obj.pk) for field in fields} == sealed

    step.reverse_code(historical, editor)
    assert {field: raw(model, field, obj.pk) for field in fields} == plain
    assert all(raw(model, index.name, obj.pk) is None for index in indexes)


@pytest.mark.django_db(transaction=True)
def test_migrating_back_decrypts_and_migrating_forward_encrypts_the_stored_rows(rows):
    # The real migrations, schema steps included (SQLite rebuilds the tables, PostgreSQL alters the
    # columns): back to before the encryption, then forward again.
    before = []
    for app, name, _attr, _fields in MIGRATIONS:
        migration = importlib.import_module(f"anmin.{app}.migrations.{name}").Migration
        before += [dep for dep in migration.dependencies if dep[0] == app]
    MigrationExecutor(connection).migrate(before)
    for obj, field, number in rows.values:
        assert raw(type(obj), field, obj.pk) == number, (obj, field)
    assert raw(ExamApplicant, "id_number", rows.applicant.pk) == ID_B

    executor = MigrationExecutor(connection)
    executor.migrate([key for key in executor.loader.graph.leaf_nodes() if key[0] in {m[0] for m in MIGRATIONS}])
    for obj, field, number in rows.values:
        stored = raw(type(obj), field, obj.pk)
        assert stored.startswith("v1:") and number not in stored, (obj, field)
        assert getattr(type(obj).objects.get(pk=obj.pk), field) == number
    assert raw(Incident, "caller_phone_index", rows.incident.pk) == crypto.blind_index("phone", PHONE)
    assert ExamApplicant.objects.filter(crypto.matching(ExamApplicant, "id_number", ID_B)).get() == rows.applicant


def test_the_migration_of_stored_rows_without_a_data_key_names_data_key(rows, settings):
    write_raw(Incident, rows.incident.pk, caller_phone=PHONE, caller_phone_index=None)
    step, historical = data_step("incidents", "0006_encrypt_caller_phone")
    settings.DATA_KEY = ""
    settings.DATA_KEY_FILE = None
    settings.VAR_DIR = "/nonexistent-anmin-var"
    with pytest.raises(keys.MissingKey, match="DATA_KEY") as caught:
        step.code(historical, SimpleNamespace(connection=connection))
    assert "incidents.incident" in str(caught.value)
    assert raw(Incident, "caller_phone", rows.incident.pk) == PHONE


def test_the_migration_of_an_empty_table_needs_no_key(db, settings):
    settings.DATA_KEY = ""
    settings.DATA_KEY_FILE = None
    settings.VAR_DIR = "/nonexistent-anmin-var"
    step, historical = data_step("feedback", "0002_encrypt_survey_phone")
    step.code(historical, SimpleNamespace(connection=connection))


# --- key rotation -----------------------------------------------------------------------------------


def keys_command(*args) -> str:
    out = StringIO()
    call_command("keys", *args, stdout=out, stderr=out)
    return out.getvalue()


def test_rotation_re_encrypts_everything_and_the_old_key_can_then_go(rows, settings, city, call_data):
    old_id = keys.data_keys()[0][0]
    new_id = keys.key_id(base64.b64decode(NEW_KEY))
    settings.DATA_KEY = f"{NEW_KEY},{TEST_DATA_KEY}"

    # Before the rotation: new values use the new key, old ones still read, and lookups find rows
    # indexed under the old key (a repeat call in the middle of a rotation is still one).
    assert Incident.objects.get(pk=rows.incident.pk).caller_phone == PHONE
    assert find_repeat_calls(rows.incident.category, *B1_POINT, rows.incident.received_at, phone=PHONE) == [
        rows.incident
    ]
    assert CasePerson.objects.with_id_number(ID_A).get() == rows.person
    status = keys_command("status")
    assert f"key {old_id} (DATA_KEY #2): " in status and "run `anmin keys rotate`" in status

    out = keys_command("rotate")
    assert "incidents.incident: " in out and "re-encrypted" in out
    assert f"no value is encrypted with {old_id} any more" in out
    for obj, field, _number in rows.values:
        assert crypto.key_id_of(raw(type(obj), field, obj.pk)) == new_id, (obj, field)
    assert raw(Incident, "caller_phone_index", rows.incident.pk) == crypto.blind_index("phone", PHONE)
    entry = AuditEntry.objects.filter(action="keys.rotate").latest("id")
    assert entry.data["key"] == new_id and entry.data["values"] >= 8

    # Idempotent: a second run has nothing to do.
    again = keys_command("rotate")
    assert "rotated to key " + new_id + ": 0 values re-encrypted, 0 indexes recomputed" in again

    # The old key removed: everything reads and every lookup works.
    settings.DATA_KEY = NEW_KEY
    for obj, field, number in rows.values:
        assert getattr(type(obj).objects.get(pk=obj.pk), field) == number
    assert Incident.objects.filter(crypto.matching(Incident, "caller_phone", PHONE)).get() == rows.incident
    assert ExamApplicant.objects.filter(crypto.matching(ExamApplicant, "id_number", ID_B)).get() == rows.applicant
    status = keys_command("status")
    assert f"key {new_id} (current): " in status and old_id not in status

    # And without the new key the rows are unreadable, with a clear message.
    settings.DATA_KEY = TEST_DATA_KEY
    with pytest.raises(crypto.DecryptionError, match=f"encrypted with key {new_id}, which DATA_KEY does not hold"):
        Incident.objects.get(pk=rows.incident.pk)
    with pytest.raises(CommandError, match=f"encrypted with key {new_id}"):
        keys_command("rotate")


def test_status_counts_values_by_key_and_plain_text_left_over(rows):
    write_raw(Survey, rows.survey.pk, phone=OTHER_PHONE)
    status = keys_command("status")
    kid = keys.data_keys()[0][0]
    assert f"incidents.incident.caller_phone: {kid} 1" in status
    assert "feedback.survey.phone: (plain text) 1" in status
    assert "(plain text): 1 values — run `anmin migrate`" in status
    # A value stored in plain text (a migration not run) stops a rotation with a clear message.
    with pytest.raises(CommandError, match=r"feedback\.survey\.phone: value is not encrypted"):
        keys_command("rotate")


def test_an_officers_own_mobile_number_is_encrypted_too(city):
    officer = city.patrol_officer
    officer.phone = "13811112222"
    officer.save(update_fields=["phone"])
    stored = raw(type(officer), "phone", officer.pk)
    assert stored.startswith("v1:") and "13811112222" not in stored
    assert type(officer).objects.get(pk=officer.pk).phone == "13811112222"
