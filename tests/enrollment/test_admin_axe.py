"""The staff admin passes axe-core's WCAG 2.2 AA rules with no critical or serious violation, as each demo role
sees it: the sign-in pages (password, then the second factor as production asks it: enrolment with its QR code
and recovery codes, later the code alone), the home page with its dashboard, the requests cartable, the request
page with the role's own buttons, the pensioner's page and the managers' report pages. Scanned at the desktop
size staff use and at a phone's, where the sidebar waits off-screen.

A last test walks every registered model's list, first object, its history and its add page as the manager,
so a model admin added later is scanned without editing this file; another page joins the scans by adding its
path to PAGES (or calling tests.browser.axe_violations itself)."""

import time
from base64 import b32decode
from dataclasses import dataclass, field

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import User
from django.urls import NoReverseMatch, reverse
from django_otp.oath import TOTP
from playwright.sync_api import Browser, Page

from enrollment import workflow
from enrollment.models import EnrollmentRequest, Pensioner
from tests.browser import axe_violations
from tests.enrollment.conftest import file_request

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
CARTABLE = "/admin/enrollment/enrollmentrequest/"

# Which pages each role scans, by name: "request" and "pensioner" are the demo pensioner A's.
PAGES = {
    "manager": [
        "home",
        "cartable",
        "request",
        "pensioner",
        "monthly_deductions",
        "reconciliation",
        "pensioners",
        "pensioner_add",
        "audit_log",
        "staff",
        "staff_change",
        "staff_import",
        "bulk_jobs",
    ],
    "kanoon_tehran": ["home", "cartable", "request", "pensioner"],
    "branch_tehran": ["home", "cartable", "request", "pensioner"],
    "auditor": ["home", "cartable", "request", "pensioner", "audit_log"],
}

SECOND_FACTOR = {"manager", "kanoon_tehran", "branch_tehran"}  # the auditor only reads
MAKE_MOVES = {"kanoon_tehran", "branch_tehran"}  # the request page has buttons for them


@dataclass
class Site:
    url: str
    paths: dict[str, str]
    otp_keys: dict[str, bytes] = field(default_factory=dict)  # each user's key, as read off the enrolment page


def _site(live_server, *, approved: bool) -> Site:
    """Pensioner A's request in the Kanoon's cartable, or approved on to the branch's."""
    pensioner = Pensioner.objects.get(national_code="0010000011")
    request: EnrollmentRequest = file_request(pensioner)
    if approved:
        workflow.request_kanoon_approve(request_id=request.pk, by=User.objects.get(username="kanoon_tehran"))
    return Site(
        url=live_server.url,
        paths={
            "home": reverse("admin:index"),
            "cartable": CARTABLE,
            "request": reverse("admin:enrollment_enrollmentrequest_change", args=[request.pk]),
            "pensioner": reverse("admin:enrollment_pensioner_change", args=[pensioner.pk]),
            "pensioners": reverse("admin:enrollment_pensioner_changelist"),  # searched; import and export buttons
            "pensioner_add": reverse("admin:enrollment_pensioner_add"),  # empty autocomplete boxes
            "monthly_deductions": reverse("reports_dashboard:monthly_deductions"),
            "reconciliation": reverse("reports_dashboard:reconciliation"),
            "audit_log": reverse("admin:audit_auditentry_changelist"),
            "staff": reverse("admin:auth_user_changelist"),
            "staff_change": reverse("admin:auth_user_change", args=[User.objects.get(username="kanoon_tehran").pk]),
            "staff_import": reverse("admin:auth_user_import"),
            "bulk_jobs": reverse("admin:enrollment_bulkmovejob_changelist"),
        },
    )


def _signed_in(browser: Browser, site: Site, username: str, viewport: dict) -> tuple[Page, list[str]]:
    """A fresh context signed in through the real forms; the violations of the sign-in pages come back too."""
    context = browser.new_context(viewport=viewport, locale="fa-IR", timezone_id="Asia/Tehran")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(site.url + reverse("admin:login"))
    found = axe_violations(page)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", settings.DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("[type=submit]")
    if "/admin/staff/" in page.url:
        found += _second_factor(page, site, username)
    page.wait_for_url(f"{site.url}/admin/**")
    assert "/admin/staff/" not in page.url and "/login/" not in page.url, page.url
    return page, found


