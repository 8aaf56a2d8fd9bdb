"""Template filters for what people read: Jalali dates and Persian digits.

Loaded as a builtin (settings.TEMPLATES), so every template can write {{ value|jdate }}.
"""

from django import template

from core import jalali
from core.text import format_number, to_persian_digits

register = template.Library()


@register.filter
def jdate(value):
    return jalali.format_date(value)


@register.filter
def jdatetime(value):
    return jalali.format_datetime(value)


@register.filter
def jmonth(value):
    return jalali.format_month(value)


@register.filter
def fa_digits(value):
    return "" if value is None else to_persian_digits(value)


@register.filter
def fa_number(value):
    return "" if value is None else format_number(int(value))
