"""Jobs whose worker died are noticed: the minute sweep puts a stalled export, rollover or monthly list back in
the queue a bounded number of times, then fails it with a Persian reason; the manager starts it again."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from django_q.models import Schedule

from core.jobs import JobRules, Superseded, gave_up_reason, job_beat, job_claim
from enrollment.deductions import jobs as deduction_jobs
from enrollment.deductions.models import MonthlyListJob, RolloverJob
from enrollment.models import Branch
from enrollment.reports import exports
from enrollment.reports.models import ExportJob, ExportKind
from enrollment.reports.sweep import jobs_sweep
from policies import services

KINDS = {ExportJob: "exports", RolloverJob: "rollovers", MonthlyListJob: "monthly_lists"}


@pytest.fixture
def new_period(world, manager):
    return services.period_next_create(
        current=world,
        by=manager,
        title="قرارداد ۱۴۰۶-۱۴۰۷",
        window_opens_at=dt.datetime(2027, 10, 1, tzinfo=dt.UTC),
        window_closes_at=dt.datetime(2027, 11, 1, tzinfo=dt.UTC),
    )


def _job(model, manager, world, new_period):
    if model is ExportJob:
        return ExportJob.objects.create(user=manager, kind=ExportKind.PENSIONERS, file_format="csv")
    if model is RolloverJob:
        return RolloverJob.objects.create(old_period=world, new_period=new_period, user=manager)
    branch = Branch.objects.get(code="1012")
    return MonthlyListJob.objects.create(user=manager, branch=branch, month=dt.date(2026, 12, 22), file_format="csv")


def _rules(model) -> JobRules:
    return {
        ExportJob: exports.export_rules(),
        RolloverJob: deduction_jobs.ROLLOVER_RULES,
        MonthlyListJob: deduction_jobs.MONTHLY_RULES,
    }[model]


def _worker_dies(job, rules: JobRules) -> None:
    """The heartbeat stops: the last beat is older than the job's limit."""
    type(job).objects.filter(pk=job.pk).update(
        heartbeat_at=timezone.now() - rules.stale_after - dt.timedelta(seconds=1)
    )


def test_the_sweep_is_scheduled_every_minute_by_migrate(db):
    schedule = Schedule.objects.get(name="jobs_sweep")
    assert (schedule.func, schedule.minutes, schedule.repeats) == ("enrollment.reports.tasks.jobs_sweep_task", 1, -1)


@pytest.mark.parametrize("model", list(KINDS))
def test_a_job_whose_worker_keeps_dying_is_retried_then_failed_with_the_reason(
    model, manager, world, new_period, django_capture_on_commit_callbacks
):
    job = _job(model, manager, world, new_period)
    rules = _rules(model)
    for attempt in range(1, rules.max_attempts + 1):
        assert job_claim(model, job.pk, rules) is not None  # a worker starts it ...
        _worker_dies(job, rules)  # ... and is killed mid-run
        with django_capture_on_commit_callbacks() as queued:
            counts = jobs_sweep()[KINDS[model]]
        job.refresh_from_db()
        if attempt < rules.max_attempts:
            assert counts == {"requeued": 1, "failed": 0} and len(queued) == 1
            assert (job.status, job.attempts) == ("queued", attempt)
        else:
            assert counts == {"requeued": 0, "failed": 1} and not queued
    assert (job.status, job.attempts) == ("failed", rules.max_attempts)
    assert job.error == gave_up_reason(rules.max_attempts)
    assert "نیمه‌تمام ماند" in job.error and "شروع دوباره" in job.error and job.finished_at


@pytest.mark.parametrize("model", list(KINDS))
def test_a_live_worker_and_a_fresh_job_are_left_alone(model, manager, world, new_period):
    job = _job(model, manager, world, new_period)
    assert jobs_sweep()[KINDS[model]] == {"requeued": 0, "failed": 0}  # queued a moment ago
    mine = job_claim(model, job.pk, _rules(model))
    job_beat(mine)
    assert jobs_sweep()[KINDS[model]] == {"requeued": 0, "failed": 0}
    job.refresh_from_db()
    assert job.status == "running"


def test_a_queued_job_whose_task_was_lost_is_queued_again(
    manager, world, new_period, django_capture_on_commit_callbacks
):
    job = _job(RolloverJob, manager, world, new_period)
    RolloverJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - dt.timedelta(hours=1))
    with django_capture_on_commit_callbacks() as queued:
        assert jobs_sweep()["rollovers"] == {"requeued": 1, "failed": 0}
    assert len(queued) == 1
    with django_capture_on_commit_callbacks() as queued:  # requeued a moment ago: not again at the next sweep
        assert jobs_sweep()["rollovers"] == {"requeued": 0, "failed": 0}


