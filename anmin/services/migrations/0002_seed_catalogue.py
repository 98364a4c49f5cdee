"""The starting catalogue: five real 公安政务服务事项 with their usual materials and limits.

Where the figures come from — they are typical of provincial 公安 service guides (办事指南) and
the Ministry's published commitments; each bureau sets its own in the admin:

* 居民身份证首次申领: 《居民身份证法》第十二条 allows 60 days (90 remote); bureaus commonly promise
  城区 ≤ 20 个工作日 (农村 ≤ 30) — 20 here. Not province-wide for a first application here: most
  provinces still ask the 户籍地 to take the fingerprints and photo.
* 户口迁移: 5 working days is a typical promise for 迁入 with complete materials; "一站式" 迁移
  (省内通办) is common, so 全省通办.
* 无犯罪记录证明: 公安部《关于做好无犯罪记录证明工作的通知》(2021) — issued within 3 working days of
  受理 (the ministry's own words: 原则上当场出具，需调查核实的 3 个工作日内).
* 驾驶证补换领（电子驾驶证）: 《机动车驾驶证申领和使用规定》(公安部令第 162 号) — 车管所 issues it
  the same day; 1 working day promised online, nationwide (全国通办, so also 全省).
* 二手车异地交易登记: 公安部 2021 二手车 "跨省通办" measures; 转移登记 1 working day after checks.

The department is the bureau (Organization without parent) when one exists; `anmin demo` then calls
anmin.services.demo.assign_departments for finer choices. `load` is idempotent (tests reload it).
"""

from django.db import migrations

ITEMS = [
    {
        "code": "HZ-SFZ-SL",
        "name": "居民身份证首次申领",
        "order": 10,
        "days": 20,
        "province_wide": False,
        "description": "年满十六周岁的公民应当申领居民身份证；未满十六周岁的可由监护人代为申领。"
        "网上提交材料后，请按短信通知到受理窗口采集人像和指纹。",
        "form": [
            {"name": "address", "label": "户籍地址", "type": "text", "required": True},
            {"name": "pickup", "label": "领取方式", "type": "select", "required": True, "choices": ["窗口自取", "邮寄到家"]},
            {"name": "post_address", "label": "邮寄地址（选择邮寄时填写）", "type": "text", "required": False},
        ],
        "materials": [
            ("居民户口簿", True, "pdf,jpeg,png", "户主页及本人页"),
            ("近期免冠彩色证件照", True, "jpeg,png", "白色背景，正面免冠"),
            ("监护人居民身份证", False, "pdf,jpeg,png", "未满十六周岁由监护人代办时提交"),
        ],
    },
    {
        "code": "HZ-HK-QY",
        "name": "户口迁移",
        "order": 20,
        "days": 5,
        "province_wide": True,
        "description": "因购房、投靠、工作调动、升学等原因将户口迁入本市。",
        "form": [
            {
                "name": "reason",
                "label": "迁移原因",
                "type": "select",
                "required": True,
                "choices": ["购房落户", "投靠亲属", "工作调动", "升学", "其他"],
            },
            {"name": "from_address", "label": "迁出地户籍地址", "type": "text", "required": True},
            {"name": "to_address", "label": "迁入地址", "type": "text", "required": True},
        ],
        "materials": [
            ("申请人居民身份证", True, "pdf,jpeg,png", "正反面"),
            ("居民户口簿", True, "pdf,jpeg,png", "迁出地户口簿本人页"),
            ("房屋产权证明或投靠关系证明", True, "pdf,jpeg,png", "不动产权证书、购房合同或亲属关系证明"),
            ("结婚证或出生医学证明", False, "pdf,jpeg,png", "投靠配偶、子女时提交"),
        ],
    },
    {
        "code": "ZA-WFZ-ZM",
        "name": "无犯罪记录证明",
        "order": 30,
        "days": 3,
        "province_wide": True,
        "description": "为个人出具有无犯罪记录的证明，用于就业、出国（境）、入学等。",
        "form": [
            {
                "name": "purpose",
                "label": "证明用途",
                "type": "select",
                "required": True,
                "choices": ["就业", "出国（境）", "入学", "收养", "其他"],
            },
            {"name": "recipient", "label": "使用单位", "type": "text", "required": True},
            {"name": "period_from", "label": "查询起始日期", "type": "date", "required": False},
        ],
        "materials": [
            ("申请人居民身份证", True, "pdf,jpeg,png", "正反面"),
            ("授权委托书及受托人身份证", False, "pdf,jpeg,png", "委托他人办理时提交"),
        ],
    },
    {
        "code": "JJ-JSZ-BHL",
        "name": "驾驶证补换领（电子驾驶证）",
        "order": 40,
        "days": 1,
        "province_wide": True,
        "description": "驾驶证遗失、损毁、有效期满或信息变更时补领、换领，同步发放电子驾驶证。",
        "form": [
            {"name": "kind", "label": "业务类型", "type": "select", "required": True, "choices": ["遗失补领", "损毁换领", "有效期满换证", "信息变更换证"]},
            {"name": "licence_class", "label": "准驾车型", "type": "select", "required": True, "choices": ["C1", "C2", "B1", "B2", "A1", "A2", "D", "E"]},
            {"name": "expires_on", "label": "原驾驶证有效期至", "type": "date", "required": False},
        ],
        "materials": [
            ("申请人居民身份证", True, "pdf,jpeg,png", "正反面"),
            ("驾驶人身体条件证明", False, "pdf,jpeg,png", "有效期满换证、年满六十周岁时提交"),
            ("近期彩色证件照", False, "jpeg,png", ""),
        ],
    },
    {
        "code": "JJ-ESC-YDJY",
        "name": "二手车异地交易登记",
        "order": 50,
        "days": 1,
        "province_wide": True,
        "description": "二手小型非营运载客汽车在省内异地交易的转移登记，无需回原登记地提档、验车。",
        "form": [
            {"name": "plate", "label": "号牌号码", "type": "text", "required": True},
            {"name": "vin", "label": "车辆识别代号（VIN）", "type": "text", "required": True},
            {"name": "traded_on", "label": "交易日期", "type": "date", "required": True},
        ],
        "materials": [
            ("机动车登记证书", True, "pdf,jpeg,png", ""),
            ("机动车行驶证", True, "pdf,jpeg,png", ""),
            ("买卖双方身份证明", True, "pdf,jpeg,png", ""),
            ("二手车销售统一发票", True, "pdf,jpeg,png", ""),
            ("交强险保险单", False, "pdf,jpeg,png", "车辆已投保时提交"),
        ],
    },
]


def load(apps, schema_editor):
    ServiceItem = apps.get_model("services", "ServiceItem")
    Material = apps.get_model("services", "Material")
    Organization = apps.get_model("org", "Organization")
    bureau = Organization.objects.filter(parent__isnull=True).order_by("id").first()
    for spec in ITEMS:
        item, created = ServiceItem.objects.get_or_create(
            code=spec["code"],
            defaults={
                "name": spec["name"],
                "order": spec["order"],
                "time_limit_days": spec["days"],
                "province_wide": spec["province_wide"],
                "description": spec["description"],
                "form_fields": spec["form"],
                "department": bureau,
            },
        )
        if created:
            for order, (name, required, kinds, note) in enumerate(spec["materials"]):
                Material.objects.create(item=item, name=name, required=required, kinds=kinds, note=note, order=order)


def unload(apps, schema_editor):
    apps.get_model("services", "ServiceItem").objects.filter(code__in=[s["code"] for s in ITEMS]).delete()


class Migration(migrations.Migration):
    dependencies = [("services", "0001_initial"), ("org", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
