"""AccidentParty.phone_index: the blind index of a party's mobile number, so that 乙方 finds the
accident in 我的事项 by the number they sign in with. Filled for the rows already stored (reading
them needs the data key, like the migration that encrypted them; an empty table does not)."""

import anmin.core.crypto
from django.db import migrations, transaction

BATCH = 1000


def fill(apps, schema_editor):
    from anmin.core.crypto import blind_index

    parties = apps.get_model("reports", "AccidentParty")._base_manager.using(schema_editor.connection.alias)
    last = 0
    while True:
        batch = list(parties.filter(pk__gt=last, phone_index__isnull=True).order_by("pk")[:BATCH])
        if not batch:
            return
        with transaction.atomic(using=parties.db):
            for party in batch:
                parties.filter(pk=party.pk).update(phone_index=blind_index("phone", party.phone) or None)
        last = batch[-1].pk


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0002_encrypt_party_numbers"),
    ]

    operations = [
        migrations.AddField(
            model_name="accidentparty",
            name="phone_index",
            field=anmin.core.crypto.BlindIndexField(
                blank=True, db_index=True, default=None, editable=False, kind="phone", null=True, source="phone"
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=False),
    ]
