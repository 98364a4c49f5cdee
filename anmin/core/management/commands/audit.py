"""`anmin audit verify | anchor | purge | status`: the keyed audit chain from the command line.

Anchors: run `anmin audit anchor` periodically (cron or a systemd timer, e.g. hourly:
`0 * * * * anmin audit anchor`), writing to a file on storage the database's writers cannot
change — another host's mount, or a local file made append-only with `chattr +a FILE` (root; only
appends are then possible, even for its owner) — or with `--syslog` to a log server. `verify`
reads the anchor file (AUDIT_ANCHOR_FILE, default VAR_DIR/audit-anchors.log) and requires every
anchored position to carry the anchored HMAC.
"""

import socket
from datetime import datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from anmin.core import anchors
from anmin.core.audit import security_event
from anmin.core.keys import MissingKey, audit_key
from anmin.core.models import AuditHead, RetentionError, purge_before, retention_days, verify


def _label() -> str:
    return f"command@{socket.gethostname()}"[:100]


class Command(BaseCommand):
    help = (
        "Audit trail. `verify` checks every entry's HMAC and link, the head and the anchors "
        "(exit status 1 and 'NOT verified' on any mismatch, including a wrong AUDIT_KEY); "
        "`anchor [--file PATH | --syslog]` appends the current head to an append-only file or syslog — "
        "run it periodically (e.g. hourly from cron); `purge --before YYYY-MM-DD` deletes entries older "
        "than the date, never inside the retention period (AUDIT_RETENTION_DAYS, at least 180); "
        "`status` prints the head."
    )

    def add_arguments(self, parser):
        parser.add_argument("verb", choices=["verify", "anchor", "purge", "status"])
        parser.add_argument("--file", help="anchor file (default AUDIT_ANCHOR_FILE or VAR_DIR/audit-anchors.log)")
        parser.add_argument("--syslog", action="store_true", help="anchor: write to syslog (LOG_AUTH) instead")
        parser.add_argument("--no-anchors", action="store_true", help="verify: do not read the anchor file")
        parser.add_argument("--before", help="purge: the date (YYYY-MM-DD) before which entries go")

    def handle(self, *args, verb, **options):
        try:
            key = audit_key()
        except MissingKey as exc:
            raise CommandError(f"audit trail NOT verified: {exc}") from None
        return getattr(self, f"do_{verb}")(key, **options)

    def do_verify(self, key, *, file=None, no_anchors=False, **options):
        path = anchors.anchor_path() if file is None else anchors.Path(file)
        found: list[anchors.Anchor] = []
        if not no_anchors:
            if path.exists():
                try:
                    found = anchors.read_file(path, key)
                except (anchors.AnchorError, OSError) as exc:
                    self._record(False, 0)
                    raise CommandError(f"audit trail NOT verified: {exc}") from None
            elif file is not None:
                raise CommandError(f"audit trail NOT verified: no anchor file {path}")
        report = verify(anchors=[a.as_dict() for a in found], key=key)
        self._record(report.ok, report.checked)
        if not report.ok:
            bad = report.bad
            where = (
                f"entry number {bad.seq} (#{bad.pk}, {bad.action} {bad.object_type}#{bad.object_id})"
                if bad
                else "the head"
            )
            raise CommandError(f"audit trail NOT verified, broken at {where}: {report.reason}")
        first = report.start_count + 1
        span = f"entries {first}–{report.count}" if report.checked else "no entries"
        anchored = f"{report.anchors_checked} anchors matched" if found else f"no anchors in {path}"
        if report.anchors_purged:
            anchored += f" ({report.anchors_purged} older than the purged start)"
        self.stdout.write(
            self.style.SUCCESS(
                f"audit trail intact: {report.checked} entries verified ({span}, {report.algorithm}), {anchored}"
            )
        )

    def _record(self, ok: bool, checked: int) -> None:
        # For the audit viewer's status panel: when the chain was last verified and how it went.
        AuditHead.objects.filter(pk=1).update(verified_at=timezone.now(), verified_ok=ok, verified_count=checked)

    def do_anchor(self, key, *, file=None, syslog=False, **options):
        if file and syslog:
            raise CommandError("--file and --syslog: choose one")
        try:
            values = anchors.current_anchor(key)
        except anchors.AnchorError as exc:
            raise CommandError(f"no anchor written: {exc}") from None
        if syslog:
            anchors.write_syslog(values)
            where = "syslog"
        else:
            path = anchors.Path(file) if file else anchors.anchor_path()
            try:
                anchors.write_file(values, path)
            except OSError as exc:
                raise CommandError(f"no anchor written: {path}: {exc.strerror}") from None
            where = str(path)
        self.stdout.write(f"anchored {values['count']} entries ({values['last_hash'][:16]}…) to {where}")

    def do_purge(self, key, *, before=None, **options):
        if not before:
            raise CommandError("purge needs --before YYYY-MM-DD")
        try:
            day = datetime.strptime(before, "%Y-%m-%d").date()  # noqa: DTZ007 - a date, made aware below
        except ValueError:
            raise CommandError(f"--before: {before!r} is not a date (YYYY-MM-DD)") from None
        moment = timezone.make_aware(datetime.combine(day, time.min))
        try:
            count = purge_before(moment, actor_label=_label())
        except RetentionError as exc:
            security_event(
                "audit.purge_refused",
                actor_label=_label(),
                object_type="core.auditentry",
                result="denied",
                data={"before": before, "reason": str(exc)},
            )
            raise CommandError(f"nothing purged: {exc}") from None
        self.stdout.write(f"purged {count} entries before {day} (retention {retention_days()} days)")

    def do_status(self, key, **options):
        head = AuditHead.objects.filter(pk=1).first()
        if head is None:
            self.stdout.write("no audit entries yet")
            return
        verified = (
            f"{head.verified_at:%Y-%m-%d %H:%M} ({'ok' if head.verified_ok else 'FAILED'})"
            if head.verified_at
            else "never"
        )
        self.stdout.write(
            f"entries {head.start_count + 1}–{head.count} ({head.algorithm}), last verified {verified}, "
            f"anchor file {anchors.anchor_path()}"
        )
