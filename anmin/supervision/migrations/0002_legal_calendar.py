"""Load the State Council's public-holiday arrangements (国务院办公厅 部分节假日安排) for 2025 and 2026.

Verified against the text of each notice as published by 新华社 (copies on 光明网 gmw.cn):

* 《国务院办公厅关于2025年部分节假日安排的通知》（国办发明电〔2024〕12号，2024年11月12日）
* 《国务院办公厅关于2026年部分节假日安排的通知》（2025年11月4日）

Only these two years are loaded: no other year was verified. For a year with no rows the calendar
falls back to Monday–Friday, so each new notice (usually published in November) must be added,
through the admin or a new migration, before the year starts.

Every day of each 放假 span is stored (including the weekend days inside it) so that the table reads
like the notice; 调休上班 days are stored as workdays.
"""

from datetime import date, timedelta

from django.db import migrations

SOURCE_2025 = "国务院办公厅关于2025年部分节假日安排的通知（国办发明电〔2024〕12号）"
SOURCE_2026 = "国务院办公厅关于2026年部分节假日安排的通知（2025年11月4日）"

# (name, first day off, last day off, make-up working days, source)
ARRANGEMENTS = [
    # 2025 — 一、元旦：1月1日（周三）放假1天，不调休。
    ("元旦", date(2025, 1, 1), date(2025, 1, 1), [], SOURCE_2025),
    # 二、春节：1月28日（农历除夕、周二）至2月4日（农历正月初七、周二）放假调休，共8天。1月26日（周日）、2月8日（周六）上班。
    ("春节", date(2025, 1, 28), date(2025, 2, 4), [date(2025, 1, 26), date(2025, 2, 8)], SOURCE_2025),
    # 三、清明节：4月4日（周五）至6日（周日）放假，共3天。
    ("清明节", date(2025, 4, 4), date(2025, 4, 6), [], SOURCE_2025),
    # 四、劳动节：5月1日（周四）至5日（周一）放假调休，共5天。4月27日（周日）上班。
    ("劳动节", date(2025, 5, 1), date(2025, 5, 5), [date(2025, 4, 27)], SOURCE_2025),
    # 五、端午节：5月31日（周六）至6月2日（周一）放假，共3天。
    ("端午节", date(2025, 5, 31), date(2025, 6, 2), [], SOURCE_2025),
    # 六、国庆节、中秋节：10月1日（周三）至8日（周三）放假调休，共8天。9月28日（周日）、10月11日（周六）上班。
    ("国庆节、中秋节", date(2025, 10, 1), date(2025, 10, 8), [date(2025, 9, 28), date(2025, 10, 11)], SOURCE_2025),
    # 2026 — 一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。
    ("元旦", date(2026, 1, 1), date(2026, 1, 3), [date(2026, 1, 4)], SOURCE_2026),
    # 二、春节：2月15日（农历腊月二十八、周日）至23日（农历正月初七、周一）放假调休，共9天。2月14日（周六）、2月28日（周六）上班。
    ("春节", date(2026, 2, 15), date(2026, 2, 23), [date(2026, 2, 14), date(2026, 2, 28)], SOURCE_2026),
    # 三、清明节：4月4日（周六）至6日（周一）放假，共3天。
    ("清明节", date(2026, 4, 4), date(2026, 4, 6), [], SOURCE_2026),
    # 四、劳动节：5月1日（周五）至5日（周二）放假调休，共5天。5月9日（周六）上班。
    ("劳动节", date(2026, 5, 1), date(2026, 5, 5), [date(2026, 5, 9)], SOURCE_2026),
    # 五、端午节：6月19日（周五）至21日（周日）放假，共3天。
    ("端午节", date(2026, 6, 19), date(2026, 6, 21), [], SOURCE_2026),
    # 六、中秋节：9月25日（周五）至27日（周日）放假，共3天。
    ("中秋节", date(2026, 9, 25), date(2026, 9, 27), [], SOURCE_2026),
    # 七、国庆节：10月1日（周四）至7日（周三）放假调休，共7天。9月20日（周日）、10月10日（周六）上班。
    ("国庆节", date(2026, 10, 1), date(2026, 10, 7), [date(2026, 9, 20), date(2026, 10, 10)], SOURCE_2026),
]


def load(apps, schema_editor):
    CalendarDay = apps.get_model("supervision", "CalendarDay")
    for name, first, last, workdays, source in ARRANGEMENTS:
        day = first
        while day <= last:
            CalendarDay.objects.update_or_create(
                date=day, defaults={"kind": "holiday", "name": name, "source": source}
            )
            day += timedelta(days=1)
        for day in workdays:
            CalendarDay.objects.update_or_create(
                date=day, defaults={"kind": "workday", "name": name, "source": source}
            )


def unload(apps, schema_editor):
    CalendarDay = apps.get_model("supervision", "CalendarDay")
    CalendarDay.objects.filter(source__in=[SOURCE_2025, SOURCE_2026]).delete()


class Migration(migrations.Migration):
    dependencies = [("supervision", "0001_time_limits")]

    operations = [migrations.RunPython(load, unload)]
