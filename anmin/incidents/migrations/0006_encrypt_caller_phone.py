"""Incident.caller_phone encrypted at rest, with a blind index for the calls from one number.

Three steps: the columns are widened for the ciphertext as plain text columns (so the data step
reads what is stored), the stored numbers are encrypted and their blind indexes filled, then the
columns become EncryptedCharFields. Reversed, the numbers are decrypted back into plain text.
Encrypting existing rows needs the data key (DATA_KEY / DATA_KEY_FILE); an empty table does not.
"""

import anmin.core.crypto
from anmin.core.crypto import encrypt_existing_rows, stored_length
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0005_intake_key"),
    ]

    operations = [
        migrations.AddField(
            model_name="incident",
            name="caller_phone_index",
            field=anmin.core.crypto.BlindIndexField(
                blank=True, db_index=True, default=None, editable=False, kind="phone", null=True, source="caller_phone"
            ),
        ),
        migrations.AlterField(
            model_name="incident",
            name="caller_phone",
            field=models.CharField(blank=True, default="", max_length=stored_length(20), verbose_name="报警电话"),
        ),
        encrypt_existing_rows("incidents.Incident", ["caller_phone"]),
        migrations.AlterField(
            model_name="incident",
            name="caller_phone",
            field=anmin.core.crypto.EncryptedCharField(blank=True, default="", max_length=20, verbose_name="报警电话"),
        ),
    ]
