"""Personas of the demo world for the public pages, signing in through the real SMS code, and a phone-sized browser."""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from enrollment.models import Pensioner
from enrollment.sms.selectors import login_code_for_demo

PHONE = {"width": 390, "height": 844}


def latest_code(mobile: str) -> str:
    """The login code of the newest SMS to `mobile`, as the pensioner reads it on the phone."""
    return login_code_for_demo(mobile)


def sign_in(client: Client, pensioner: Pensioner) -> None:
    response = client.post(reverse("portal:login"), {"national_code": pensioner.national_code})
    assert response.status_code == 302, response.content.decode()
    response = client.post(reverse("portal:login_code"), {"code": latest_code(pensioner.mobile)})
    assert response.status_code == 302, response.content.decode()


@pytest.fixture
def client_a(client, pensioner_a) -> Client:
    sign_in(client, pensioner_a)
    return client


def off_the_loop(query: Callable):
    """Runs an ORM call while a Playwright page is open: in a thread of its own, whose connection is
    closed after. (The sync Playwright API runs an event loop in the test's thread, where Django
    refuses ORM calls; allowing them there would leave a connection open past the test database.)"""

    def run():
        try:
            return query()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


@pytest.fixture
def phone_page(live_server, chromium_browser):
    """A headless Chromium page at a phone's size. List it after the fixtures that write data."""
    context = chromium_browser.new_context(viewport=PHONE, device_scale_factor=2, locale="fa-IR", is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
