# Several photos per seized item (was one, SeizedItem.photo). The model first, then 0003 moves the
# existing photos over and 0004 drops the old field: separate migrations, because PostgreSQL refuses
# to alter a table in the same transaction that has just written rows with deferred constraints.

import anmin.core.uploads
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('property', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ItemPhoto',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('file', models.FileField(storage=anmin.core.uploads.private_storage, upload_to='property/%Y/%m/', verbose_name='照片')),
                ('content_type', models.CharField(choices=[('image/jpeg', 'JPEG'), ('image/png', 'PNG')], max_length=20, verbose_name='文件类型')),
                ('size', models.PositiveIntegerField(verbose_name='大小（字节）')),
                ('sha256', models.CharField(max_length=64, verbose_name='SHA-256')),
                ('caption', models.CharField(blank=True, max_length=200, verbose_name='说明')),
                ('uploaded_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='上传时间')),
                ('item', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='photos', to='property.seizeditem', verbose_name='涉案财物')),
                ('uploaded_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='上传人')),
            ],
            options={
                'verbose_name': '涉案财物照片',
                'verbose_name_plural': '涉案财物照片',
                'ordering': ['uploaded_at', 'id'],
            },
        ),
    ]
