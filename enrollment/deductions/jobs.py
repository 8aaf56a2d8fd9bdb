"""The deduction documents' long work as job records (core.jobs): the rollover into the next period and
the monthly list of a large branch. Each is queued after commit, claimed by one worker, beats while it
works, and is put back in the queue or failed by the minute sweep (enrollment.reports.sweep) when its
worker dies; a failed one is started again from the admin or the list's page.
"""

import datetime as dt
import logging
import secrets
import tempfile
import time
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_q.tasks import async_task
from simple_history.utils import bulk_update_with_history

from audit.record import system_work
from core.jobs import (
    PENDING,
    JobRules,
    JobStatus,
    Superseded,
    job_beat,
    job_claim,
    job_fail,
    job_finish,
    job_restart,
)
from enrollment import selectors
from enrollment.deductions import monthly, rollover
from enrollment.deductions.models import DeductionDocument, DeductionStatus, MonthlyListJob, RolloverJob
from enrollment.deductions.rollover import RolloverResult, period_rollover
from enrollment.models import Branch
from policies.models import ContractPeriod

logger = logging.getLogger(__name__)

ROLLOVER_TASK = "enrollment.deductions.tasks.rollover_job_task"
MONTHLY_TASK = "enrollment.deductions.tasks.monthly_list_job_task"
SLICE_SECONDS = 60  # a slice ends well inside the cluster's task timeout, then queues the next
SUMMARY_NAMES = 20  # persons not carried named in the summary; each has its reason on its document anyway
# A slice beats at every batch (500 documents, seconds); the monthly list every CHUNK rows.
ROLLOVER_RULES = JobRules(stale_after=dt.timedelta(minutes=5), max_attempts=3)
MONTHLY_RULES = JobRules(stale_after=dt.timedelta(minutes=5), max_attempts=3)
VIEW_DEDUCTIONS = "loans.view_deductiondocument"
MONTHLY_REFUSED = "شما دیگر به فهرست کسور این شعبه دسترسی ندارید."


def _queue(task: str, job_id: int, name: str) -> None:
    """Hands the job to django-q2 after commit. A broker that is away loses nothing: the job stays
    queued and the sweep queues it again."""

    def enqueue() -> None:
        try:
            async_task(task, job_id, task_name=f"{name}-{job_id}", cluster=settings.LONG_TASKS_CLUSTER)
        except Exception:
            logger.exception("Could not queue %s job %s; the sweep will", name, job_id)

    transaction.on_commit(enqueue)


# -- the rollover ------------------------------------------------------------------------------------


def rollover_queue(job_id: int) -> None:
    _queue(ROLLOVER_TASK, job_id, "rollover")


def rollover_start(*, old: ContractPeriod, new: ContractPeriod, by: AbstractBaseUser | None) -> RolloverJob:
    """The rollover of `old` into `new` as a job, queued after commit; the pair's job that is already
    queued or running, if there is one (a second click starts nothing)."""
    pending = RolloverJob.objects.filter(old_period=old, new_period=new, status__in=PENDING)
    if job := pending.first():
        return job
    total = DeductionDocument.objects.filter(period=old, status=DeductionStatus.ACTIVE).count()
    try:
        with transaction.atomic():
            job = RolloverJob.objects.create(old_period=old, new_period=new, user=by, total_estimate=total)
    except IntegrityError:  # another request created it a moment ago
        return pending.get()
    rollover_queue(job.pk)
    return job


def rollover_restart(job: RolloverJob) -> bool:
    """A failed rollover resumes where it stopped: the rollover skips what it already carried."""
    return job_restart(job, queue=rollover_queue)


def rollover_processed(job: RolloverJob) -> int:
    """Old documents dealt with so far: carried, found carried already, or not carried."""
    done = job.progress or {}
    return done.get("carried", 0) + done.get("already_carried", 0) + done.get("not_carried_count", 0)


def _stored(result: RolloverResult) -> dict:
    data = result.as_dict()
    return {**data, "not_carried": data["not_carried"][:SUMMARY_NAMES]}


@system_work()  # the audit log names the system, with the manager who asked for it
def rollover_job_run(*, job_id: int) -> str | None:
    """One slice of a rollover job: claims it, carries batches until SLICE_SECONDS pass, then queues the
    next slice, or on the last one writes the summary (a history row of the new period, by the manager who
    asked: the period's «تاریخچه») and finishes. Returns the job's new status, None when not ours."""
    mine = job_claim(RolloverJob, job_id, ROLLOVER_RULES)
    if mine is None:
        return None
    job = RolloverJob.objects.select_related("old_period", "new_period", "user").get(pk=job_id)
    done = RolloverResult.from_dict(job.progress) if job.progress else RolloverResult()

    def on_batch(partial: RolloverResult) -> None:
        job_beat(mine, progress=_stored(done.add(partial)))

    try:
        partial = period_rollover(
            old=job.old_period,
            new=job.new_period,
            by=job.user,
            batch_size=rollover.BATCH_SIZE,
            after_id=done.last_document_id,
            deadline=time.monotonic() + SLICE_SECONDS,
            on_batch=on_batch,
        )
    except Superseded:
        logger.warning("Rollover job %s was taken over", job_id)
        return None
    except Exception as error:
        logger.exception("Rollover job %s failed", job_id)
        reason = "؛ ".join(error.messages) if isinstance(error, ValidationError) else f"خطای پیش‌بینی‌نشده: {error}"
        job_fail(mine, f"انتقال انجام نشد: {reason}")
        return JobStatus.FAILED
    result = done.add(partial)
    if not result.finished:
        # The next slice is a fresh start: its attempts count only its own deaths.
        if not mine.update(status=JobStatus.QUEUED, attempts=0, heartbeat_at=timezone.now(), progress=_stored(result)):
            return None
        rollover_queue(job_id)
        return JobStatus.QUEUED
    summary = result.summary(old=job.old_period, new=job.new_period, names=SUMMARY_NAMES)
    try:
        with transaction.atomic():
            if not job_finish(mine, progress=_stored(result), summary=summary):
                raise Superseded
            # A history row with no change to the period: its reason is the report.
            bulk_update_with_history(
                [job.new_period], ContractPeriod, [], default_user=job.user, default_change_reason=summary
            )
    except Superseded:
        return None
    return JobStatus.DONE


