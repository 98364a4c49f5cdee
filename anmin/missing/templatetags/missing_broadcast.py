"""`{% broadcast_summary case as b %}`: the broadcast of a case for the `_broadcast.html` fragment,
in the few queries `broadcast.summary` costs (the case page includes it without knowing the models)."""

from django import template

register = template.Library()


@register.simple_tag
def broadcast_summary(case) -> dict:
    from anmin.missing.broadcast import summary

    return summary(case)
