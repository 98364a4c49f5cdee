"""AccidentParty.phone and .licence_number encrypted at rest.

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
        ("reports", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="accidentparty",
            name="phone",
            field=models.CharField(blank=False, default="", max_length=stored_length(11), verbose_name="手机号码"),
        ),
        migrations.AlterField(
            model_name="accidentparty",
            name="licence_number",
            field=models.CharField(blank=False, default="", max_length=stored_length(18), verbose_name="驾驶证号"),
        ),
        encrypt_existing_rows("reports.AccidentParty", ["phone", "licence_number"]),
        migrations.AlterField(
            model_name="accidentparty",
            name="phone",
            field=anmin.core.crypto.EncryptedCharField(blank=False, default="", max_length=11, verbose_name="手机号码"),
        ),
        migrations.AlterField(
            model_name="accidentparty",
            name="licence_number",
            field=anmin.core.crypto.EncryptedCharField(blank=False, default="", max_length=18, verbose_name="驾驶证号"),
        ),
    ]
