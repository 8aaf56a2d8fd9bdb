"""The minute sweep of background jobs whose worker died (core.jobs.job_sweep): exports, rollovers,
monthly lists and the cartable's bulk moves. Registered as the django-q2 schedule "jobs_sweep" by reports'
migration 0002."""

from core.jobs import job_sweep
from enrollment import bulk_jobs
from enrollment.deductions import jobs as deduction_jobs
from enrollment.deductions.models import MonthlyListJob, RolloverJob
from enrollment.models import BulkMoveJob
from enrollment.reports import exports
from enrollment.reports.models import ExportJob


def jobs_sweep() -> dict[str, dict[str, int]]:
    """Requeues or fails every stalled job; returns the counts per kind of job (for the task's result)."""
    return {
        "exports": job_sweep(ExportJob.objects.all(), exports.export_rules(), queue=exports.export_job_queue),
        "rollovers": job_sweep(
            RolloverJob.objects.all(), deduction_jobs.ROLLOVER_RULES, queue=deduction_jobs.rollover_queue
        ),
        "monthly_lists": job_sweep(
            MonthlyListJob.objects.all(), deduction_jobs.MONTHLY_RULES, queue=deduction_jobs.monthly_queue
        ),
        "bulk_moves": job_sweep(BulkMoveJob.objects.all(), bulk_jobs.RULES, queue=bulk_jobs.bulk_move_queue),
    }
