"""The Content-Security-Policy in a real browser: the pensioner's walk and the staff admin run with it and
the browser refuses nothing, while their scripts still work (the resend countdown, the receipt's print
button, the admin's "select all", action menu, list filters, autocomplete, inline rows and sidebar)."""

import re
from dataclasses import dataclass, field

import pytest
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import BrowserContext, Page, expect

from enrollment.models import Pensioner
from fixtures.demo import demo_world_ensure
from tests.portal.conftest import PHONE, latest_code, off_the_loop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 800}
REPORT_VIOLATIONS = """
document.addEventListener('securitypolicyviolation', event => window.cspViolation(
    `${location.pathname}: ${event.effectiveDirective} refused ${event.blockedURI || 'inline'}`));
"""


@dataclass
class Violations:
    """Whatever the browser refused under the policy: its securitypolicyviolation events and its console
    reports, on every page of the context."""

    found: list[str] = field(default_factory=list)

    def watch(self, context: BrowserContext) -> Page:
        context.expose_function("cspViolation", self._on_report)
        context.add_init_script(REPORT_VIOLATIONS)
        page = context.new_page()
        page.on("console", self._on_console)
        return page

    def _on_report(self, report: str) -> None:
        self.found.append(report)

    def _on_console(self, message) -> None:
        if "Content Security Policy" in message.text:
            self.found.append(message.text)

    def after_settling(self, page: Page) -> list[str]:
        page.wait_for_load_state("networkidle")
        page.evaluate("() => new Promise(resolve => setTimeout(resolve, 100))")  # let the last reports arrive
        return self.found


@pytest.fixture
def demo(live_server):
    demo_world_ensure()
    return live_server.url


def _open(browser, viewport: dict) -> tuple[Page, Violations]:
    context = browser.new_context(viewport=viewport, locale="fa-IR", timezone_id="Asia/Tehran")
    context.set_default_timeout(15_000)
    violations = Violations()
    return violations.watch(context), violations


def test_the_watch_sees_what_the_policy_refuses(demo, chromium_browser):
    page, violations = _open(chromium_browser, PHONE)
    page.goto(demo + "/")
    ran = page.evaluate(
        """() => {
            const script = document.createElement('script');
            script.textContent = 'window.injected = true';
            document.body.append(script);
            return window.injected === true;
        }"""
    )
    assert ran is False
    assert any("script-src" in report for report in violations.after_settling(page))


def test_the_pensioners_walk_runs_its_scripts_with_nothing_refused(demo, chromium_browser):
    page, violations = _open(chromium_browser, PHONE)
    page.goto(demo + "/")
    page.get_by_role("link", name="ورود و ثبت درخواست").click()
    page.get_by_label("کد ملی").fill("0010000011")
    page.get_by_role("button", name="دریافت کد تایید").click()
    page.wait_for_url("**/login/code/")

    countdown = page.locator("[data-countdown]")
    start = countdown.inner_text()
    expect(page.get_by_role("button", name="ارسال دوباره کد")).to_be_disabled()
    expect(countdown).not_to_have_text(start, timeout=3_000)  # site.js ticks the countdown down

    code = off_the_loop(lambda: latest_code("09120000001"))
    page.get_by_label("کد تایید").fill(code)
    page.get_by_role("button", name="ورود").click()
    page.wait_for_url("**/enrollment/terms/")
    page.get_by_role("button", name="تایید و ادامه").click()
    page.wait_for_url("**/enrollment/my-data/")
    page.get_by_role("button", name="تایید و ادامه").click()
    page.wait_for_url("**/enrollment/people/")
    for person in ["محمد احمدی", "فاطمه احمدی"]:
        page.locator("tbody tr").filter(has_text=person).get_by_label("ثبت‌نام", exact=True).check()
    page.get_by_role("button", name="ادامه").click()
    page.wait_for_url("**/enrollment/review/")
    page.get_by_role("button", name="ثبت نهایی").click()
    page.wait_for_url("**/enrollment/done/**")
    expect(page.locator("[data-print]")).to_be_visible()  # site.js shows the print button
    page.get_by_role("link", name="درخواست‌های من").last.click()
    page.wait_for_url("**/requests/")

    assert violations.after_settling(page) == []


@pytest.fixture
def pensioner_change_path(demo) -> str:
    pensioner = Pensioner.objects.get(national_code="0010000011")
    return reverse("admin:enrollment_pensioner_change", args=[pensioner.pk])


def test_the_admin_runs_its_scripts_with_nothing_refused(demo, pensioner_change_path, chromium_browser):
    page, violations = _open(chromium_browser, DESKTOP)
    page.goto(demo + "/admin/")
    assert page.evaluate("document.documentElement.dataset.bsTheme") == "light"  # admin-theme.js ran
    page.fill("input[name=username]", "manager")
    page.fill("input[name=password]", settings.DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(demo + "/admin/")
    assert page.evaluate("document.documentElement.dataset.bsTheme") == "light"

    page.click("[data-lte-toggle=sidebar]")
    expect(page.locator("body")).to_have_class(re.compile(r"\bsidebar-collapse\b"))

    page.goto(demo + "/admin/enrollment/pensioner/")
    assert page.locator("select.search-filter.select2-hidden-accessible").count() > 0, "list filters as select2"
    rows = page.locator("input.action-select")
    page.check("#action-toggle")  # the header checkbox ticks every row (actions.js)
    expect(page.locator("input.action-select:checked")).to_have_count(rows.count())
    expect(page.locator(".action-counter")).to_contain_text(f"{rows.count()} از {rows.count()}")
    page.select_option("select[name=action]", "export_list", force=True)
    page.click("button[name=index]")
    expect(page.get_by_text("قالب فایل")).to_be_visible()

    page.goto(demo + pensioner_change_path)
    page.fill("input[name=birth_date]", "۱۳۴۰/۰۱/۰۱")
    page.locator("#id_paying_branch + .select2 .select2-selection").click()  # autocomplete.js asks the server
    expect(page.locator(".select2-results__option").first).to_be_visible()
    assert "Searching" not in page.locator(".select2-results").inner_text()
    dependents = page.locator(".dynamic-dependents")
    before = dependents.count()
    page.locator(".add-row a").first.click()  # inlines.js adds a row
    expect(dependents).to_have_count(before + 1)

    page.goto(demo + "/admin/password_change/")
    required = page.locator("input[required]").count()
    expect(page.locator("span.text-red")).to_have_count(required)  # admin-required-marks.js

    for path in [
        "/admin/enrollment/pensioner/import/",
        "/admin/enrollment/enrollmentrequest/",
        "/admin/reports/monthly-deductions/",
    ]:
        page.goto(demo + path)

    assert violations.after_settling(page) == []
