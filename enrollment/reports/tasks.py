"""django-q2 entry points; the work is in exports and sweep."""

from enrollment.reports.exports import export_job_run
from enrollment.reports.sweep import jobs_sweep


def export_job_run_task(job_id: int) -> str | None:
    """Queued after the request that created the job commits: writes the job's file."""
    return export_job_run(job_id=job_id)


def jobs_sweep_task() -> dict[str, dict[str, int]]:
    """The "jobs_sweep" schedule, every minute: requeues or fails the jobs whose worker died."""
    return jobs_sweep()
