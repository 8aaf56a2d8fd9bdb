"""Cartable moves on selections too large for one web request, as background jobs (core.jobs).

The cartable's actions move up to BULK_MOVES_INLINE_MAX requests while the clerk waits
(workflow.moves_apply). A larger selection — «همه موارد منطبق» on a long list, or more ticks than a page
holds — becomes a BulkMoveJob: the clerk's filters or ticked ids, the move and its reason. A task on the
long cluster takes the selection again through the clerk's scope as it is then (enrollment.selectors),
a chunk at a time in id order, and moves each chunk through the same workflow.moves_apply; the chunk's
moves, its report lines and the job's counts and cursor commit in one transaction. The clerk follows the
progress and reads the per-request report on the job's page (moved, refused with the workflow's Persian
reason, held by a colleague and skipped).

A worker that dies leaves a job the minute sweep (enrollment.reports.sweep) queues again; the next worker
goes on after the last committed chunk, so no request is moved or reported twice. A request moved by
someone else in between is refused by the workflow's own guard and reported so.
"""

import datetime as dt
import logging
import time
from collections.abc import Sequence

from django.conf import settings
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django_q.tasks import async_task

from core.jobs import JobRules, JobStatus, Superseded, job_beat, job_claim, job_fail, job_finish, job_restart
from enrollment import roles, selectors, workflow
from enrollment.models import (
    BranchUserObjectPermission,
    BulkMoveJob,
    BulkMoveLine,
    BulkMoveOutcome,
    EnrollmentRequest,
    KanoonUserObjectPermission,
)
from enrollment.reports.exports import admin_list_queryset

logger = logging.getLogger(__name__)

RUN_TASK = "enrollment.bulk_jobs.bulk_move_job_task"
CHUNK = workflow.SET_CHUNK  # requests per transaction: a chunk's moves, report lines and cursor commit together
SLICE_SECONDS = 60  # a task ends well inside the cluster's timeout, then queues the next slice
# A job beats at every chunk (a second or two); five minutes of silence is a dead worker.
RULES = JobRules(stale_after=dt.timedelta(minutes=5), max_attempts=3)
ACTION_PERMISSIONS = {workflow.KANOON: roles.KANOON_ACTIONS, workflow.BRANCH: roles.BRANCH_ACTIONS}
VIEW_REQUESTS = "enrollment.view_enrollmentrequest"

REFUSED = "شما اجازه این اقدام را در کارتابل ندارید."
BAD_FILTER = "فیلترهای کارتابل که این اقدام با آن‌ها درخواست شد دیگر معتبر نیستند؛ از کارتابل دوباره درخواست کنید."


def inline_max() -> int:
    """Selections of up to this many requests are moved while the clerk waits; larger ones by a job."""
    return getattr(settings, "BULK_MOVES_INLINE_MAX", 1000)


def too_large(queryset: QuerySet[EnrollmentRequest]) -> bool:
    """Whether a selection goes to a job: counted no further than one past the limit."""
    limit = inline_max()
    return queryset.order_by().values("pk")[: limit + 1].count() > limit


def may_move(user: AbstractBaseUser, move_name: str) -> bool:
    """The cartable offers this move to the user (their role); where they may make it is their scope's."""
    move = workflow.MOVES.get(move_name)
    permission = ACTION_PERMISSIONS.get(move.actor) if move else None
    return bool(permission) and user.is_active and user.is_staff and user.has_perm(permission)


def may_see_jobs(user: AbstractBaseUser) -> bool:
    return user.is_active and user.is_staff and user.has_perm(VIEW_REQUESTS)


def bulk_jobs_visible_to(user: AbstractBaseUser) -> QuerySet[BulkMoveJob]:
    """A clerk's own jobs; a province manager's also those of the staff of their province's Kanoons and
    branches; national managers and auditors everybody's."""
    if not may_see_jobs(user):
        return BulkMoveJob.objects.none()
    jobs = BulkMoveJob.objects.select_related("user")
    if selectors.user_sees_all(user):
        return jobs
    provinces = selectors.provinces_of(user).values("pk")
    kanoon_staff = KanoonUserObjectPermission.objects.filter(content_object__county__province__in=provinces)
    branch_staff = BranchUserObjectPermission.objects.filter(content_object__province__in=provinces)
    return jobs.filter(
        Q(user=user) | Q(user__in=kanoon_staff.values("user_id")) | Q(user__in=branch_staff.values("user_id"))
    )


# -- starting ----------------------------------------------------------------------------------------


def bulk_move_start(
    *,
    user: AbstractBaseUser,
    move_name: str,
    query: str = "",
    ids: Sequence[int] | None = None,
    reason_code: str = "",
    note: str = "",
) -> BulkMoveJob:
    """Queues a move of the cartable list `query` describes (every match), or of the requests `ids`, for
    after commit. Raises PermissionError when the role may not make the move, MoveRefused (Persian) for a
    reason outside the list: both before anything is queued."""
    if not may_move(user, move_name):
        raise PermissionError(REFUSED)
    workflow.moves_apply(move_name, [], user=user, reason_code=reason_code, note=note)  # the set's own checks
    selected = sorted(set(ids)) if ids is not None else None
    job = BulkMoveJob.objects.create(
        user=user,
        move=move_name,
        query=query,
        selected_ids=selected,
        total=len(selected) if selected is not None else None,  # every match is counted when the job runs
        reason_code=reason_code,
        note=note,
    )
    bulk_move_queue(job.pk)
    return job


