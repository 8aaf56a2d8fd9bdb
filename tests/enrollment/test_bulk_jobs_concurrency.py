"""A bulk move job on PostgreSQL beside a colleague's transaction: what the colleague holds is reported and
skipped, never waited on, and the job still finishes."""

import threading
import time

import pytest
from django.db import connection, transaction
from django_q.conf import Conf

from enrollment import bulk_jobs, workflow
from enrollment.models import BulkMoveJob, EnrollmentRequest, RequestStatus
from enrollment.sms.models import OutboxMessage
from tests.enrollment.conftest import file_request
from tests.factories import PensionerFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def test_a_request_a_colleague_holds_is_reported_held_and_skipped(on_postgres, pensioner_a, kanoon_tehran, monkeypatch):
    monkeypatch.setattr(Conf, "SYNC", False)  # the job waits in the broker; this test is its worker
    held, *free = [
        file_request(PensionerFactory(county=pensioner_a.county, paying_branch=pensioner_a.paying_branch))
        for _ in range(3)
    ]
    job = bulk_jobs.bulk_move_start(
        user=kanoon_tehran, move_name="kanoon_approve", ids=[held.pk, *(r.pk for r in free)]
    )
    locked, release = threading.Event(), threading.Event()

    def colleague():  # another connection holds the row's lock, as a colleague's move in progress does
        try:
            with transaction.atomic():
                EnrollmentRequest.objects.select_for_update().get(pk=held.pk)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=colleague)
    thread.start()
    try:
        assert locked.wait(10)
        started = time.monotonic()
        assert bulk_jobs.bulk_move_job_run(job_id=job.pk) == "done"
        elapsed = time.monotonic() - started
    finally:
        release.set()
        thread.join()
    assert elapsed < 5
    job.refresh_from_db()
    assert (job.processed, job.moved, job.held, job.refused) == (3, 2, 1, 0)
    line = job.lines.get(request_id=held.pk)
    assert (line.outcome, line.reason, line.tracking_code) == ("held", workflow.HELD, held.tracking_code)
    held.refresh_from_db()
    assert held.status == RequestStatus.KANOON_REVIEW
    assert not OutboxMessage.objects.filter(request=held, template="kanoon_approved").exists()
    assert set(EnrollmentRequest.objects.filter(pk__in=[r.pk for r in free]).values_list("status", flat=True)) == {
        RequestStatus.BRANCH_REVIEW
    }
    assert BulkMoveJob.objects.get(pk=job.pk).status == "done"
