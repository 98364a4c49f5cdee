"""`anmin keys init | rotate | status`: the keys kept outside the database.

`init` writes development key files (VAR_DIR/keys/audit.key and data.key) if missing.

Rotating the data key (个人信息保护法 art. 51; 等保 data confidentiality):
1. put a new key first in DATA_KEY, the old one after it: DATA_KEY="<new>,<old>" (in a
   DATA_KEY_FILE: the new key on the first line) and restart the servers: new values are
   encrypted with the new key, old ones still decrypt, and lookups match both keys' indexes;
2. `anmin keys rotate`: every EncryptedCharField value of every model is re-encrypted with the
   new key and every BlindIndexField recomputed with it, 1,000 rows to a transaction. It can be
   interrupted and run again: what is done already is skipped;
3. `anmin keys status` then shows no value under the old key: remove it from DATA_KEY.
"""

import socket
from collections import Counter

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from anmin.core import keys
from anmin.core.crypto import BlindIndexField, DecryptionError, EncryptedCharField, blind_index, decrypt, key_id_of

BATCH = 1000
PLAIN = "(plain text)"


def encrypted_models():
    """(model, encrypted fields, index fields) of every model holding either."""
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or not meta.managed:
            continue
        encrypted = [f for f in meta.concrete_fields if isinstance(f, EncryptedCharField)]
        indexes = [f for f in meta.concrete_fields if isinstance(f, BlindIndexField)]
        if encrypted or indexes:
            yield model, encrypted, indexes


def values_by_key() -> dict[str, Counter]:
    """For each encrypted column ("app.model.field"), how many values each key id encrypted
    (PLAIN for values stored unencrypted)."""
    quote = connection.ops.quote_name
    found: dict[str, Counter] = {}
    with connection.cursor() as cursor:
        for model, encrypted, _indexes in encrypted_models():
            for field in encrypted:
                column = quote(field.column)
                # Grouped in the database: a table of 400,000 incidents is not read row by row.
                cursor.execute(
                    f"SELECT CASE WHEN SUBSTR({column}, 1, 3) = 'v1:' THEN SUBSTR({column}, 4, 8) ELSE '' END, "  # noqa: S608
                    f"COUNT(*) FROM {quote(model._meta.db_table)} WHERE {column} <> '' GROUP BY 1"
                )
                found[field.context] = Counter({kid or PLAIN: n for kid, n in cursor.fetchall()})
    return found


def _label() -> str:
    return f"command@{socket.gethostname()}"[:100]