def bulk_move_queue(job_id: int) -> None:
    """Hands the job to the long cluster after commit. A broker that is away loses nothing: the job stays
    queued and the sweep queues it again."""

    def enqueue() -> None:
        try:
            async_task(RUN_TASK, job_id, task_name=f"bulk-move-{job_id}", cluster=settings.LONG_TASKS_CLUSTER)
        except Exception:
            logger.exception("Could not queue bulk move job %s; the sweep will", job_id)

    transaction.on_commit(enqueue)


def bulk_move_restart(job: BulkMoveJob) -> bool:
    """«شروع دوباره»: a failed job goes on after the last chunk it committed."""
    return job_restart(job, queue=bulk_move_queue)


# -- running -----------------------------------------------------------------------------------------


def bulk_move_job_task(job_id: int) -> str | None:
    """The django-q2 entry point: one slice of a bulk move job."""
    return bulk_move_job_run(job_id=job_id)


def bulk_move_job_run(*, job_id: int) -> str | None:
    """One slice: claims the job, moves chunks until SLICE_SECONDS pass, then queues the next slice or,
    when the selection is exhausted, finishes. Returns the job's new status, None when it was not ours."""
    mine = job_claim(BulkMoveJob, job_id, RULES)
    if mine is None:
        return None
    job = BulkMoveJob.objects.select_related("user").get(pk=job_id)
    deadline = time.monotonic() + SLICE_SECONDS
    try:
        if not may_move(job.user, job.move):  # the clerk as they are now
            raise PermissionError(REFUSED)
        selection = _selection(job)
        if job.total is None:
            job.total = selection.count()
            job_beat(mine, total=job.total)
        finished = False
        while not finished and time.monotonic() < deadline:
            finished = not bulk_move_chunk(job, mine, selection)
    except Superseded:
        logger.warning("Bulk move job %s was taken over", job_id)
        return None
    except Exception as error:
        logger.exception("Bulk move job %s failed", job_id)
        job_fail(mine, _failure(error))
        return JobStatus.FAILED
    if not finished:
        # The next slice is a fresh start: its attempts count only its own deaths.
        if not mine.update(status=JobStatus.QUEUED, attempts=0, heartbeat_at=timezone.now()):
            return None
        bulk_move_queue(job_id)
        return JobStatus.QUEUED
    return JobStatus.DONE if job_finish(mine) else None


def _failure(error: Exception) -> str:
    if isinstance(error, PermissionError):
        return str(error)
    if isinstance(error, IncorrectLookupParameters):
        return BAD_FILTER
    if isinstance(error, workflow.MoveRefused):
        return error.message
    return f"اقدام گروهی ناتمام ماند: {error}"


def _selection(job: BulkMoveJob) -> QuerySet[EnrollmentRequest]:
    """The requests the job may move, as its clerk's scope is now: the cartable list its filters describe,
    or every request the clerk sees (the ticked ids are then taken from it)."""
    requests = admin_list_queryset(EnrollmentRequest, job.user, job.query) if job.selected_ids is None else None
    return selectors.requests_visible_to(job.user, requests)


def _next_ids(job: BulkMoveJob, selection: QuerySet[EnrollmentRequest]) -> list[int]:
    if job.selected_ids is None:
        ids = selection.filter(pk__gt=job.last_id).order_by("pk").values_list("pk", flat=True)
        return list(ids[:CHUNK])
    return [pk for pk in job.selected_ids if pk > job.last_id][:CHUNK]


def bulk_move_chunk(job: BulkMoveJob, mine: QuerySet[BulkMoveJob], selection: QuerySet[EnrollmentRequest]) -> bool:
    """Moves the next chunk of the selection and reports each of its requests, in one transaction with the
    job's counts and cursor; False when nothing was left. Raises Superseded when the job is no longer
    this worker's (and then nothing of the chunk is kept)."""
    chunk = _next_ids(job, selection)
    if not chunk:
        return False
    with transaction.atomic():
        # First the beat: it holds the job's row, so a sweep or a second worker waits for this chunk to
        # commit and then finds the job alive and moved on.
        job_beat(mine)
        if job.selected_ids is None:
            movable = chunk
        else:
            visible = set(selection.filter(pk__in=chunk).values_list("pk", flat=True))
            movable = [pk for pk in chunk if pk in visible]
        report = workflow.moves_apply(
            job.move, movable, user=job.user, note=job.note, reason_code=job.reason_code, chunk_size=CHUNK
        )
        outcomes = {outcome.request_id: outcome for outcome in report.outcomes}
        lines = [_line(job, outcomes.get(pk) or workflow.Outcome(pk, "", workflow.NOT_FOUND)) for pk in chunk]
        BulkMoveLine.objects.bulk_create(lines)
        counts = {outcome: sum(line.outcome == outcome for line in lines) for outcome in BulkMoveOutcome.values}
        job_beat(
            mine,
            last_id=chunk[-1],
            processed=F("processed") + len(chunk),
            moved=F("moved") + counts[BulkMoveOutcome.MOVED],
            refused=F("refused") + counts[BulkMoveOutcome.REFUSED],
            held=F("held") + counts[BulkMoveOutcome.HELD],
        )
    job.last_id = chunk[-1]
    return True


def _line(job: BulkMoveJob, outcome: workflow.Outcome) -> BulkMoveLine:
    if outcome.refusal is None:
        kind = BulkMoveOutcome.MOVED
    elif outcome.refusal == workflow.HELD:
        kind = BulkMoveOutcome.HELD
    else:
        kind = BulkMoveOutcome.REFUSED
    return BulkMoveLine(
        job=job,
        request_id=outcome.request_id,
        tracking_code=outcome.tracking_code,
        outcome=kind,
        reason=outcome.refusal or "",
    )
