"""Staff sessions end after 30 minutes idle and 12 hours in all; the admin login then says why."""

import time

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client

from enrollment.staff.sessions import LOGIN_AT, SEEN_AT
from portal.pensioner_session import PENSIONER_ID
from tests.portal.conftest import sign_in

ADMIN = "/admin/"
CARTABLE = "/admin/enrollment/pensioner/"


def _password_login(client: Client, username: str = "kanoon_tehran") -> Client:
    response = client.post("/admin/login/", {"username": username, "password": settings.DEMO_PASSWORD})
    assert response.status_code == 302, response.content.decode()
    return client


def _shift(client: Client, **seconds_ago: int) -> None:
    """Moves the session's staff timestamps into the past: `login_at=..., seen_at=...` seconds ago."""
    session = client.session
    now = int(time.time())
    for name, key in (("login_at", LOGIN_AT), ("seen_at", SEEN_AT)):
        if name in seconds_ago:
            session[key] = now - seconds_ago[name]
    session.save()


def test_the_settings_are_thirty_minutes_idle_and_twelve_hours_in_all():
    assert settings.STAFF_SESSION_IDLE_SECONDS == 1800
    assert settings.STAFF_SESSION_MAX_SECONDS == 43200


def test_the_login_form_records_login_and_last_activity(client, world):
    before = int(time.time())
    _password_login(client)
    assert client.session[LOGIN_AT] >= before
    assert client.session[SEEN_AT] >= before
    assert client.get(CARTABLE).status_code == 200


def test_an_active_session_within_both_limits_stays(client, world):
    _password_login(client)
    _shift(client, login_at=11 * 3600, seen_at=29 * 60)
    assert client.get(CARTABLE).status_code == 200
    assert int(time.time()) - client.session[SEEN_AT] < 5  # the visit counted as activity


def test_thirty_minutes_idle_ends_the_session_with_a_persian_message(client, world):
    _password_login(client)
    _shift(client, seen_at=30 * 60 + 1)

    response = client.get(CARTABLE)

    assert response.status_code == 302
    assert response.url.startswith("/admin/login/?next=")
    assert "_auth_user_id" not in client.session
    login_page = client.get(response.url)
    assert "پس از ۳۰ دقیقه بی‌کاری از کارتابل خارج شدید" in login_page.content.decode()
    assert client.get(CARTABLE).status_code == 302  # still signed out


def test_twelve_hours_end_the_session_even_when_active(client, world):
    _password_login(client)
    _shift(client, login_at=12 * 3600 + 1, seen_at=10)

    response = client.get(CARTABLE)

    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    login_page = client.get(response.url)
    assert "حداکثر ۱۲ ساعت اعتبار دارد" in login_page.content.decode()


def test_a_new_password_login_starts_both_limits_again(client, world):
    _password_login(client)
    _shift(client, login_at=12 * 3600 + 1, seen_at=30 * 60 + 1)
    assert client.get(CARTABLE).status_code == 302
    _password_login(client)
    assert client.get(CARTABLE).status_code == 200


def test_a_session_logged_in_without_timestamps_gets_them_on_its_first_visit(client, world):
    client.force_login(User.objects.get(username="kanoon_tehran"))
    assert client.get(CARTABLE).status_code == 200
    assert LOGIN_AT in client.session and SEEN_AT in client.session
    _shift(client, seen_at=30 * 60 + 1)
    assert client.get(CARTABLE).status_code == 302


def test_ending_a_staff_session_keeps_a_pensioner_signed_in_in_the_same_browser(client, pensioner_a):
    sign_in(client, pensioner_a)
    client.force_login(User.objects.get(username="kanoon_tehran"))
    client.get(CARTABLE)
    _shift(client, seen_at=30 * 60 + 1)

    assert client.get(CARTABLE).status_code == 302

    assert client.session[PENSIONER_ID] == pensioner_a.pk
    assert client.get("/requests/").status_code == 200


@pytest.mark.parametrize("path", ["/", "/requests/"])
def test_pensioner_pages_keep_their_own_idle_limit(client, pensioner_a, path):
    """Nothing of the staff limits touches a pensioner-only session, whose 15 minutes still hold."""
    sign_in(client, pensioner_a)
    assert client.get(path).status_code == 200
    assert LOGIN_AT not in client.session
    session = client.session
    session["portal.pensioner_seen_at"] = int(time.time()) - settings.PENSIONER_SESSION_IDLE_SECONDS - 1
    session.save()
    assert client.get("/requests/").status_code == 302


def test_an_ended_staff_session_on_a_public_page_serves_it_signed_out(client, world):
    _password_login(client)
    _shift(client, seen_at=30 * 60 + 1)

    response = client.get("/")

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
