"""Encrypt the phone and ID numbers already stored in clear, and fill their blind indexes.

The columns are read and written with plain SQL: the models' fields would try to decrypt a clear
value on the way in. The associated data of each ciphertext is the column's own context
("citizens.citizen.phone"…), exactly as EncryptedCharField computes it, so the application reads
the values this migration wrote. A value already encrypted (a rerun) is left as it is.
"""

from django.db import migrations

from anmin.core.crypto import blind_index, decrypt, encrypt, is_encrypted

#: (table, column, index column, kind, context)
COLUMNS = [
    ("citizens_citizen", "phone", "phone_index", "phone", "citizens.citizen.phone"),
    ("citizens_citizen", "id_number", "id_number_index", "id_number", "citizens.citizen.id_number"),
    ("citizens_smscode", "phone", "phone_index", "phone", "citizens.smscode.phone"),
]


def _rows(cursor, qn, table, column):
    cursor.execute(f"SELECT id, {qn(column)} FROM {qn(table)} ORDER BY id")  # noqa: S608 (names are ours)
    return cursor.fetchall()


def encrypt_rows(apps, schema_editor):
    qn = schema_editor.connection.ops.quote_name
    with schema_editor.connection.cursor() as cursor:
        for table, column, index, kind, context in COLUMNS:
            for pk, value in _rows(cursor, qn, table, column):
                if not value or is_encrypted(value):
                    continue
                cursor.execute(
                    f"UPDATE {qn(table)} SET {qn(column)} = %s, {qn(index)} = %s WHERE id = %s",  # noqa: S608
                    [encrypt(value, context), blind_index(kind, value) or None, pk],
                )


def decrypt_rows(apps, schema_editor):
    qn = schema_editor.connection.ops.quote_name
    with schema_editor.connection.cursor() as cursor:
        for table, column, index, _kind, context in COLUMNS:
            for pk, value in _rows(cursor, qn, table, column):
                if not value or not is_encrypted(value):
                    continue
                cursor.execute(
                    f"UPDATE {qn(table)} SET {qn(column)} = %s, {qn(index)} = NULL WHERE id = %s",  # noqa: S608
                    [decrypt(value, context), pk],
                )


class Migration(migrations.Migration):
    dependencies = [
        ("citizens", "0002_encrypted_numbers"),
    ]

    operations = [migrations.RunPython(encrypt_rows, decrypt_rows)]
