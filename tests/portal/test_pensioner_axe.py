"""The pensioner's pages pass axe-core's WCAG 2.2 AA rules with no violation of any impact: the home page,
an announcement, the help page, the sign-in with its refusal and the code page, the four steps, the receipt and
«درخواست‌های من» at a phone's size, where pensioners use them, the public pages at a desktop's too, and the page
that tells pensioner C, an SSO colleague, why not."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page

from fixtures.demo import demo_world_ensure
from portal.models import Announcement
from tests.browser import AXE_IMPACTS_ALL, axe_violations
from tests.portal.conftest import latest_code, off_the_loop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 800}
CONTINUE = re.compile(r"ادامه$")  # «ادامه» or «تایید و ادامه», whichever a step's button reads


@pytest.fixture
def announcement(live_server) -> Announcement:
    demo_world_ensure()
    return Announcement.objects.create(
        title="آغاز ثبت‌نام بیمه تکمیلی",
        body="ثبت‌نام و انصراف از امروز در این سامانه انجام می‌شود.\n\nپیش از ورود، شماره همراه خود را بررسی کنید.",
        publish_from=timezone.now() - timezone.timedelta(days=1),
        is_published=True,
    )


def _scan(page: Page) -> list[str]:
    page.wait_for_load_state("networkidle")
    return axe_violations(page, impacts=AXE_IMPACTS_ALL)


def _sign_in(page: Page, url: str, national_code: str, mobile: str) -> list[str]:
    """The sign-in pages, scanned on the way: the form, its refusal of a bad check digit, the code page."""
    page.goto(f"{url}/login/")
    found = _scan(page)
    page.get_by_label("کد ملی").fill("0010000012")
    page.get_by_role("button", name="دریافت کد تایید").click()
    page.get_by_text("کد ملی معتبر نیست").wait_for()
    found += _scan(page)
    page.get_by_label("کد ملی").fill(national_code)
    page.get_by_role("button", name="دریافت کد تایید").click()
    page.wait_for_url("**/login/code/")
    found += _scan(page)
    page.get_by_label("کد تایید").fill(off_the_loop(lambda: latest_code(mobile)))
    page.get_by_role("button", name="ورود").click()
    page.wait_for_load_state()
    return found


def _report(found: list[str]) -> str:
    return f"{len(found)} violations\n" + "\n".join(dict.fromkeys(found))


def test_the_pensioner_walk_has_no_axe_violations(live_server, announcement, phone_page):
    page, url = phone_page, live_server.url
    found = []
    for path in ["/", announcement.get_absolute_url(), "/help/"]:
        page.goto(url + path)
        found += _scan(page)

    found += _sign_in(page, url, "0010000011", "09120000001")
    page.wait_for_url("**/enrollment/terms/")
    found += _scan(page)
    page.get_by_role("button", name="تایید و ادامه").click()
    page.wait_for_url("**/enrollment/my-data/")
    found += _scan(page)
    page.get_by_role("button", name="تایید و ادامه").click()
    page.wait_for_url("**/enrollment/people/")
    found += _scan(page)
    for person in ["محمد احمدی", "فاطمه احمدی"]:
        page.locator("tbody tr").filter(has_text=person).get_by_label("ثبت‌نام", exact=True).check()
    found += _scan(page)  # the new statuses shown beside the choices
    page.get_by_role("button", name=CONTINUE).click()
    page.wait_for_url("**/enrollment/review/")
    found += _scan(page)
    page.get_by_role("button", name="ثبت نهایی").click()
    page.wait_for_url("**/enrollment/done/**")
    found += _scan(page)
    page.goto(f"{url}/requests/")
    found += _scan(page)

    page.get_by_role("button", name="خروج").click()
    found += _sign_in(page, url, "0010000038", "09120000003")  # pensioner C, an SSO colleague
    page.wait_for_url("**/enrollment/")
    page.get_by_text("ویژه مستمری‌بگیران غیرهمکار").wait_for()
    found += _scan(page)
    assert found == [], _report(found)


def test_the_public_pages_at_a_desktops_size_have_no_axe_violations(live_server, announcement, chromium_browser):
    page = chromium_browser.new_context(viewport=DESKTOP, locale="fa-IR").new_page()
    found = []
    for path in ["/", announcement.get_absolute_url(), "/help/", "/login/"]:
        page.goto(live_server.url + path)
        found += _scan(page)
    page.context.close()
    assert found == [], _report(found)
