"""Large exports as django-q2 jobs: created in the request, run after commit, scope applied again when they
run, progress recorded, the file complete, and downloadable by its owner (or who sees every scope) only."""

import datetime as dt

import pytest
from django.utils import timezone
from guardian.shortcuts import remove_perm

from core.jobs import gave_up_reason
from enrollment import roles
from enrollment.models import Kanoon
from enrollment.reports import exports
from enrollment.reports.models import ExportJob, ExportKind, ExportStatus
from tests.enrollment.reports.export_helpers import (
    CARTABLE,
    JOBS,
    another_tehran_request,
    csv_rows,
    export,
    karaj_withdrawal,
    xlsx_rows,
)


def _download(job: ExportJob) -> str:
    return f"{JOBS}{job.pk}/download/"


def _file_rows(job: ExportJob) -> list[list[str]]:
    with job.file.open("rb") as f:
        content = f.read()
    return csv_rows(content) if job.file_format == "csv" else xlsx_rows(content)


@pytest.fixture
def small_inline(settings):
    """Anything over two rows is "large"."""
    settings.REPORTS_INLINE_EXPORT_MAX = 2


@pytest.fixture
def progress(monkeypatch) -> list[dict]:
    """Every progress update a job makes, one row a chunk."""
    monkeypatch.setattr(exports, "CHUNK_SIZE", 1)
    recorded = []
    original = exports.job_beat

    def record(mine, **values):
        recorded.append(values)
        original(mine, **values)

    monkeypatch.setattr(exports, "job_beat", record)
    return recorded


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_a_large_export_becomes_a_job_whose_file_is_complete(
    client, kanoon_tehran, submitted_a, small_inline, progress, django_capture_on_commit_callbacks, file_format
):
    client.force_login(kanoon_tehran)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = export(client, CARTABLE + "?status__exact=kanoon_review", file_format=file_format)
    assert response.status_code == 302 and response.url == JOBS
    assert len(callbacks) == 1
    job = ExportJob.objects.get()
    assert (job.user, job.kind, job.file_format, job.query) == (
        kanoon_tehran,
        ExportKind.REQUEST_ITEMS,
        file_format,
        "status__exact=kanoon_review",
    )
    assert job.status == ExportStatus.DONE and job.attempts == 1 and job.finished_at and not job.error
    assert job.rows_written == job.total_estimate == 3
    rows = _file_rows(job)
    assert len(rows) == 4 and {row[0] for row in rows[1:]} == {submitted_a.tracking_code}
    assert progress == [{"total_estimate": 3}, {"rows_written": 1}, {"rows_written": 2}, {"rows_written": 3}]


def test_the_job_list_shows_progress_and_the_owner_downloads_the_file(
    client, kanoon_tehran, submitted_a, small_inline, django_capture_on_commit_callbacks
):
    client.force_login(kanoon_tehran)
    with django_capture_on_commit_callbacks(execute=True):
        export(client, CARTABLE + "?status__exact=kanoon_review")
    job = ExportJob.objects.get()
    page = client.get(JOBS).content.decode()
    assert "۳ ردیف" in page and _download(job) in page and "دریافت فایل" in page
    response = client.get(_download(job))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="enrollment-list-')
    content = b"".join(response.streaming_content)
    assert len(csv_rows(content)) == 4


