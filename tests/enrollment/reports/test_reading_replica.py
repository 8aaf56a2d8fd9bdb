"""Which database each path reads (core/db_router.py): the reading work — dashboard, exports, reconciliation,
the monthly list — on the replica; the cartable, every decision and every write on the primary.

Here the replica alias keeps a connection of its own (the `replica_connection` marker; elsewhere in the suite
it is the default's), on the same test database, so the queries of each alias can be told apart."""

import re

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from core.db_router import reading_replica
from enrollment import workflow
from enrollment.deductions import monthly
from enrollment.reports import exports
from enrollment.reports.dashboard import dashboard_compute
from enrollment.reports.models import ExportJob, ExportKind, ExportStatus
from enrollment.reports.reconciliation import reconcile, reconciliation_counts
from tests.enrollment.reports.export_helpers import CARTABLE, export

pytestmark = [
    pytest.mark.replica_connection,
    pytest.mark.django_db(transaction=True, databases=["default", "replica"]),
]

WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


class Queries:
    """The SQL each alias ran inside the block."""

    def __enter__(self):
        self._primary = CaptureQueriesContext(connections["default"])
        self._replica = CaptureQueriesContext(connections["replica"])
        self._primary.__enter__()
        self._replica.__enter__()
        return self

    def __exit__(self, *exc):
        self._replica.__exit__(*exc)
        self._primary.__exit__(*exc)

    @property
    def primary(self) -> list[str]:
        return [query["sql"] for query in self._primary.captured_queries]

    @property
    def replica(self) -> list[str]:
        return [query["sql"] for query in self._replica.captured_queries]


def _writes(sql: list[str]) -> list[str]:
    return [query for query in sql if WRITES.match(query)]


def test_the_replica_is_a_connection_of_its_own_here():
    assert connections["replica"] is not connections["default"]


def test_the_dashboards_figures_are_read_on_the_replica(world, submitted_a, manager):
    with Queries() as queries:
        figures = dashboard_compute(manager, world)
    assert figures.statuses and queries.replica
    assert not any("enrollment_enrollmentrequest" in sql for sql in queries.primary)


def test_reconciliation_reads_the_replica_only(world, submitted_a):
    with Queries() as queries:
        reconciliation_counts(world)
        reconcile(world)
    assert queries.replica and not queries.primary


def test_the_monthly_list_reads_the_replica(world, submitted_a, pensioner_a):
    month = world.coverage_start
    with Queries() as queries:
        monthly.month_totals(branch_id=pensioner_a.paying_branch_id, month=month)
        list(monthly.month_rows(branch_id=pensioner_a.paying_branch_id, month=month))
    assert len(queries.replica) == 2 and not queries.primary


def test_a_small_exports_rows_come_from_the_replica_and_its_record_goes_to_the_primary(
    client, kanoon_tehran, submitted_a
):
    client.force_login(kanoon_tehran)
    with Queries() as queries:
        response = export(client, CARTABLE + "?status__exact=kanoon_review")
    assert response.status_code == 200
    assert any("enrollment_requestitem" in sql for sql in queries.replica)
    assert not _writes(queries.replica)
    assert any("reports_exportjob" in sql for sql in _writes(queries.primary))


def test_a_jobs_rows_come_from_the_replica_and_its_claim_and_progress_go_to_the_primary(kanoon_tehran, submitted_a):
    job = ExportJob.objects.create(user=kanoon_tehran, kind=ExportKind.REQUEST_ITEMS, file_format="csv")
    with Queries() as queries:
        assert exports.export_job_run(job_id=job.pk) == ExportStatus.DONE
    assert any("enrollment_requestitem" in sql for sql in queries.replica)
    assert not any("reports_exportjob" in sql for sql in queries.replica)
    assert len(_writes(queries.primary)) >= 3  # the claim, the count, the end


def test_the_cartable_reads_the_primary_only(client, kanoon_tehran, submitted_a):
    client.force_login(kanoon_tehran)
    with Queries() as queries:
        assert client.get(CARTABLE + "?status__exact=kanoon_review").status_code == 200
    assert queries.primary and not queries.replica


def test_a_decision_reads_and_writes_the_primary_only(submitted_a, kanoon_tehran):
    with Queries() as queries:
        workflow.request_kanoon_approve(request_id=submitted_a.pk, by=kanoon_tehran)
    assert _writes(queries.primary) and not queries.replica


def test_a_write_inside_a_reading_block_still_goes_to_the_primary(kanoon_tehran):
    with Queries() as queries, reading_replica():
        ExportJob.objects.create(user=kanoon_tehran, kind=ExportKind.PENSIONERS, file_format="csv")
    assert _writes(queries.primary) and not _writes(queries.replica)
