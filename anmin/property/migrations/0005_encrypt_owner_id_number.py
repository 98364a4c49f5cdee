"""SeizedItem.owner_id_number encrypted at rest.

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
        ("property", "0004_remove_seizeditem_photo"),
    ]

    operations = [
        migrations.AlterField(
            model_name="seizeditem",
            name="owner_id_number",
            field=models.CharField(
                blank=True, default="", max_length=stored_length(18), verbose_name="持有人身份证号码"
            ),
        ),
        encrypt_existing_rows("property.SeizedItem", ["owner_id_number"]),
        migrations.AlterField(
            model_name="seizeditem",
            name="owner_id_number",
            field=anmin.core.crypto.EncryptedCharField(
                blank=True, default="", max_length=18, verbose_name="持有人身份证号码"
            ),
        ),
    ]
