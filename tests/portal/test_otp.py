"""The one-time login code: how it is issued, stored and checked, and every refusal."""

import datetime as dt

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from core import jalali
from enrollment.sms.models import OutboxMessage
from portal import otp
from portal.models import LoginCode
from tests.portal.conftest import latest_code

IP = "203.0.113.7"
UNKNOWN = "0000000019"  # a valid check digit, nobody in the registry


def _request(national_code: str, ip: str = IP) -> otp.CodeSent:
    return otp.login_code_request(national_code=national_code, ip=ip)


def _age_codes(national_code: str, seconds: int) -> None:
    """Moves every code of the national code `seconds` into the past."""
    for login_code in LoginCode.objects.filter(national_code=national_code):
        login_code.created_at -= dt.timedelta(seconds=seconds)
        login_code.expires_at -= dt.timedelta(seconds=seconds)
        login_code.save()


def test_a_code_is_six_digits_stored_only_as_a_hash_and_sent_by_sms(pensioner_a):
    sent = _request(pensioner_a.national_code)
    login_code = LoginCode.objects.get(national_code=pensioner_a.national_code)
    code = latest_code(pensioner_a.mobile)
    assert sent.issued and len(code) == 6
    assert code not in login_code.code_hash and len(login_code.code_hash) == 64
    assert (login_code.expires_at - login_code.created_at) == dt.timedelta(minutes=2)
    sms = OutboxMessage.objects.get(mobile=pensioner_a.mobile, template="login_code")
    assert sms.request is None


def test_the_code_and_its_sms_commit_or_roll_back_together(pensioner_a):
    with pytest.raises(RuntimeError), transaction.atomic():
        _request(pensioner_a.national_code)
        raise RuntimeError("the page failed after issuing")
    assert not LoginCode.objects.exists()
    assert not OutboxMessage.objects.filter(template="login_code").exists()


def test_the_right_code_signs_in_once_and_persian_digits_work(pensioner_a):
    _request(pensioner_a.national_code)
    persian = latest_code(pensioner_a.mobile).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert otp.login_code_verify(national_code=pensioner_a.national_code, code=persian) == pensioner_a
    with pytest.raises(otp.LoginRefused) as refusal:
        otp.login_code_verify(national_code=pensioner_a.national_code, code=persian)
    assert "قبلاً استفاده شده" in refusal.value.message


def test_a_wrong_code_is_refused_and_counted(pensioner_a):
    _request(pensioner_a.national_code)
    right = latest_code(pensioner_a.mobile)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    with pytest.raises(otp.LoginRefused) as refusal:
        otp.login_code_verify(national_code=pensioner_a.national_code, code=wrong)
    assert refusal.value.message == "کد تایید درست نیست. ۴ بار دیگر می‌توانید تلاش کنید."
    assert LoginCode.objects.get().attempts == 1


def test_an_expired_code_is_refused_even_when_right(pensioner_a):
    _request(pensioner_a.national_code)
    right = latest_code(pensioner_a.mobile)
    LoginCode.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(otp.LoginRefused) as refusal:
        otp.login_code_verify(national_code=pensioner_a.national_code, code=right)
    assert "مهلت ۲ دقیقه‌ای این کد تایید تمام شده است" in refusal.value.message
    assert LoginCode.objects.get().used_at is None


def test_five_wrong_tries_void_the_code_even_for_the_right_one(pensioner_a):
    _request(pensioner_a.national_code)
    right = latest_code(pensioner_a.mobile)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    messages = []
    for _ in range(5):
        with pytest.raises(otp.LoginRefused) as refusal:
            otp.login_code_verify(national_code=pensioner_a.national_code, code=wrong)
        messages.append(refusal.value.message)
    assert "باطل شد" in messages[-1]
    with pytest.raises(otp.LoginRefused) as refusal:
        otp.login_code_verify(national_code=pensioner_a.national_code, code=right)
    assert "پس از ۵ بار ورود نادرست باطل شد" in refusal.value.message
    assert LoginCode.objects.get().attempts == 5


