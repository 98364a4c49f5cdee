"""The keyed audit chain: what an attacker with write access to the database can and cannot do.

Every entry carries an HMAC (under a key outside the database) of all its columns and of the entry
before it; the head is sealed; anchors written outside the database pin the chain as it was."""

import base64
import hashlib
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from anmin.core import keys
from anmin.core.anchors import read_file
from anmin.core.audit import security_event
from anmin.core.models import (
    DEFAULT_ALGORITHM,
    AuditEntry,
    AuditHead,
    RetentionError,
    canonical,
    entry_digest,
    entry_payload,
    purge_before,
    verify,
    verify_chain,
)

pytestmark = pytest.mark.django_db

OTHER_KEY = base64.b64encode(b"another-audit-key-32-bytes-long!").decode()


@pytest.fixture(autouse=True)
def anchor_file(settings, tmp_path):
    settings.AUDIT_ANCHOR_FILE = str(tmp_path / "anchors.log")
    return tmp_path / "anchors.log"


@pytest.fixture
def trail(city):
    for n in range(6):
        security_event("account.role_changed", actor=city.leader, obj=city.dispatcher, data={"n": n})
    entries = list(AuditEntry.objects.order_by("id"))
    assert verify_chain() == (len(entries), None, "")
    return entries


def rewrite(entries, *, digest, head: bool = True) -> None:
    """Recompute every entry's hash (and the head's last hash) as an attacker would, with `digest(values)`."""
    prev = AuditHead.objects.get(pk=1).start_hash
    for entry in AuditEntry.objects.order_by("id"):
        entry.prev_hash = prev
        entry.hash = digest(entry.values())
        AuditEntry.objects.filter(pk=entry.pk).update(prev_hash=entry.prev_hash, hash=entry.hash)
        prev = entry.hash
    if head:
        AuditHead.objects.filter(pk=1).update(last_hash=prev)


def verify_command() -> str:
    from io import StringIO

    out = StringIO()
    call_command("audit", "verify", stdout=out)
    return out.getvalue()


def test_each_entry_is_an_hmac_of_every_column(trail):
    head = AuditHead.objects.get(pk=1)
    assert head.algorithm == DEFAULT_ALGORITHM
    entry = trail[2]
    payload = entry_payload(entry.values())
    assert set(payload) == {f.attname for f in AuditEntry._meta.concrete_fields} - {"hash"} | {"actor_id"}
    assert entry.hash == entry_digest(entry.values(), key=keys.audit_key(), algorithm=head.algorithm)
    # Not the plain hash of the same content: without the key the value cannot be computed.
    assert entry.hash != hashlib.sha256(canonical(payload)).hexdigest()
    assert [e.seq for e in trail] == list(range(1, len(trail) + 1))
    assert "intact: 6 entries verified" in verify_command()


def test_a_forged_chain_recomputed_with_plain_sha256_fails(trail):
    AuditEntry.objects.filter(pk=trail[1].pk).update(data={"n": 99})
    plain = lambda values: hashlib.sha256(canonical(entry_payload(values))).hexdigest()  # noqa: E731
    rewrite(trail, digest=plain, head=False)
    checked, bad, reason = verify_chain()
    assert bad is not None and bad.pk == trail[0].pk and checked == 0 and "altered" in reason
    rewrite(trail, digest=plain)  # and the head's last hash: its seal no longer matches
    assert "head was altered" in verify().reason
    with pytest.raises(CommandError, match="NOT verified"):
        verify_command()


def test_a_forged_chain_recomputed_with_a_wrong_key_fails(trail):
    wrong = base64.b64decode(OTHER_KEY)
    AuditEntry.objects.filter(pk=trail[3].pk).update(action="account.created")
    rewrite(trail, digest=lambda values: entry_digest(values, key=wrong, algorithm=DEFAULT_ALGORITHM), head=False)
    assert verify_chain()[1].pk == trail[0].pk
    with pytest.raises(CommandError, match="NOT verified"):
        verify_command()


def test_verify_with_a_different_key_is_never_intact(trail, settings):
    settings.AUDIT_KEY = OTHER_KEY
    report = verify()
    assert not report.ok and "not the key this chain was written with" in report.reason
    with pytest.raises(CommandError, match="NOT verified") as caught:
        verify_command()
    assert "intact" not in str(caught.value)


def test_changing_the_actor_id_is_detected(trail, city):
    victim = trail[4]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditentry SET actor_id=%s WHERE id=%s", [city.dispatcher.pk, victim.pk])
    checked, bad, reason = verify_chain()
    assert bad.pk == victim.pk and "altered" in reason and checked == 4


def test_moving_an_entry_to_another_id_is_detected(trail):
    last = trail[-1]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditentry SET id=%s WHERE id=%s", [last.pk + 1000, last.pk])
    assert verify_chain()[1].pk == last.pk + 1000


def test_an_officer_with_entries_cannot_be_deleted_from_under_them(trail, city):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        city.leader.delete()
    assert verify_chain()[1] is None


def test_deleting_the_tail_is_detected_by_the_head(trail):
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE id>=%s", [trail[-2].pk])
    checked, bad, reason = verify_chain()
    assert checked == len(trail) - 2 and "newest entries were deleted" in reason


def test_moving_the_head_back_over_a_deleted_tail_breaks_its_seal(trail):
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE id>=%s", [trail[-2].pk])
    AuditHead.objects.filter(pk=1).update(count=len(trail) - 2, last_hash=trail[-3].hash)
    assert "head was altered" in verify().reason


