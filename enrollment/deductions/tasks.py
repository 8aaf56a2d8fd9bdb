"""django-q2 entry points for the deduction documents' jobs; the work is in jobs.py.

The rollover runs in slices that end well inside the cluster's task timeout; a slice that has not finished
queues the next one. Each batch commits with its counts on the job (RolloverJob.progress), so a slice
killed half-way loses nothing: the sweep queues the job again and it resumes after the last batch that
committed. When the last slice ends, the summary (counts and the first persons not carried, with their
reasons) is on the job and is written as a history row of the new period, with the manager who asked for
it as its user: it is on the period's «تاریخچه» page in the admin.
"""

from django.db import transaction

from core.jobs import PENDING
from enrollment.deductions import jobs
from enrollment.deductions.models import RolloverJob
from policies.models import ContractPeriod


def rollover_job_task(job_id: int) -> str | None:
    """One slice of a rollover job."""
    return jobs.rollover_job_run(job_id=job_id)


def monthly_list_job_task(job_id: int) -> str | None:
    """Writes the file of a monthly deduction list job."""
    return jobs.monthly_job_run(job_id=job_id)


def period_rollover_queue(*, old: ContractPeriod, new: ContractPeriod, by) -> RolloverJob:
    """The rollover as a job, queued once the caller's transaction commits."""
    return jobs.rollover_start(old=old, new=new, by=by)


def period_rollover_task(old_id: int, new_id: int, user_id: int | None, progress: dict | None = None) -> str | None:
    """A slice queued by the release before rollover jobs (still in the broker when it was deployed): it
    becomes the pair's job, resuming from its progress."""
    with transaction.atomic():
        job = RolloverJob.objects.filter(old_period_id=old_id, new_period_id=new_id, status__in=PENDING).first()
        if job is None:
            job = RolloverJob.objects.create(
                old_period_id=old_id, new_period_id=new_id, user_id=user_id, progress=progress
            )
    return jobs.rollover_job_run(job_id=job.pk)
