"""/metrics: closed to everyone but the configured addresses or token; the product's gauges from the
database, next to django-prometheus's request metrics."""

import datetime as dt

import pytest
from django.test import override_settings
from django.utils import timezone

from enrollment.reports import exports
from enrollment.reports.models import ExportJob, ExportKind, ExportStatus
from enrollment.reports.sweep import jobs_sweep
from enrollment.sms.models import OutboxMessage, OutboxStatus
from tests.enrollment.conftest import file_request


@pytest.fixture
def scrape(client):
    def get(**headers):
        return client.get("/metrics", **headers)

    return get


@override_settings(METRICS_ALLOWED_ADDRESSES=[], METRICS_TOKEN="")
def test_closed_by_default_it_looks_like_it_does_not_exist(scrape, db):
    assert scrape().status_code == 404


@override_settings(METRICS_ALLOWED_ADDRESSES=["10.0.0.0/8"], METRICS_TOKEN="s3cret-token")
def test_open_to_the_configured_addresses_and_the_token_only(scrape, db):
    assert scrape(REMOTE_ADDR="10.1.2.3").status_code == 200
    assert scrape(REMOTE_ADDR="192.0.2.1").status_code == 404
    assert scrape(REMOTE_ADDR="192.0.2.1", HTTP_AUTHORIZATION="Bearer s3cret-token").status_code == 200
    assert scrape(REMOTE_ADDR="192.0.2.1", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404


@override_settings(METRICS_ALLOWED_ADDRESSES=["127.0.0.1"], METRICS_CACHE_SECONDS=0)
def test_the_product_gauges_count_requests_sms_exports_and_tasks(scrape, pensioner_a):
    file_request(pensioner_a)  # one request with the Kanoon, its SMS queued
    OutboxMessage.objects.update(created_at=timezone.now() - dt.timedelta(seconds=90))
    scrape(REMOTE_ADDR="127.0.0.1")  # a first request, so request metrics exist too
    text = scrape(REMOTE_ADDR="127.0.0.1").content.decode()
    queued = OutboxMessage.objects.filter(status=OutboxStatus.QUEUED).count()
    assert 'enrollment_requests{status="kanoon_review"} 1.0' in text
    assert f'sms_outbox_pending{{status="queued"}} {float(queued)}' in text
    oldest = next(line for line in text.splitlines() if line.startswith("sms_outbox_oldest_pending_seconds "))
    assert float(oldest.split()[1]) >= 90 if queued else float(oldest.split()[1]) == 0
    assert 'background_jobs{kind="exports",status="running"} 0.0' in text
    assert "task_queue_depth " in text
    assert "long_task_queue_depth 0.0" in text  # the long jobs' cluster has its own queue
    assert "django_http_responses_total_by_status_total" in text


@override_settings(METRICS_ALLOWED_ADDRESSES=["127.0.0.1"], METRICS_CACHE_SECONDS=0)
def test_a_job_whose_worker_died_shows_as_stalled_until_the_sweep_takes_it_up(
    scrape, manager, world, django_capture_on_commit_callbacks
):
    def gauge(kind: str, status: str) -> float:
        text = scrape(REMOTE_ADDR="127.0.0.1").content.decode()
        line = next(
            line for line in text.splitlines() if line.startswith(f'background_jobs{{kind="{kind}",status="{status}"}}')
        )
        return float(line.split()[-1])

    silent_since = timezone.now() - exports.STALE_AFTER - dt.timedelta(minutes=1)
    ExportJob.objects.create(
        user=manager, kind=ExportKind.PENSIONERS, file_format="csv", status=ExportStatus.RUNNING, attempts=1,
        heartbeat_at=silent_since,
    )  # fmt: skip
    ExportJob.objects.create(
        user=manager, kind=ExportKind.PENSIONERS, file_format="csv", status=ExportStatus.RUNNING, attempts=1,
        heartbeat_at=timezone.now(),
    )  # fmt: skip
    assert (gauge("exports", "running"), gauge("exports", "stalled")) == (2, 1)
    assert gauge("bulk_moves", "stalled") == 0
    with django_capture_on_commit_callbacks(execute=False):
        jobs_sweep()
    assert (gauge("exports", "queued"), gauge("exports", "running"), gauge("exports", "stalled")) == (1, 1, 0)
