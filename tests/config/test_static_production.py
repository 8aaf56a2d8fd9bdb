"""Static files as production serves them: `collectstatic` with production's own storage (hashed names, a
manifest that refuses any name it lacks), then the admin's and the pensioner's pages render, every /static/
URL they name was collected under its hashed name, the fonts and images their style sheets name too, and
WhiteNoise serves a hashed file with a year's Cache-Control."""

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from posixpath import dirname, normpath
from urllib.parse import unquote, urlsplit

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client, override_settings

from enrollment.models import EnrollmentRequest, Pensioner
from tests.config.test_settings import PRODUCTION_ENV, _manage
from tests.enrollment.conftest import file_request
from tests.portal.conftest import sign_in

STATIC = "/static/"
STORAGES_OF_PRODUCTION = "import json; from django.conf import settings; print(json.dumps(settings.STORAGES))"
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+?)['"]?\s*\)""")


@pytest.fixture(scope="module")
def production_storages() -> dict:
    """STORAGES exactly as config.settings.production builds them, read in a process of its own."""
    result = _manage("shell", "--no-imports", "-c", STORAGES_OF_PRODUCTION, env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def collected(tmp_path_factory, production_storages) -> Path:
    """A STATIC_ROOT filled by `collectstatic --noinput`, as the README's deployment runs it."""
    root = tmp_path_factory.mktemp("staticfiles")
    with override_settings(STATIC_ROOT=root, STORAGES=production_storages):
        call_command("collectstatic", "--noinput", verbosity=0)
    return root


@pytest.fixture
def production_static(collected, production_storages):
    """Production's storage and WhiteNoise's production behaviour (no finders: only what was collected)."""
    with override_settings(
        STATIC_ROOT=collected,
        STORAGES=production_storages,
        WHITENOISE_AUTOREFRESH=False,
        WHITENOISE_USE_FINDERS=False,
    ):
        yield collected


@pytest.fixture
def hashed_names(collected) -> dict[str, str]:
    return json.loads((collected / "staticfiles.json").read_text())["paths"]


class StaticReferences(HTMLParser):
    """Every /static/ URL of a page's src and href attributes, and the admin's theme base (data-theme-base)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: set[str] = set()
        self.theme_bases: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in {"src", "href"} and value and value.startswith(STATIC):
                self.urls.add(value)
            if name == "data-theme-base" and value:
                self.theme_bases.add(value)

    handle_startendtag = handle_starttag


def _name_of(url: str) -> str:
    return unquote(urlsplit(url).path)[len(STATIC) :]


def _css_references(collected: Path, css_name: str) -> set[str]:
    """The collected names that a collected style sheet's url(...) point at (not data: URIs, not fragments)."""
    names = set()
    for url in CSS_URL.findall((collected / css_name).read_text(encoding="utf-8", errors="replace")):
        if url.startswith(("data:", "#")):
            continue
        assert "//" not in url, f"{css_name} names another host: {url}"
        path = unquote(urlsplit(url).path)
        names.add(normpath(path[len(STATIC) :] if path.startswith("/") else f"{dirname(css_name)}/{path}"))
    return names


def _problems_of_page(collected: Path, hashed: set[str], path: str, response) -> list[str]:
    if response.status_code != 200:
        return [f"{path}: {response.status_code}"]
    if response.request["PATH_INFO"] != urlsplit(path).path:  # followed a redirect to another page (a login?)
        return [f"{path}: ended at {response.request['PATH_INFO']}"]
    page = StaticReferences()
    page.feed(response.content.decode())
    problems = [f"{path}: no /static/ URL at all"] if not page.urls else []
    for url in sorted(page.urls):
        name = _name_of(url)
        if name not in hashed or not (collected / name).is_file():
            problems.append(f"{path}: {url} is not a collected, hashed file")
        elif name.endswith(".css"):
            problems += [
                f"{path}: {url} names {ref}, not a collected, hashed file"
                for ref in sorted(_css_references(collected, name))
                if ref not in hashed or not (collected / ref).is_file()
            ]
    for base in page.theme_bases:
        # jazzmin's theme chooser appends "/<theme>/bootstrap.min.css" to it (jazzmin/js/main.js).
        if not (collected / _name_of(base) / "flatly" / "bootstrap.min.css").is_file():
            problems.append(f"{path}: data-theme-base {base} is not the collected themes' directory")
    return problems


@pytest.fixture
def staff_pages(world) -> list[str]:
    pensioner = Pensioner.objects.get(national_code="0010000011")
    request = file_request(pensioner)
    superuser = User.objects.create_superuser("root", "root@example.ir", "x")
    return [
        "/admin/",
        "/admin/enrollment/pensioner/",
        f"/admin/enrollment/pensioner/{pensioner.pk}/change/",
        "/admin/enrollment/pensioner/import/",
        "/admin/enrollment/enrollmentrequest/",
        f"/admin/enrollment/enrollmentrequest/{request.pk}/change/",
        "/admin/policies/contractperiod/",
        f"/admin/policies/contractperiod/{world.pk}/change/",
        "/admin/sms/outboxmessage/",
        "/admin/auth/user/",
        f"/admin/auth/user/{superuser.pk}/password/",
        "/admin/password_change/",
    ]


def test_admin_pages_render_and_name_only_collected_hashed_files(production_static, hashed_names, staff_pages):
    hashed = set(hashed_names.values())
    problems = []
    anonymous = Client()
    problems += _problems_of_page(production_static, hashed, "/admin/login/", anonymous.get("/admin/login/"))
    staff = Client()
    staff.force_login(User.objects.get(username="root"))
    for path in staff_pages:
        problems += _problems_of_page(production_static, hashed, path, staff.get(path, follow=True))
    assert problems == []
    assert EnrollmentRequest.objects.exists()


def test_pensioner_pages_render_and_name_only_collected_hashed_files(production_static, hashed_names, pensioner_a):
    hashed = set(hashed_names.values())
    anonymous = Client()
    problems = [
        *_problems_of_page(production_static, hashed, "/", anonymous.get("/")),
        *_problems_of_page(production_static, hashed, "/login/", anonymous.get("/login/")),
        *_problems_of_page(production_static, hashed, "/help/", anonymous.get("/help/")),
    ]
    signed_in = Client()
    sign_in(signed_in, pensioner_a)
    problems += [
        f"signed in: {problem}" for problem in _problems_of_page(production_static, hashed, "/", signed_in.get("/"))
    ]
    assert problems == []


@pytest.mark.parametrize(
    ("css", "fonts"),
    [
        ("core/css/admin-rtl.css", {"Vazirmatn-FD-Regular.woff2", "Vazirmatn-FD-Bold.woff2"}),
        ("portal/css/site.css", {"Vazirmatn-Variable.woff2"}),
    ],
)
def test_the_hashed_style_sheets_name_the_hashed_vazirmatn_fonts(collected, hashed_names, css, fonts):
    references = _css_references(collected, hashed_names[css])
    expected = {hashed_names[f"core/fonts/vazirmatn/{font}"] for font in fonts}
    assert expected <= references, references
    assert all((collected / name).is_file() for name in expected)


def test_whitenoise_serves_hashed_files_for_a_year_and_the_originals_briefly(db, production_static, hashed_names):
    client = Client()
    font = client.get(STATIC + hashed_names["core/fonts/vazirmatn/Vazirmatn-Variable.woff2"])
    assert font.status_code == 200
    assert font["Cache-Control"] == "max-age=315360000, public, immutable"
    assert font["Content-Type"] == "font/woff2"
    font.close()

    css = client.get(STATIC + hashed_names["portal/css/site.css"], HTTP_ACCEPT_ENCODING="gzip")
    assert css.status_code == 200
    assert css["Content-Encoding"] == "gzip"
    assert "immutable" in css["Cache-Control"]
    css.close()

    original = client.get(STATIC + "portal/css/site.css")
    assert original.status_code == 200
    assert original["Cache-Control"] == "max-age=60, public"
    original.close()
