"""Officer.phone encrypted at rest, in the three steps of the other apps' number migrations: the
column widened as plain text, the stored numbers encrypted, then the EncryptedCharField. Encrypting
existing rows needs the data key (DATA_KEY / DATA_KEY_FILE); an empty table does not."""

import django.core.validators
from django.db import migrations, models

import anmin.core.crypto
from anmin.core.crypto import encrypt_existing_rows, stored_length

PHONE = django.core.validators.RegexValidator(
    "^(1[3-9]\\d{9}|0\\d{2,3}-?\\d{7,8}|\\d{3,8})$", "请输入有效的电话号码"
)


class Migration(migrations.Migration):
    dependencies = [
        ("org", "0003_login_throttle"),
    ]

    operations = [
        migrations.AlterField(
            model_name="officer",
            name="phone",
            field=models.CharField(blank=True, max_length=stored_length(20), verbose_name="手机"),
        ),
        encrypt_existing_rows("org.Officer", ["phone"]),
        migrations.AlterField(
            model_name="officer",
            name="phone",
            field=anmin.core.crypto.EncryptedCharField(
                blank=True, default="", max_length=20, validators=[PHONE], verbose_name="手机"
            ),
        ),
    ]
