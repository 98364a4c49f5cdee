"""`anmin backup [--output PATH]`: one encrypted file with the database and the private files."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from anmin.core import backup, keys


def size_text(size: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size} B"  # not reached


class Command(BaseCommand):
    # A backup is what one takes before fixing a broken configuration, and a restore may be what
    # fixes it: neither waits for the system checks to pass.
    requires_system_checks = []
    help = (
        "Back up the database (SQLite online backup or pg_dump, a consistent snapshot) and the private "
        "files (MEDIA_ROOT) into one file encrypted with AES-256-GCM under a key derived from BACKUP_KEY, "
        "else from the current data key; the file opens with a readable manifest (migrations, row counts, "
        "audit head, key ids, checksums). Restore with `anmin restore PATH`. Keep three copies on two kinds "
        "of media, one of them off site (3-2-1), and test a restore regularly. The keys (AUDIT_KEY, DATA_KEY, "
        "BACKUP_KEY) are not in the backup: back them up separately and never beside the backups, or a "
        "stolen backup carries the means to read it."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            type=Path,
            help=f"the file to write (default VAR_DIR/backups/anmin-YYYYmmdd-HHMMSS{backup.SUFFIX}); must not exist",
        )

    def handle(self, *args, output=None, **options):
        try:
            path, manifest = backup.create(output)
        except (backup.BackupError, keys.MissingKey) as exc:
            raise CommandError(str(exc)) from None
        tables = manifest["tables"]
        media = next((p for p in manifest["payload"]["parts"] if p["name"] == "media"), {})
        self.stdout.write(
            self.style.SUCCESS(
                f"backup written: {path} ({size_text(path.stat().st_size)}; {len(tables)} tables, "
                f"{sum(tables.values())} rows, {manifest['audit']['count']} audit entries, "
                f"{media.get('files', 0)} private files; encrypted with {manifest['key']['source']} "
                f"{manifest['key']['id']})"
            )
        )
        self.stdout.write(f"payload sha256 {manifest['payload']['sha256']}")
