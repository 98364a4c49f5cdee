"""`anmin restore PATH [--yes] [--check]`: put a backup back, then prove it (counts, audit, statistics)."""

from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from anmin.core import backup, keys
from anmin.core.management.commands.backup import size_text


class Command(BaseCommand):
    # A backup is what one takes before fixing a broken configuration, and a restore may be what
    # fixes it: neither waits for the system checks to pass.
    requires_system_checks = []
    help = (
        "Restore a backup written by `anmin backup` into the configured database (DATABASE_URL) and the private "
        "files folder, on this machine or a new one. Stop the server first. Needs the keys of the machine that "
        "made it (AUDIT_KEY, DATA_KEY, and BACKUP_KEY if one was set): they are kept apart from the backups. "
        "Everything is checked before the database is touched (format, migrations, keys, every chunk and "
        "checksum) and the database is replaced in one step, so a damaged or foreign backup changes nothing. "
        "Afterwards the row count of every table is compared with the manifest and `audit verify` and "
        "`stats verify` run; the exit status is non-zero if anything differs (audit anchors written after the "
        "backup was made report the entries since then as missing, which they are). Keep three copies on two kinds "
        "of media, one off site (3-2-1), and rehearse a restore with --check or into a spare database."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="the backup file")
        parser.add_argument(
            "--yes", action="store_true", help="replace a database that already holds accounts or audit entries"
        )
        parser.add_argument(
            "--check", action="store_true", help="only decrypt the backup and check its checksums; restore nothing"
        )

    def handle(self, *args, path, yes=False, check=False, **options):
        try:
            if check:
                self.check_only(path)
                return
            report = backup.restore(path, replace=yes, verify=self.verify, migrate=self.migrate)
        except (backup.BackupError, keys.MissingKey) as exc:
            raise CommandError(str(exc)) from None
        self.show(report)
        if report.problems:
            raise CommandError(f"restored, but {len(report.problems)} check(s) failed: " + "; ".join(report.problems))
        self.stdout.write(
            self.style.SUCCESS("restore complete: every table matches the manifest, audit and statistics verified")
        )

    def check_only(self, path: Path) -> None:
        import tempfile

        with tempfile.TemporaryDirectory(prefix="anmin-backup-") as workdir:
            manifest, parts = backup.open_parts(path, Path(workdir))
        self.describe(manifest)
        for part in parts:
            self.stdout.write(f"  {part.name:<9} {part.format:<15} {size_text(part.size):>12}  sha256 {part.sha256}")
        self.stdout.write(self.style.SUCCESS(f"{path}: every chunk and checksum verifies"))

    def describe(self, manifest: dict) -> None:
        database = manifest.get("database", {})
        self.stdout.write(
            f"backup of {manifest.get('created_at')} by Anmin {manifest.get('anmin_version')}: "
            f"{database.get('vendor')} {database.get('server_version')}, {len(manifest.get('tables', {}))} tables, "
            f"{sum(manifest.get('tables', {}).values())} rows, {manifest.get('audit', {}).get('count')} audit entries"
        )

    def migrate(self) -> None:
        call_command("migrate", interactive=False, verbosity=0, stdout=self.stdout, stderr=self.stderr)

    def verify(self, report: backup.Report) -> None:
        try:
            call_command("audit", "verify", stdout=self.stdout, stderr=self.stderr)
        except CommandError as exc:
            report.problems.append(f"audit verify: {exc}")
        try:
            call_command("stats", "verify", stdout=self.stdout, stderr=self.stderr)
        except SystemExit:
            report.problems.append("stats verify found differences (see above)")
        except CommandError as exc:
            report.problems.append(f"stats verify: {exc}")

    def show(self, report: backup.Report) -> None:
        self.describe(report.manifest)
        width = max((len(table) for table in report.counts), default=10)
        self.stdout.write(f"  {'table':<{width}}  {'backup':>9}  {'restored':>9}")
        for table, (expected, found) in report.counts.items():
            mark = "" if expected == found else "  ≠"
            expected_text = "-" if expected is None else str(expected)
            found_text = "-" if found is None else str(found)
            self.stdout.write(f"  {table:<{width}}  {expected_text:>9}  {found_text:>9}{mark}")
        for note in report.notes:
            self.stdout.write(note)
