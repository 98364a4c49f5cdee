# Each existing SeizedItem.photo becomes an ItemPhoto row pointing at the same stored file: no file is
# copied or renamed. The row takes the registering officer and time, which is when the photo was
# uploaded. No audit entry is written: the upload is already in the trail (property.register).

import hashlib

from django.db import migrations


def _type_of(name):
    # The stored name is ours, given after the content was checked: .png for PNG, .jpg for JPEG.
    return 'image/png' if name.lower().endswith('.png') else 'image/jpeg'


def _size_and_hash(storage, name):
    digest, size = hashlib.sha256(), 0
    try:
        with storage.open(name, 'rb') as f:
            for chunk in iter(lambda: f.read(1 << 20), b''):
                digest.update(chunk)
                size += len(chunk)
    except FileNotFoundError:
        # Keep the row: it records that a photo was taken, and the download reports it missing.
        return 0, ''
    return size, digest.hexdigest()


def photo_to_item_photos(apps, schema_editor):
    SeizedItem = apps.get_model('property', 'SeizedItem')
    ItemPhoto = apps.get_model('property', 'ItemPhoto')
    for item in SeizedItem.objects.exclude(photo='').iterator():
        name = item.photo.name
        size, sha256 = _size_and_hash(item.photo.storage, name)
        ItemPhoto.objects.create(
            item_id=item.pk,
            file=name,
            content_type=_type_of(name),
            size=size,
            sha256=sha256,
            uploaded_by_id=item.registered_by_id,
            uploaded_at=item.registered_at,
        )


def first_photo_back(apps, schema_editor):
    # Backwards, an item keeps its first photo; the others' rows go with the table (their files stay
    # on disk, where nothing deletes evidence).
    SeizedItem = apps.get_model('property', 'SeizedItem')
    ItemPhoto = apps.get_model('property', 'ItemPhoto')
    seen = set()
    for photo in ItemPhoto.objects.order_by('item_id', 'uploaded_at', 'id').iterator():
        if photo.item_id not in seen:
            seen.add(photo.item_id)
            SeizedItem.objects.filter(pk=photo.item_id).update(photo=photo.file.name)


class Migration(migrations.Migration):

    dependencies = [
        ('property', '0002_itemphoto'),
    ]

    operations = [
        migrations.RunPython(photo_to_item_photos, first_photo_back),
    ]
