"""ExamApplicant.id_number encrypted at rest; one applicant per ID number is now held by the unique blind index.

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
        ("bookings", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="examapplicant",
            name="id_number_index",
            field=anmin.core.crypto.BlindIndexField(
                blank=True, unique=True, default=None, editable=False, kind="id_number", null=True, source="id_number"
            ),
        ),
        migrations.AlterField(
            model_name="examapplicant",
            name="id_number",
            field=models.CharField(blank=False, default="", max_length=stored_length(18), verbose_name="公民身份号码"),
        ),
        encrypt_existing_rows("bookings.ExamApplicant", ["id_number"]),
        migrations.AlterField(
            model_name="examapplicant",
            name="id_number",
            field=anmin.core.crypto.EncryptedCharField(
                blank=False, default="", max_length=18, verbose_name="公民身份号码"
            ),
        ),
    ]