def test_a_tail_deleted_with_an_old_head_restored_is_caught_by_the_anchor(trail, city, anchor_file):
    old_head = AuditHead.objects.filter(pk=1).values("count", "last_hash", "seal").get()
    security_event("token.issued", actor=city.leader, object_type="org.apitoken", object_id="1")
    security_event("token.revoked", actor=city.leader, object_type="org.apitoken", object_id="1")
    call_command("audit", "anchor", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert read_file(anchor_file, keys.audit_key())[0].count == len(trail) + 2
    # The attacker removes the two newest entries and puts back the head (and its seal) from before them.
    AuditEntry.objects.filter(seq__gt=len(trail)).delete()
    AuditHead.objects.filter(pk=1).update(**old_head)
    assert verify_chain() == (len(trail), None, "")  # the database alone cannot tell
    with pytest.raises(CommandError, match="the newest entries were deleted"):
        verify_command()


def test_a_whole_database_rewritten_with_the_stolen_key_is_caught_by_the_anchor(trail, anchor_file):
    call_command("audit", "anchor", stdout=open("/dev/null", "w"))  # noqa: SIM115
    key = keys.audit_key()
    AuditEntry.objects.filter(pk=trail[1].pk).update(data={"n": "rewritten"})
    rewrite(trail, digest=lambda values: entry_digest(values, key=key, algorithm=DEFAULT_ALGORITHM))
    head = AuditHead.objects.get(pk=1)
    AuditHead.objects.filter(pk=1).update(seal=head.compute_seal(key))
    assert verify_chain() == (len(trail), None, "")  # consistent in itself
    with pytest.raises(CommandError, match="rewritten after that anchor"):
        verify_command()


def test_an_altered_anchor_line_is_not_accepted(trail, anchor_file):
    call_command("audit", "anchor", stdout=open("/dev/null", "w"))  # noqa: SIM115
    line = json.loads(anchor_file.read_text())
    line["count"] = 2
    anchor_file.write_text(json.dumps(line) + "\n")
    with pytest.raises(CommandError, match="does not match its HMAC"):
        verify_command()


def test_anchors_are_appended_and_all_checked(trail, city, anchor_file):
    call_command("audit", "anchor", stdout=open("/dev/null", "w"))  # noqa: SIM115
    security_event("auth.logout", actor=city.leader)
    call_command("audit", "anchor", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert len(anchor_file.read_text().splitlines()) == 2
    assert "2 anchors matched" in verify_command()


def test_purge_refuses_a_date_inside_the_retention_period(trail, settings):
    settings.AUDIT_RETENTION_DAYS = 30  # a setting under 180 days still keeps 180
    with pytest.raises(RetentionError, match="180 days"):
        purge_before(timezone.now() - timedelta(days=179))
    day = (timezone.localdate() - timedelta(days=100)).isoformat()
    with pytest.raises(CommandError, match="nothing purged"):
        call_command("audit", "purge", "--before", day)
    assert AuditEntry.objects.filter(seq__lte=len(trail)).count() == len(trail)
    refused = AuditEntry.objects.order_by("-id").first()
    assert (refused.action, refused.result) == ("audit.purge_refused", "denied")


def test_purge_after_the_retention_period_keeps_the_chain_verifiable(trail, anchor_file):
    call_command("audit", "anchor", stdout=open("/dev/null", "w"))  # noqa: SIM115  (anchors the 6 entries)
    old = timezone.now() - timedelta(days=400)
    AuditEntry.objects.filter(seq__lte=4).update(at=old)
    key = keys.audit_key()
    rewrite(trail, digest=lambda values: entry_digest(values, key=key, algorithm=DEFAULT_ALGORITHM))
    head = AuditHead.objects.get(pk=1)
    AuditHead.objects.filter(pk=1).update(seal=head.compute_seal(key))
    anchor_file.unlink()  # the anchor above is of the pre-test times; take a new one
    call_command("audit", "anchor", stdout=open("/dev/null", "w"))  # noqa: SIM115
    out = []
    call_command("audit", "purge", "--before", (timezone.localdate() - timedelta(days=200)).isoformat(), stdout=None)
    assert AuditEntry.objects.filter(seq__lte=4).count() == 0
    head = AuditHead.objects.get(pk=1)
    assert (head.start_count, head.count) == (4, len(trail) + 1)
    purge = AuditEntry.objects.get(seq=len(trail) + 1)
    assert purge.action == "audit.purged" and purge.data["count"] == 4
    text = verify_command()
    assert "intact: 3 entries verified (entries 5–7" in text and "1 anchors matched" in text, out


def test_without_a_key_nothing_is_written_and_verify_says_not_verified(trail, settings, tmp_path, city):
    settings.AUDIT_KEY = ""
    settings.AUDIT_KEY_FILE = ""
    settings.VAR_DIR = tmp_path  # no key files there either
    with pytest.raises(keys.MissingKey):
        security_event("auth.logout", actor=city.leader)
    assert AuditEntry.objects.count() == len(trail)
    with pytest.raises(CommandError, match="NOT verified"):
        verify_command()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_first_entries_of_an_empty_trail_written_at_once_make_one_chain():
    # The very first entry creates the head row; entries arriving together with it must wait for
    # it, not fail (on PostgreSQL both once found no head and the second insert hit the key).
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    from anmin.core.models import AuditEntry, AuditHead, verify_chain

    assert not AuditHead.objects.exists()

    def write(n):
        try:
            security_event("test.concurrent", actor_label=f"t{n}", object_type="test", object_id=str(n))
        finally:
            connections.close_all()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(write, range(8)))
    assert AuditEntry.objects.filter(action="test.concurrent").count() == 8
    checked, bad, reason = verify_chain()
    assert (checked, bad, reason) == (8, None, "")
