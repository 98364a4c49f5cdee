"""CasePerson.id_number and .phone encrypted at rest; the ID number's blind index replaces the index on the column.

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
        ("cases", "0006_decided_by_may_be_blank"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="caseperson",
            name="cases_casep_id_numb_631d4f_idx",
        ),
        migrations.AddField(
            model_name="caseperson",
            name="id_number_index",
            field=anmin.core.crypto.BlindIndexField(
                blank=True, db_index=True, default=None, editable=False, kind="id_number", null=True, source="id_number"
            ),
        ),
        migrations.AlterField(
            model_name="caseperson",
            name="id_number",
            field=models.CharField(blank=True, default="", max_length=stored_length(18), verbose_name="身份证号码"),
        ),
        migrations.AlterField(
            model_name="caseperson",
            name="phone",
            field=models.CharField(blank=True, default="", max_length=stored_length(20), verbose_name="联系电话"),
        ),
        encrypt_existing_rows("cases.CasePerson", ["id_number", "phone"]),
        migrations.AlterField(
            model_name="caseperson",
            name="id_number",
            field=anmin.core.crypto.EncryptedCharField(
                blank=True, default="", max_length=18, verbose_name="身份证号码"
            ),
        ),
        migrations.AlterField(
            model_name="caseperson",
            name="phone",
            field=anmin.core.crypto.EncryptedCharField(blank=True, default="", max_length=20, verbose_name="联系电话"),
        ),
    ]
