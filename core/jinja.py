"""The Jinja2 environment of the pensioner's pages (settings.TEMPLATES; the admin stays on Django's engine).

Why Jinja2 there: eight of the fourteen requests of a submission render a page, and Django's engine spent
0.8 of the sign-in page's 2.0 ms rendering it (Jinja2: 0.3). Jinja2 compiles a template to Python once.

What the pages used of Django's engine is here under the same names: the URL and static helpers, the
Jalali and Persian-digit filters of core.templatetags.jalali, and the few built-in filters they need.
Django localizes a datetime before `date` and `time` format it; `clock` and `iso` do the same.
Undefined names and their attributes print as nothing, as in Django's engine (ChainableUndefined): the
error pages render with no request and no pensioner.
"""

from django.templatetags.static import static
from django.urls import reverse
from django.utils import dateformat
from django.utils.html import linebreaks
from django.utils.timezone import template_localtime
from jinja2 import ChainableUndefined, Environment
from markupsafe import Markup

from core.fixed_urls import fixed_reverse
from core.templatetags import jalali


def url(name: str, *args) -> str:
    """Django's {% url %}; a page without arguments is reversed once (core.fixed_urls)."""
    return reverse(name, args=args) if args else fixed_reverse(name)


def clock(value) -> str:
    """The local time of a datetime in hours and minutes, as Django's `time:"H:i"` shows it (the page then
    writes its digits in Persian)."""
    return dateformat.time_format(template_localtime(value), "H:i")


def iso(value) -> str:
    """The local datetime as ISO 8601 (Django's `date:'c'`), for <time datetime="…">."""
    return dateformat.format(template_localtime(value), "c")


def paragraphs(value) -> Markup:
    """Django's `linebreaks`: the text escaped, its blank lines made paragraphs, the result safe to print."""
    return Markup(linebreaks(value, autoescape=True))


def environment(**options) -> Environment:
    # Over the backend's default (DebugUndefined under DEBUG would print "{{ name }}" into a demo page).
    env = Environment(**{**options, "undefined": ChainableUndefined})
    env.globals.update(static=static, url=url)
    env.filters.update(
        fa_digits=jalali.fa_digits,
        fa_number=jalali.fa_number,
        jdate=jalali.jdate,
        jdatetime=jalali.jdatetime,
        jmonth=jalali.jmonth,
        clock=clock,
        iso=iso,
        linebreaks=paragraphs,
    )
    return env
