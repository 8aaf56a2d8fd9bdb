"""The audit log in a real browser: the auditor filters it to one clerk's approvals of one day and sees
exactly those; a screenshot of the log for the README (docs/screenshots/audit-log.png)."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from audit.models import Action, AuditEntry
from core import jalali
from enrollment import drafts, workflow
from enrollment.models import Operation
from fixtures.demo import STAFF_NAMES
from tests.browser import ARTIFACTS_DIR
from tests.enrollment.conftest import file_request
from tests.factories import PensionerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOG = "/admin/audit/auditentry/"


def _persian(code: str) -> str:
    return code.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))


@pytest.fixture
def a_days_work(live_server, pensioner_a, pensioner_b, kanoon_tehran, kanoon_karaj, branch_tehran):
    """kanoon_tehran approves two requests today, rejects one, and approved one yesterday; kanoon_karaj
    approves one today; branch_tehran accepts one of the approved. Returns the two approvals of today."""

    def neighbour():
        return PensionerFactory(county=pensioner_a.county, paying_branch=pensioner_a.paying_branch)

    approved = [file_request(pensioner_a), file_request(neighbour())]
    for request in approved:
        workflow.request_kanoon_approve(request_id=request.pk, by=kanoon_tehran, note="مدارک کامل است")
    rejected = file_request(neighbour())
    workflow.request_kanoon_reject(request_id=rejected.pk, by=kanoon_tehran, reason_code="duplicate")
    yesterday = file_request(neighbour())
    workflow.request_kanoon_approve(request_id=yesterday.pk, by=kanoon_tehran)
    AuditEntry.objects.filter(tracking_code=yesterday.tracking_code, action=Action.KANOON_APPROVE).update(
        at=timezone.now() - dt.timedelta(days=1)
    )
    withdraw = {person.key: Operation.WITHDRAW for person in drafts.people_listed(pensioner_b) if person.insured}
    karaj = file_request(pensioner_b, withdraw)
    workflow.request_kanoon_approve(request_id=karaj.pk, by=kanoon_karaj)
    workflow.request_branch_accept(request_id=approved[0].pk, by=branch_tehran)
    return live_server.url, [request.tracking_code for request in approved]


def _signed_in(browser: Browser, url: str, username: str) -> Page:
    page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fa-IR").new_page()
    page.goto(f"{url}/admin/login/?next={LOG}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "demo-pass-1405")
    page.click("[type=submit]")
    page.wait_for_url(f"**{LOG}")
    return page


def test_the_auditor_filters_the_log_to_one_clerks_approvals_of_one_day(a_days_work, chromium_browser):
    url, approved_today = a_days_work
    page = _signed_in(chromium_browser, url, "auditor")
    expect(page.get_by_role("heading", name="گزارش تغییرات")).to_be_visible()
    expect(page.locator("#audit-entries tbody tr").first).to_be_visible()
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS_DIR / "audit-log.png")  # docs/screenshots/audit-log.png is a copy of it

    today = jalali.format_date(timezone.now())
    page.get_by_label("انجام‌دهنده (نام کاربری)").fill("kanoon_tehran")
    page.get_by_label("نوع تغییر").select_option(label="تایید کانون")
    page.get_by_label("از تاریخ").fill(today)
    page.get_by_label("تا تاریخ").fill(today)
    page.get_by_role("button", name="نمایش", exact=True).click()

    rows = page.locator("#audit-entries tbody tr")
    expect(rows).to_have_count(2)
    for code in approved_today:
        expect(rows.filter(has_text=f"درخواست {_persian(code)}")).to_have_count(1)
    for row in rows.all():
        expect(row).to_contain_text(" ".join(STAFF_NAMES["kanoon_tehran"]))  # the clerk by name
        expect(row).to_contain_text("تایید کانون")
        expect(row).to_contain_text("در حال بررسی - نیاز به رسیدگی شعبه")
        expect(row).to_contain_text(today)
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS_DIR / "audit-log-filtered.png", full_page=True)

    page.get_by_role("link", name=f"درخواست {_persian(approved_today[0])}، محمد احمدی").click()
    expect(page).to_have_url(re.compile(r"/admin/enrollment/enrollmentrequest/\d+/change/$"))
