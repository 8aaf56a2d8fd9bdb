"""The admin's Persian display: what a read-only field or list cell shows, and the digits of a page."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.admin import helpers, utils
from django.contrib.admin.templatetags import admin_list
from django.contrib.auth.models import User
from django.db import models

from core.admin_tools import persian_digits_html

TEHRAN = ZoneInfo("Asia/Tehran")


def test_dates_times_and_amounts_read_in_jalali_and_persian_digits():
    assert utils.display_for_field(dt.date(1958, 4, 12), models.DateField(), "-") == "۱۳۳۷/۰۱/۲۳"
    stamp = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)  # 15:30 in Tehran
    assert helpers.display_for_field(stamp, models.DateTimeField(), "-") == "۱۴۰۵/۰۹/۱۰ ۱۵:۳۰"
    assert admin_list.display_for_field(12_500_000, models.PositiveBigIntegerField(), "-") == "۱۲٬۵۰۰٬۰۰۰"
    assert utils.display_for_field(Decimal("1250.50"), models.DecimalField(decimal_places=2), "-") == "۱٬۲۵۰٫۵۰"
    assert admin_list.display_for_value(dt.date(2026, 12, 1), "-") == "۱۴۰۵/۰۹/۱۰"
    assert utils.display_for_field(None, models.DateField(null=True), "-") == "-"


def test_yes_and_no_read_in_persian_as_text_and_as_the_icons_alternative():
    assert admin_list.display_for_value(True, "-") == "بله"
    assert 'alt="خیر"' in utils.display_for_field(False, models.BooleanField(), "-")
    assert 'alt="نامعلوم"' in admin_list.display_for_value(None, "-", boolean=True)


def test_a_staff_member_reads_as_their_full_name_and_the_username_only_without_one():
    assert str(User(username="kanoon_x", first_name="مریم", last_name="رحیمی")) == "مریم رحیمی"
    assert str(User(username="kanoon_x")) == "kanoon_x"


def test_the_page_text_turns_persian_and_markup_scripts_form_values_and_references_do_not():
    html = (
        '<p title="page 2">Row 12 &#39;x&#39; &amp; 3</p><input value="0010000011" aria-label="code 7">'
        "<script>var n = 5;</script><style>.a{width:10px}</style><textarea>line 4</textarea><!-- 9 -->"
        '<code dir="ltr">ABCD 2345</code>'
    )
    assert persian_digits_html(html) == (
        '<p title="page ۲">Row ۱۲ &#39;x&#39; &amp; ۳</p><input value="0010000011" aria-label="code ۷">'
        "<script>var n = 5;</script><style>.a{width:10px}</style><textarea>line 4</textarea><!-- 9 -->"
        '<code dir="ltr">ABCD 2345</code>'
    )