def test_only_the_newest_code_counts(pensioner_a):
    _request(pensioner_a.national_code)
    first = latest_code(pensioner_a.mobile)
    _age_codes(pensioner_a.national_code, 61)  # past the resend countdown, still valid
    _request(pensioner_a.national_code)
    second = latest_code(pensioner_a.mobile)
    if first != second:
        with pytest.raises(otp.LoginRefused):
            otp.login_code_verify(national_code=pensioner_a.national_code, code=first)
    assert otp.login_code_verify(national_code=pensioner_a.national_code, code=second) == pensioner_a


def test_asking_again_before_the_countdown_sends_no_new_sms(pensioner_a):
    first = _request(pensioner_a.national_code)
    again = _request(pensioner_a.national_code)
    assert first.issued and not again.issued
    assert again.resend_at == first.resend_at
    assert OutboxMessage.objects.filter(template="login_code").count() == 1


def test_at_most_three_codes_per_national_code_in_fifteen_minutes(pensioner_a):
    for _ in range(3):
        assert _request(pensioner_a.national_code).issued
        _age_codes(pensioner_a.national_code, 61)
    with pytest.raises(otp.LoginRefused) as refusal:
        _request(pensioner_a.national_code)
    assert "۱۵ دقیقه گذشته ۳ بار" in refusal.value.message
    assert OutboxMessage.objects.filter(template="login_code").count() == 3
    _age_codes(pensioner_a.national_code, 15 * 60)
    assert _request(pensioner_a.national_code).issued


@override_settings(LOGIN_CODES_PER_IP=4)
def test_one_address_is_limited_across_national_codes(world):
    codes = ["0010000011", "0010000021", "0010000038", UNKNOWN]
    for national_code in codes:
        _request(national_code)
    with pytest.raises(otp.LoginRefused) as refusal:
        _request("0010000011")
    assert "از این اتصال اینترنت درخواست‌های زیادی" in refusal.value.message
    assert _request("0010000011", ip="198.51.100.1") is not None  # another address is not affected


def test_an_unknown_national_code_is_treated_like_a_known_one_but_nothing_is_sent(world):
    sent = _request(UNKNOWN)
    assert sent.issued
    assert LoginCode.objects.filter(national_code=UNKNOWN).count() == 1
    assert not OutboxMessage.objects.exists()
    with pytest.raises(otp.LoginRefused) as refusal:
        otp.login_code_verify(national_code=UNKNOWN, code="123456")
    assert refusal.value.message == "کد تایید درست نیست. ۴ بار دیگر می‌توانید تلاش کنید."
    for _ in range(2):
        _age_codes(UNKNOWN, 61)
        _request(UNKNOWN)
    _age_codes(UNKNOWN, 61)
    with pytest.raises(otp.LoginRefused) as refusal:
        _request(UNKNOWN)
    assert "۱۵ دقیقه گذشته ۳ بار" in refusal.value.message


def test_the_mobile_is_masked_and_an_unknown_code_gets_a_stable_decoy(pensioner_a):
    assert otp.masked_mobile_for(pensioner_a.national_code) == "۰۹۱۲***۰۰۰۱"
    decoy = otp.masked_mobile_for(UNKNOWN)
    assert decoy == otp.masked_mobile_for(UNKNOWN)
    assert decoy.startswith("۰۹") and "***" in decoy and len(decoy) == len("۰۹۱۲***۰۰۰۱")


def test_verifying_without_any_code_is_refused(pensioner_a):
    with pytest.raises(otp.LoginRefused) as refusal:
        otp.login_code_verify(national_code=pensioner_a.national_code, code="123456")
    assert "ابتدا کد ملی" in refusal.value.message


# --- the day's cap on wrong codes (NIST SP 800-63B §5.2.2) ----------------------------------------


