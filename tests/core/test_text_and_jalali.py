import datetime as dt

import pytest
from django.template import Context, Template
from django.utils import timezone

from core import jalali
from core.text import format_number, normalize_text, to_latin_digits, to_persian_digits


def test_digits_of_every_script_become_latin():
    assert to_latin_digits("۱۲۳٤٥٦789") == "123456789"


def test_output_digits_are_persian():
    assert to_persian_digits("1405/01/15") == "۱۴۰۵/۰۱/۱۵"
    assert to_persian_digits("٤٥") == "۴۵"


def test_arabic_letters_become_persian_and_spaces_fold():
    assert normalize_text("  علي   كريمي ") == "علی کریمی"


def test_amounts_are_grouped_in_persian():
    assert format_number(12_500_000) == "۱۲٬۵۰۰٬۰۰۰"


@pytest.mark.parametrize(
    ("gregorian", "shown"),
    [
        (dt.date(2026, 3, 21), "۱۴۰۵/۰۱/۰۱"),  # Nowruz 1405
        (dt.date(2026, 11, 22), "۱۴۰۵/۰۹/۰۱"),  # 1 Azar: a contract's first day
        (dt.date(2025, 3, 20), "۱۴۰۳/۱۲/۳۰"),  # 30 Esfand of the leap year 1403
        (dt.date(2025, 3, 21), "۱۴۰۴/۰۱/۰۱"),
    ],
)
def test_gregorian_to_jalali(gregorian, shown):
    assert jalali.format_date(gregorian) == shown


@pytest.mark.parametrize("day", [dt.date(2024, 2, 29), dt.date(2025, 3, 20), dt.date(2026, 1, 1), dt.date(1958, 4, 12)])
def test_jalali_round_trip(day):
    assert jalali.parse_date(jalali.format_date(day)) == day
    assert jalali.parse_date(jalali.format_date(day, persian=False)) == day


def test_leap_day_of_a_leap_jalali_year_parses_and_a_non_leap_one_is_refused():
    assert jalali.parse_date("1403/12/30") == dt.date(2025, 3, 20)
    with pytest.raises(jalali.JalaliParseError) as error:
        jalali.parse_date("1404/12/30")
    assert "وجود ندارد" in str(error.value)


@pytest.mark.parametrize("typed", ["1405/1/15", "۱۴۰۵/۰۱/۱۵", "١٤٠٥-٠١-١٥", " 1405.01.15 "])
def test_every_digit_script_and_separator_parses(typed):
    assert jalali.parse_date(typed) == dt.date(2026, 4, 4)


@pytest.mark.parametrize("typed", ["", "1405/13/01", "15/01/1405", "فردا"])
def test_bad_dates_are_refused_in_persian(typed):
    with pytest.raises(jalali.JalaliParseError):
        jalali.parse_date(typed)


def test_datetime_round_trip_in_tehran_time():
    moment = jalali.parse_datetime("۱۴۰۵/۰۹/۰۱ ۰۸:۳۰")
    assert timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") == "2026-11-22 08:30"
    assert jalali.format_datetime(moment) == "۱۴۰۵/۰۹/۰۱ ۰۸:۳۰"


def test_month_helpers_follow_jalali_months():
    assert jalali.month_start(dt.date(2026, 11, 25)) == dt.date(2026, 11, 22)
    assert jalali.add_months(dt.date(2026, 11, 25), 1) == dt.date(2026, 12, 22)
    assert jalali.add_months(dt.date(2027, 3, 1), 1) == dt.date(2027, 3, 21)  # Esfand 1405 -> Farvardin 1406
    assert jalali.format_month(dt.date(2026, 11, 25)) == "۱۴۰۵/۰۹"


def test_template_filters_show_jalali_and_persian_digits():
    rendered = Template("{{ d|jdate }} {{ n|fa_number }} {{ s|fa_digits }}").render(
        Context({"d": dt.date(2026, 11, 25), "n": 1500000, "s": "09120000001"})
    )
    assert rendered == "۱۴۰۵/۰۹/۰۴ ۱٬۵۰۰٬۰۰۰ ۰۹۱۲۰۰۰۰۰۰۱"