class Command(BaseCommand):
    help = (
        "Keys kept outside the database. `init` writes VAR_DIR/keys/audit.key and data.key (mode 0600) "
        "when they do not exist and no AUDIT_KEY/DATA_KEY setting names others. `rotate` re-encrypts every "
        "encrypted value with the first key of DATA_KEY and recomputes every blind index (put the new key "
        'first: DATA_KEY="new,old"; run it again after an interruption). `status` prints which data keys '
        "encrypted how many values, and whether a key can be removed."
    )

    def add_arguments(self, parser):
        parser.add_argument("verb", choices=["init", "rotate", "status"])

    def handle(self, *args, verb, **options):
        return getattr(self, f"do_{verb}")()

    def do_init(self):
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

    def _data_keys(self) -> tuple[tuple[str, bytes], ...]:
        try:
            return keys.data_keys()
        except keys.MissingKey as exc:
            raise CommandError(str(exc)) from None

    # --- status -------------------------------------------------------------------------------------

    def do_status(self):
        configured = [kid for kid, _key in self._data_keys()]
        by_column = values_by_key()
        totals: Counter = Counter()
        for context, counts in sorted(by_column.items()):
            totals.update(counts)
            shown = ", ".join(f"{kid} {n:,}" for kid, n in sorted(counts.items())) or "no values"
            self.stdout.write(f"{context}: {shown}")
        self.stdout.write("")
        for position, kid in enumerate(configured):
            role = "current" if position == 0 else f"DATA_KEY #{position + 1}"
            n = totals.pop(kid, 0)
            if position == 0:
                advice = ""
            elif n:
                advice = " — run `anmin keys rotate`"
            else:
                advice = " — not used: it can be removed from DATA_KEY"
            self.stdout.write(f"key {kid} ({role}): {n:,} values{advice}")
        plain = totals.pop(PLAIN, 0)
        for kid, n in sorted(totals.items()):
            self.stdout.write(
                f"key {kid} (NOT in DATA_KEY): {n:,} values cannot be decrypted — add the key to DATA_KEY"
            )
        if plain:
            self.stdout.write(f"{PLAIN}: {plain:,} values — run `anmin migrate`")

    # --- rotate -------------------------------------------------------------------------------------

    def do_rotate(self):
        current = self._data_keys()[0][0]
        reencrypted = indexed = rows = 0
        for model, encrypted, indexes in encrypted_models():
            counts = self._rotate_model(model, encrypted, indexes, current)
            rows += counts["rows"]
            reencrypted += counts["values"]
            indexed += counts["indexes"]
            self.stdout.write(
                f"{model._meta.label_lower}: {counts['rows']:,} rows, {counts['values']:,} values re-encrypted, "
                f"{counts['indexes']:,} indexes recomputed"
            )
        data = {"key": current, "rows": rows, "values": reencrypted, "indexes": indexed}
        self._audit(data)
        self.stdout.write(
            f"rotated to key {current}: {reencrypted:,} values re-encrypted, {indexed:,} indexes recomputed "
            f"in {rows:,} rows"
        )
        left = Counter()
        for counts in values_by_key().values():
            left.update(counts)
        old = [kid for kid, _key in self._data_keys()[1:]]
        if old and not any(left.get(kid) for kid in old):
            self.stdout.write(f"no value is encrypted with {', '.join(old)} any more: it can be removed from DATA_KEY")

    def _rotate_model(self, model, encrypted, indexes, current: str) -> Counter:
        """Re-encrypt and re-index `model` in batches, each in a transaction, each row locked
        (PostgreSQL) while it is rewritten so that a save meanwhile is not overwritten."""
        quote = connection.ops.quote_name
        meta = model._meta
        pk = meta.pk
        plain_sources = sorted(
            {f.source for f in indexes} - {f.name for f in encrypted},
        )
        read = [
            *encrypted,
            *indexes,
            *(meta.get_field(name) for name in plain_sources),
        ]
        columns = ", ".join(quote(f.column) for f in [pk, *read])
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        # Only rows holding a value or an index: the 400,000 archived incidents without a caller's
        # number are neither read nor locked.
        holding = " OR ".join(
            f"{quote(f.column)} IS NOT NULL" if isinstance(f, BlindIndexField) else f"{quote(f.column)} <> ''"
            for f in read
        )
        counts: Counter = Counter()
        last = None
        while True:
            with transaction.atomic():
                where = f"({holding})" + ("" if last is None else f" AND {quote(pk.column)} > %s")
                sql = (
                    f"SELECT {columns} FROM {quote(meta.db_table)} WHERE {where} "  # noqa: S608
                    f"ORDER BY {quote(pk.column)} LIMIT {BATCH}{lock}"
                )
                with connection.cursor() as cursor:
                    cursor.execute(sql, [] if last is None else [last])
                    batch = cursor.fetchall()
                if not batch:
                    return counts
                for row in batch:
                    counts["rows"] += 1
                    changes = self._row_changes(model, read, row, current, counts)
                    if changes:
                        model._base_manager.filter(pk=row[0]).update(**changes)
                last = batch[-1][0]

    def _row_changes(self, model, read, row, current: str, counts: Counter) -> dict:
        stored = dict(zip((f.name for f in read), row[1:], strict=True))
        plain: dict[str, str] = {}
        changes: dict = {}
        for field in read:
            if not isinstance(field, EncryptedCharField):
                continue
            value = stored[field.name]
            if not value:
                plain[field.name] = ""
                continue
            try:
                plain[field.name] = decrypt(value, field.context)
            except DecryptionError as exc:
                raise CommandError(f"{exc} (row {row[0]}); nothing after it was rotated") from None
            if key_id_of(value) != current:
                # Saved as plain text: the field encrypts it with the current key.
                changes[field.name] = plain[field.name]
                counts["values"] += 1
        for field in read:
            if not isinstance(field, BlindIndexField):
                continue
            source = plain[field.source] if field.source in plain else stored[field.source]
            expected = blind_index(field.kind, source or "") or None
            if stored[field.name] != expected:
                changes[field.name] = expected
                counts["indexes"] += 1
        return changes

    def _audit(self, data: dict) -> None:
        try:
            from anmin.core.audit import security_event

            security_event("keys.rotate", actor_label=_label(), data=data)
        except keys.MissingKey as exc:
            self.stderr.write(f"not recorded in the audit trail: {exc}")