def _failed_codes(national_code: str, *, hours_ago: list[int], attempts: int = 5) -> None:
    """Spent codes of the past day, each with `attempts` wrong tries."""
    now = timezone.now()
    for hours in hours_ago:
        created = now - dt.timedelta(hours=hours)
        LoginCode.objects.create(
            national_code=national_code,
            code_hash="0" * 64,
            created_at=created,
            expires_at=created + dt.timedelta(minutes=2),
            attempts=attempts,
        )


@pytest.mark.parametrize("who", ["registered", "unknown"])
def test_the_hundredth_wrong_code_in_a_day_closes_sign_in_until_the_oldest_is_a_day_old(pensioner_a, who):
    national_code = pensioner_a.national_code if who == "registered" else UNKNOWN
    _failed_codes(national_code, hours_ago=list(range(23, 4, -1)))  # 19 codes × 5 = 95 wrong, the oldest 23 h ago
    _request(national_code)
    right = latest_code(pensioner_a.mobile) if who == "registered" else "123456"
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    for _ in range(4):
        with pytest.raises(otp.LoginRefused):
            otp.login_code_verify(national_code=national_code, code=wrong)
    with pytest.raises(otp.LoginRefused) as refusal:
        otp.login_code_verify(national_code=national_code, code=wrong)
    closed = "برای این کد ملی در ۲۴ ساعت گذشته ۱۰۰ بار کد تایید نادرست وارد شده است."
    assert refusal.value.message.startswith(closed)
    assert "تا ۱ ساعت دیگر" in refusal.value.message
    assert LoginCode.objects.filter(national_code=national_code).order_by("-created_at").first().attempts == 5

    codes_before = LoginCode.objects.count()
    with pytest.raises(otp.LoginRefused) as refusal:
        _request(national_code)  # no new code while closed
    assert refusal.value.message.startswith(closed)
    assert LoginCode.objects.count() == codes_before
    assert OutboxMessage.objects.filter(template="login_code").count() == (1 if who == "registered" else 0)

    _age_codes(national_code, 60 * 60 + 1)  # the oldest 5 failures are now more than a day old
    assert _request(national_code).issued


def test_past_the_cap_even_the_right_code_is_refused(pensioner_a):
    _request(pensioner_a.national_code)
    right = latest_code(pensioner_a.mobile)
    _failed_codes(pensioner_a.national_code, hours_ago=list(range(1, 21)))  # 100 wrong in the last day
    with pytest.raises(otp.LoginRefused) as refusal:
        otp.login_code_verify(national_code=pensioner_a.national_code, code=right)
    assert "۱۰۰ بار کد تایید نادرست" in refusal.value.message
    assert "۴ ساعت دیگر" in refusal.value.message  # the oldest failures were 20 hours ago
    assert LoginCode.objects.filter(used_at__isnull=False).count() == 0


def test_failures_older_than_a_day_do_not_count(pensioner_a):
    _failed_codes(pensioner_a.national_code, hours_ago=[25] * 30)  # 150 wrong, all more than a day ago
    _request(pensioner_a.national_code)
    assert (
        otp.login_code_verify(national_code=pensioner_a.national_code, code=latest_code(pensioner_a.mobile))
        == pensioner_a
    )


@override_settings(LOGIN_CODE_FAILURES_PER_DAY=7)
def test_the_cap_is_a_setting(pensioner_a):
    _failed_codes(pensioner_a.national_code, hours_ago=[3], attempts=7)
    with pytest.raises(otp.LoginRefused) as refusal:
        _request(pensioner_a.national_code)
    assert "۲۴ ساعت گذشته ۷ بار" in refusal.value.message
    reopens_at = LoginCode.objects.get().created_at + dt.timedelta(hours=24)
    assert f"تا ۲۱ ساعت دیگر بسته است؛ لطفاً از {jalali.format_datetime(reopens_at)} دوباره" in refusal.value.message
