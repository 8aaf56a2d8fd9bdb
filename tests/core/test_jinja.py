"""core.jinja: what the pensioner's pages used of Django's engine, the same under Jinja2."""

import datetime as dt

from django.template import engines
from django.test import override_settings

from core.jinja import clock, iso, paragraphs


def test_clock_and_iso_show_a_utc_moment_in_tehran_time_as_djangos_time_and_date_filters_did():
    moment = dt.datetime(2026, 12, 1, 20, 5, tzinfo=dt.UTC)
    assert clock(moment) == "23:35"
    assert iso(moment) == "2026-12-01T23:35:00+03:30"
    assert iso(dt.date(2026, 12, 1)) == "2026-12-01"


def test_paragraphs_escape_the_text_and_make_its_blank_lines_paragraphs_which_the_page_prints_as_they_are():
    assert paragraphs("<b>یک</b>\n\nدو") == "<p>&lt;b&gt;یک&lt;/b&gt;</p>\n\n<p>دو</p>"
    text = "بند 1\nادامه\n\n<i>بند 2</i>"
    page = engines["jinja2"].from_string("{{ text|fa_digits|linebreaks }}").render({"text": text})
    assert page == "<p>بند ۱<br>ادامه</p>\n\n<p>&lt;i&gt;بند ۲&lt;/i&gt;</p>"


def test_filters_and_urls_of_the_pages_and_autoescaping():
    engine = engines["jinja2"]
    page = engine.from_string("{{ n|fa_digits }} {{ m|fa_number }} {{ url('portal:help') }} {{ text }}").render(
        {"n": 1405, "m": 1234567, "text": "<script>"}
    )
    assert page == "۱۴۰۵ ۱٬۲۳۴٬۵۶۷ /help/ &lt;script&gt;"


@override_settings(DEBUG=True)
def test_a_missing_name_and_its_attributes_print_nothing_also_under_debug():
    from django.template.backends.jinja2 import Jinja2

    engine = Jinja2({"NAME": "t", "DIRS": [], "APP_DIRS": False, "OPTIONS": {"environment": "core.jinja.environment"}})
    assert engine.from_string("[{{ missing }}|{{ missing.pensioner.full_name }}]").render({}) == "[|]"
