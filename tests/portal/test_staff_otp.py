"""The second factor of staff who can act (Kanoon, branch, managers, superusers): required in production,
enrolled by QR code with recovery codes, verified after the password on Persian pages, reset by command."""

import datetime as dt
import logging
import re
import time
from base64 import b32encode
from binascii import unhexlify

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.text import to_persian_digits
from enrollment.staff.views import PENDING_KEY
from tests.config.test_settings import PRODUCTION_ENV, _manage

LOGIN = "/admin/login/"
ADMIN = "/admin/"
PENSIONERS = "/admin/enrollment/pensioner/"
ENROL = "/admin/staff/enrol/"
VERIFY = "/admin/staff/verify/"
RECOVERY = "/admin/staff/recovery-codes/"
DEMO_PASSWORD = "demo-pass-1405"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)


@pytest.fixture
def otp_on(settings, world):
    """The production rule: STAFF_OTP_REQUIRED is on (production.py sets it; test.py leaves it off)."""
    settings.STAFF_OTP_REQUIRED = True


def _login(client: Client, username: str):
    response = client.post(LOGIN, {"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302, response.content.decode()
    return response


def _code(key: str, *, steps_ahead: int = 0) -> str:
    totp = TOTP(unhexlify(key))
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


def _enrol(client: Client, username: str) -> list[str]:
    """Password, QR page, first code: returns the recovery codes as shown (Persian digits, one space)."""
    _login(client, username)
    client.get(ENROL)
    response = client.post(ENROL, {"code": _code(client.session[PENDING_KEY]), "next": ADMIN}, follow=True)
    return re.findall(r"<code dir=\"ltr\">([۰-۹ ]+)</code>", response.content.decode())


def _next_code(username: str) -> str:
    """The app's next code: the one of the enrolment's time step is used up."""
    return _code(TOTPDevice.objects.get(user__username=username).key, steps_ahead=1)


def _latin(shown: str) -> str:
    return shown.translate(str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")).replace(" ", "")


# --- Which settings require it ----------------------------------------------------------------------


def test_production_settings_require_the_second_factor():
    code = "from django.conf import settings; print(settings.STAFF_OTP_REQUIRED)"
    result = _manage("shell", "--no-imports", "-c", code, env=PRODUCTION_ENV)
    assert result.stdout.strip() == "True", result.stderr


@pytest.mark.parametrize(("debug", "required"), [("true", "False"), ("false", "True")])
def test_the_demo_is_exempt_only_while_debug_is_on(debug, required):
    code = "from django.conf import settings; print(settings.STAFF_OTP_REQUIRED)"
    env = {"DJANGO_SETTINGS_MODULE": "config.settings.base", "DJANGO_DEBUG": debug}
    result = _manage("shell", "--no-imports", "-c", code, env=env)
    assert result.stdout.strip() == required, result.stderr


def test_with_the_setting_off_a_password_opens_the_admin(client, world):
    assert _login(client, "kanoon_tehran").url == ADMIN
    assert client.get(PENSIONERS).status_code == 200


# --- Who must use it -------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["kanoon_tehran", "branch_tehran", "manager", "manager_alborz"])
def test_staff_who_can_act_are_sent_from_the_password_to_enrolment(client, otp_on, username):
    response = _login(client, username)
    assert response.url.startswith(ENROL)

    assert client.get(PENSIONERS).status_code == 302
    assert client.get(ADMIN).status_code == 302
    assert client.get("/admin/reports/monthly-deductions/").status_code == 302
    assert client.get(LOGIN).url.startswith(ENROL)


def test_a_superuser_must_use_it_too(client, otp_on):
    User.objects.create_superuser("root", "root@example.ir", DEMO_PASSWORD)
    assert _login(client, "root").url.startswith(ENROL)
    assert client.get(PENSIONERS).status_code == 302


@pytest.mark.parametrize("username", ["auditor", "pr_staff"])
def test_auditors_and_public_relations_need_not(client, otp_on, username):
    assert _login(client, username).url == ADMIN
    assert client.get(ADMIN).status_code == 200


def test_an_auditor_who_enrolled_is_asked_for_it(client, otp_on):
    _enrol(client, "auditor")
    other = Client()
    assert _login(other, "auditor").url.startswith(VERIFY)


# --- Enrolment -------------------------------------------------------------------------------------


def test_the_enrolment_page_shows_a_qr_code_and_the_key_in_persian_with_no_inline_script(client, otp_on):
    _login(client, "kanoon_tehran")
    response = client.get(ENROL)
    html = response.content.decode()

    assert response.status_code == 200
    assert "<svg" in html and "<path" in html
    assert "فعال‌سازی رمز دوم" in html
    secret = b32encode(unhexlify(client.session[PENDING_KEY])).decode()
    assert secret in html.replace(" ", "")  # the key to type by hand, in groups of four
    assert not INLINE_SCRIPT.search(html)
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    assert not TOTPDevice.objects.exists()  # nothing is stored before a code confirms the key


def test_a_wrong_first_code_is_refused_in_persian(client, otp_on):
    _login(client, "kanoon_tehran")
    client.get(ENROL)
    response = client.post(ENROL, {"code": "000000" if _code(client.session[PENDING_KEY]) != "000000" else "111111"})
    assert "کد درست نیست" in response.content.decode()
    assert not TOTPDevice.objects.exists()


def test_enrolment_opens_the_admin_and_shows_ten_recovery_codes_once(client, otp_on):
    codes = _enrol(client, "kanoon_tehran")

    assert len(codes) == 10
    assert all(len(_latin(code)) == 10 for code in codes)
    device = TOTPDevice.objects.get(user__username="kanoon_tehran")
    assert device.confirmed
    stored = set(StaticToken.objects.filter(device__user=device.user).values_list("token", flat=True))
    assert len(stored) == 10
    assert not stored & {_latin(code) for code in codes}  # kept only as keyed hashes
    assert client.get(PENSIONERS).status_code == 200

    again = client.get(RECOVERY).content.decode()
    assert "<code" not in again
    assert f"کدهای بازیابی باقی‌مانده: {to_persian_digits(10)}" in again


def test_the_first_code_typed_in_persian_digits_is_accepted(client, otp_on):
    _login(client, "branch_tehran")
    client.get(ENROL)
    response = client.post(ENROL, {"code": to_persian_digits(_code(client.session[PENDING_KEY]))})
    assert response.status_code == 302
    assert TOTPDevice.objects.filter(user__username="branch_tehran", confirmed=True).exists()


def test_enrolment_needs_the_password_typed_in_this_session(client, otp_on):
    client.force_login(User.objects.get(username="kanoon_tehran"))
    response = client.get(ENROL)
    assert response.status_code == 302
    assert response.url.startswith(LOGIN)
    assert "_auth_user_id" not in client.session
    assert not TOTPDevice.objects.exists()


def test_a_password_alone_cannot_add_a_second_device(client, otp_on):
    _enrol(client, "kanoon_tehran")
    thief = Client()
    _login(thief, "kanoon_tehran")

    response = thief.get(ENROL)

    assert response.url.startswith(VERIFY)
    assert PENDING_KEY not in thief.session
    assert TOTPDevice.objects.filter(user__username="kanoon_tehran").count() == 1
    assert thief.get(PENSIONERS).status_code == 302


# --- Verification at each sign-in ---------------------------------------------------------------


def test_a_later_sign_in_asks_for_the_code_and_then_opens_the_admin(client, otp_on):
    _enrol(client, "kanoon_tehran")
    later = Client()
    response = _login(later, "kanoon_tehran")
    assert response.url.startswith(VERIFY)
    page = later.get(response.url).content.decode()
    assert "تأیید ورود با رمز دوم" in page
    assert not INLINE_SCRIPT.search(page)

    response = later.post(VERIFY, {"code": _next_code("kanoon_tehran"), "next": PENSIONERS})

    assert response.status_code == 302 and response.url == PENSIONERS
    assert later.get(PENSIONERS).status_code == 200


def test_a_wrong_code_keeps_the_admin_closed_and_throttles_the_next_try(client, otp_on):
    _enrol(client, "kanoon_tehran")
    later = Client()
    _login(later, "kanoon_tehran")
    right = _next_code("kanoon_tehran")
    wrong = "123456" if right != "123456" else "654321"

    assert "کد درست نیست" in later.post(VERIFY, {"code": wrong}).content.decode()
    # Right after a failure even the right code waits (django-otp doubles the wait after each failure).
    assert "کد درست نیست" in later.post(VERIFY, {"code": right}).content.decode()
    assert later.get(PENSIONERS).status_code == 302

    TOTPDevice.objects.update(throttling_failure_timestamp=timezone.now() - dt.timedelta(seconds=5))
    assert later.post(VERIFY, {"code": right}).status_code == 302
    assert later.get(PENSIONERS).status_code == 200


def test_a_code_cannot_be_used_twice(client, otp_on):
    _enrol(client, "kanoon_tehran")
    code = _next_code("kanoon_tehran")
    first, second = Client(), Client()
    _login(first, "kanoon_tehran")
    _login(second, "kanoon_tehran")
    assert first.post(VERIFY, {"code": code}).status_code == 302
    assert "کد درست نیست" in second.post(VERIFY, {"code": code}).content.decode()


def test_a_recovery_code_works_once_typed_any_way(client, otp_on):
    codes = _enrol(client, "kanoon_tehran")
    first, second = Client(), Client()
    _login(first, "kanoon_tehran")
    _login(second, "kanoon_tehran")

    assert first.post(VERIFY, {"code": codes[0]}).status_code == 302  # Persian digits with a space
    assert first.get(PENSIONERS).status_code == 200
    assert "کد درست نیست" in second.post(VERIFY, {"code": _latin(codes[0])}).content.decode()
    assert StaticToken.objects.filter(device__user__username="kanoon_tehran").count() == 9


def test_renewing_recovery_codes_voids_the_old_ones(client, otp_on):
    old = _enrol(client, "kanoon_tehran")
    page = client.post(RECOVERY, {"next": ADMIN}).content.decode()
    new = re.findall(r"<code dir=\"ltr\">([۰-۹ ]+)</code>", page)
    assert len(new) == 10 and not set(new) & set(old)

    later = Client()
    _login(later, "kanoon_tehran")
    assert "کد درست نیست" in later.post(VERIFY, {"code": old[1]}).content.decode()
    StaticDevice.objects.update(throttling_failure_timestamp=None, throttling_failure_count=0)
    assert later.post(VERIFY, {"code": new[1]}).status_code == 302


def test_recovery_codes_cannot_be_renewed_before_verifying(client, otp_on):
    _enrol(client, "kanoon_tehran")
    tokens = set(StaticToken.objects.values_list("token", flat=True))
    later = Client()
    _login(later, "kanoon_tehran")
    assert later.post(RECOVERY).url.startswith(VERIFY)
    assert set(StaticToken.objects.values_list("token", flat=True)) == tokens


def test_signing_out_from_the_verify_page(client, otp_on):
    _enrol(client, "kanoon_tehran")
    later = Client()
    _login(later, "kanoon_tehran")
    response = later.post("/admin/staff/signout/")
    assert response.url == LOGIN
    assert "_auth_user_id" not in later.session


# --- A lost phone -----------------------------------------------------------------------------------


def test_staff_otp_reset_removes_the_devices_logs_it_and_the_next_sign_in_enrols(client, otp_on, caplog):
    _enrol(client, "kanoon_tehran")

    with caplog.at_level(logging.WARNING, logger="enrollment.staff.otp"):
        call_command("staff_otp_reset", "kanoon_tehran")

    assert not TOTPDevice.objects.filter(user__username="kanoon_tehran").exists()
    assert not StaticDevice.objects.filter(user__username="kanoon_tehran").exists()
    assert any("reset: user=kanoon_tehran devices=2" in record.getMessage() for record in caplog.records)
    assert _login(Client(), "kanoon_tehran").url.startswith(ENROL)


def test_staff_otp_reset_refuses_an_unknown_username(world):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("staff_otp_reset", "nobody")
