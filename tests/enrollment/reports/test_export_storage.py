"""Export files in S3-compatible object storage (a real moto server, tests/s3.py): written through the storage
API by whichever process runs the job, downloaded through Django by any other, deleted when they expire."""

import datetime as dt
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection
from django_q.models import Schedule

from enrollment.reports import expiry
from enrollment.reports.exports import export_job_run
from enrollment.reports.models import ExportJob, ExportKind, ExportStatus
from tests.enrollment.reports.export_helpers import CARTABLE, JOBS, csv_rows, export
from tests.s3 import media_files


def _download(job: ExportJob) -> str:
    return f"{JOBS}{job.pk}/download/"


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture
def small_inline(settings):
    settings.REPORTS_INLINE_EXPORT_MAX = 2


@pytest.fixture
def job_done(client, kanoon_tehran, submitted_a, small_inline, s3_storage, django_capture_on_commit_callbacks):
    """A large export of Tehran's Kanoon, run to the end: its file in the bucket."""
    client.force_login(kanoon_tehran)
    with django_capture_on_commit_callbacks(execute=True):
        export(client, CARTABLE + "?status__exact=kanoon_review")
    job = ExportJob.objects.get()
    assert job.status == ExportStatus.DONE
    return job


def test_the_job_writes_its_file_to_the_bucket_and_the_download_streams_it(client, job_done, s3_storage):
    assert s3_storage.object_keys() == [job_done.file.name]
    assert job_done.file.name.startswith("exports/") and job_done.file.name.endswith(".csv")
    assert media_files(settings.MEDIA_ROOT) == []  # nothing on this machine's disk
    response = client.get(_download(job_done))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="enrollment-list-')
    content = _body(response)
    assert content == s3_storage.body(job_done.file.name)
    assert len(csv_rows(content)) == 4


def test_the_download_keeps_its_scope_check(client, job_done, kanoon_karaj, branch_tehran, manager):
    for other in (kanoon_karaj, branch_tehran):
        client.force_login(other)
        assert client.get(_download(job_done)).status_code == 404
    client.force_login(manager)
    assert client.get(_download(job_done)).status_code == 200


def _test_database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_a_file_written_by_another_process_is_downloaded_here(client, kanoon_tehran, submitted_a, s3_storage):
    """The worker machine: a `manage.py` process of its own, with only the database and the bucket in common
    with this one, the web machine, which serves the download."""
    if connection.vendor != "postgresql":
        pytest.skip("a second process needs a database it can reach: the suite's SQLite database lives in memory")
    job = ExportJob.objects.create(user=kanoon_tehran, kind=ExportKind.REQUEST_ITEMS, file_format="xlsx")
    worker = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            f"from enrollment.reports.exports import export_job_run; print(export_job_run(job_id={job.pk}))",
        ],
        cwd=settings.BASE_DIR,
        env={
            **os.environ,
            **s3_storage.env(),
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "DATABASE_URL": _test_database_url(),
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert worker.returncode == 0, worker.stderr
    assert worker.stdout.strip().endswith("done"), worker.stdout
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE and job.rows_written == 3
    assert s3_storage.object_keys() == [job.file.name] and media_files(settings.MEDIA_ROOT) == []
    client.force_login(kanoon_tehran)
    response = client.get(_download(job))
    assert response.status_code == 200
    assert _body(response) == s3_storage.body(job.file.name)


def test_a_file_past_its_days_is_deleted_and_its_download_says_it_expired(client, job_done, s3_storage, settings):
    settings.EXPORT_FILES_KEEP_DAYS = 3
    name = job_done.file.name
    assert expiry.export_files_expire(now=job_done.finished_at + dt.timedelta(days=2, hours=23)) == 0
    assert s3_storage.object_keys() == [name]
    assert expiry.export_files_expire(now=job_done.finished_at + dt.timedelta(days=3, minutes=1)) == 1
    assert s3_storage.object_keys() == []
    job_done.refresh_from_db()
    assert job_done.status == ExportStatus.EXPIRED and not job_done.file and job_done.expired_at
    assert "پس از ۳ روز نگهداری حذف شد" in job_done.note
    response = client.get(_download(job_done))
    assert response.status_code == 410
    assert "پس از ۳ روز نگهداری حذف شد" in response.content.decode()
    page = client.get(JOBS).content.decode()
    assert "فایل منقضی شده و حذف شده است" in page and _download(job_done) not in page
    assert expiry.export_files_expire(now=job_done.finished_at + dt.timedelta(days=30)) == 0  # once only


def test_an_expired_job_of_someone_else_is_still_not_found(client, job_done, kanoon_karaj):
    expiry.export_files_expire(now=job_done.finished_at + dt.timedelta(days=365))
    client.force_login(kanoon_karaj)
    assert client.get(_download(job_done)).status_code == 404


def test_a_file_gone_from_the_bucket_before_the_sweep_says_it_expired(client, job_done, s3_storage):
    s3_storage.client.delete_object(Bucket=s3_storage.bucket, Key=job_done.file.name)
    response = client.get(_download(job_done))
    assert response.status_code == 410 and "حذف شد" in response.content.decode()
    assert expiry.export_files_expire(now=job_done.finished_at + dt.timedelta(days=365)) == 1


def test_a_job_run_again_by_a_second_delivery_does_not_write_a_second_file(job_done, s3_storage):
    assert export_job_run(job_id=job_done.pk) is None
    assert s3_storage.object_keys() == [job_done.file.name]


def test_the_sweep_is_scheduled_hourly_by_migrate(db):
    schedule = Schedule.objects.get(name="export_files_expire")
    assert schedule.func == "enrollment.reports.tasks.export_files_expire_task"
    assert schedule.schedule_type == Schedule.HOURLY and schedule.repeats == -1
