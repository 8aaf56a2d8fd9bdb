"""The staff admin in a real browser: Persian, right to left, in Vazirmatn, fitting the screen, and
served wholly by the project (jazzmin 3.0.5 gets each of these wrong out of the box; LIBRARIES.md)."""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import Browser, Page

from enrollment.models import Pensioner
from fixtures.demo import STAFF_NAMES, demo_world_ensure
from tests.browser import ARTIFACTS_DIR, Traffic, origin_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = ARTIFACTS_DIR / "admin"

SIDEBAR_LEFT = "() => document.querySelector('.app-sidebar').getBoundingClientRect().left"
SIDEBAR_HIDDEN = "() => document.querySelector('.app-sidebar').getBoundingClientRect().left >= window.innerWidth"
SIDEBAR_SHOWN_AT_RIGHT = (
    "() => Math.abs(document.querySelector('.app-sidebar').getBoundingClientRect().right - window.innerWidth) < 1"
)


@dataclass(frozen=True)
class AdminSite:
    url: str
    pensioner_change_path: str


@dataclass(frozen=True)
class AdminTab:
    page: Page
    traffic: Traffic
    url: str

    def go(self, path: str) -> None:
        self.page.goto(self.url + path)
        self.page.evaluate("document.fonts.ready.then(() => true)")

    def screenshot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=SCREENSHOTS / name)


@pytest.fixture
def admin_site(live_server) -> AdminSite:
    demo_world_ensure()
    pensioner = Pensioner.objects.get(national_code="0010000011")
    return AdminSite(
        url=live_server.url,
        pensioner_change_path=reverse("admin:enrollment_pensioner_change", args=[pensioner.pk]),
    )


