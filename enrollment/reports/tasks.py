"""django-q2 entry points; the work is in exports, expiry, the jobs sweep and the dashboard."""

from enrollment.reports.dashboard import reconciliation_refresh
from enrollment.reports.expiry import export_files_expire
from enrollment.reports.exports import export_job_run
from enrollment.reports.sweep import jobs_sweep


def export_job_run_task(job_id: int) -> str | None:
    """Queued after the request that created the job commits: writes the job's file."""
    return export_job_run(job_id=job_id)


def reconciliation_refresh_task(period_id: int, user_id: int | None = None) -> str:
    """Queued by the admin home when its reconciliation figures are missing or stale: the national figures,
    or (user_id) those of a province manager's scope."""
    figures = reconciliation_refresh(period_id, user_id)
    return f"{figures.total} findings"


def export_files_expire_task() -> int:
    """The "export_files_expire" schedule, hourly: deletes the files kept longer than EXPORT_FILES_KEEP_DAYS."""
    return export_files_expire()


def jobs_sweep_task() -> dict[str, dict[str, int]]:
    """The "jobs_sweep" schedule, every minute: requeues or fails the jobs whose worker died."""
    return jobs_sweep()
