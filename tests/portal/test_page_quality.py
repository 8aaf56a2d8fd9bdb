"""Every public page: under 100 KB with its CSS and JS, nothing from another host, Persian, right to left,
Persian digits in all visible text, a skip link and labelled fields."""

import re
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import reverse

from enrollment.models import Operation
from policies.models import TermsVersion
from portal.models import Announcement
from tests.portal.conftest import sign_in

LIMIT_BYTES = 100 * 1024
LATIN_DIGIT = re.compile(r"[0-9]")


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.text: list[str] = []
        self.html_attrs: dict[str, str] = {}
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.html_attrs = attrs
        if tag in ("script", "style"):
            self._skip += 1
        for name in ("src", "href", "action"):
            if attrs.get(name):
                self.links.append(attrs[name])

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)


def _parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


@pytest.fixture
def pages(client, pensioner_a) -> dict[str, str]:
    """The HTML of every public page, visited in the order a pensioner meets them."""
    got: dict[str, str] = {}

    def visit(name: str, url: str, **kwargs) -> None:
        response = client.get(url, **kwargs)
        assert response.status_code in (200, 403), (name, response.status_code)
        got[name] = response.content.decode()

    announcement = Announcement.objects.create(title="آغاز ثبت‌نام", body="متن ۱۴۰۵", is_published=True)
    visit("home", "/")
    visit("help", reverse("portal:help"))
    visit("announcement", announcement.get_absolute_url())
    visit("login", reverse("portal:login"))
    got["login_error"] = client.post(reverse("portal:login"), {"national_code": "12345"}).content.decode()
    client.post(reverse("portal:login"), {"national_code": pensioner_a.national_code})
    visit("login_code", reverse("portal:login_code"))
    client.post(reverse("portal:login_code_resend"))
    sign_in(client, pensioner_a)
    client.get(reverse("portal:wizard"))
    visit("step1", reverse("portal:step_terms"))
    client.post(reverse("portal:step_terms"), {"terms_version": TermsVersion.objects.get().pk})
    visit("step2", reverse("portal:step_data"))
    visit("mismatch", reverse("portal:data_mismatch"))
    client.post(reverse("portal:step_data"))
    visit("step3", reverse("portal:step_people"))
    got["step3_errors"] = client.post(reverse("portal:step_people"), {"op-self": "none"}).content.decode()
    ops = {f"op-{d.pk}": Operation.ENROLL for d in pensioner_a.dependents.all() if d.first_name != "مریم"}
    client.post(reverse("portal:step_people"), {"op-self": Operation.ENROLL, **ops})
    visit("step4", reverse("portal:step_review"))
    draft = pensioner_a.requests.get()
    done = client.post(reverse("portal:step_review"), {"draft": draft.pk})
    visit("done", done["Location"])
    visit("stop", reverse("portal:wizard"))
    visit("requests", reverse("portal:requests"))
    visit("cancel", reverse("portal:request_cancel", args=[draft.tracking_code]))
    return got


def _asset_bytes(url: str) -> int:
    path = finders.find(url.removeprefix("/" + settings.STATIC_URL.strip("/") + "/"))
    assert path, f"{url} is not a static file of the project"
    with open(path, "rb") as handle:
        return len(handle.read())


def test_every_page_with_its_css_and_js_is_under_100_kb(pages):
    for name, html in pages.items():
        assets = [link for link in _parse(html).links if link.endswith((".css", ".js"))]
        total = len(html.encode()) + sum(_asset_bytes(link) for link in assets)
        assert total < LIMIT_BYTES, (name, total)
        assert any(link.endswith("site.css") for link in assets), name


def test_no_page_loads_or_links_anything_from_another_host(pages):
    for name, html in pages.items():
        for link in _parse(html).links:
            assert not re.match(r"^(https?:)?//", link), (name, link)
        assert "@import" not in html and "url(http" not in html, name


def test_the_stylesheet_and_script_reference_no_other_host():
    for asset in ("portal/css/site.css", "portal/js/site.js"):
        with open(finders.find(asset), encoding="utf-8") as handle:
            text = handle.read()
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text, re.IGNORECASE), asset


def test_every_page_is_persian_right_to_left_with_a_skip_link(pages):
    for name, html in pages.items():
        page = _parse(html)
        assert page.html_attrs == {"lang": "fa", "dir": "rtl"}, name
        assert '<a class="skip-link" href="#main">' in html and 'id="main"' in html, name
        assert 'name="viewport"' in html, name


def test_people_read_only_persian_digits(pages):
    for name, html in pages.items():
        visible = " ".join(_parse(html).text)
        found = [visible[max(0, m.start() - 30) : m.end() + 30] for m in LATIN_DIGIT.finditer(visible)]
        assert not found, (name, found[:3])


def test_every_input_has_a_visible_label(pages):
    for name, html in pages.items():
        for field_id in re.findall(r'<input id="([^"]+)"', html):
            assert f'<label for="{field_id}">' in html, (name, field_id)
        for _ in re.findall(r'<input type="radio"', html):
            assert '<label class="radio"><input type="radio"' in html, name


def test_the_font_is_served_locally_with_a_fallback_and_the_receipt_has_a_print_style():
    with open(finders.find("portal/css/site.css"), encoding="utf-8") as handle:
        css = handle.read()
    assert "@font-face" in css and 'url("../../core/fonts/vazirmatn/Vazirmatn-Variable.woff2")' in css
    assert finders.find("core/fonts/vazirmatn/Vazirmatn-Variable.woff2")
    assert '"Vazirmatn", Tahoma' in css and "font-display: swap" in css
    assert "@media print" in css and "font-size: 112.5%" in css


def test_an_expired_form_is_explained_in_persian(world):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(reverse("portal:login"), {"national_code": "0010000011"})
    assert response.status_code == 403 and "فرم منقضی شده است" in response.content.decode()
