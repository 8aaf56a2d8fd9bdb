"""`manage.py sms_outbox`: the latest messages, newest first, one tab-separated line each."""

import datetime as dt
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from enrollment.sms.models import OutboxMessage
from enrollment.sms.services import sms_queue

LINE = re.compile(r"^(\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2})\t(09\d{9})\t(queued|sending|sent|failed)\t([^\t\n]+)$")


def _outbox(*args: str) -> list[str]:
    out = StringIO()
    call_command("sms_outbox", *args, stdout=out)
    return out.getvalue().splitlines()


@pytest.fixture
def messages(db) -> list[OutboxMessage]:
    """Three messages a minute apart, the last (newest) a login code for 09120000001."""
    base = timezone.make_aware(dt.datetime(2026, 3, 21, 8, 0, 5))  # 1405/01/01 08:00:05 Tehran
    made = [
        sms_queue(mobile="09120000001", template="request_submitted", tracking_code="111111111111"),
        sms_queue(mobile="09120000002", template="request_submitted", tracking_code="222222222222"),
        sms_queue(mobile="09120000001", template="login_code", code="654321"),
    ]
    for minutes, message in enumerate(made):
        OutboxMessage.objects.filter(pk=message.pk).update(created_at=base + dt.timedelta(minutes=minutes))
    return made


def test_prints_time_mobile_status_text_newest_first(messages, settings):
    settings.DEBUG = True
    lines = _outbox()
    assert len(lines) == 3
    parsed = [LINE.match(line).groups() for line in lines]
    assert parsed[0] == (
        "1405/01/01 08:02:05",
        "09120000001",
        "queued",
        "کد ورود شما به سامانه بیمه تکمیلی: 654321 این کد را به کسی ندهید.",
    )
    assert [p[0] for p in parsed] == ["1405/01/01 08:02:05", "1405/01/01 08:01:05", "1405/01/01 08:00:05"]
    assert "222222222222" in parsed[1][3]


def test_in_debug_the_login_code_is_read_from_the_latest_message_to_a_mobile(messages, settings):
    settings.DEBUG = True
    [latest] = _outbox("--mobile", "09120000001", "--limit", "1")
    assert re.search(r"کد ورود[^:]*: (\d{6})", latest).group(1) == "654321"


def test_without_debug_the_login_code_is_never_printed(messages):
    [latest] = _outbox("--mobile", "09120000001", "--limit", "1")
    assert "654321" not in latest
    assert LINE.match(latest).group(4) == "کد ورود شما به سامانه بیمه تکمیلی: ****** این کد را به کسی ندهید."


def test_mobile_typed_in_persian_digits_filters(messages):
    lines = _outbox("--mobile", "۰۹۱۲۰۰۰۰۰۰۲")
    assert [LINE.match(line).group(2) for line in lines] == ["09120000002"]


def test_limit_keeps_the_newest(messages):
    lines = _outbox("--limit", "2")
    assert [LINE.match(line).group(1) for line in lines] == ["1405/01/01 08:02:05", "1405/01/01 08:01:05"]


def test_the_default_limit_is_twenty(db):
    for n in range(25):
        sms_queue(mobile="09120000001", template="login_code", code=f"{n:06d}")
    assert len(_outbox()) == 20


@pytest.mark.parametrize("args", [["--mobile", "0912"], ["--limit", "0"]])
def test_a_bad_argument_is_refused(db, args):
    with pytest.raises(CommandError):
        _outbox(*args)
