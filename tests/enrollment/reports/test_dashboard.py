"""The managers' dashboard on the admin home: the database's numbers, the staff's own queues, a fixed
number of queries whatever the data, and a cache shared by the managers."""

import dataclasses
import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.text import format_number
from enrollment import workflow
from enrollment.models import EnrollmentRequest, Operation, Pensioner, RequestItem, RequestStatus
from enrollment.reports.dashboard import STATUS_ORDER, dashboard_charts, dashboard_compute, dashboard_for
from enrollment.reports.reconciliation import FindingKind
from tests.enrollment.conftest import file_request
from tests.enrollment.reports.dashboard_data import requests_spread

HOME = "/admin/"
ACCEPTED_ON = dt.date(2026, 11, 25)


def _accept(request, kanoon, branch, today=ACCEPTED_ON):
    workflow.request_kanoon_approve(request_id=request.pk, by=kanoon)
    return workflow.request_branch_accept(request_id=request.pk, by=branch, today=today)


@pytest.fixture
def accepted(submitted_a, pensioner_b, kanoon_tehran, branch_tehran, kanoon_karaj, branch_karaj):
    """A's family enrolled (3 persons), B and spouse withdrew (2 persons): both accepted."""
    spouse = pensioner_b.dependents.get(relation="spouse")
    withdrawal = file_request(pensioner_b, {"self": Operation.WITHDRAW, str(spouse.pk): Operation.WITHDRAW})
    return _accept(submitted_a, kanoon_tehran, branch_tehran), _accept(withdrawal, kanoon_karaj, branch_karaj)


@pytest.fixture
def spread(world):
    return requests_spread(world, offices=12, per_office=8)


def _figure(page: str, name: str) -> str:
    match = re.search(rf'data-figure="{name}">\s*(?:<a [^>]*>)?([^<]+)<', page)
    assert match, name
    return match.group(1).strip()


def test_the_manager_sees_the_counts_of_the_database(client, manager, world, accepted, spread):
    client.force_login(manager)
    response = client.get(HOME)
    assert response.status_code == 200
    dashboard = response.context["dashboard"]
    live = EnrollmentRequest.objects.filter(period=world).exclude(status=RequestStatus.DRAFT)
    for status in STATUS_ORDER:
        assert dashboard.count_of(status) == live.filter(status=status).count(), status
    assert dashboard.total == live.count() == 2 + 12 * 7
    page = response.content.decode()
    assert _figure(page, "total") == format_number(live.count())
    assert _figure(page, "kanoon_review") == format_number(live.filter(status="kanoon_review").count())
    assert _figure(page, "accepted") == format_number(live.filter(status="accepted").count())
    assert _figure(page, "reconciliation") == "۰"


def test_counties_and_branches_show_the_top_ten_and_sum_the_rest(manager, world, accepted, spread):
    dashboard = dashboard_compute(manager, world)
    total = dashboard.total
    for rows in (dashboard.counties, dashboard.branches):
        assert len(rows) == 11 and rows[-1].pk is None
        assert sum(row.total for row in rows) == total
        assert [row.total for row in rows[:10]] == sorted((row.total for row in rows[:10]), reverse=True)
    assert sum(row.waiting for row in dashboard.counties) == dashboard.count_of("kanoon_review")
    assert sum(row.waiting for row in dashboard.branches) == dashboard.count_of("branch_review")
    assert sum(day.count for day in dashboard.days) == total


def test_the_oldest_queues_come_first(manager, world, spread):
    dashboard = dashboard_compute(manager, world)
    for backlog, status, field in [
        (dashboard.kanoon_backlog, "kanoon_review", "kanoon__county_id"),
        (dashboard.branch_backlog, "branch_review", "branch_id"),
    ]:
        assert 0 < len(backlog) <= 10
        assert [row.oldest for row in backlog] == sorted(row.oldest for row in backlog)
        first = backlog[0]
        waiting = EnrollmentRequest.objects.filter(period=world, status=status, **{field: first.pk})
        assert first.waiting == waiting.count()
        assert first.oldest == min(r.waiting_since for r in waiting)


def test_persons_enrolled_withdrawn_and_covered_before_and_after(manager, world, accepted):
    persons = dashboard_compute(manager, world).persons
    assert (persons.enroll_accepted, persons.withdraw_accepted) == (3, 2)
    assert (persons.covered_before, persons.covered_after) == (2, 3)
    # «after» is derived from «before» and the accepted moves: it is what the items themselves say.
    items = RequestItem.objects.filter(request__status=RequestStatus.ACCEPTED, request__period=world)
    assert persons.covered_after == items.filter(status_after=True).count()


def test_the_charts_are_svg_with_persian_figures_and_a_table(client, manager, world, accepted, spread):
    client.force_login(manager)
    page = client.get(HOME).content.decode()
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg"') == 5
    assert 'aria-labelledby="chart-days-title chart-days-desc"' in page
    assert '<title id="chart-statuses-title">درخواست‌ها به تفکیک وضعیت</title>' in page
    texts = re.findall(r"<text [^>]*>([^<]*)</text>", page)
    assert texts and not [text for text in texts if re.search(r"[0-9]", text)]
    assert page.count("جدول داده‌های نمودار") == 5


def test_kanoon_staff_get_their_queues_not_the_dashboard(client, kanoon_tehran, world, submitted_a):
    client.force_login(kanoon_tehran)
    page = client.get(HOME).content.decode()
    assert 'id="my-queues"' in page
    assert 'id="manager-dashboard"' not in page and 'id="reports-links"' not in page
    assert not cache.get(f"reports-dashboard:{world.pk}:all")


