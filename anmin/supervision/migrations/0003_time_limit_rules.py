"""Load the legal time limits the supervision engine starts with, each with its citation.

Citations were checked against the text of the provisions (see the report of this change):

* 刑事诉讼法 uses the 2018 revision's numbering: 第七十九条、第八十五条、第八十六条、第九十一条、
  第一百零五条（期间）、第一百一十九条、第一百五十六条、第一百五十八条、第一百五十九条 — verified.
* 《公安部关于改革完善受案立案制度的意见》（2015年）: the 3/7/30-day and 24-hour/3-day review
  limits — verified; the document has no numbered articles.
* 居民身份证法 第十二条 — verified.
* 公安机关办理行政案件程序规定 第一百六十五条（治安案件办案期限）— verified.
* 公安机关涉案财物管理若干规定 第十二条、第十三条 — verified; the article on handing seized items
  to the keeper within 24 hours was NOT verified (第十二条, often cited for it, turned out to be
  the rule for items not kept by the police), so that rule cites the regulation without an article.
* 治安管理处罚法 (revised 2025-06-27, in force 2026-01-01): the new article numbers for 询问查证
  and the case-handling period could NOT be verified, so those rules cite the law without an
  article and say "（条文序号待核）" in their note.

Rows are created or updated by code, so running `load` again (tests do, after a flush) is harmless.
"""

from django.db import migrations

CPL = "《中华人民共和国刑事诉讼法》"
REFORM = "《公安部关于改革完善受案立案制度的意见》（2015年）"
PSAPL = "《中华人民共和国治安管理处罚法》（2025年修订）"
ADMIN_PROC = "《公安机关办理行政案件程序规定》"
PROPERTY = "《公安机关涉案财物管理若干规定》"
TO_VERIFY = "（条文序号待核）"
CUSTODY = "在押期间，期间的最后一日为节假日的不顺延（刑事诉讼法第一百零五条）。"
APPROVER_NOTE = "批准层级依《公安机关办理刑事案件程序规定》（条文序号待核）。"


def ext(code, name, mode, amount, unit, citation, *, approver="", requires=None, note=""):
    return {
        "code": code,
        "name": name,
        "mode": mode,
        "amount": amount,
        "unit": unit,
        "citation": citation,
        "approver": approver,
        "requires": requires,
        "note": note,
    }


