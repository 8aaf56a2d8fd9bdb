"""In a real browser, with the second factor required as in production: the manager onboards a Kanoon clerk from
a file (dry run, then confirm), gives a one-time password, and the clerk signs in, enrols the second factor,
sets their own password and works the Tehran cartable at once. docs/screenshots/staff.png and staff-change.png
(README) are copies of this test's staff-list.png and staff-change.png in test-artifacts/staff/."""

import time
from base64 import b32decode
from binascii import unhexlify

import pytest
from django.contrib.auth.models import User
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, Page, expect

from tests.browser import ARTIFACTS_DIR
from tests.enrollment.conftest import file_request
from tests.enrollment.staff.conftest import CLERK_ROW, staff_file

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = ARTIFACTS_DIR / "staff"
CARTABLE = "/admin/enrollment/enrollmentrequest/"
STAFF = "/admin/auth/user/"
NEW_PASSWORD = "Tehran-clerk-1405!"


def _code(key_bytes: bytes) -> str:
    totp = TOTP(key_bytes)
    totp.time = time.time()
    return f"{totp.token():06d}"


def _persian(code: str) -> str:
    return code.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))


@pytest.fixture
def site(live_server, pensioner_a, settings, tmp_path):
    settings.STAFF_OTP_REQUIRED = True
    request = file_request(pensioner_a)
    manager = User.objects.get(username="manager")
    device = TOTPDevice.objects.create(user=manager, name="app", confirmed=True)
    name, content = staff_file([CLERK_ROW])
    upload = tmp_path / name
    upload.write_bytes(content)
    return live_server.url, request.tracking_code, unhexlify(device.key), upload


def _page(browser: Browser) -> Page:
    return browser.new_context(viewport={"width": 1280, "height": 900}, locale="fa-IR").new_page()


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / name, full_page=True)


def test_a_manager_onboards_a_kanoon_clerk_from_a_file_who_then_works_the_tehran_cartable(site, chromium_browser):
    url, tracking_code, manager_key, upload = site

    manager = _page(chromium_browser)
    manager.goto(f"{url}/admin/login/?next={STAFF}")
    manager.fill("input[name=username]", "manager")
    manager.fill("input[name=password]", "demo-pass-1405")
    manager.click("[type=submit]")
    manager.get_by_label("کد برنامه").fill(_code(manager_key))
    manager.get_by_role("button", name="تأیید و ورود").click()
    manager.wait_for_url(f"**{STAFF}")

    manager.goto(f"{url}{STAFF}import/")
    manager.set_input_files("input[name=import_file]", str(upload))
    manager.get_by_role("button", name="بررسی فایل").click()
    expect(manager.get_by_text("۱ حساب تازه")).to_be_visible()
    _shot(manager, "1-dry-run.png")
    manager.get_by_role("button", name="تایید بارگذاری").click()
    expect(manager.get_by_text("ورود فایل انجام شد")).to_be_visible()

    row = manager.locator("#result_list tbody tr").filter(has_text="kanoon_tehran_2")
    expect(row).to_contain_text("کارکنان کانون")
    expect(row).to_contain_text("کانون بازنشستگان و مستمری‌بگیران تأمین اجتماعی شهرستان تهران")
    _shot(manager, "staff-list.png")
    row.locator("input.action-select").check()
    manager.select_option("select[name=action]", "password_reset_selected", force=True)
    manager.click("button[name=index]")
    password = manager.locator("code.one-time-password").inner_text()
    assert len(password) == 12

    manager.goto(f"{url}{STAFF}")
    manager.get_by_role("link", name="kanoon_tehran_2").click()
    expect(manager.get_by_role("link", name="بازنشانی رمز دوم")).to_be_visible()
    _shot(manager, "staff-change.png")

    clerk = _page(chromium_browser)
    clerk.goto(f"{url}/admin/login/?next={CARTABLE}")
    clerk.fill("input[name=username]", "kanoon_tehran_2")
    clerk.fill("input[name=password]", password)
    clerk.click("[type=submit]")
    clerk.wait_for_url("**/admin/staff/enrol/**")
    secret = clerk.locator("code[dir=ltr]").inner_text().replace(" ", "")
    clerk.get_by_label("کد برنامه").fill(_code(b32decode(secret + "=" * (-len(secret) % 8))))
    clerk.get_by_role("button", name="فعال‌سازی").click()
    clerk.get_by_role("link", name="ادامه به کارتابل").click()

    clerk.wait_for_url("**/admin/password_change/")
    clerk.fill("input[name=old_password]", password)
    clerk.fill("input[name=new_password1]", NEW_PASSWORD)
    clerk.fill("input[name=new_password2]", NEW_PASSWORD)
    expect(clerk.get_by_text("رمزی که مدیر به شما داده موقت است")).to_be_visible()
    clerk.get_by_role("button", name="تغییر گذرواژه").click()
    clerk.wait_for_url("**/admin/password_change/done/")

    clerk.goto(f"{url}{CARTABLE}?status__exact=kanoon_review")
    shown = _persian(tracking_code)
    expect(clerk.get_by_role("link", name=shown)).to_be_visible()
    _shot(clerk, "2-clerk-cartable.png")
    clerk.get_by_role("link", name=shown).click()
    expect(clerk.get_by_text("فاطمه احمدی").first).to_be_visible()
