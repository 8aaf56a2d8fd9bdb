"""Guessing staff passwords at the admin's real login form: django-axes locks a username after 5 failures
from anywhere and an address after 20 over any usernames, for 30 minutes, with a Persian page."""

import datetime as dt

from axes.backends import AxesStandaloneBackend
from axes.models import AccessAttempt
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.utils.module_loading import import_string

LOGIN = "/admin/login/"
WRONG = "not-the-password"
LOCKED_TEXT = "موقتاً بسته شده است"


def _try(client: Client, username: str, password: str = WRONG, ip: str = "10.0.0.1", **headers):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip, **headers)


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_the_configured_limits():
    assert settings.AXES_LOCKOUT_PARAMETERS == ["username", "ip_address"]
    assert settings.STAFF_LOGIN_FAILURES_PER_USERNAME == 5
    assert settings.STAFF_LOGIN_FAILURES_PER_ADDRESS == 20
    assert settings.AXES_COOLOFF_TIME == 0.5
    assert issubclass(import_string(settings.AUTHENTICATION_BACKENDS[0]), AxesStandaloneBackend)
    assert settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"


def test_a_wrong_password_says_so_and_counts(client, world):
    response = _try(client, "kanoon_tehran")
    assert response.status_code == 200
    assert AccessAttempt.objects.get(username="kanoon_tehran").failures_since_start == 1


def test_five_failures_from_five_addresses_lock_the_username(client, world):
    for n in range(4):
        assert _try(client, "kanoon_tehran", ip=f"10.0.1.{n}").status_code == 200
    response = _try(client, "kanoon_tehran", ip="10.0.1.4")
    assert response.status_code == 429
    assert LOCKED_TEXT in response.content.decode()
    assert "۳۰ دقیقه" in response.content.decode()

    # Even the right password, from a fresh address, is refused while the lock holds.
    response = _try(client, "kanoon_tehran", settings.DEMO_PASSWORD, ip="10.0.1.99")
    assert response.status_code == 429
    assert not _signed_in(client)
    # Another user is not affected.
    assert _try(client, "kanoon_karaj", settings.DEMO_PASSWORD, ip="10.0.1.99").status_code == 302


def test_four_failures_then_the_right_password_signs_in(client, world):
    for _ in range(4):
        _try(client, "kanoon_tehran")
    assert _try(client, "kanoon_tehran", settings.DEMO_PASSWORD).status_code == 302
    assert _signed_in(client)


def test_twenty_failures_over_many_usernames_lock_the_address(client, world):
    for n in range(19):
        assert _try(client, f"guess{n}", ip="10.0.2.1").status_code == 200
    assert _try(client, "guess19", ip="10.0.2.1").status_code == 429

    response = _try(client, "branch_tehran", settings.DEMO_PASSWORD, ip="10.0.2.1")
    assert response.status_code == 429
    assert not _signed_in(client)
    # The same person from another address still signs in: only the address is locked.
    assert _try(client, "branch_tehran", settings.DEMO_PASSWORD, ip="10.0.2.2").status_code == 302


def test_the_lock_lifts_after_the_cool_off(client, world):
    for _ in range(5):
        _try(client, "manager")
    assert _try(client, "manager", settings.DEMO_PASSWORD).status_code == 429

    AccessAttempt.objects.update(attempt_time=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=31))

    assert _try(client, "manager", settings.DEMO_PASSWORD).status_code == 302
    assert _signed_in(client)


def test_tries_during_the_lock_do_not_extend_it(client, world):
    for _ in range(5):
        _try(client, "manager")
    started = AccessAttempt.objects.get(username="manager").attempt_time
    _try(client, "manager")
    _try(client, "manager", settings.DEMO_PASSWORD)
    attempt = AccessAttempt.objects.get(username="manager")
    assert attempt.attempt_time == started
    assert attempt.failures_since_start == 5


def test_axes_reset_username_unlocks(client, world):
    for _ in range(5):
        _try(client, "manager")
    assert _try(client, "manager", settings.DEMO_PASSWORD).status_code == 429

    call_command("axes_reset_username", "manager")

    assert _try(client, "manager", settings.DEMO_PASSWORD).status_code == 302


def test_axes_counts_the_address_the_project_reads_behind_the_proxy(client, world, settings):
    """Behind the proxy every request arrives from the proxy; the lock follows CLIENT_IP_HEADER's address."""
    settings.CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    proxy = "172.16.0.1"
    for n in range(20):
        _try(client, f"guess{n}", ip=proxy, HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.7"}

    locked = _try(client, "auditor", settings.DEMO_PASSWORD, ip=proxy, HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert locked.status_code == 429
    # A colleague behind the same proxy, from another client address, signs in.
    other = _try(client, "auditor", settings.DEMO_PASSWORD, ip=proxy, HTTP_X_FORWARDED_FOR="spoofed, 203.0.113.8")
    assert other.status_code == 302


def test_a_forwarded_address_that_is_no_address_is_counted_without_failing(client, world, settings):
    """PostgreSQL keeps addresses in an address column: garbage from a proxy must not break the login."""
    settings.CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    response = _try(client, "auditor", HTTP_X_FORWARDED_FOR="not-an-address")
    assert response.status_code == 200
    assert AccessAttempt.objects.get(username="auditor").ip_address is None
    assert _try(client, "auditor", settings.DEMO_PASSWORD, HTTP_X_FORWARDED_FOR="not-an-address").status_code == 302
