"""The Content-Security-Policy: every page, the pensioner's and the admin's and the error pages, carries it;
it allows nothing from another host and no inline script; and no page holds an inline script, an event
handler attribute or a javascript: link that it would refuse (the browser walk is test_csp_browser.py)."""

import re
from html.parser import HTMLParser
from pathlib import Path

import jazzmin
import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from enrollment.models import EnrollmentRequest, RequestStatus
from policies.selectors import terms_current
from tests.enrollment.conftest import family_enroll_operations, file_request
from tests.portal.conftest import latest_code, sign_in

POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "style-src-attr": ["'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
    "base-uri": ["'self'"],
    "object-src": ["'none'"],
}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href"}


class InlineCode(HTMLParser):
    """Everything in a page that the browser would run, or style from a <style> element, from the page's own
    text: inline <script> and <style> elements without the response's nonce, on*= attributes, javascript:
    URLs. JSON data blocks (<script type="application/json">) are not run and pass."""

    def __init__(self, nonce: str | None) -> None:
        super().__init__()
        self.nonce = nonce
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        nonced = self.nonce is not None and values.get("nonce") == self.nonce
        if tag == "script" and "src" not in values and values.get("type") != "application/json" and not nonced:
            self.found.append(f"inline <script {values}>")
        if tag == "style" and not nonced:
            self.found.append("inline <style>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}={value!r}>")
            if name in URL_ATTRIBUTES and re.sub(r"\s", "", value or "").lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}={value!r}>")

    handle_startendtag = handle_starttag


def policy_of(response) -> dict[str, list[str]]:
    header = response.get("Content-Security-Policy", "")
    return {name: sources for name, *sources in (part.split() for part in header.split(";") if part.strip())}


def problems_of(response) -> list[str]:
    """What is wrong with one response's policy and page; empty when both are as they must be."""
    policy = policy_of(response)
    if not policy:
        return ["no Content-Security-Policy header"]
    problems = []
    nonces = [source for source in policy.get("script-src", []) if source.startswith("'nonce-")]
    without_nonces = {name: [s for s in sources if not s.startswith("'nonce-")] for name, sources in policy.items()}
    if without_nonces != POLICY:
        problems.append(f"policy {policy}")
    if response.get("Content-Type", "").startswith("text/html"):
        parser = InlineCode(nonce=nonces[0][len("'nonce-") : -1] if nonces else None)
        parser.feed(response.content.decode())
        problems += parser.found
    return problems


