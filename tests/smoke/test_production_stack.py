"""The production stack through HTTP, as the proxy calls it (`X-Forwarded-Proto: https`).

Runs only against a running stack (`make smoke`: deploy/prod-local.sh starts it with the production
settings, PostgreSQL, Redis, gunicorn with 2 workers and the two qclusters, SMS to a local fake provider);
SMOKE_ENV_FILE names its stack.env. Nothing here touches the database directly: staff accounts get a
password and an authenticator key through `manage.py shell`, as an administrator would, and everything
else goes through the pages.
"""

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.smoke.client import Client, Page, stack_env, totp

ROOT = Path(__file__).resolve().parents[2]
ENV_FILE = Path(os.environ.get("SMOKE_ENV_FILE", "/tmp/sso-prod-local/stack.env"))
PASSWORD = "Smoke-pass-" + "7f3Kq9zL2mX8"
KEY = "3132333435363738393031323334353637383930"  # an authenticator app's key, hex
STAFF = ("smoke_root", "kanoon_tehran", "branch_tehran")
PENSIONER_A = ("0010000011", "09120000001")
SKIPPED_LINKS = ("logout", "signout", "password_change", "/delete/", "/history/", "/add/")
STATIC = re.compile(r'(?:src|href)="(/static/[^"]+)"')

PREPARE = f"""
from django.contrib.auth import get_user_model
from django_otp.plugins.otp_totp.models import TOTPDevice
User = get_user_model()
root, _ = User.objects.get_or_create(username="smoke_root", defaults={{"is_staff": True, "is_superuser": True}})
for username in {STAFF!r}:
    user = User.objects.get(username=username)
    user.set_password({PASSWORD!r})
    user.save()
    TOTPDevice.objects.filter(user=user).delete()
    TOTPDevice.objects.create(user=user, name="smoke", key={KEY!r}, confirmed=True)
"""


@pytest.fixture(scope="module")
def stack() -> dict[str, str]:
    env = stack_env(ENV_FILE)
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))}
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", PREPARE],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return env


def _staff(stack: dict[str, str], username: str) -> Client:
    """A staff member signed in with password and authenticator code, as the admin asks for them."""
    client = Client(stack["SMOKE_URL"], address=f"198.51.100.{STAFF.index(username) + 1}")
    page = client.post("/admin/login/?next=/admin/", {"username": username, "password": PASSWORD})
    assert "/admin/staff/verify/" in page.url, f"{username}: no second-factor step after the password"
    remaining = 30 - time.time() % 30
    if remaining < 3:  # a code typed at a step's very end may arrive in the next one
        time.sleep(remaining + 0.5)
    page = client.post(page.url, {"code": totp(KEY)})
    assert page.status == 200 and page.url.startswith("/admin/"), f"{username}: {page.status} {page.url}"
    assert 'name="code"' not in page.text, f"{username}: the authenticator code was refused"
    return client


def _static_refs(page: Page) -> set[str]:
    return set(STATIC.findall(page.text))


def _check_static(client: Client, refs: set[str]) -> None:
    assert refs, "the pages reference no static file"
    for ref in sorted(refs):
        answer = client.get(ref)
        assert answer.status == 200, f"{ref}: {answer.status}"
        assert answer.body, f"{ref}: empty"


def test_liveness_and_readiness(stack):
    client = Client(stack["SMOKE_URL"])
    live = client.get("/healthz")
    assert live.status == 200 and json.loads(live.body)["status"] == "ok"
    ready = client.get("/readyz")
    assert ready.status == 200, ready.text


def test_metrics_answer_the_token_only_with_both_workers_and_the_product_gauges(stack):
    client = Client(stack["SMOKE_URL"])
    assert client.get("/metrics").status == 404
    for _ in range(6):  # requests that land on both gunicorn workers
        client.get("/help/")
    client.headers = {"Authorization": f"Bearer {stack['METRICS_TOKEN']}"}
    page = client.get("/metrics")
    assert page.status == 200
    assert "django_http_responses_total_by_status_total" in page.text
    assert "sms_outbox_pending" in page.text and "task_queue_depth" in page.text


