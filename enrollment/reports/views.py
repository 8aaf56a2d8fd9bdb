"""Downloading a finished export. Reached through the admin (ExportJobAdmin.get_urls), so only active staff."""

from django.http import FileResponse, Http404, HttpRequest

from enrollment.reports import exports
from enrollment.reports.models import ExportStatus


def export_download(request: HttpRequest, job_id: int) -> FileResponse:
    """The file of a finished export, for the user who asked for it or one who sees every scope, while
    they may still take that export. Anyone else's job, or one not finished, is "not found"."""
    job = exports.export_jobs_visible_to(request.user).filter(pk=job_id, status=ExportStatus.DONE).first()
    if job is None or not job.file or not exports.may_export(request.user, job.kind):
        raise Http404
    return FileResponse(
        job.file.open("rb"),
        as_attachment=True,
        filename=exports.download_name(job.kind, job.file_format, job.created_at),
        content_type=exports.CONTENT_TYPES[job.file_format],
    )
