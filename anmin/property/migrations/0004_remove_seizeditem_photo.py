# The single photo now lives in ItemPhoto (0003).

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('property', '0003_move_photos'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='seizeditem',
            name='photo',
        ),
    ]
