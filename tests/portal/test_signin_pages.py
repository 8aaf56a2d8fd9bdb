"""Signing in through the pages: labels, masked mobile, countdown, refusals, idle expiry, sign-out."""

import datetime as dt
import re
import time

import pytest
from django.db import connection
from django.test import Client, TestCase, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.text import to_persian_digits
from enrollment.sms.models import OutboxMessage
from portal.models import LoginCode
from portal.pensioner_session import PENSIONER_ID, SEEN_AT
from portal.views.signin import CODE_PAGE
from tests.portal.conftest import latest_code, sign_in

LOGIN = reverse("portal:login")
CODE = reverse("portal:login_code")
RESEND = reverse("portal:login_code_resend")
UNKNOWN = "0000000019"


def _text(response) -> str:
    return response.content.decode()


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def test_the_login_page_has_a_visible_label_and_says_what_happens(client, world):
    page = _text(client.get(LOGIN))
    assert '<label for="id_national_code">کد ملی</label>' in page
    assert "پیامک" in page


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("0010000012", "کد ملی معتبر نیست؛ لطفاً رقم‌ها را دوباره بررسی کنید."),
        ("12345", "کد ملی باید ۱۰ رقم باشد."),
        ("", "کد ملی خود را وارد کنید."),
    ],
)
def test_a_bad_national_code_is_refused_with_a_clear_message(client, world, typed, message):
    response = client.post(LOGIN, {"national_code": typed})
    assert response.status_code == 200
    assert message in _text(response)
    assert 'aria-invalid="true"' in _text(response)
    assert not LoginCode.objects.exists()


def test_a_national_code_in_persian_or_arabic_digits_works(client, pensioner_a):
    response = client.post(LOGIN, {"national_code": "۰۰۱۰۰٠٠٠١١"})
    assert response.status_code == 302 and response["Location"] == CODE
    assert OutboxMessage.objects.filter(mobile="09120000001", template="login_code").count() == 1


def test_the_code_page_shows_the_masked_mobile_the_validity_and_the_countdown(client, pensioner_a):
    client.post(LOGIN, {"national_code": pensioner_a.national_code})
    page = _text(client.get(CODE))
    assert "۰۹۱۲***۰۰۰۱" in page and "09120000001" not in page
    assert '<label for="id_code">کد تایید</label>' in page
    assert "اگر کد ملی در سامانه ثبت باشد، کد تایید به شماره همراه ثبت‌شده پیامک شد" in page
    assert re.search(r'data-countdown="(59|60)">(۵۹|۶۰)<', page)
    expires = timezone.localtime(LoginCode.objects.get(national_code=pensioner_a.national_code).expires_at)
    assert f"این کد تا ساعت {to_persian_digits(expires.strftime('%H:%M'))} معتبر است" in page  # Tehran's clock


def test_the_code_page_reads_nothing_and_a_session_that_did_not_keep_its_facts_reads_them(client, pensioner_a):
    client.post(LOGIN, {"national_code": pensioner_a.national_code})
    with CaptureQueriesContext(connection) as kept:
        page = _text(client.get(CODE))
    assert "۰۹۱۲***۰۰۰۱" in page and re.search(r'data-countdown="(59|60)"', page)
    assert [
        q for q in kept.captured_queries if "portal_logincode" in q["sql"] or "enrollment_pensioner" in q["sql"]
    ] == []
    session = client.session
    del session[CODE_PAGE]  # a session from before the page kept what it shows
    session.save()
    page = _text(client.get(CODE))
    assert "۰۹۱۲***۰۰۰۱" in page and re.search(r'data-countdown="(59|60)"', page) and "معتبر است" in page


def _normalized(page: str) -> str:
    """A page with what must differ between two visitors taken out: the token, the codes, the mobiles."""
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)
    page = re.sub(r"[۰-۹]{4}\*\*\*[۰-۹]{4}", "MOBILE", page)
    page = re.sub(r"[۰-۹]{10}", "NATIONAL_CODE", page)
    return re.sub(r"[۰-۹]{2}:[۰-۹]{2}", "TIME", page)


def test_an_unknown_national_code_gets_the_same_answer_as_a_known_one(client, pensioner_a):
    known = client.post(LOGIN, {"national_code": pensioner_a.national_code})
    known_page = _text(client.get(CODE))
    other = type(client)()
    unknown = other.post(LOGIN, {"national_code": UNKNOWN})
    unknown_page = _text(other.get(CODE))
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert _normalized(known_page) == _normalized(unknown_page)
    wrong_known = _text(client.post(CODE, {"code": "000000"}))
    wrong_unknown = _text(other.post(CODE, {"code": "000000"}))
    if latest_code(pensioner_a.mobile) != "000000":
        assert _normalized(wrong_known) == _normalized(wrong_unknown)


def _login_queries(national_code: str) -> list[str]:
    """The statements one POST of the national code runs, each cut to its verb (a write is a write),
    then what it hands over after the commit."""
    with CaptureQueriesContext(connection) as captured, TestCase.captureOnCommitCallbacks() as after_commit:
        response = Client().post(LOGIN, {"national_code": national_code})
    assert response.status_code == 302 and response["Location"] == CODE
    verbs = [query["sql"].split()[0] for query in captured.captured_queries]
    return ["WRITE" if verb in {"INSERT", "UPDATE"} else verb for verb in verbs] + ["ON COMMIT"] * len(after_commit)


