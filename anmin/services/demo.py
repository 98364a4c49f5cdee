"""For `anmin demo`: give the seeded catalogue sensible departments in the demo city."""

from anmin.org.models import Organization
from anmin.services.models import ServiceItem

#: Items the 车管所 handles (the traffic police); the others are 户政/治安 matters of the bureau.
TRAFFIC_ITEMS = ("JJ-JSZ-BHL", "JJ-ESC-YDJY")


def assign_departments() -> int:
    """Point each catalogue item at the unit that handles it: driving-licence and vehicle items at
    the first 交警 unit, the rest at the bureau (Organization without parent). Returns how many
    items changed. Safe to run twice."""
    bureau = Organization.objects.filter(parent__isnull=True).order_by("id").first()
    if bureau is None:
        return 0
    traffic = Organization.objects.filter(kind=Organization.Kind.TRAFFIC).order_by("path", "id").first() or bureau
    changed = 0
    for item in ServiceItem.objects.all():
        department = traffic if item.code in TRAFFIC_ITEMS else bureau
        if item.department_id != department.pk:
            item.department = department
            item.save(update_fields=["department"])
            changed += 1
    return changed
