"""The minute sweep of background jobs whose worker died (core.jobs.job_sweep): exports, rollovers,
monthly lists and the cartable's bulk moves. Registered as the django-q2 schedule "jobs_sweep" by reports'
migration 0002; /metrics counts the same jobs by kind (enrollment.metrics)."""

from collections.abc import Callable
from typing import NamedTuple

from core.jobs import BackgroundJob, JobRules, job_sweep
from enrollment import bulk_jobs
from enrollment.deductions import jobs as deduction_jobs
from enrollment.deductions.models import MonthlyListJob, RolloverJob
from enrollment.models import BulkMoveJob
from enrollment.reports import exports
from enrollment.reports.models import ExportJob


class Swept(NamedTuple):
    model: type[BackgroundJob]  # or a model with the same fields and statuses (ExportJob)
    rules: Callable[[], JobRules]
    queue: Callable[[int], None]


def swept_jobs() -> dict[str, Swept]:
    """Every kind of background job, by the name the sweep's result and /metrics give it."""
    return {
        "exports": Swept(ExportJob, exports.export_rules, exports.export_job_queue),
        "rollovers": Swept(RolloverJob, lambda: deduction_jobs.ROLLOVER_RULES, deduction_jobs.rollover_queue),
        "monthly_lists": Swept(MonthlyListJob, lambda: deduction_jobs.MONTHLY_RULES, deduction_jobs.monthly_queue),
        "bulk_moves": Swept(BulkMoveJob, lambda: bulk_jobs.RULES, bulk_jobs.bulk_move_queue),
    }


def jobs_sweep() -> dict[str, dict[str, int]]:
    """Requeues or fails every stalled job; returns the counts per kind of job (for the task's result)."""
    return {
        kind: job_sweep(swept.model.objects.all(), swept.rules(), queue=swept.queue)
        for kind, swept in swept_jobs().items()
    }