def test_a_known_and_an_unknown_national_code_cost_the_same_queries(pensioner_a):
    first = (_login_queries(pensioner_a.national_code), _login_queries(UNKNOWN))
    again = (_login_queries(pensioner_a.national_code), _login_queries(UNKNOWN))  # inside the countdown
    assert first[0] == first[1] and again[0] == again[1]
    assert first[0].count("WRITE") == 3  # the code, the SMS or its stand-in, the session
    assert first[0].count("ON COMMIT") == 1  # the send task, or for nobody one that sends nothing
    assert len(again[0]) < len(first[0])
    assert OutboxMessage.objects.filter(template="login_code").count() == 1
    assert LoginCode.objects.filter(national_code=UNKNOWN).count() == 1


def test_a_known_and_an_unknown_national_code_cost_the_same_queries_when_refused(pensioner_a):
    for national_code in (pensioner_a.national_code, UNKNOWN):
        for _ in range(3):
            Client().post(LOGIN, {"national_code": national_code})
            _age_all(61)
    with CaptureQueriesContext(connection) as known:
        refused = Client().post(LOGIN, {"national_code": pensioner_a.national_code})
    with CaptureQueriesContext(connection) as unknown:
        Client().post(LOGIN, {"national_code": UNKNOWN})
    assert "۳ بار کد تایید فرستاده شده است" in _text(refused)
    assert len(known) == len(unknown)


def test_past_the_days_cap_of_wrong_codes_the_page_says_when_to_come_back(client, pensioner_a):
    client.post(LOGIN, {"national_code": pensioner_a.national_code})
    right = latest_code(pensioner_a.mobile)
    LoginCode.objects.update(attempts=4)
    with override_settings(LOGIN_CODE_FAILURES_PER_DAY=5):
        response = client.post(CODE, {"code": _wrong(right)})
        assert "در ۲۴ ساعت گذشته ۵ بار کد تایید نادرست وارد شده است" in _text(response)
        assert "۲۴ ساعت دیگر" in _text(response)
        response = client.post(CODE, {"code": right})
        assert "۵ بار کد تایید نادرست" in _text(response) and PENSIONER_ID not in client.session
        _age_all(61)
        response = client.post(RESEND, follow=True)
        assert "۵ بار کد تایید نادرست" in _text(response)
    assert LoginCode.objects.count() == 1


def test_the_right_code_in_persian_digits_signs_in(client, pensioner_a):
    client.post(LOGIN, {"national_code": pensioner_a.national_code})
    persian = latest_code(pensioner_a.mobile).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    response = client.post(CODE, {"code": persian})
    assert response.status_code == 302 and response["Location"] == reverse("portal:wizard")
    assert client.session[PENSIONER_ID] == pensioner_a.pk


def test_a_wrong_code_is_refused_on_the_page(client, pensioner_a):
    client.post(LOGIN, {"national_code": pensioner_a.national_code})
    response = client.post(CODE, {"code": _wrong(latest_code(pensioner_a.mobile))})
    assert response.status_code == 200
    assert "کد تایید درست نیست. ۴ بار دیگر می‌توانید تلاش کنید." in _text(response)
    assert PENSIONER_ID not in client.session


def test_an_expired_code_is_refused_on_the_page(client, pensioner_a):
    client.post(LOGIN, {"national_code": pensioner_a.national_code})
    LoginCode.objects.update(expires_at=LoginCode.objects.get().created_at - dt.timedelta(seconds=1))
    response = client.post(CODE, {"code": latest_code(pensioner_a.mobile)})
    assert "تمام شده است" in _text(response) and PENSIONER_ID not in client.session


def test_too_many_tries_void_the_code_on_the_page(client, pensioner_a):
    client.post(LOGIN, {"national_code": pensioner_a.national_code})
    right = latest_code(pensioner_a.mobile)
    for _ in range(5):
        client.post(CODE, {"code": _wrong(right)})
    response = client.post(CODE, {"code": right})
    assert "پس از ۵ بار ورود نادرست باطل شد" in _text(response)
    assert PENSIONER_ID not in client.session


def test_a_fourth_code_in_fifteen_minutes_is_refused_on_the_page(client, pensioner_a):
    for _ in range(3):
        client.post(LOGIN, {"national_code": pensioner_a.national_code})
        _age_all(61)
    response = client.post(LOGIN, {"national_code": pensioner_a.national_code})
    assert response.status_code == 200
    assert "۱۵ دقیقه گذشته ۳ بار کد تایید فرستاده شده است" in _text(response)
    assert OutboxMessage.objects.filter(template="login_code").count() == 3


def _age_all(seconds: int) -> None:
    for login_code in LoginCode.objects.all():
        login_code.created_at -= dt.timedelta(seconds=seconds)
        login_code.save(update_fields=["created_at"])