def test_branch_staff_get_their_queues_and_the_monthly_list(client, branch_tehran, world):
    client.force_login(branch_tehran)
    page = client.get(HOME).content.decode()
    assert 'id="my-queues"' in page and 'id="reports-links"' in page
    assert 'id="manager-dashboard"' not in page


def test_the_dashboard_costs_the_same_queries_whatever_the_data(client, manager, world, accepted):
    client.force_login(manager)
    requests_spread(world, offices=2, per_office=8)
    client.get(HOME)  # the session and the user's permissions are read as on any page
    cache.clear()
    with CaptureQueriesContext(connection) as small:
        assert client.get(HOME).status_code == 200
    requests_spread(world, offices=15, per_office=16)
    cache.clear()
    with CaptureQueriesContext(connection) as large:
        assert client.get(HOME).status_code == 200
    assert len(large) == len(small)
    # The requests are scanned twice: once grouped by status, Kanoon and branch for every figure but the
    # days, once for the days (the persons are counted over the items).
    scans = [
        q["sql"]
        for q in large.captured_queries
        if re.search(r'FROM "enrollment_enrollmentrequest" (WHERE|INNER JOIN|LEFT OUTER JOIN)', q["sql"])
        and "GROUP BY" in q["sql"]
    ]
    assert len(scans) == 2, scans
    with CaptureQueriesContext(connection) as cached:
        client.get(HOME)
    assert len(cached) < len(small)
    assert not [q for q in cached.captured_queries if "enrollment_enrollmentrequest" in q["sql"]]


def test_the_reconciliation_count_on_the_dashboard_links_to_the_findings(client, manager, world, accepted):
    enrolled, _ = accepted
    Pensioner.objects.filter(pk=enrolled.pensioner_id).update(has_supplementary=False)
    client.force_login(manager)
    response = client.get(HOME)
    assert response.context["reconciliation"].counts[FindingKind.FLAG_NOT_FLIPPED] == 1
    assert _figure(response.content.decode(), "reconciliation") == "۱"
    assert 'href="/admin/reports/reconciliation/"' in response.content.decode()


def test_the_day_chart_runs_right_to_left(manager, world, spread):
    chart = dashboard_charts(dashboard_compute(manager, world))["days"]
    assert chart.bars[0].x > chart.bars[-1].x  # the first day on the right


def test_stale_figures_are_refreshed_by_one_request_while_the_others_show_them(manager, world, spread):
    dashboard_for(manager)
    key = f"reports-dashboard:{world.pk}:all"
    stale = dataclasses.replace(cache.get(key), computed_at=timezone.now() - dt.timedelta(minutes=5))
    cache.set(key, stale)
    cache.set(f"{key}:refreshing", True)  # another request is computing them
    with CaptureQueriesContext(connection) as busy:
        assert dashboard_for(manager) == stale
    assert not [q for q in busy.captured_queries if "enrollment_enrollmentrequest" in q["sql"]]
    cache.delete(f"{key}:refreshing")
    fresh = dashboard_for(manager)
    assert fresh.computed_at > stale.computed_at
    assert cache.get(f"{key}:refreshing") is None


def test_the_home_never_counts_reconciliation_in_the_request(client, manager, world, accepted, monkeypatch):
    """Cold, it queues one refresh for a worker and says the figures are on their way; once the worker
    has counted, the figures show with the time they were computed."""
    from enrollment.reports import dashboard

    queued = []
    monkeypatch.setattr(dashboard, "async_task", lambda *args, **kwargs: queued.append(args))
    counted = []
    real_counts = dashboard.reconciliation_counts
    monkeypatch.setattr(dashboard, "reconciliation_counts", lambda period: counted.append(period) or {})
    client.force_login(manager)
    page = client.get(HOME).content.decode()
    assert "در حال محاسبه" in page and counted == []
    assert queued == [(dashboard.RECONCILIATION_TASK, world.pk)]
    client.get(HOME)
    assert len(queued) == 1  # one refresh at a time
    monkeypatch.setattr(dashboard, "reconciliation_counts", real_counts)
    figures = dashboard.reconciliation_refresh(world.pk)  # what the worker does
    page = client.get(HOME).content.decode()
    assert _figure(page, "reconciliation") == format_number(figures.total)
    assert 'data-figure="reconciliation-age">محاسبه: ' in page and len(queued) == 1


def test_the_planner_knows_the_dashboards_groups(on_postgres, manager, world, spread):
    """The statistics of migration 0011 exist, and the day's expression is the one Django writes for the
    dashboard's days: a statistic on another expression would be silently ignored."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT stxname FROM pg_statistic_ext WHERE stxrelid = 'enrollment_enrollmentrequest'::regclass")
        names = {row[0] for row in cursor.fetchall()}
        cursor.execute(
            "SELECT pg_get_statisticsobjdef_expressions(oid) FROM pg_statistic_ext "
            "WHERE stxname = 'enrollmentrequest_submitted_day'"
        )
        (expressions,) = cursor.fetchone()
    assert {"enrollmentrequest_offices", "enrollmentrequest_submitted_day"} <= names
    with CaptureQueriesContext(connection) as context:
        dashboard_compute(manager, world)
    days = next(q["sql"] for q in context.captured_queries if "AT TIME ZONE" in q["sql"])

    def bare(sql: str) -> str:  # the same expression tree, whatever the quotes, brackets and casts of text
        return re.sub(r'[()"]|::text|enrollment_enrollmentrequest\.', "", sql)

    assert bare(expressions[0]) in bare(days)
