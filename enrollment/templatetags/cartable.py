from django import template
from django.conf import settings

from core.text import format_number
from enrollment.queues import queues_of

register = template.Library()


@register.inclusion_tag("admin/enrollment/queues.html", takes_context=True)
def cartable_queues(context):
    request = context["request"]
    return {"queues": queues_of(request.user)}


@register.simple_tag
def list_count(cl) -> str:
    """The one count of the cartable list, said as exactly as it is known: «۱۲ درخواست», or «بیش از ۱۰٬۰۰۰
    درخواست» when the count stopped at the cap (core.admin_tools.CappedCountPaginator; the cartable is always
    filtered, so never the table's estimate). The footer, the «select all» link and the note once all are
    selected say this same text."""
    cap = settings.ADMIN_COUNT_CAP
    if cl.result_count > cap:
        return f"بیش از {format_number(cap)} درخواست"
    return f"{format_number(cl.result_count)} درخواست"
