from django import template

from enrollment.queues import queues_of

register = template.Library()


@register.inclusion_tag("admin/enrollment/queues.html", takes_context=True)
def cartable_queues(context):
    request = context["request"]
    return {"queues": queues_of(request.user)}
