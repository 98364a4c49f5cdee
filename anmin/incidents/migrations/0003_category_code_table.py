"""Load the 警情类别代码表 (classes and sub-categories; 八类严重暴力 flagged)."""

from django.db import migrations

# (code, name, class, serious_violence)
CLASSES = [
    ("01", "刑事", "criminal"),
    ("02", "治安", "public_order"),
    ("03", "交通", "traffic"),
    ("04", "火灾", "fire"),
    ("05", "求助", "help"),
    ("06", "纠纷", "dispute"),
    ("07", "举报", "report"),
    ("08", "其他", "other"),
]
SUBCATEGORIES = [
    ("0101", "杀人", True),
    ("0102", "放火", True),
    ("0103", "爆炸", True),
    ("0104", "投放危险物质", True),
    ("0105", "强奸", True),
    ("0106", "抢劫", True),
    ("0107", "绑架", True),
    ("0108", "故意伤害（重伤/死亡）", True),
    ("0109", "故意伤害（轻伤）", False),
    ("0110", "盗窃", False),
    ("0111", "入室盗窃", False),
    ("0112", "盗窃机动车", False),
    ("0113", "诈骗", False),
    ("0114", "电信网络诈骗", False),
    ("0115", "抢夺", False),
    ("0116", "毒品犯罪", False),
    ("0119", "其他刑事", False),
    ("0201", "殴打他人", False),
    ("0202", "聚众斗殴", False),
    ("0203", "赌博", False),
    ("0204", "扰乱公共秩序", False),
    ("0205", "寻衅滋事", False),
    ("0206", "噪声扰民", False),
    ("0207", "醉酒滋事", False),
    ("0209", "其他治安", False),
    ("0301", "交通事故（人伤）", False),
    ("0302", "交通事故（财损）", False),
    ("0303", "交通拥堵", False),
    ("0304", "交通违法", False),
    ("0305", "酒驾醉驾", False),
    ("0401", "火灾", False),
    ("0402", "火情隐患", False),
    ("0501", "人员走失", False),
    ("0502", "紧急救助", False),
    ("0503", "孤寡病残求助", False),
    ("0509", "其他求助", False),
    ("0601", "家庭纠纷", False),
    ("0602", "邻里纠纷", False),
    ("0603", "经济纠纷", False),
    ("0604", "劳资纠纷", False),
    ("0605", "交通纠纷", False),
    ("0701", "违法犯罪线索", False),
    ("0702", "涉黄涉赌举报", False),
    ("0801", "咨询", False),
    ("0802", "其他警情", False),
]


def load(apps, schema_editor):
    Category = apps.get_model("incidents", "Category")
    parents = {}
    for code, name, klass in CLASSES:
        parents[code] = Category.objects.update_or_create(code=code, defaults={"name": name, "klass": klass})[0]
    for code, name, serious in SUBCATEGORIES:
        parent = parents[code[:2]]
        Category.objects.update_or_create(
            code=code, defaults={"name": name, "klass": parent.klass, "parent": parent, "serious_violence": serious}
        )


def load_targets(apps, schema_editor):
    ArrivalTarget = apps.get_model("geo", "ArrivalTarget")
    for area, minutes in (("urban", 5), ("suburban", 10), ("rural", 20)):
        ArrivalTarget.objects.get_or_create(area_type=area, defaults={"minutes": minutes})


class Migration(migrations.Migration):
    dependencies = [("incidents", "0002_initial"), ("geo", "0001_initial")]

    operations = [
        migrations.RunPython(load, migrations.RunPython.noop),
        migrations.RunPython(load_targets, migrations.RunPython.noop),
    ]
