import os

import pytest
from django.db import connection

# The production smoke (tests/smoke) talks to a running stack: `make smoke` starts one and names it.
collect_ignore = [] if os.environ.get("SMOKE_ENV_FILE") else ["smoke"]


def pytest_report_header(config):
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    return f"database: {engine}"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: cached staff scopes and rate limits are keyed by ids that the
    next test's rows may reuse."""
    from django.core.cache import cache

    from policies.current import period_current_forget

    cache.clear()
    period_current_forget()  # and this process's copy of the current period
    yield
    cache.clear()
    period_current_forget()


# --- Personas of the demo world (DESIGN.md's demo contract) -------------------------------------


@pytest.fixture
def world(db):
    from fixtures.demo import demo_world_ensure

    return demo_world_ensure()


def _pensioner(national_code: str):
    from enrollment.models import Pensioner

    return Pensioner.objects.get(national_code=national_code)


@pytest.fixture
def pensioner_a(world):
    return _pensioner("0010000011")


@pytest.fixture
def pensioner_b(world):
    return _pensioner("0010000021")


@pytest.fixture
def pensioner_c(world):
    return _pensioner("0010000038")


@pytest.fixture
def on_postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")


# --- Browser tests: a headless system Chromium (see tests/browser.py) ----------------------------


@pytest.fixture
def chromium_browser():
    """List it after the fixtures that write the test's data: while Playwright runs, Django refuses ORM
    calls from the test's thread (SynchronousOnlyOperation)."""
    from tests import browser

    if not browser.chromium_installed():
        pytest.skip(f"no Chromium at {browser.CHROMIUM_PATH} (set CHROMIUM_PATH)")
    with browser.chromium() as chromium:
        yield chromium
