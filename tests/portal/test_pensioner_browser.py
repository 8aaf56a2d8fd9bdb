"""The pensioner's walk in a real browser at a phone's size (390×844), as the issue's "Done means" asks:
pensioner A from the home page through the SMS login, the four steps with a back-edit, submission, the
receipt and «درخواست‌های من»; pensioner C to the ineligibility message. Screenshots of each step go to
test-artifacts/pensioner/."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from enrollment.models import EnrollmentRequest, RequestStatus
from fixtures.demo import demo_world_ensure
from tests.portal.conftest import latest_code, off_the_loop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "pensioner"
PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def _shot(page, name: str) -> None:
    """Saves the page, after checking what a person reads there has only Persian digits (list numbers too)."""
    text = page.inner_text("body")
    assert not re.search(r"[0-9]", text), (name, re.findall(r".{0,20}[0-9].{0,20}", text)[:3])
    markers = page.evaluate("[...document.querySelectorAll('ol')].map(o => getComputedStyle(o).listStyleType)")
    assert set(markers) <= {"persian", "none"}, (name, markers)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _sign_in(page, national_code: str, mobile: str) -> None:
    page.get_by_label("کد ملی").fill(national_code.translate(PERSIAN))  # typed with Persian digits
    page.get_by_role("button", name="دریافت کد تایید").click()
    page.wait_for_url("**/login/code/")  # the SMS row is written by then
    code = off_the_loop(lambda: latest_code(mobile))
    page.get_by_label("کد تایید").fill(code.translate(PERSIAN))


def _choose(page, person: str, operation: str) -> None:
    page.locator("tbody tr").filter(has_text=person).get_by_label(operation, exact=True).check()


def _row(page, person: str):
    return page.locator("tbody tr").filter(has_text=person)


def _no_horizontal_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


@pytest.fixture
def demo(live_server):
    return demo_world_ensure()


def test_pensioner_a_enrolls_the_family_and_c_is_told_why_not(live_server, demo, phone_page):
    page = phone_page
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    expect(page.get_by_text("مستمری‌بگیران - بیمه تکمیلی درمان و عمر مستمری‌بگیران و افراد تبعی")).to_be_visible()
    font_size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert font_size >= 18
    _shot(page, "01-home")

    page.get_by_role("link", name="ورود و ثبت درخواست").click()
    page.wait_for_url("**/login/**")
    _shot(page, "02-login-national-code")
    page.get_by_label("کد ملی").fill("۰۰۱۰۰۰۰۰۱۲")
    page.get_by_role("button", name="دریافت کد تایید").click()
    expect(page.get_by_text("کد ملی معتبر نیست")).to_be_visible()
    _shot(page, "03-login-check-digit-refused")

    _sign_in(page, "0010000011", "09120000001")
    expect(page.get_by_text("۰۹۱۲***۰۰۰۱")).to_be_visible()
    expect(page.locator("[data-countdown]")).to_be_visible()
    expect(page.get_by_role("button", name="ارسال دوباره کد")).to_be_disabled()  # the countdown is running
    _shot(page, "04-login-code")
    page.get_by_role("button", name="ورود").click()

    page.wait_for_url("**/enrollment/terms/")
    expect(page.get_by_text("مرحله ۱ از ۴")).to_be_visible()
    _shot(page, "05-step1-terms")
    page.get_by_role("button", name="تایید و ادامه").click()

    page.wait_for_url("**/enrollment/my-data/")
    expect(page.get_by_text("۰۰۱۰۰۰۰۰۱۱")).to_be_visible()
    _shot(page, "06-step2-my-data")
    page.get_by_role("button", name="تایید و ادامه").click()

    page.wait_for_url("**/enrollment/people/")
    expect(page.get_by_text("تاریخ خاتمه کفالت آنها گذشته است")).to_be_visible()
    expect(page.locator("tbody tr")).to_have_count(3)  # Maryam's guardianship has ended
    _no_horizontal_scroll(page)
    _shot(page, "07-step3-people")
    for person in ["محمد احمدی", "فاطمه احمدی", "علی احمدی"]:
        _choose(page, person, "ثبت‌نام")
    expect(_row(page, "علی احمدی").locator(".after-enroll")).to_be_visible()  # the new status follows the choice
    _shot(page, "08-step3-chosen")
    page.get_by_role("button", name="ادامه").click()

    page.wait_for_url("**/enrollment/review/")
    expect(page.get_by_text("۲۴٬۰۰۰٬۰۰۰ ریال افزایش")).to_be_visible()
    _no_horizontal_scroll(page)
    _shot(page, "09-step4-review")

    page.get_by_role("link", name="بازگشت").click()  # back to step 3: the choices are still there
    page.wait_for_url("**/enrollment/people/")
    expect(_row(page, "علی احمدی").get_by_label("ثبت‌نام", exact=True)).to_be_checked()
    _choose(page, "علی احمدی", "بدون تغییر")
    _shot(page, "10-step3-back-edit")
    page.get_by_role("button", name="ادامه").click()
    page.wait_for_url("**/enrollment/review/")
    expect(page.get_by_text("۱۸٬۰۰۰٬۰۰۰ ریال افزایش")).to_be_visible()
    _shot(page, "11-step4-after-edit")
    page.get_by_role("button", name="ثبت نهایی").click()

    page.wait_for_url("**/enrollment/done/**")
    submitted = off_the_loop(lambda: EnrollmentRequest.objects.get(pensioner__national_code="0010000011"))
    assert submitted.status == RequestStatus.KANOON_REVIEW
    assert off_the_loop(lambda: submitted.items.filter(operation="enroll").count()) == 2
    expect(page.locator(".tracking-code")).to_have_text(submitted.tracking_code.translate(PERSIAN))
    _shot(page, "12-confirmation")
    page.emulate_media(media="print")
    _shot(page, "13-receipt-print")
    page.emulate_media(media="screen")

    page.get_by_role("link", name="درخواست‌های من").last.click()
    page.wait_for_url("**/requests/")
    expect(page.get_by_text("در حال بررسی کانون بازنشستگان و مستمری‌بگیران").first).to_be_visible()
    expect(page.get_by_role("link", name="لغو درخواست")).to_be_visible()
    _shot(page, "14-my-requests")

    page.get_by_role("button", name="خروج").click()
    page.get_by_role("link", name="ورود و ثبت درخواست").click()
    _sign_in(page, "0010000038", "09120000003")
    page.get_by_role("button", name="ورود").click()
    page.wait_for_url("**/enrollment/")
    expect(page.get_by_text("ویژه مستمری‌بگیران غیرهمکار")).to_be_visible()
    expect(page.get_by_role("button", name="تایید و ادامه")).to_have_count(0)
    _shot(page, "15-colleague-not-eligible")
    assert not off_the_loop(EnrollmentRequest.objects.filter(pensioner__national_code="0010000038").exists)