class Audit:
    """Every page a walk requested, and what was wrong with each: one failure lists them all."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.pages: list[tuple[str, int]] = []
        self.problems: list[tuple[str, list[str]]] = []

    def get(self, path: str):
        return self._record(f"GET {path}", self.client.get(path))

    def post(self, path: str, data: dict):
        return self._record(f"POST {path}", self.client.post(path, data))

    def _record(self, label: str, response):
        self.pages.append((label, response.status_code))
        if found := problems_of(response):
            self.problems.append((label, found))
        return response


def test_the_policy_is_self_only_with_no_inline_script_and_no_eval():
    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    assert directives == POLICY
    sources = {source for values in directives.values() for source in values}
    assert sources <= {"'self'", "'none'", "data:", "'unsafe-inline'"}, "no other host, no scheme-wide source"
    assert "'unsafe-inline'" not in directives["script-src"] + directives["style-src"]
    assert "'unsafe-eval'" not in sources


def test_the_checks_see_an_inline_script_a_handler_and_a_missing_header(client, world):
    page = client.get("/")
    page.content = page.content.replace(
        b"</body>", b'<script>alert(1)</script><a href=" javascript:alert(2)" onclick="x()">x</a></body>'
    )
    assert len(problems_of(page)) == 3
    del page["Content-Security-Policy"]
    assert problems_of(page) == ["no Content-Security-Policy header"]


def test_every_pensioner_page_carries_the_policy_and_no_inline_code(client, pensioner_a, pensioner_c):
    audit = Audit(client)
    for path in ["/", reverse("portal:help"), reverse("portal:login"), "/no-such-page/"]:
        audit.get(path)
    audit.post(reverse("portal:login"), {"national_code": pensioner_a.national_code})
    audit.get(reverse("portal:login_code"))
    audit.post(reverse("portal:login_code"), {"code": "000000"})  # a wrong code: the page again, with the error
    audit.post(reverse("portal:login_code"), {"code": latest_code(pensioner_a.mobile)})

    audit.get(reverse("portal:wizard"))
    audit.get(reverse("portal:step_terms"))
    draft = EnrollmentRequest.objects.get(pensioner=pensioner_a, status=RequestStatus.DRAFT)
    audit.post(reverse("portal:step_terms"), {"terms_version": terms_current(period=draft.period).pk})
    audit.get(reverse("portal:step_data"))
    audit.get(reverse("portal:data_mismatch"))
    audit.post(reverse("portal:step_data"), {})
    audit.get(reverse("portal:step_people"))
    operations = {f"op-{key}": op for key, op in family_enroll_operations(pensioner_a).items()}
    audit.post(reverse("portal:step_people"), operations)
    audit.get(reverse("portal:step_review"))
    done = audit.post(reverse("portal:step_review"), {"draft": draft.pk})
    audit.get(done["Location"])
    audit.get(reverse("portal:requests"))
    submitted = EnrollmentRequest.objects.get(pk=draft.pk)
    audit.get(reverse("portal:request_cancel", args=[submitted.tracking_code]))

    client.logout()
    sign_in(client, pensioner_c)
    stop = audit.get(reverse("portal:wizard"))  # a colleague: told why not, on the wizard's own address
    audit.get(reverse("portal:done", args=[submitted.tracking_code]))  # another's receipt: not found

    assert audit.problems == []
    assert "ویژه مستمری‌بگیران غیرهمکار" in stop.content.decode()
    for step in ["step_terms", "step_data", "step_people", "step_review"]:
        assert (f"GET {reverse(f'portal:{step}')}", 200) in audit.pages
    assert (f"GET {done['Location']}", 200) in audit.pages
    assert (f"GET {reverse('portal:done', args=[submitted.tracking_code])}", 404) in audit.pages


def test_the_csrf_failure_page_carries_the_policy(world):
    response = Client(enforce_csrf_checks=True).post(reverse("portal:login"), {"national_code": "0010000011"})
    assert response.status_code == 403
    assert problems_of(response) == []


def test_every_admin_page_a_manager_opens_carries_the_policy_and_no_inline_code(client, world, pensioner_a):
    submitted = file_request(pensioner_a)
    audit = Audit(client)
    audit.get(reverse("admin:login"))
    client.force_login(User.objects.get(username="manager"))

    pensioner = reverse("admin:enrollment_pensioner_change", args=[pensioner_a.pk])
    version = pensioner_a.history.latest("history_id").history_id
    for path in [
        reverse("admin:index"),
        reverse("admin:enrollment_enrollmentrequest_change", args=[submitted.pk]),
        pensioner,
        reverse("admin:enrollment_pensioner_history", args=[pensioner_a.pk]),
        reverse("admin:enrollment_pensioner_simple_history", args=[pensioner_a.pk, version]),
        reverse("admin:enrollment_pensioner_import"),
        reverse("admin:enrollment_pensioner_add"),
        reverse("admin:password_change"),
        "/admin/reports/monthly-deductions/",
        "/admin/reports/reconciliation/",
        "/admin/no-such-page/",
    ]:
        audit.get(path)
    for model in admin.site._registry:
        audit.get(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"))
    export_form = audit.post(
        reverse("admin:enrollment_pensioner_changelist"),
        {"action": "export_list", "index": "0", "_selected_action": [str(pensioner_a.pk)], "select_across": "0"},
    )

    assert audit.problems == []
    assert "قالب فایل" in export_form.content.decode()
    assert (f"GET {pensioner}", 200) in audit.pages
    assert (f"GET {reverse('admin:enrollment_pensioner_import')}", 200) in audit.pages
    assert {200, 403, 404} <= {status for _, status in audit.pages}, "pages, refusals and a missing page"


def test_the_superusers_account_pages_carry_no_inline_code(client, world):
    root = User.objects.create_superuser("root", "root@example.ir", "not-a-demo-password")
    client.force_login(root)
    audit = Audit(client)
    for path in [
        reverse("admin:auth_user_changelist"),
        reverse("admin:auth_user_add"),
        reverse("admin:auth_user_change", args=[root.pk]),
        reverse("admin:auth_user_password_change", args=[root.pk]),
        reverse("admin:auth_group_add"),
        reverse("admin:enrollment_pensioner_add") + "?_popup=1",
    ]:
        audit.get(path)
    assert audit.problems == []
    assert {status for _, status in audit.pages} == {200}


def test_the_second_factor_pages_carry_the_policy_and_no_inline_code(client, world, settings):
    settings.STAFF_OTP_REQUIRED = True
    audit = Audit(client)
    audit.post(reverse("admin:login"), {"username": "manager", "password": settings.DEMO_PASSWORD})
    enrol = audit.get(reverse("admin:staff_otp_enrol"))
    assert audit.problems == []
    assert enrol.status_code == 200
    assert "<svg" in enrol.content.decode(), "the QR code, drawn inline"


JAZZMIN_TEMPLATES = Path(jazzmin.__file__).parent / "templates"
OUR_TEMPLATES = Path(settings.BASE_DIR) / "core" / "templates"
# What the copies leave out: jazzmin's inline scripts (moved to our files) and its optional Google Fonts link
# (every asset is served by the project; the font is our own Vazirmatn). One change besides: the theme
# chooser's base, a directory, is written from the static prefix, as `{% static %}` of a directory has no
# entry in production's manifest and failed every admin page (tests/config/test_static_production.py).
SCRIPT_OR_COMMENT = re.compile(
    r"{% comment %}.*?{% endcomment %}|<script>.*?</script>|<script src=\"{% static 'core/js/[^>]*></script>"
    r"|{% if jazzmin_settings.use_google_fonts_cdn %}.*?{% endif %}"
    r"|data-theme-base=\"(?:{% static 'vendor/bootswatch' %}|{% get_static_prefix %}vendor/bootswatch)\"",
    re.S,
)
ANOTHER_HOST = re.compile(r"(?:src|href)=\"(?:https?:)?//")
# And the English that jazzmin writes into its markup, read aloud to staff: in Persian in our copy.
IN_PERSIAN = {
    'aria-label="Main navigation"': 'aria-label="منوی اصلی"',
    'alt="{{ jazzmin_settings.site_header }} Logo"': 'alt="نشان {{ jazzmin_settings.site_header }}"',
}


# And the accessibility fixes of the admin's chrome (tests/enrollment/test_admin_axe.py): names for the icon-only
# sidebar toggle and search button, and list roles on the menus, which AdminLTE's script would otherwise make
# navigation landmarks holding bare list items (axe: listitem), each list and landmark named in Persian.
ACCESSIBILITY_EDITS = {
    "admin/base.html": [
        ('<ul class="navbar-nav">', '<ul class="navbar-nav" role="list" aria-label="میانبرها">'),
        (
            '<a class="nav-link" data-lte-toggle="sidebar" href="#" role="button"><i class="fas fa-bars"></i></a>',
            '<a class="nav-link" data-lte-toggle="sidebar" href="#" role="button" aria-label="نمایش یا پنهان کردن منو"'
            ' aria-controls="jazzy-sidebar"><i class="fas fa-bars" aria-hidden="true"></i></a>',
        ),
        (
            '<button class="btn btn-navbar" type="submit"> <i class="fas fa-search"></i>',
            '<button class="btn btn-navbar" type="submit" aria-label="{% trans \'Search\' %}">'
            ' <i class="fas fa-search" aria-hidden="true"></i>',
        ),
        ('<ul class="navbar-nav ms-auto">', '<ul class="navbar-nav ms-auto" role="list" aria-label="حساب کاربری">'),
        (
            '<nav class="mt-2"> <ul class="nav sidebar-menu flex-column {{ jazzmin_ui.sidebar_list_classes }}"'
            ' data-lte-toggle="treeview" role="navigation" aria-label="منوی اصلی"',
            '<nav class="mt-2" aria-label="منوی کناری"> <ul class="nav sidebar-menu flex-column'
            ' {{ jazzmin_ui.sidebar_list_classes }}" data-lte-toggle="treeview" role="list"'
            ' aria-label="منوی اصلی"',
        ),
    ],
}


def _without_scripts(template: str) -> str:
    for english, persian in IN_PERSIAN.items():
        template = template.replace(english, persian)
    return " ".join(SCRIPT_OR_COMMENT.sub(" ", template).split())


def _with_our_edits(name: str, jazzmins: str) -> str:
    for theirs, ours in ACCESSIBILITY_EDITS.get(name, []):
        assert jazzmins.count(theirs) == 1, f"jazzmin's {name} changed around {theirs!r}: copy it again"
        jazzmins = jazzmins.replace(theirs, ours)
    return jazzmins


@pytest.mark.parametrize("name", ["admin/base.html", "registration/base.html"])
def test_our_copies_of_jazzmins_base_templates_differ_only_by_the_inline_scripts_and_the_listed_fixes(name):
    """The copies shadow jazzmin's own: when jazzmin changes its template, copy it again."""
    ours = (OUR_TEMPLATES / name).read_text()
    assert "<script>" not in ours
    assert not ANOTHER_HOST.search(ours)
    jazzmins = _without_scripts((JAZZMIN_TEMPLATES / name).read_text())
    assert _without_scripts(ours) == _with_our_edits(name, jazzmins)
