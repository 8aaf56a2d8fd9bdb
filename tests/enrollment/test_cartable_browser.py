"""The demo in a real browser, as staff would do it: kanoon_tehran approves pensioner A's request,
branch_tehran accepts it, the deductions appear in «وام‌ها», kanoon_karaj sees none of it, and the
pensioner reads «مختومه - تایید نهایی» in «درخواست‌های من»."""

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser import ARTIFACTS_DIR
from tests.enrollment.conftest import file_request
from tests.portal.conftest import latest_code, off_the_loop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = ARTIFACTS_DIR / "cartable"
CARTABLE = "/admin/enrollment/enrollmentrequest/"


@pytest.fixture
def site(live_server, pensioner_a):
    request = file_request(pensioner_a)
    return live_server.url, request.tracking_code


def _signed_in(browser: Browser, url: str, username: str) -> Page:
    page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fa-IR").new_page()
    page.goto(f"{url}/admin/login/?next={CARTABLE}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "demo-pass-1405")
    page.click("[type=submit]")
    return page


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / name, full_page=True)


def _persian(code: str) -> str:
    return code.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))


def test_kanoon_approves_branch_accepts_deductions_appear(site, chromium_browser):
    url, tracking_code = site
    shown_code = _persian(tracking_code)

    kanoon = _signed_in(chromium_browser, url, "kanoon_tehran")
    kanoon.wait_for_url("**status__exact=kanoon_review")
    kanoon.get_by_role("link", name=shown_code).click()
    expect(kanoon.get_by_text("فاطمه احمدی").first).to_be_visible()
    _shot(kanoon, "1-kanoon-request.png")
    kanoon.get_by_role("button", name="تایید", exact=True).click()
    expect(kanoon.get_by_text(f"«تایید کانون» برای درخواست {shown_code} انجام شد.")).to_have_count(1)
    _shot(kanoon, "2-kanoon-approved.png")

    branch = _signed_in(chromium_browser, url, "branch_tehran")
    branch.wait_for_url("**status__exact=branch_review")
    _shot(branch, "3-branch-cartable.png")
    branch.get_by_role("link", name=shown_code).click()
    branch.get_by_role("button", name="پذیرش", exact=True).click()
    expect(branch.get_by_text(f"«پذیرش شعبه» برای درخواست {shown_code} انجام شد.")).to_have_count(1)
    branch.goto(f"{url}{CARTABLE}?status__exact=accepted")
    expect(branch.locator("#result_list tbody tr").filter(has_text=shown_code)).to_contain_text("مختومه - تایید نهایی")
    branch.goto(f"{url}/admin/loans/deductiondocument/?q=0010000011")
    # health and life for the pensioner and the spouse, health for the child
    expect(branch.locator("#result_list tbody tr")).to_have_count(5)
    _shot(branch, "4-deductions.png")

    other = _signed_in(chromium_browser, url, "kanoon_karaj")
    for status in ["kanoon_review", "branch_review", "accepted"]:
        other.goto(f"{url}{CARTABLE}?status__exact={status}")
        other.wait_for_load_state()
        expect(other.get_by_text(shown_code)).to_have_count(0)
        expect(other.locator("#result_list tbody tr")).to_have_count(0)
    _shot(other, "5-karaj-sees-nothing.png")


def _pensioner_signed_in(browser: Browser, url: str, national_code: str, mobile: str) -> Page:
    page = browser.new_context(viewport={"width": 390, "height": 844}, locale="fa-IR").new_page()
    page.goto(f"{url}/login/")
    page.get_by_label("کد ملی").fill(national_code)
    page.get_by_role("button", name="دریافت کد تایید").click()
    page.wait_for_url("**/login/code/")
    page.get_by_label("کد تایید").fill(off_the_loop(lambda: latest_code(mobile)))
    page.get_by_role("button", name="ورود").click()
    page.wait_for_load_state()
    return page


def test_the_pensioner_reads_the_final_status(site, kanoon_tehran, branch_tehran, chromium_browser):
    from enrollment import workflow
    from enrollment.models import EnrollmentRequest

    url, tracking_code = site
    request_id = off_the_loop(lambda: EnrollmentRequest.objects.get(tracking_code=tracking_code).pk)
    off_the_loop(lambda: workflow.request_kanoon_approve(request_id=request_id, by=kanoon_tehran))
    off_the_loop(lambda: workflow.request_branch_accept(request_id=request_id, by=branch_tehran))
    page = _pensioner_signed_in(chromium_browser, url, "0010000011", "09120000001")
    page.goto(f"{url}/requests/")
    card = page.locator("article, li, section").filter(has_text=_persian(tracking_code)).first
    expect(card).to_contain_text("مختومه - تایید نهایی")
    expect(card).to_contain_text("در حال بررسی - نیاز به رسیدگی شعبه")  # the timeline keeps every step
    _shot(page, "6-pensioner-final-status.png")
