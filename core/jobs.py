"""Background jobs whose worker may die: the record every such job keeps, and the moves on it.

A job is a row: queued → running (claimed by one worker, which beats `heartbeat_at` as it goes) → done, or
failed with a Persian reason. A worker killed mid-run (an out-of-memory kill, a restarted machine, a task
timeout) leaves a row that says running and whose heartbeat no longer moves. Nothing in the task queue
notices that for certain, so a sweep (`job_sweep`, every minute) does: it puts a stalled job back in the
queue a bounded number of times, then fails it with a reason the manager reads, and the manager may start
it again (`job_restart`).

Every move is a conditional UPDATE on the row's status (and for a worker, on its attempt), so a worker
taken for dead that wakes up cannot overwrite the one that took over, and two sweeps cannot both requeue.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db import models, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from core.text import to_persian_digits


class JobStatus(models.TextChoices):
    QUEUED = "queued", "در صف"
    RUNNING = "running", "در حال اجرا"
    DONE = "done", "انجام شد"
    FAILED = "failed", "ناموفق"


PENDING = [JobStatus.QUEUED.value, JobStatus.RUNNING.value]  # plain strings: they end up in migrations


def gave_up_reason(attempts: int) -> str:
    return (
        f"اجرای این کار {to_persian_digits(attempts)} بار نیمه‌تمام ماند: پردازشگر پس‌زمینه از کار افتاد یا پاسخ نداد. "
        "با «شروع دوباره» آن را از سر بگیرید."
    )


class BackgroundJob(models.Model):
    """The fields every job shares; the concrete job adds what it works on and what it produced."""

    status = models.CharField("وضعیت", max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(
        "تعداد اجرا", default=0, help_text="اجراهای پیاپی‌ای که پیش از پایان کار شروع شده‌اند"
    )
    error = models.TextField("خطا", blank=True)
    created_at = models.DateTimeField("زمان درخواست", auto_now_add=True)
    started_at = models.DateTimeField("زمان شروع", null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        "آخرین پیشرفت", null=True, blank=True, help_text="هر بار که کار پیش می‌رود به‌روز می‌شود"
    )
    finished_at = models.DateTimeField("زمان پایان", null=True, blank=True)

    class Meta:
        abstract = True


class Superseded(Exception):
    """The job is no longer this worker's: the sweep took it for dead and queued it again, or it was
    restarted. The worker stops; what it committed stays (every job here resumes or starts over)."""


@dataclass(frozen=True)
class JobRules:
    """How long a job may show no progress before its worker is taken for dead, and how many starts it gets."""

    stale_after: dt.timedelta
    max_attempts: int


def job_claim(model: type[BackgroundJob], job_id: int, rules: JobRules, **reset: object) -> QuerySet | None:
    """Takes a queued job (or a running one whose heartbeat stopped) for this worker: running, one more
    attempt. Returns the queryset that matches the job only while this claim holds (pass it to
    `job_beat`), or None when the job is not this caller's: finished, run by a live worker, or gone.
    A job that has used its attempts fails instead. `reset` clears what a dead worker's attempt left on
    the row (a job that starts over)."""
    now = timezone.now()
    claimable = model.objects.filter(
        Q(status=JobStatus.QUEUED) | Q(status=JobStatus.RUNNING, heartbeat_at__lt=now - rules.stale_after),
        pk=job_id,
    )
    gave_up = claimable.filter(attempts__gte=rules.max_attempts)
    if gave_up.update(status=JobStatus.FAILED, error=gave_up_reason(rules.max_attempts), finished_at=now):
        return None
    if not claimable.update(
        status=JobStatus.RUNNING, attempts=F("attempts") + 1, started_at=now, heartbeat_at=now, error="", **reset
    ):
        return None
    attempt = model.objects.filter(pk=job_id).values_list("attempts", flat=True).get()
    return model.objects.filter(pk=job_id, status=JobStatus.RUNNING, attempts=attempt)


def job_beat(mine: QuerySet, **values: object) -> None:
    """Progress: the heartbeat, with whatever else changed. Raises Superseded when the job is not ours."""
    if not mine.update(heartbeat_at=timezone.now(), **values):
        raise Superseded


def job_finish(mine: QuerySet, **values: object) -> bool:
    """Done, with what the job produced; False when it was no longer ours."""
    return bool(mine.update(status=JobStatus.DONE, finished_at=timezone.now(), heartbeat_at=timezone.now(), **values))


def job_fail(mine: QuerySet, reason: str) -> None:
    mine.update(status=JobStatus.FAILED, error=reason[:2000], finished_at=timezone.now())


def job_stalled(rules: JobRules, now: dt.datetime) -> Q:
    """The jobs that stalled by `now`: running with no heartbeat for `stale_after` (the worker died), or
    queued that long (the task was lost on its way). The sweep takes them up; /metrics counts them."""
    limit = now - rules.stale_after
    return (
        Q(status=JobStatus.RUNNING, heartbeat_at__lt=limit)
        | Q(status=JobStatus.RUNNING, heartbeat_at__isnull=True, created_at__lt=limit)
        | Q(status=JobStatus.QUEUED, created_at__lt=limit) & (Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=limit))
    )


def job_sweep(
    queryset: QuerySet, rules: JobRules, *, queue: Callable[[int], None], reason: Callable[[int], str] = gave_up_reason
) -> dict[str, int]:
    """Finds the jobs of `queryset` that stalled (job_stalled). Those with attempts left go back to the
    queue — `queue(job_id)`, which hands the job to the task queue once the transaction commits, once per
    job however many sweeps run at once — the others fail with `reason(attempts)`. Returns how many of each."""
    now = timezone.now()
    stalled = queryset.filter(job_stalled(rules, now))
    counts = {"requeued": 0, "failed": 0}
    for pk, status, heartbeat_at, attempts in stalled.values_list("pk", "status", "heartbeat_at", "attempts"):
        # Only if nobody moved it since it was read: a worker's beat or another sweep makes this a no-op.
        unchanged = queryset.model.objects.filter(pk=pk, status=status, heartbeat_at=heartbeat_at)
        if attempts >= rules.max_attempts:
            counts["failed"] += unchanged.update(
                status=JobStatus.FAILED, error=reason(attempts), finished_at=now, heartbeat_at=now
            )
            continue
        # The heartbeat of a queued job is when it was last queued.
        with transaction.atomic():
            if unchanged.update(status=JobStatus.QUEUED, heartbeat_at=now):
                counts["requeued"] += 1
                queue(pk)
    return counts


def job_restart(job: BackgroundJob, *, queue: Callable[[int], None], **reset: object) -> bool:
    """«شروع دوباره»: a failed job back to the queue (`queue`, as in job_sweep) with all its attempts;
    `reset` clears what the job produced (a resumable job keeps its progress). False when it had not failed."""
    now = timezone.now()
    with transaction.atomic():
        restarted = (
            type(job)
            .objects.filter(pk=job.pk, status=JobStatus.FAILED)
            .update(status=JobStatus.QUEUED, attempts=0, error="", heartbeat_at=now, finished_at=None, **reset)
        )
        if restarted:
            queue(job.pk)
    return bool(restarted)