def test_every_admin_list_and_change_page_renders_with_its_static_files(stack):
    client = _staff(stack, "smoke_root")
    home = client.get("/admin/")
    assert home.status == 200
    links = set(re.findall(r'href="(/admin/[a-z_]+/[a-z_]+/)"', home.text))
    lists = sorted(url for url in links if not any(skipped in url for skipped in SKIPPED_LINKS))
    assert len(lists) >= 12, lists
    static = _static_refs(home)
    failures = []
    for url in lists:
        page = client.get(url)
        if page.status != 200:
            failures.append(f"{url}: {page.status}")
            continue
        static |= _static_refs(page)
        change = re.search(rf'href="({re.escape(url)}\d+/change/)[^"]*"', page.text)
        if change:
            detail = client.get(change.group(1))
            if detail.status != 200:
                failures.append(f"{change.group(1)}: {detail.status}")
            static |= _static_refs(detail)
    reports = sorted(set(re.findall(r'href="(/admin/reports/[a-z-]+/)"', home.text)))
    for url in reports:
        page = client.get(url)
        if page.status != 200:
            failures.append(f"{url}: {page.status}")
        static |= _static_refs(page)
    assert failures == []
    _check_static(client, static)


def _sms_code(stack: dict[str, str], mobile: str, after: int) -> str:
    """The code in the newest SMS the fake provider received for `mobile`, once qcluster sent it."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with urllib.request.urlopen(stack["SMOKE_SMS_CALLS"], timeout=10) as answer:
            calls = [c for c in json.load(answer) if c.get("receptor") == mobile]
        if len(calls) > after:
            match = re.search(r"\b(\d{6})\b", calls[-1]["message"])
            assert match, calls[-1]["message"]
            return match.group(1)
        time.sleep(0.5)
    raise AssertionError(f"no SMS reached {mobile} within a minute")


def _sent_count(stack: dict[str, str], mobile: str) -> int:
    with urllib.request.urlopen(stack["SMOKE_SMS_CALLS"], timeout=10) as answer:
        return sum(1 for c in json.load(answer) if c.get("receptor") == mobile)


def test_a_pensioner_signs_in_by_sms_and_the_request_goes_through_to_acceptance(stack):
    national_code, mobile = PENSIONER_A
    pensioner = Client(stack["SMOKE_URL"], address="203.0.113.20")
    home = pensioner.get("/")
    assert home.status == 200
    _check_static(pensioner, _static_refs(home))

    before = _sent_count(stack, mobile)
    page = pensioner.post("/login/", {"national_code": national_code})
    assert page.url == "/login/code/", page.text[:500]
    page = pensioner.post("/login/code/", {"code": _sms_code(stack, mobile, before)})
    assert page.status == 200 and page.url.startswith("/enrollment/"), page.url

    terms = re.search(r'name="terms_version" value="(\d+)"', pensioner.get("/enrollment/terms/").text)
    assert terms, "step 1 shows no terms"
    assert pensioner.post("/enrollment/terms/", {"terms_version": terms.group(1)}).url == "/enrollment/my-data/"
    assert pensioner.post("/enrollment/my-data/", {}).url == "/enrollment/people/"
    people = pensioner.get("/enrollment/people/").text
    choices = dict(re.findall(r'name="(op-[\w-]+)" value="(enroll|withdraw)"', people))
    assert "op-self" in choices, people[:500]
    page = pensioner.post("/enrollment/people/", choices)
    assert page.url == "/enrollment/review/", page.text[:500]
    draft = re.search(r'name="draft" value="(\d+)"', page.text).group(1)
    page = pensioner.post("/enrollment/review/", {"draft": draft})
    done = re.match(r"/enrollment/done/(\w+)/", page.url)
    assert done, page.url
    tracking = done.group(1)

    for username, move in (("kanoon_tehran", "kanoon_approve"), ("branch_tehran", "branch_accept")):
        staff = _staff(stack, username)
        found = staff.get(f"/admin/enrollment/enrollmentrequest/?q={tracking}")
        request_id = re.search(r'href="/admin/enrollment/enrollmentrequest/(\d+)/change/', found.text)
        assert request_id, f"{username} does not find {tracking}"
        change = f"/admin/enrollment/enrollmentrequest/{request_id.group(1)}/change/"
        staff.post(f"/admin/enrollment/enrollmentrequest/{request_id.group(1)}/move/{move}/", {}, csrf_from=change)
    page = staff.get(change)
    assert "مختومه - تایید نهایی" in page.text
