"""django-q2 entry points for contract periods.

The rollover runs in slices that end well inside the cluster's task timeout; a slice that has not
finished queues the next one with its running totals. A slice killed half-way loses no work: each
batch commits on its own and the rollover is idempotent, so the retried slice resumes (only the
summary's counts then miss the batches the killed slice had committed).

When the last slice ends, the summary (counts and the first persons not carried, with their reasons)
is written as a history row of the new period, with the manager who asked for it as its user: it is
on the period's «تاریخچه» page in the admin.
"""

import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django_q.tasks import async_task
from simple_history.utils import bulk_update_with_history

from enrollment.deductions import rollover
from enrollment.deductions.rollover import RolloverResult, period_rollover
from policies.models import ContractPeriod

ROLLOVER_TASK = "enrollment.deductions.tasks.period_rollover_task"
SLICE_SECONDS = 60  # well inside the "long" cluster's timeout (config/settings/base.py)
SUMMARY_NAMES = 20  # persons not carried named in the summary; each has its reason on its document anyway


def period_rollover_queue(*, old: ContractPeriod, new: ContractPeriod, by) -> None:
    """Queues the rollover once the caller's transaction commits."""

    def enqueue() -> None:
        async_task(
            ROLLOVER_TASK,
            old.pk,
            new.pk,
            by.pk if by else None,
            task_name=f"rollover-{old.pk}-{new.pk}",
            cluster=settings.LONG_TASKS_CLUSTER,  # never in the way of a login code
        )

    transaction.on_commit(enqueue)


def period_rollover_task(old_id: int, new_id: int, user_id: int | None, progress: dict | None = None) -> str:
    old = ContractPeriod.objects.get(pk=old_id)
    new = ContractPeriod.objects.get(pk=new_id)
    by = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    done = RolloverResult.from_dict(progress) if progress else RolloverResult()
    result = done.add(
        period_rollover(
            old=old,
            new=new,
            by=by,
            batch_size=rollover.BATCH_SIZE,
            after_id=done.last_document_id,
            deadline=time.monotonic() + SLICE_SECONDS,
        )
    )
    summary = result.summary(old=old, new=new, names=SUMMARY_NAMES)
    if not result.finished:
        progress = {**result.as_dict(), "not_carried": result.as_dict()["not_carried"][:SUMMARY_NAMES]}
        async_task(
            ROLLOVER_TASK,
            old_id,
            new_id,
            user_id,
            progress,
            task_name=f"rollover-{old_id}-{new_id}",
            cluster=settings.LONG_TASKS_CLUSTER,
        )
        return summary
    # A history row with no change to the period: its reason is the report.
    bulk_update_with_history([new], ContractPeriod, [], default_user=by, default_change_reason=summary)
    return summary
