"""The sign-in limits under 30 requests for one national code at once, on PostgreSQL, each on its own connection."""

import datetime as dt
import threading
from collections import Counter

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from enrollment.sms.models import OutboxMessage
from portal import otp
from portal.models import LoginCode

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

AT_ONCE = 30
UNKNOWN = "0000000019"


def _at_once(call) -> list[str]:
    """Runs call(i) for i in 0..29 at the same moment, each on a thread (so a connection) of its own."""
    barrier = threading.Barrier(AT_ONCE)
    outcomes = [""] * AT_ONCE

    def run(index: int) -> None:
        try:
            barrier.wait()
            outcomes[index] = call(index)
        except otp.LoginRefused as refusal:
            outcomes[index] = refusal.message
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(AT_ONCE)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def _request_at_once(national_code: str) -> Counter:
    def request(index: int) -> str:
        sent = otp.login_code_request(national_code=national_code, ip=f"198.51.100.{index + 1}")
        return "issued" if sent.issued else "still fresh"

    return Counter(_at_once(request))


@pytest.mark.parametrize("who", ["registered", "unknown"])
def test_thirty_requests_at_once_issue_one_code(on_postgres, pensioner_a, who):
    national_code = pensioner_a.national_code if who == "registered" else UNKNOWN
    outcomes = _request_at_once(national_code)
    assert outcomes == {"issued": 1, "still fresh": AT_ONCE - 1}
    assert LoginCode.objects.filter(national_code=national_code).count() == 1
    sent = OutboxMessage.objects.filter(template="login_code").count()
    assert sent == (1 if who == "registered" else 0)


@override_settings(LOGIN_CODE_RESEND_SECONDS=0)
@pytest.mark.parametrize("who", ["registered", "unknown"])
def test_without_the_countdown_thirty_at_once_issue_exactly_the_windows_limit(on_postgres, pensioner_a, who):
    national_code = pensioner_a.national_code if who == "registered" else UNKNOWN
    outcomes = _request_at_once(national_code)
    limit = 3  # LOGIN_CODES_PER_NATIONAL_CODE
    assert outcomes["issued"] == limit, outcomes
    assert sum(1 for outcome in outcomes if "۱۵ دقیقه گذشته ۳ بار" in outcome) == 1
    assert outcomes.total() == AT_ONCE and outcomes["still fresh"] == 0
    assert LoginCode.objects.filter(national_code=national_code).count() == limit
    assert OutboxMessage.objects.filter(template="login_code").count() == (limit if who == "registered" else 0)


def test_thirty_wrong_codes_at_once_stop_at_the_days_cap(on_postgres, pensioner_a):
    now = timezone.now()
    for hours in range(1, 20):  # 19 spent codes of the past day, 95 wrong tries
        created = now - dt.timedelta(hours=hours)
        LoginCode.objects.create(
            national_code=pensioner_a.national_code,
            code_hash="0" * 64,
            created_at=created,
            expires_at=created + dt.timedelta(minutes=2),
            attempts=5,
        )
    otp.login_code_request(national_code=pensioner_a.national_code, ip="198.51.100.1")
    latest = otp.login_code_latest(pensioner_a.national_code)
    LoginCode.objects.filter(pk=latest.pk).update(attempts=2)  # 97: three wrong tries left today
    with override_settings(LOGIN_CODE_MAX_ATTEMPTS=50):  # only the day's cap stops them
        outcomes = _at_once(lambda i: otp.login_code_verify(national_code=pensioner_a.national_code, code="x"))
    latest.refresh_from_db()
    assert latest.attempts == 5
    wrong = Counter("کد تایید درست نیست" in outcome for outcome in outcomes)
    assert wrong[True] == 2  # the 98th and 99th; the 100th and the rest hear the day's cap
    assert sum("۱۰۰ بار کد تایید نادرست" in outcome for outcome in outcomes) == AT_ONCE - 2
