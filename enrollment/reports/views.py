"""Downloading a finished export. Reached through the admin (ExportJobAdmin.get_urls), so only active staff.

The file is streamed through Django from STORAGES["default"] (S3 in production), never handed out as the
storage's own URL: the scope check below runs on every download, the bucket stays private and unknown to
browsers, and any web machine serves any file, whichever machine wrote it.
"""

from django.contrib import admin
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from enrollment.reports import exports
from enrollment.reports.expiry import expired_note
from enrollment.reports.models import ExportStatus


def export_download(request: HttpRequest, job_id: int) -> HttpResponse:
    """The file of a finished export, for the user who asked for it or one who sees every scope, while
    they may still take that export. Anyone else's job, or one not finished, is "not found"; an expired
    one says that its file was deleted (410)."""
    job = (
        exports.export_jobs_visible_to(request.user)
        .filter(pk=job_id, status__in=[ExportStatus.DONE, ExportStatus.EXPIRED])
        .first()
    )
    if job is None or not exports.may_export(request.user, job.kind):
        raise Http404
    if job.status == ExportStatus.EXPIRED:
        return _expired(request, job.note or expired_note())
    if not job.file:
        raise Http404
    try:
        content = job.file.open("rb")
    except FileNotFoundError:  # deleted from the storage before the sweep marked the job
        return _expired(request, expired_note())
    return FileResponse(
        content,
        as_attachment=True,
        filename=exports.download_name(job.kind, job.file_format, job.created_at),
        content_type=exports.CONTENT_TYPES[job.file_format],
    )


def _expired(request: HttpRequest, note: str) -> HttpResponse:
    context = {**admin.site.each_context(request), "title": "فایل خروجی منقضی شده است", "note": note}
    return render(request, "admin/reports/exportjob/expired.html", context, status=410)