# -- the monthly list of a large branch --------------------------------------------------------------


def monthly_inline_max() -> int:
    """Lists up to this many documents are written while the user waits; larger ones by a job."""
    return getattr(settings, "REPORTS_MONTHLY_INLINE_MAX", 10_000)


def monthly_queue(job_id: int) -> None:
    _queue(MONTHLY_TASK, job_id, "monthly-list")


def monthly_jobs_visible_to(user: AbstractBaseUser):
    """A user's own list files; managers and auditors see everybody's."""
    if not user.is_active or not user.has_perm(VIEW_DEDUCTIONS):
        return MonthlyListJob.objects.none()
    jobs = MonthlyListJob.objects.select_related("branch")
    return jobs if selectors.user_sees_all(user) else jobs.filter(user=user)


def may_take_monthly(user: AbstractBaseUser, branch_id: int) -> bool:
    if not (user.is_active and user.has_perm(VIEW_DEDUCTIONS)):
        return False
    return selectors.branches_of(user).filter(pk=branch_id).exists()


def monthly_start(*, user: AbstractBaseUser, branch: Branch, month: dt.date, file_format: str) -> MonthlyListJob:
    """Queues the list's file; the same user's job for the same list that is still pending, if any."""
    if not may_take_monthly(user, branch.pk):
        raise PermissionError(MONTHLY_REFUSED)
    same = MonthlyListJob.objects.filter(user=user, branch=branch, month=month, file_format=file_format)
    if job := same.filter(status__in=PENDING).first():
        return job
    job = MonthlyListJob.objects.create(user=user, branch=branch, month=month, file_format=file_format)
    monthly_queue(job.pk)
    return job


def monthly_restart(job: MonthlyListJob) -> bool:
    return job_restart(job, queue=monthly_queue, rows_written=0, file="")


class _Beating:
    """The rows, passed on one by one, beating the job's heartbeat with the count every CHUNK_SIZE rows."""

    def __init__(self, rows: Iterable[list], mine):
        self.rows, self.mine, self.written = rows, mine, 0

    def __iter__(self) -> Iterator[list]:
        for row in self.rows:
            yield row
            self.written += 1
            if self.written % monthly.CHUNK_SIZE == 0:
                job_beat(self.mine, rows_written=self.written)


def monthly_job_run(*, job_id: int) -> str | None:
    """Writes a monthly list job's file (the same rows and totals as the page's own download) to the
    default storage. Returns the job's new status, None when the job was not this caller's."""
    mine = job_claim(MonthlyListJob, job_id, MONTHLY_RULES)
    if mine is None:
        return None
    job = MonthlyListJob.objects.select_related("user", "branch").get(pk=job_id)
    try:
        if not may_take_monthly(job.user, job.branch_id):  # the user as they are now
            raise PermissionError(MONTHLY_REFUSED)
        written = _monthly_write(job, mine)
    except Superseded:
        logger.warning("Monthly list job %s was taken over", job_id)
        return None
    except Exception as error:
        logger.exception("Monthly list job %s failed", job_id)
        job_fail(mine, str(error) if isinstance(error, PermissionError) else f"ساختن فایل ناموفق بود: {error}")
        return JobStatus.FAILED
    if not job_finish(mine, file=job.file.name, rows_written=written):
        job.file.delete(save=False)  # taken over at the last moment: the other worker's file is kept
        return None
    return JobStatus.DONE


def _monthly_write(job: MonthlyListJob, mine) -> int:
    totals = monthly.month_totals(branch_id=job.branch_id, month=job.month)
    job_beat(mine, total_estimate=totals.documents, rows_written=0)
    rows = _Beating(monthly.month_rows(branch_id=job.branch_id, month=job.month), mine)
    name = f"{job.pk}-{secrets.token_hex(8)}.{job.file_format}"  # a name nobody can guess
    if job.file_format == "xlsx":
        with monthly.xlsx_write(rows=rows, totals=totals, branch_name=job.branch.name, month=job.month) as workbook:
            job.file.save(name, File(workbook), save=False)
        return rows.written
    with tempfile.TemporaryFile() as scratch:
        for line in monthly.csv_lines(rows):
            scratch.write(line.encode("utf-8"))
        scratch.seek(0)
        job.file.save(name, File(scratch), save=False)
    return rows.written
