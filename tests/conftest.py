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


def pytest_collection_modifyitems(items):
    """A live server's thread opens connections of its own, the mirror's too, which a test must declare: its
    committed rows are what that second connection reads."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        if "live_server" in getattr(item, "fixturenames", ()) and marker and "databases" not in marker.kwargs:
            item.add_marker(pytest.mark.django_db(*marker.args, **marker.kwargs, databases=["default", "replica"]))


@pytest.fixture(autouse=True)
def _replica_reads_in_the_test_transaction(request):
    """In a database test, the "replica" alias (config/settings/test.py: a mirror of the default database) is
    the default's own connection: the reading work routed there (core/db_router.py) sees the test's rows,
    which a second connection would not before they commit. After the test database is set up, so Django's
    guard against undeclared databases wraps the mirror's own connection, not the default's; put back before
    it is torn down. Tests marked `replica_connection` keep the mirror's own connection."""
    from django.db import connections

    uses_db = request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(request.fixturenames)
    if "replica" not in connections or not uses_db or request.node.get_closest_marker("replica_connection"):
        yield
        return
    request.getfixturevalue("_django_db_helper")
    if "live_server" in request.fixturenames:  # the replica is one of its databases (pytest_collection_modifyitems)
        yield
        return
    replica = connections["replica"]
    connections["replica"] = connections["default"]
    try:
        yield
    finally:
        connections["replica"] = replica


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