@override_settings(LOGIN_CODES_PER_IP=2)
def test_the_per_address_limit_refuses_on_the_page(client, world):
    for national_code in ["0010000011", "0010000021"]:
        assert client.post(LOGIN, {"national_code": national_code}, REMOTE_ADDR="192.0.2.5").status_code == 302
    response = client.post(LOGIN, {"national_code": "0010000038"}, REMOTE_ADDR="192.0.2.5")
    assert response.status_code == 200 and "درخواست‌های زیادی" in _text(response)
    assert client.post(LOGIN, {"national_code": "0010000038"}, REMOTE_ADDR="192.0.2.6").status_code == 302


@override_settings(LOGIN_CODES_PER_IP=1, CLIENT_IP_HEADER="HTTP_X_FORWARDED_FOR")
def test_behind_the_proxy_the_address_it_saw_is_the_one_limited(client, world):
    proxy_says = {"HTTP_X_FORWARDED_FOR": "10.0.0.1, 192.0.2.9"}
    assert client.post(LOGIN, {"national_code": "0010000011"}, **proxy_says).status_code == 302
    refused = client.post(LOGIN, {"national_code": "0010000021"}, HTTP_X_FORWARDED_FOR="10.0.0.2, 192.0.2.9")
    assert "درخواست‌های زیادی" in _text(refused)


def test_resend_waits_for_the_countdown_then_sends_a_new_code(client, pensioner_a):
    client.post(LOGIN, {"national_code": pensioner_a.national_code})
    early = client.post(RESEND, follow=True)
    assert "کد قبلی هنوز معتبر است" in _text(early)
    assert OutboxMessage.objects.filter(template="login_code").count() == 1
    _age_all(61)
    later = client.post(RESEND, follow=True)
    assert "کد تایید به شماره همراه ثبت‌شده پیامک شد" in _text(later)
    assert OutboxMessage.objects.filter(template="login_code").count() == 2


def test_the_code_page_without_a_national_code_goes_back_to_the_start(client, world):
    assert client.get(CODE)["Location"] == LOGIN
    assert client.post(RESEND)["Location"] == LOGIN


def test_after_sign_in_the_page_first_asked_for_opens(client, pensioner_a):
    requests_page = reverse("portal:requests")
    response = client.get(requests_page)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    client.get(response["Location"])
    client.post(LOGIN, {"national_code": pensioner_a.national_code})
    response = client.post(CODE, {"code": latest_code(pensioner_a.mobile)})
    assert response["Location"] == requests_page


def test_a_next_page_on_another_host_is_ignored(client, pensioner_a):
    client.get(LOGIN, {"next": "https://evil.example/"})
    client.post(LOGIN, {"national_code": pensioner_a.national_code})
    response = client.post(CODE, {"code": latest_code(pensioner_a.mobile)})
    assert response["Location"] == reverse("portal:wizard")


def test_a_new_session_id_is_issued_at_sign_in(client, pensioner_a):
    client.get(LOGIN, {"next": "/requests/"})
    before = client.session.session_key
    sign_in(client, pensioner_a)
    assert client.session.session_key != before


@override_settings(PENSIONER_SESSION_IDLE_SECONDS=15 * 60)
def test_the_session_ends_after_fifteen_idle_minutes(client, pensioner_a):
    sign_in(client, pensioner_a)
    assert client.get(reverse("portal:requests")).status_code == 200
    session = client.session
    session[SEEN_AT] = int(time.time()) - 15 * 60 - 1
    session.save()
    response = client.get(reverse("portal:requests"))
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert "چون مدتی کاری انجام نشد" in _text(client.get(LOGIN))
    assert PENSIONER_ID not in client.session


def test_activity_keeps_the_session_alive_and_the_cookie_carries_the_idle_limit(client, pensioner_a):
    sign_in(client, pensioner_a)
    session = client.session
    session[SEEN_AT] = int(time.time()) - 10 * 60
    session.save()
    response = client.get(reverse("portal:requests"))
    assert response.status_code == 200
    assert client.session[SEEN_AT] >= int(time.time()) - 5
    assert client.session.get_expiry_age() == 15 * 60


def test_sign_out_forgets_the_pensioner(client, pensioner_a):
    sign_in(client, pensioner_a)
    response = client.post(reverse("portal:logout"), follow=True)
    assert "از سامانه خارج شدید" in _text(response)
    assert PENSIONER_ID not in client.session
    assert client.get(reverse("portal:requests")).status_code == 302


def test_a_pensioner_who_filed_a_request_lands_on_my_requests(client, pensioner_a):
    from tests.enrollment.conftest import file_request

    file_request(pensioner_a)
    client.post(reverse("portal:login"), {"national_code": pensioner_a.national_code})
    response = client.post(reverse("portal:login_code"), {"code": latest_code(pensioner_a.mobile)})
    assert response.url == reverse("portal:requests")


def test_a_pensioner_with_nothing_filed_lands_on_the_wizard(client, pensioner_a):
    client.post(reverse("portal:login"), {"national_code": pensioner_a.national_code})
    response = client.post(reverse("portal:login_code"), {"code": latest_code(pensioner_a.mobile)})
    assert response.url == reverse("portal:wizard")
