"""manager_alborz in a real browser: password, then the second factor (TOTP), then only Alborz in the
cartable, the dashboard and an export they take."""

import time
from binascii import unhexlify

import pytest
from django.contrib.auth.models import User
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from core.text import format_number, to_persian_digits
from enrollment import workflow
from enrollment.models import EnrollmentRequest, RequestStatus
from tests.browser import ARTIFACTS_DIR, Traffic, origin_of
from tests.enrollment.conftest import file_request
from tests.enrollment.reports.export_helpers import csv_rows, karaj_withdrawal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = ARTIFACTS_DIR / "province-manager"
KEY = "3132333435363738393031323334353637383930"


def _code(key: str) -> str:
    totp = TOTP(unhexlify(key))
    totp.time = time.time()
    return f"{totp.token():06d}"


@pytest.fixture
def site(live_server, settings, world, pensioner_a, pensioner_b, kanoon_tehran):
    """Pensioner A's request approved in Tehran, B's withdrawal waiting in Karaj; manager_alborz enrolled in
    the second factor (the production rule, which test settings leave off)."""
    settings.STAFF_OTP_REQUIRED = True
    tehran = file_request(pensioner_a)
    workflow.request_kanoon_approve(request_id=tehran.pk, by=kanoon_tehran)
    karaj = karaj_withdrawal(pensioner_b)
    TOTPDevice.objects.create(user=User.objects.get(username="manager_alborz"), name="تلفن", key=KEY, confirmed=True)
    alborz_total = EnrollmentRequest.objects.filter(kanoon__county__province__code="30").exclude(
        status=RequestStatus.DRAFT
    )
    return {
        "url": live_server.url,
        "tehran": tehran.tracking_code,
        "karaj": karaj.tracking_code,
        "alborz_total": format_number(alborz_total.count()),
        "a_code": pensioner_a.national_code,
        "b_code": pensioner_b.national_code,
    }


def test_the_alborz_manager_signs_in_with_the_second_factor_and_sees_only_alborz(site, chromium_browser):
    url = site["url"]
    context = chromium_browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="fa-IR", accept_downloads=True
    )
    page = context.new_page()
    traffic = Traffic(origin_of(url))
    traffic.watch(page)

    page.goto(f"{url}/admin/login/?next=/admin/")
    page.fill("input[name=username]", "manager_alborz")
    page.fill("input[name=password]", "demo-pass-1405")
    page.click("[type=submit]")
    expect(page.locator("input[name=code]")).to_be_visible()  # the password alone does not open the admin
    page.fill("input[name=code]", _code(KEY))
    page.click("[type=submit]")

    dashboard = page.locator("#manager-dashboard")
    expect(dashboard).to_be_visible()
    expect(dashboard.locator('[data-figure="scope"]')).to_have_text("استان البرز")
    expect(dashboard.locator('[data-figure="total"]')).to_have_text(site["alborz_total"])
    expect(page.locator("#dashboard-counties")).not_to_contain_text("تهران")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / "dashboard.png", full_page=True)

    page.goto(f"{url}/admin/enrollment/enrollmentrequest/")
    listed = page.locator("#result_list")
    expect(listed).to_contain_text(to_persian_digits(site["karaj"]))
    expect(listed).not_to_contain_text(to_persian_digits(site["tehran"]))
    expect(page.locator("[data-list-count]")).to_contain_text("۱ درخواست")
    page.screenshot(path=SHOTS / "cartable.png", full_page=True)

    # Tick everything, «select all», then the export action: the file holds Alborz only.
    page.locator("#action-toggle").check()
    expect(page.locator("span.action-counter")).to_have_text("۱ از ۱ درخواست این صفحه انتخاب شده")
    page.select_option("select[name=action]", "export_list")
    page.click("button[name=index]")
    page.locator("input[name=export_format][value=csv]").check()
    with page.expect_download() as download_info:
        page.locator("form [type=submit]").last.click()
    with open(download_info.value.path(), "rb") as exported:
        rows = csv_rows(exported.read())
    column = rows[0].index("کد ملی مستمری‌بگیر")
    assert {row[column] for row in rows[1:]} == {site["b_code"]}

    page.goto(f"{url}/admin/sms/outboxmessage/")
    expect(page.locator("#result_list")).not_to_contain_text(to_persian_digits(site["tehran"]))
    assert site["a_code"] not in page.content()
    assert traffic.foreign() == []
    context.close()
