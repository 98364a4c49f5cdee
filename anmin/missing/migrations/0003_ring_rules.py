"""The widening steps the broadcast starts with, one set per category of missing person.

Child: the issue's 团圆 steps — 100 km at once, 200 km at 1 h, 300 km at 2 h, 500 km at 3 h. Lost
elderly person (often with dementia, rarely far): the station's own groups first, the township at
30 min, the county at 1 h, the city at 2 h. Other: the station, then the county at 2 h. A bureau
edits them in the admin.
"""

from django.db import migrations

RULES = [
    ("child", 1, 0, "radius", 100, "团圆系统：即时 100 公里"),
    ("child", 2, 60, "radius", 200, "团圆系统：1 小时 200 公里"),
    ("child", 3, 120, "radius", 300, "团圆系统：2 小时 300 公里"),
    ("child", 4, 180, "radius", 500, "团圆系统：3 小时 500 公里"),
    ("elderly", 1, 0, "station", None, "本所工作群先行"),
    ("elderly", 2, 30, "township", None, "30 分钟扩至乡镇/街道"),
    ("elderly", 3, 60, "county", None, "1 小时扩至区县"),
    ("elderly", 4, 120, "city", None, "2 小时扩至全市"),
    ("other", 1, 0, "station", None, "本所工作群先行"),
    ("other", 2, 120, "county", None, "2 小时扩至区县"),
]


def seed(apps, schema_editor):
    RingRule = apps.get_model("missing", "RingRule")
    for category, step, after, reach, km, basis in RULES:
        RingRule.objects.update_or_create(
            category=category,
            step=step,
            defaults={"after_minutes": after, "reach": reach, "radius_km": km, "basis": basis},
        )


def unseed(apps, schema_editor):
    apps.get_model("missing", "RingRule").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("missing", "0002_broadcast")]

    operations = [migrations.RunPython(seed, unseed)]