def test_another_user_gets_404_for_the_file_and_does_not_see_the_job(
    client, kanoon_tehran, kanoon_karaj, branch_tehran, manager, auditor, submitted_a, small_inline,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    client.force_login(kanoon_tehran)
    with django_capture_on_commit_callbacks(execute=True):
        export(client, CARTABLE + "?status__exact=kanoon_review")
    job = ExportJob.objects.get()
    for other in (kanoon_karaj, branch_tehran):
        client.force_login(other)
        assert client.get(_download(job)).status_code == 404
        assert client.get(f"{JOBS}{job.pk}/change/").status_code == 302  # the admin's "does not exist"
        assert _download(job) not in client.get(JOBS).content.decode()
    for sees_all in (manager, auditor):
        client.force_login(sees_all)
        assert client.get(_download(job)).status_code == 200
        assert kanoon_tehran.get_full_name() in client.get(JOBS).content.decode()  # the requester, by name


def test_a_job_not_finished_has_no_file_to_download(client, kanoon_tehran, world):
    job = ExportJob.objects.create(user=kanoon_tehran, kind=ExportKind.REQUEST_ITEMS, file_format="csv")
    client.force_login(kanoon_tehran)
    assert client.get(_download(job)).status_code == 404
    assert 'http-equiv="refresh"' in client.get(JOBS).content.decode()  # the list follows its progress


def test_the_task_applies_the_scope_of_the_user_as_they_are_when_it_runs(
    kanoon_tehran, submitted_a, pensioner_b, small_inline, django_capture_on_commit_callbacks
):
    withdrawal = karaj_withdrawal(pensioner_b)
    with django_capture_on_commit_callbacks() as callbacks:
        job = exports.export_start(user=kanoon_tehran, kind=ExportKind.REQUEST_ITEMS, file_format="csv")
    assert job.status == ExportStatus.QUEUED
    # Before the worker runs, the user is moved from Tehran's Kanoon to Karaj's.
    remove_perm(roles.REVIEW_KANOON, kanoon_tehran, Kanoon.objects.get(county__code="TEH"))
    roles.kanoon_assign(user=kanoon_tehran, kanoon=Kanoon.objects.get(county__code="KRJ"))
    callbacks[0]()
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE
    assert {row[0] for row in _file_rows(job)[1:]} == {withdrawal.tracking_code}


def test_rows_ticked_by_hand_outside_the_scope_never_reach_the_file(kanoon_karaj, submitted_a, pensioner_a):
    other = another_tehran_request(pensioner_a)
    job = ExportJob.objects.create(
        user=kanoon_karaj, kind=ExportKind.REQUEST_ITEMS, file_format="csv", selected_ids=[submitted_a.pk, other.pk]
    )
    assert exports.export_job_run(job_id=job.pk) == ExportStatus.DONE
    job.refresh_from_db()
    assert job.rows_written == 0 and len(_file_rows(job)) == 1


def test_a_user_who_lost_the_right_to_export_gets_no_file(kanoon_tehran, submitted_a):
    job = ExportJob.objects.create(user=kanoon_tehran, kind=ExportKind.REQUEST_ITEMS, file_format="csv")
    kanoon_tehran.groups.clear()
    assert exports.export_job_run(job_id=job.pk) == ExportStatus.FAILED
    job.refresh_from_db()
    assert job.error == exports.REFUSED and not job.file


def test_a_failure_is_recorded_on_the_job(monkeypatch, manager, submitted_a):
    def broken(**kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(exports, "export_write", broken)
    job = ExportJob.objects.create(user=manager, kind=ExportKind.PENSIONERS, file_format="xlsx")
    assert exports.export_job_run(job_id=job.pk) == ExportStatus.FAILED
    job.refresh_from_db()
    assert "disk full" in job.error and job.finished_at and not job.file


def test_a_job_that_cannot_be_queued_says_so(
    monkeypatch, manager, world, small_inline, django_capture_on_commit_callbacks
):
    def broker_down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(exports, "async_task", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        job = exports.export_start(user=manager, kind=ExportKind.PENSIONERS, file_format="csv")
    job.refresh_from_db()
    assert (job.status, job.error) == (ExportStatus.FAILED, exports.NOT_QUEUED)


def test_a_running_job_is_not_run_twice_and_a_stalled_one_is_taken_over(manager, world):
    now = timezone.now()
    job = ExportJob.objects.create(
        user=manager, kind=ExportKind.PENSIONERS, file_format="csv", status=ExportStatus.RUNNING, attempts=1,
        heartbeat_at=now,
    )  # fmt: skip
    assert exports.export_job_run(job_id=job.pk) is None  # a second delivery while the first still writes
    ExportJob.objects.filter(pk=job.pk).update(heartbeat_at=now - exports.STALE_AFTER - dt.timedelta(seconds=1))
    assert exports.export_job_run(job_id=job.pk) == ExportStatus.DONE
    job.refresh_from_db()
    assert job.attempts == 2 and job.file
    assert exports.export_job_run(job_id=job.pk) is None  # done stays done


def test_a_job_that_keeps_dying_is_given_up(manager, world, settings):
    settings.REPORTS_EXPORT_MAX_ATTEMPTS = 2
    job = ExportJob.objects.create(
        user=manager, kind=ExportKind.PENSIONERS, file_format="csv", status=ExportStatus.RUNNING, attempts=2,
        heartbeat_at=timezone.now() - exports.STALE_AFTER - dt.timedelta(minutes=1),
    )  # fmt: skip
    assert exports.export_job_run(job_id=job.pk) is None
    job.refresh_from_db()
    assert (job.status, job.error) == (ExportStatus.FAILED, gave_up_reason(2))


def test_each_user_lists_their_own_jobs_and_managers_everyones(client, kanoon_tehran, kanoon_karaj, manager, world):
    mine = ExportJob.objects.create(user=kanoon_tehran, kind=ExportKind.REQUEST_ITEMS, file_format="csv")
    theirs = ExportJob.objects.create(user=kanoon_karaj, kind=ExportKind.PENSIONERS, file_format="xlsx")
    client.force_login(kanoon_tehran)
    listed = client.get(JOBS).context["cl"].result_list
    assert list(listed) == [mine]
    client.force_login(manager)
    assert set(client.get(JOBS).context["cl"].result_list) == {mine, theirs}
    assert theirs.pk not in [job.pk for job in exports.export_jobs_visible_to(kanoon_tehran)]


def test_an_export_jobs_filters_read_as_the_lists_filter_panel_does():
    from enrollment.models import EnrollmentRequest, Pensioner
    from enrollment.reports.admin import filters_described

    described = filters_described(
        EnrollmentRequest, "status__exact=accepted&operation=withdraw&submitted_from=1405/01/01&q=احمدی&o=2"
    )
    assert described == ("وضعیت: مختومه - تایید نهایی؛ عملیات: فقط انصراف؛ تاریخ ثبت از 1405/01/01؛ جستجو: احمدی")
    assert filters_described(Pensioner, "has_supplementary__exact=1") == "بیمه تکمیلی (نحوه پرداخت): بله"
