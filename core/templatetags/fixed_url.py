"""{% fixed_url 'portal:home' %}: Django's {% url %} for a page that takes no arguments, reversed once
(core.fixed_urls)."""

from django import template

from core.fixed_urls import fixed_reverse

register = template.Library()


@register.simple_tag
def fixed_url(name: str) -> str:
    return fixed_reverse(name)
