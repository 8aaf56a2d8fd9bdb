"""Jalali (Solar Hijri) dates at the edges: storage stays Gregorian, people see and type Jalali."""

import datetime as dt
import re

import jdatetime
from django.utils import timezone

from core.text import to_latin_digits, to_persian_digits

_DATE_RE = re.compile(r"^\s*(\d{4})[/\-.](\d{1,2})[/\-.](\d{1,2})\s*$")
_MONTH_RE = re.compile(r"^\s*(\d{4})\s*[/\-.]\s*(\d{1,2})\s*$")
_DATETIME_RE = re.compile(r"^\s*(\d{4})[/\-.](\d{1,2})[/\-.](\d{1,2})(?:\s+(\d{1,2}):(\d{2}))?\s*$")


class JalaliParseError(ValueError):
    """The text is not a Jalali date; the message is Persian and ready to show."""


def to_jalali(value: dt.date) -> jdatetime.date:
    return jdatetime.date.fromgregorian(date=value)


def format_date(value: dt.date | dt.datetime | None, *, persian: bool = True) -> str:
    """۱۴۰۵/۰۱/۱۵ for a date, or for a datetime its local (Tehran) date."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    text = to_jalali(value).strftime("%Y/%m/%d")
    return to_persian_digits(text) if persian else text


def format_datetime(value: dt.datetime | None, *, persian: bool = True) -> str:
    """۱۴۰۵/۰۱/۱۵ ۱۴:۳۰ in Tehran time."""
    if value is None:
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    text = f"{format_date(local.date(), persian=False)} {local:%H:%M}"
    return to_persian_digits(text) if persian else text


def format_month(value: dt.date | None) -> str:
    """The Jalali month a date falls in, as ۱۴۰۵/۰۹."""
    if value is None:
        return ""
    return to_persian_digits(to_jalali(value).strftime("%Y/%m"))


def format_long_date(value: dt.date | None) -> str:
    """۴ آذر ۱۴۰۵: for receipts and notices."""
    if value is None:
        return ""
    j = to_jalali(value)
    return to_persian_digits(f"{j.day} {j.j_months_fa[j.month - 1]} {j.year}")


def parse_date(text: str) -> dt.date:
    """A Jalali date typed as 1405/1/15, ۱۴۰۵-۰۱-۱۵ or ١٤٠٥/٠١/١٥, as a Gregorian date."""
    match = _DATE_RE.match(to_latin_digits(text or ""))
    if not match:
        raise JalaliParseError("تاریخ را به شکل سال/ماه/روز وارد کنید؛ مثلاً ۱۴۰۵/۰۱/۱۵.")
    year, month, day = (int(part) for part in match.groups())
    try:
        return jdatetime.date(year, month, day).togregorian()
    except ValueError:
        raise JalaliParseError("این تاریخ در تقویم وجود ندارد.") from None


def parse_month(text: str) -> dt.date:
    """A Jalali month typed as 1405/10, ۱۴۰۵/۱۰ or ١٤٠٥-١٠, as the Gregorian date of its first day."""
    match = _MONTH_RE.match(to_latin_digits(text or ""))
    if not match:
        raise JalaliParseError("ماه را به شکل سال/ماه وارد کنید؛ مثلاً ۱۴۰۵/۱۰.")
    year, month = (int(part) for part in match.groups())
    if not 1 <= month <= 12:
        raise JalaliParseError("ماه باید عددی از ۱ تا ۱۲ باشد.")
    return jdatetime.date(year, month, 1).togregorian()


def parse_datetime(text: str) -> dt.datetime:
    """A Jalali date with an optional HH:MM, in Tehran time, as an aware datetime."""
    match = _DATETIME_RE.match(to_latin_digits(text or ""))
    if not match:
        raise JalaliParseError("تاریخ و ساعت را به شکل ۱۴۰۵/۰۱/۱۵ ۰۸:۰۰ وارد کنید.")
    year, month, day, hour, minute = match.groups()
    date = parse_date(f"{year}/{month}/{day}")
    hour_value, minute_value = int(hour or 0), int(minute or 0)
    if hour_value > 23 or minute_value > 59:
        raise JalaliParseError("ساعت باید بین ۰۰:۰۰ و ۲۳:۵۹ باشد.")
    naive = dt.datetime.combine(date, dt.time(hour_value, minute_value))
    return timezone.make_aware(naive)


def month_start(value: dt.date) -> dt.date:
    """The Gregorian date of the first day of the Jalali month that `value` falls in."""
    j = to_jalali(value)
    return jdatetime.date(j.year, j.month, 1).togregorian()


def add_months(value: dt.date, months: int) -> dt.date:
    """The first day of the Jalali month `months` after the one `value` falls in."""
    j = to_jalali(value)
    index = j.year * 12 + (j.month - 1) + months
    return jdatetime.date(index // 12, index % 12 + 1, 1).togregorian()


def today() -> dt.date:
    return timezone.localdate()


def working_days_between(start: dt.datetime, end: dt.datetime) -> int:
    """Whole working days from `start` to `end` in Tehran, Fridays not counted (official holidays are not
    known here, so they count as working days)."""
    first, last = timezone.localtime(start).date(), timezone.localtime(end).date()
    days = (last - first).days
    if days <= 0:
        return 0
    fridays = sum(1 for offset in range(1, days + 1) if (first + dt.timedelta(days=offset)).weekday() == 4)
    return days - fridays
