"""`anmin keys init`: write development key files (VAR_DIR/keys/audit.key and data.key) if missing."""

from django.core.management.base import BaseCommand

from anmin.core import keys


class Command(BaseCommand):
    help = (
        "Keys kept outside the database. `init` writes VAR_DIR/keys/audit.key and data.key (mode 0600) "
        "when they do not exist and no AUDIT_KEY/DATA_KEY setting names others."
    )

    def add_arguments(self, parser):
        parser.add_argument("verb", choices=["init"])

    def handle(self, *args, verb, **options):
        for name in ("audit", "data"):
            path = keys.default_key_path(name)
            if path.exists():
                self.stdout.write(f"{path}: exists, kept")
                continue
            keys.write_key_file(path, [keys.new_key()])
            self.stdout.write(f"{path}: written")
        missing = keys.configured()
        if missing:
            self.stderr.write(f"still missing: {', '.join(missing)}")
