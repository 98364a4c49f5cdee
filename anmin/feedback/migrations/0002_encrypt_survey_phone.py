"""Survey.phone encrypted at rest.

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
        ("feedback", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="survey",
            name="phone",
            field=models.CharField(blank=True, default="", max_length=stored_length(20), verbose_name="回访电话"),
        ),
        encrypt_existing_rows("feedback.Survey", ["phone"]),
        migrations.AlterField(
            model_name="survey",
            name="phone",
            field=anmin.core.crypto.EncryptedCharField(blank=True, default="", max_length=20, verbose_name="回访电话"),
        ),
    ]