def _second_factor(page: Page, site: Site, username: str) -> list[str]:
    """The first time: the enrolment page (QR code and the key to type by hand), a code of the key read off it,
    the recovery codes. Afterwards: the code page, with the app's next code (the enrolment's is used up)."""
    found = axe_violations(page)
    if "/staff/enrol/" in page.url:
        shown = page.locator("code[dir=ltr]").inner_text()
        site.otp_keys[username] = b32decode(shown.replace(" ", ""))
        page.fill("input[name=code]", _code(site.otp_keys[username]))
        with page.expect_navigation():
            page.get_by_role("button", name="فعال‌سازی").click()
        assert "/staff/recovery-codes/" in page.url, page.url
        found += axe_violations(page)
        with page.expect_navigation():
            page.get_by_role("link", name="ادامه به کارتابل").click()
    else:
        page.fill("input[name=code]", _code(site.otp_keys[username], steps_ahead=1))
        with page.expect_navigation():
            page.get_by_role("button", name="تأیید و ورود").click()
    return found


def _code(key: bytes, *, steps_ahead: int = 0) -> str:
    totp = TOTP(key)
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


def _scan(page: Page, site: Site, names: list[str]) -> list[str]:
    found = []
    for name in names:
        response = page.goto(site.url + site.paths[name])
        assert response is not None and response.status == 200, (name, response and response.status)
        page.wait_for_load_state("networkidle")
        found += axe_violations(page)
    return found


def _scan_moves(page: Page, site: Site) -> list[str]:
    """The request page after a move was made (a success message) and after one was refused for want of a
    reason (an error message): the buttons of a role that acts, none of which moves the request on."""
    found = []
    page.goto(site.url + site.paths["request"])
    for button in ["برداشتن برای رسیدگی", "عدم تایید"]:
        with page.expect_navigation():
            page.get_by_role("button", name=button, exact=True).click()
        page.locator(".alert").first.wait_for()
        found += axe_violations(page)
    return found


@pytest.mark.parametrize(
    ("username", "approved"),
    [("manager", False), ("kanoon_tehran", False), ("branch_tehran", True), ("auditor", True)],
)
def test_admin_pages_have_no_critical_or_serious_axe_violations(
    username, approved, live_server, world, settings, request
):
    settings.STAFF_OTP_REQUIRED = True  # as in production: staff who can act enrol a second factor
    site = _site(live_server, approved=approved)
    browser = request.getfixturevalue("chromium_browser")  # after the data: Playwright's loop forbids the ORM
    found = []
    for viewport in (DESKTOP, PHONE):
        page, at_sign_in = _signed_in(browser, site, username, viewport)
        found += at_sign_in + _scan(page, site, PAGES[username])
        if username in MAKE_MOVES:
            found += _scan_moves(page, site)
        page.context.close()
    assert (username in site.otp_keys) == (username in SECOND_FACTOR), "staff who act sign in with the second factor"
    assert found == [], f"{username}: {len(found)} violations\n" + "\n".join(dict.fromkeys(found))


def _model_pages() -> list[str]:
    """Each registered model's list, add page, and its first object's change and history pages: those of
    them its admin has (the audit log, one page of its own, has no change or add page)."""
    paths = []
    for model in admin.site._registry:
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        first = model._default_manager.order_by("pk").first()
        wanted = [("changelist", ()), ("add", ())]
        if first is not None:
            wanted += [("change", (first.pk,)), ("history", (first.pk,))]
        for suffix, args in wanted:
            try:
                paths.append(reverse(f"{name}_{suffix}", args=args))
            except NoReverseMatch:
                continue
    return paths


def test_every_model_page_of_the_admin_has_no_critical_or_serious_axe_violations(
    live_server, world, pensioner_a, settings, request
):
    settings.STAFF_OTP_REQUIRED = True
    file_request(pensioner_a)
    site = Site(url=live_server.url, paths={})
    paths = _model_pages()
    browser = request.getfixturevalue("chromium_browser")
    page, found = _signed_in(browser, site, "manager", DESKTOP)
    scanned = 0
    for path in paths:
        response = page.goto(site.url + path)
        if response is not None and response.status == 200:  # what the manager may not open is answered 403/404
            page.wait_for_load_state("networkidle")
            found += axe_violations(page)
            scanned += 1
    page.context.close()
    assert scanned >= len(admin.site._registry), (scanned, paths)
    assert found == [], f"{len(found)} violations\n" + "\n".join(dict.fromkeys(found))
