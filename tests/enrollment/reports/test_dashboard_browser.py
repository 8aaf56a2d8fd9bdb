"""The managers' dashboard in a real browser: it renders right to left at 1280 px with its charts drawn
from the page itself (nothing fetched from elsewhere), and a screenshot is kept as an artifact."""

import pytest
from playwright.sync_api import expect

from core.text import format_number
from enrollment.models import EnrollmentRequest, RequestStatus
from tests.browser import ARTIFACTS_DIR, Traffic, origin_of
from tests.enrollment.reports.dashboard_data import requests_spread

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = ARTIFACTS_DIR / "dashboard"


@pytest.fixture
def site(live_server, world, submitted_a):
    requests_spread(world, offices=14, per_office=9)
    live = EnrollmentRequest.objects.filter(period=world).exclude(status=RequestStatus.DRAFT).count()
    return live_server.url, format_number(live)


def test_the_manager_dashboard_renders_right_to_left_with_its_charts(site, chromium_browser):
    site, total = site
    page = chromium_browser.new_context(viewport={"width": 1280, "height": 900}, locale="fa-IR").new_page()
    traffic = Traffic(origin_of(site))
    traffic.watch(page)
    page.goto(f"{site}/admin/login/?next=/admin/")
    page.fill("input[name=username]", "manager")
    page.fill("input[name=password]", "demo-pass-1405")
    page.click("[type=submit]")
    dashboard = page.locator("#manager-dashboard")
    expect(dashboard).to_be_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / "dashboard.png", full_page=True)
    expect(dashboard.locator("svg[role=img]")).to_have_count(5)
    expect(page.get_by_role("img", name="درخواست‌ها به تفکیک وضعیت")).to_be_visible()
    expect(dashboard.locator('[data-figure="total"]')).to_have_text(total)
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    # Each label of a horizontal bar sits right of its bar, as Persian reads, and its figure left of it.
    chart = dashboard.locator("#chart-statuses")
    for index in range(chart.locator("rect").count()):
        bar = chart.locator("rect").nth(index).bounding_box()
        label = chart.locator("text.bar-label").nth(index).bounding_box()
        value = chart.locator("text.bar-value").nth(index).bounding_box()
        assert label["x"] > bar["x"] + bar["width"] >= bar["x"] > value["x"] + value["width"]
    assert traffic.foreign() == []
    assert traffic.failed() == []
