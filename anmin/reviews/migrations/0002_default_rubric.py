"""A default rubric for criminal and administrative case reviews (案件评查标准, 100 points).

Items follow what 法制部门 typically checks (受立案、强制措施、证据、文书、涉案财物、时限、信息录入);
administrators adjust them in the admin."""

from django.db import migrations

ITEMS = [
    ("acceptance", "受案、立案审批手续完备，适用法律正确", 15),
    ("measures", "强制措施适用合法，手续完备、期限未超", 15),
    ("evidence", "证据收集合法、全面，能相互印证", 20),
    ("documents", "法律文书制作规范、送达及时", 15),
    ("property", "涉案财物登记、移交、保管、处置规范", 10),
    ("time_limits", "遵守办案时限，延长手续完备", 15),
    ("records", "执法信息录入及时、准确、完整", 10),
]


def load(apps, schema_editor):
    Rubric = apps.get_model("reviews", "Rubric")
    RubricItem = apps.get_model("reviews", "RubricItem")
    rubric, _ = Rubric.objects.get_or_create(name="执法办案质量评查标准", defaults={"full_score": 100})
    for position, (code, text, points) in enumerate(ITEMS):
        RubricItem.objects.update_or_create(
            rubric=rubric, code=code, defaults={"text": text, "max_deduction": points, "position": position}
        )


class Migration(migrations.Migration):
    dependencies = [("reviews", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