@pytest.fixture
def open_admin(admin_site: AdminSite, chromium_browser: Browser) -> Callable[[dict], AdminTab]:
    """Logs "manager" in through the real login form, in a fresh browser context of the given size.

    admin_site comes before chromium_browser: the data is written before Playwright starts."""

    def open_(viewport: dict) -> AdminTab:
        context = chromium_browser.new_context(viewport=viewport, locale="fa-IR", timezone_id="Asia/Tehran")
        context.set_default_timeout(10_000)
        page = context.new_page()
        traffic = Traffic(origin=origin_of(admin_site.url))
        traffic.watch(page)
        page.goto(admin_site.url + "/admin/")
        page.fill("input[name=username]", "manager")
        page.fill("input[name=password]", settings.DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(admin_site.url + "/admin/")
        return AdminTab(page=page, traffic=traffic, url=admin_site.url)

    return open_


def assert_fits_the_screen(tab: AdminTab) -> None:
    widths = tab.page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{tab.page.url}: document {widths[0]}px wide in a {widths[1]}px window"


def assert_sidebar_on_the_right_beside_the_content(tab: AdminTab) -> None:
    boxes = tab.page.evaluate(
        """() => {
            const sidebar = document.querySelector('.app-sidebar').getBoundingClientRect();
            const main = document.querySelector('.app-main').getBoundingClientRect();
            return {sidebarLeft: sidebar.left, sidebarRight: sidebar.right, mainLeft: main.left,
                    mainRight: main.right, width: window.innerWidth};
        }"""
    )
    assert boxes["sidebarLeft"] >= boxes["width"] / 2
    assert boxes["sidebarRight"] == pytest.approx(boxes["width"], abs=1)
    assert boxes["mainRight"] <= boxes["sidebarLeft"] + 1
    assert boxes["mainLeft"] == pytest.approx(0, abs=1)


def assert_persian_rtl_in_vazirmatn(tab: AdminTab) -> None:
    facts = tab.page.evaluate(
        """() => ({
            lang: document.documentElement.lang,
            dir: document.documentElement.dir,
            bodyFont: getComputedStyle(document.body).fontFamily,
            inputFont: getComputedStyle(document.querySelector('input, button')).fontFamily,
            vazirmatnLoaded: [...document.fonts].some(
                face => face.family.replace(/["']/g, '') === 'Vazirmatn' && face.status === 'loaded'),
        })"""
    )
    assert facts["dir"] == "rtl"
    assert facts["lang"].startswith("fa")
    assert "Vazirmatn" in facts["bodyFont"]
    assert "Vazirmatn" in facts["inputFont"]
    assert facts["vazirmatnLoaded"]


def test_admin_pages_read_right_to_left_in_vazirmatn_with_the_sidebar_on_the_right(open_admin, admin_site):
    tab = open_admin(DESKTOP)
    pages = [
        ("/admin/", "admin-index-1280.png"),
        ("/admin/enrollment/pensioner/", "pensioner-list-1280.png"),
        (admin_site.pensioner_change_path, "pensioner-change-1280.png"),
    ]
    for path, screenshot in pages:
        tab.go(path)
        assert_persian_rtl_in_vazirmatn(tab)
        assert_sidebar_on_the_right_beside_the_content(tab)
        assert_fits_the_screen(tab)
        tab.screenshot(screenshot)

        crumbs = tab.page.evaluate(
            """() => [...document.querySelectorAll('.breadcrumb-item')].map(crumb => {
                const box = crumb.getBoundingClientRect();
                return [Math.round(box.top), Math.round(box.right)];
            })"""
        )
        assert crumbs == sorted(crumbs, key=lambda top_right: (top_right[0], -top_right[1])), "crumbs run right to left"


def test_changelist_headers_and_form_labels_are_right_aligned(open_admin, admin_site):
    tab = open_admin(DESKTOP)
    tab.go("/admin/enrollment/pensioner/")
    header_alignments = tab.page.evaluate(
        """() => [...document.querySelectorAll('#result_list thead th')]
            .filter(th => !th.querySelector('input[type=checkbox]'))
            .map(th => getComputedStyle(th).textAlign)"""
    )
    assert header_alignments
    assert set(header_alignments) == {"right"}

    tab.go(admin_site.pensioner_change_path)
    label_alignments = tab.page.evaluate(
        "() => [...document.querySelectorAll('form label.text-start')].map(l => getComputedStyle(l).textAlign)"
    )
    assert label_alignments
    assert set(label_alignments) == {"right"}


def test_pushmenu_collapses_the_sidebar_off_the_right_edge_and_reopens_it(open_admin):
    tab = open_admin(DESKTOP)
    tab.go("/admin/enrollment/pensioner/")
    toggle = tab.page.locator("[data-lte-toggle=sidebar]")

    toggle.click()
    tab.page.wait_for_function(SIDEBAR_HIDDEN)
    assert "sidebar-collapse" in tab.page.get_attribute("body", "class")
    assert tab.page.evaluate("() => document.querySelector('.app-main').getBoundingClientRect().width") == (
        pytest.approx(DESKTOP["width"], abs=1)
    )
    assert_fits_the_screen(tab)

    toggle.click()
    tab.page.wait_for_function(SIDEBAR_SHOWN_AT_RIGHT)
    assert_sidebar_on_the_right_beside_the_content(tab)


def test_user_menu_drops_down_inside_the_screen_and_reads_right_to_left(open_admin):
    tab = open_admin(DESKTOP)
    tab.go("/admin/")
    tab.page.click(f"a[title='{' '.join(STAFF_NAMES['manager'])}']")  # the user menu names its owner
    menu = tab.page.locator("#jazzy-usermenu")
    menu.wait_for(state="visible")
    box = menu.bounding_box()
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= DESKTOP["width"]
    assert menu.evaluate("m => getComputedStyle(m).textAlign") == "right"


def test_admin_on_a_phone_fits_the_screen_and_slides_the_sidebar_in_from_the_right(open_admin, admin_site):
    tab = open_admin(PHONE)
    for path, screenshot in [
        ("/admin/", "admin-index-390.png"),
        ("/admin/enrollment/pensioner/", "pensioner-list-390.png"),
        (admin_site.pensioner_change_path, "pensioner-change-390.png"),
    ]:
        tab.go(path)
        assert_persian_rtl_in_vazirmatn(tab)
        assert_fits_the_screen(tab)
        assert tab.page.evaluate(SIDEBAR_HIDDEN), "on a phone the sidebar waits off-screen"
        tab.screenshot(screenshot)

    tab.go("/admin/")
    tab.page.click("[data-lte-toggle=sidebar]")
    tab.page.wait_for_function(SIDEBAR_SHOWN_AT_RIGHT)
    assert tab.page.evaluate(SIDEBAR_LEFT) > 0
    assert_fits_the_screen(tab)
    tab.screenshot("admin-sidebar-open-390.png")

    tab.page.mouse.click(20, PHONE["height"] // 2)  # the shade over the content closes the sidebar
    tab.page.wait_for_function(SIDEBAR_HIDDEN)
    assert_fits_the_screen(tab)


def test_admin_loads_its_css_and_font_from_the_project_and_nothing_from_elsewhere(open_admin, admin_site):
    tab = open_admin(DESKTOP)
    for path in ["/admin/", "/admin/enrollment/pensioner/", admin_site.pensioner_change_path]:
        tab.go(path)
        tab.page.wait_for_load_state("networkidle")

    assert 200 in tab.traffic.statuses_of("/static/core/css/admin-rtl.css")
    assert 200 in tab.traffic.statuses_of("/static/core/fonts/vazirmatn/Vazirmatn-FD-Regular.woff2")
    assert tab.traffic.failed() == []
    assert tab.traffic.foreign() == []