RULES = [
    # —— 刑事 ——
    {
        "code": "criminal_filing_review",
        "name": "刑事案件立案审查",
        "case_kind": "criminal",
        "start_event": "accepted",
        "end_event": "filed",
        "amount": 3,
        "unit": "calendar_days",
        "extends_past_holiday": True,
        "citation": REFORM,
        "note": (
            "刑事案件立案审查期限原则上不超过3日；涉嫌犯罪线索需要查证的，立案审查期限不超过7日；"
            "重大疑难复杂案件，经县级以上公安机关负责人批准，立案审查期限可以延长至30日。"
            "法律、法规、规章等对受案立案审查期限另有规定的，从其规定。该意见不分条，故不引条文序号。"
        ),
        "extensions": [
            ext("leads_verification", "涉嫌犯罪线索需要查证", "replace", 7, "calendar_days", REFORM),
            ext(
                "major_complex",
                "重大疑难复杂案件",
                "replace",
                30,
                "calendar_days",
                REFORM,
                approver="县级以上公安机关负责人",
            ),
        ],
    },
    {
        "code": "criminal_summons",
        "name": "刑事传唤、拘传持续时间",
        "case_kind": "criminal",
        "start_event": "summoned",
        "end_event": "questioning_ended",
        "amount": 12,
        "unit": "hours",
        "extends_past_holiday": False,
        "citation": CPL + "第一百一十九条第二款",
        "note": "不得以连续传唤、拘传的形式变相拘禁犯罪嫌疑人；应当保证犯罪嫌疑人的饮食和必要的休息时间。",
        "extensions": [
            ext(
                "detention_needed",
                "案情特别重大、复杂，需要采取拘留、逮捕措施",
                "replace",
                24,
                "hours",
                CPL + "第一百一十九条第二款",
            ),
        ],
    },
    {
        "code": "detention_to_jail",
        "name": "拘留后送看守所羁押",
        "case_kind": "criminal",
        "start_event": "detained",
        "end_event": "jailed",
        "amount": 24,
        "unit": "hours",
        "extends_past_holiday": False,
        "citation": CPL + "第八十五条第二款",
        "note": "拘留后，应当立即将被拘留人送看守所羁押，至迟不得超过二十四小时。",
        "extensions": [],
    },
    {
        "code": "detention_family_notice",
        "name": "拘留后通知家属",
        "case_kind": "criminal",
        "start_event": "detained",
        "end_event": "family_notified",
        "amount": 24,
        "unit": "hours",
        "extends_past_holiday": False,
        "citation": CPL + "第八十五条第二款",
        "note": (
            "除无法通知或者涉嫌危害国家安全犯罪、恐怖活动犯罪通知可能有碍侦查的情形以外，"
            "应当在拘留后二十四小时以内通知被拘留人的家属；有碍侦查的情形消失以后，应当立即通知。"
        ),
        "extensions": [],
    },
    {
        "code": "detention_interrogation",
        "name": "拘留后讯问",
        "case_kind": "criminal",
        "start_event": "detained",
        "end_event": "interrogated",
        "amount": 24,
        "unit": "hours",
        "extends_past_holiday": False,
        "citation": CPL + "第八十六条",
        "note": "在发现不应当拘留的时候，必须立即释放，发给释放证明。",
        "extensions": [],
    },
    {
        "code": "detention_arrest_request",
        "name": "拘留后提请批准逮捕",
        "case_kind": "criminal",
        "start_event": "detained",
        "end_event": "arrest_requested",
        "amount": 3,
        "unit": "calendar_days",
        "extends_past_holiday": False,
        "citation": CPL + "第九十一条第一款",
        "note": CUSTODY,
        "extensions": [
            ext(
                "special_circumstances",
                "特殊情况",
                "add",
                4,
                "calendar_days",
                CPL + "第九十一条第一款",
                approver="县级以上公安机关负责人",
                note="法律规定可以延长一日至四日，本系统按最长四日计算。" + APPROVER_NOTE,
            ),
            ext(
                "roving_serial_gang",
                "流窜作案、多次作案、结伙作案的重大嫌疑分子",
                "replace",
                30,
                "calendar_days",
                CPL + "第九十一条第二款",
                approver="县级以上公安机关负责人",
                note="提请审查批准的时间延长至三十日（自拘留时起算）。" + APPROVER_NOTE,
            ),
        ],
    },
    {
        "code": "arrest_custody",
        "name": "逮捕后侦查羁押",
        "case_kind": "criminal",
        "start_event": "arrested",
        "end_event": "investigation_concluded",
        "amount": 2,
        "unit": "months",
        "extends_past_holiday": False,
        "citation": CPL + "第一百五十六条",
        "note": CUSTODY + "逐次延长的期限连同原期限自逮捕之日起合并计算，最长七个月。",
        "extensions": [
            ext(
                "complex_case",
                "案情复杂、期限届满不能终结",
                "add",
                1,
                "months",
                CPL + "第一百五十六条",
                approver="上一级人民检察院",
            ),
            ext(
                "major_case",
                "第一百五十八条所列重大复杂案件",
                "add",
                2,
                "months",
                CPL + "第一百五十八条",
                approver="省、自治区、直辖市人民检察院",
                requires="complex_case",
                note=(
                    "（一）交通十分不便的边远地区的重大复杂案件；（二）重大的犯罪集团案件；"
                    "（三）流窜作案的重大复杂案件；（四）犯罪涉及面广，取证困难的重大复杂案件。"
                    "在第一百五十六条规定的期限届满不能侦查终结的，经批准或者决定可以延长二个月。"
                ),
            ),
            ext(
                "ten_years_or_more",
                "可能判处十年有期徒刑以上刑罚",
                "add",
                2,
                "months",
                CPL + "第一百五十九条",
                approver="省、自治区、直辖市人民检察院",
                requires="major_case",
                note="依照第一百五十八条规定延长期限届满，仍不能侦查终结的，经批准或者决定可以再延长二个月。",
            ),
        ],
    },
    {
        "code": "bail",
        "name": "取保候审",
        "case_kind": "criminal",
        "start_event": "bail_started",
        "end_event": "bail_ended",
        "amount": 12,
        "unit": "months",
        "extends_past_holiday": False,
        "citation": CPL + "第七十九条第一款",
        "note": (
            "取保候审最长不得超过十二个月；期限届满的，应当及时解除。被取保候审人不在押，"
            "第一百零五条只明文排除在押期间顺延；本系统从严不顺延，以便在名义期满前提醒。"
        ),
        "extensions": [],
    },
    {
        "code": "residential_surveillance",
        "name": "监视居住",
        "case_kind": "criminal",
        "start_event": "surveillance_started",
        "end_event": "surveillance_ended",
        "amount": 6,
        "unit": "months",
        "extends_past_holiday": False,
        "citation": CPL + "第七十九条第一款",
        "note": "监视居住最长不得超过六个月；期限届满的，应当及时解除。本系统从严不因节假日顺延。",
        "extensions": [],
    },
    # —— 行政 ——
    {
        "code": "admin_acceptance_review",
        "name": "行政案件受案审查",
        "case_kind": "administrative",
        "start_event": "reported",
        "end_event": "accepted",
        "amount": 24,
        "unit": "hours",
        # Only the 3-day variant is counted in days; an hour period never moves.
        "extends_past_holiday": True,
        "citation": REFORM,
        "note": "行政案件受案审查期限原则上不超过24小时，疑难复杂案件受案审查期限不超过3日。该意见不分条。",
        "extensions": [
            ext("complex", "疑难复杂案件", "replace", 3, "calendar_days", REFORM),
        ],
    },
    {
        "code": "admin_inquiry",
        "name": "治安传唤后询问查证",
        "case_kind": "administrative",
        "start_event": "summoned",
        "end_event": "questioning_ended",
        "amount": 8,
        "unit": "hours",
        "extends_past_holiday": False,
        "citation": PSAPL,
        "note": (
            TO_VERIFY + "修订前为2012年修正本第八十三条第一款；2025年修订后的条文序号未能核实。"
            "另据非官方资料，修订后或增设“涉案人数众多、违反治安管理行为人身份不明”的情形"
            "询问查证不得超过十二小时，同样未能核实，暂未录入。"
        ),
        "extensions": [
            ext(
                "detention_possible",
                "情况复杂，依照本法规定可能适用行政拘留处罚",
                "replace",
                24,
                "hours",
                PSAPL,
                note=TO_VERIFY,
            ),
        ],
    },
    {
        "code": "admin_case_handling",
        "name": "治安案件办理",
        "case_kind": "administrative",
        "start_event": "accepted",
        "end_event": "decided",
        "amount": 30,
        "unit": "calendar_days",
        "extends_past_holiday": True,
        "citation": PSAPL + "；" + ADMIN_PROC + "第一百六十五条",
        "note": (
            TO_VERIFY + "治安管理处罚法修订前为第九十九条，修订后的条文序号未能核实；"
            "修订后对起算点、延长次数是否有调整亦待核。自受理之日起计算；"
            "为了查明案情进行鉴定的期间，不计入办案期限。"
        ),
        "extensions": [
            ext(
                "major_complex",
                "案情重大、复杂",
                "add",
                30,
                "calendar_days",
                PSAPL + "；" + ADMIN_PROC + "第一百六十五条",
                approver="上一级公安机关",
                note=TO_VERIFY,
            ),
        ],
    },
    # —— 涉案财物 ——
    {
        "code": "property_handover",
        "name": "涉案财物移交保管",
        "case_kind": "property",
        "start_event": "seized",
        "end_event": "handed_to_keeper",
        "amount": 24,
        "unit": "hours",
        "extends_past_holiday": False,
        "citation": PROPERTY,
        "note": (
            TO_VERIFY + "办案人员提取涉案财物后二十四小时内移交涉案财物管理人员。"
            "常被引用的第十二条经核实是“查封、封存、冻结、先行登记保存等不在公安机关保管的涉案财物”"
            "报送登记的规定（见 property_offsite_registration），不是移交保管的条款。"
        ),
        "extensions": [],
    },
    {
        "code": "property_offsite_registration",
        "name": "不在公安机关保管的涉案财物报送登记",
        "case_kind": "property",
        "start_event": "sealed",
        "end_event": "property_registered",
        "amount": 24,
        "unit": "hours",
        "extends_past_holiday": False,
        "citation": PROPERTY + "第十二条",
        "note": (
            "对于查封、封存、冻结、先行登记保存等不在公安机关保管的涉案财物，办案人员应当在采取有关措施后的"
            "二十四小时内，将有关情况报送涉案财物管理人员，由其予以登记。"
        ),
        "extensions": [],
    },
    {
        "code": "property_inspection_filing",
        "name": "涉案财物报警务督察备案",
        "case_kind": "property",
        "start_event": "handed_to_keeper",
        "end_event": "filed_with_inspection",
        "amount": 24,
        "unit": "hours",
        "extends_past_holiday": False,
        "citation": PROPERTY + "第十三条",
        "note": (
            "涉案财物管理人员应当在接收扣押的涉案财物或者登记查封、封存、冻结、先行登记保存的涉案财物后的"
            "二十四小时内，将有关法律文书副本或者复印件报同级警务督察部门备案。"
        ),
        "extensions": [],
    },
    # —— 政务服务 ——
    {
        "code": "id_card_issue",
        "name": "居民身份证发放",
        "case_kind": "service",
        "start_event": "applied",
        "end_event": "issued",
        "amount": 60,
        "unit": "calendar_days",
        "extends_past_holiday": False,
        "citation": "《中华人民共和国居民身份证法》第十二条第一款",
        "note": "申请领取、换领、补领均适用，自提交《居民身份证申领登记表》之日起计算。本系统从严不因节假日顺延。",
        "extensions": [
            ext(
                "remote_area",
                "交通不便的地区",
                "add",
                30,
                "calendar_days",
                "《中华人民共和国居民身份证法》第十二条第一款",
                note="办理时间可以适当延长，但延长的时间不得超过三十日。",
            ),
        ],
    },
]


def load(apps, schema_editor):
    TimeLimitRule = apps.get_model("supervision", "TimeLimitRule")
    TimeLimitExtension = apps.get_model("supervision", "TimeLimitExtension")
    for data in RULES:
        data = dict(data)
        extensions = data.pop("extensions")
        rule = TimeLimitRule.objects.update_or_create(code=data.pop("code"), defaults=data)[0]
        saved = {}
        for position, item in enumerate(extensions):
            item = dict(item)
            code, requires = item.pop("code"), item.pop("requires")
            item["requires"] = saved[requires] if requires else None
            saved[code] = TimeLimitExtension.objects.update_or_create(
                rule=rule, code=code, defaults={**item, "position": position}
            )[0]


def unload(apps, schema_editor):
    TimeLimitRule = apps.get_model("supervision", "TimeLimitRule")
    TimeLimitRule.objects.filter(code__in=[data["code"] for data in RULES]).delete()


class Migration(migrations.Migration):
    dependencies = [("supervision", "0002_legal_calendar")]

    operations = [migrations.RunPython(load, unload)]