def test_a_worker_taken_for_dead_cannot_write_once_the_sweep_requeued_its_job(manager, world, new_period):
    job = _job(ExportJob, manager, world, new_period)
    mine = job_claim(ExportJob, job.pk, exports.export_rules())
    _worker_dies(job, exports.export_rules())
    jobs_sweep()
    with pytest.raises(Superseded):
        job_beat(mine, rows_written=10)


def test_an_export_requeued_by_the_sweep_is_written_by_the_next_worker(
    manager, world, new_period, django_capture_on_commit_callbacks
):
    job = _job(ExportJob, manager, world, new_period)
    job_claim(ExportJob, job.pk, exports.export_rules())
    _worker_dies(job, exports.export_rules())
    with django_capture_on_commit_callbacks(execute=True):
        jobs_sweep()
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("done", 2) and job.file


# --- «شروع دوباره» in the admin ------------------------------------------------------------------------


def _failed(job):
    type(job).objects.filter(pk=job.pk).update(status="failed", attempts=3, error=gave_up_reason(3))
    return job


def _restart(client, changelist: str, job):
    return client.post(changelist, {"action": "restart", "_selected_action": [job.pk]}, follow=True)


def test_the_manager_restarts_a_failed_rollover_from_the_admin_and_it_runs_to_the_end(
    client, manager, world, new_period, django_capture_on_commit_callbacks
):
    job = _failed(_job(RolloverJob, manager, world, new_period))
    client.force_login(manager)
    changelist = reverse("admin:loans_rolloverjob_changelist")
    page = client.get(changelist).content.decode()
    assert "نیمه‌تمام ماند" in page and "شروع دوباره" in page
    with django_capture_on_commit_callbacks(execute=True) as queued:
        response = _restart(client, changelist, job)
    assert len(queued) == 1
    assert any("دوباره در صف اجرا قرار گرفت" in str(m) for m in response.context["messages"])
    job.refresh_from_db()
    assert (job.status, job.attempts, job.error) == ("done", 1, "")
    assert "۴ سند کسر منتقل شد" in job.summary


def test_restart_queues_the_job_again(client, manager, world, new_period, django_capture_on_commit_callbacks):
    job = _failed(_job(MonthlyListJob, manager, world, new_period))
    client.force_login(manager)
    with django_capture_on_commit_callbacks() as queued:
        _restart(client, reverse("admin:loans_monthlylistjob_changelist"), job)
    job.refresh_from_db()
    assert (job.status, job.attempts, job.error, job.finished_at) == ("queued", 0, "", None)
    assert len(queued) == 1


def test_a_failed_export_is_restarted_from_the_export_list(
    client, manager, world, new_period, django_capture_on_commit_callbacks
):
    job = _failed(_job(ExportJob, manager, world, new_period))
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        _restart(client, reverse("admin:reports_exportjob_changelist"), job)
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("done", 1) and job.file


def test_only_failed_jobs_are_restarted(client, manager, world, new_period, django_capture_on_commit_callbacks):
    job = _job(RolloverJob, manager, world, new_period)
    client.force_login(manager)
    with django_capture_on_commit_callbacks() as queued:
        response = _restart(client, reverse("admin:loans_rolloverjob_changelist"), job)
    assert not queued
    assert any("فقط کارهای ناموفق" in str(m) for m in response.context["messages"])


def test_branch_staff_have_no_rollover_list(client, branch_tehran):
    client.force_login(branch_tehran)
    assert client.get(reverse("admin:loans_rolloverjob_changelist")).status_code == 403


def test_the_periods_page_shows_its_last_rollover_and_links_to_its_list(client, manager, world, new_period):
    _failed(_job(RolloverJob, manager, world, new_period))
    client.force_login(manager)
    page = client.get(reverse("admin:policies_contractperiod_change", args=[new_period.pk])).content.decode()
    assert "آخرین انتقال به این دوره" in page and "نیمه‌تمام ماند" in page
    assert f"?new_period__id__exact={new_period.pk}" in page
    listing = client.get(reverse("admin:loans_rolloverjob_changelist"), {"new_period__id__exact": new_period.pk})
    assert listing.status_code == 200 and len(listing.context["cl"].result_list) == 1
