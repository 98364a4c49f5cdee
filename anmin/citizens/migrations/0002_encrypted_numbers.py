import anmin.core.crypto
from django.db import migrations


class Migration(migrations.Migration):
    """Phone and ID numbers become ciphertext columns with a blind index beside each (the values are
    encrypted by the next migration)."""

    dependencies = [
        ("citizens", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="citizen",
            name="id_number_index",
            field=anmin.core.crypto.BlindIndexField(
                blank=True, db_index=True, default=None, editable=False, kind="id_number", null=True, source="id_number"
            ),
        ),
        migrations.AddField(
            model_name="citizen",
            name="phone_index",
            field=anmin.core.crypto.BlindIndexField(
                blank=True, default=None, editable=False, kind="phone", null=True, source="phone", unique=True
            ),
        ),
        migrations.AddField(
            model_name="smscode",
            name="phone_index",
            field=anmin.core.crypto.BlindIndexField(
                blank=True, db_index=True, default=None, editable=False, kind="phone", null=True, source="phone"
            ),
        ),
        migrations.AlterField(
            model_name="citizen",
            name="id_number",
            field=anmin.core.crypto.EncryptedCharField(blank=True, default="", max_length=18, verbose_name="公民身份号码"),
        ),
        migrations.AlterField(
            model_name="citizen",
            name="phone",
            field=anmin.core.crypto.EncryptedCharField(blank=True, default="", max_length=11, verbose_name="手机号码"),
        ),
        migrations.AlterField(
            model_name="smscode",
            name="phone",
            field=anmin.core.crypto.EncryptedCharField(blank=True, default="", max_length=11, verbose_name="手机号码"),
        ),
    ]
