"""Export files do not live for ever: EXPORT_FILES_KEEP_DAYS after a job finished, its file is deleted from
the storage (S3 or MEDIA_ROOT) and the job is marked expired with a note; its download then says so.

Run hourly by the "export_files_expire" schedule (django-q2). The object is deleted before the row is
marked: a sweep that dies in between leaves a done job whose file is gone, which the next sweep marks (a
storage's delete of a missing name is a no-op); the other order could leave an object nobody would delete.
"""

import datetime as dt
import logging

from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone

from core.text import to_persian_digits
from enrollment.reports.models import ExportJob, ExportStatus

logger = logging.getLogger(__name__)

# One sweep stays well inside django-q2's task timeout; what is left waits for the next hour.
BATCH = 1000


def keep_days() -> int:
    return settings.EXPORT_FILES_KEEP_DAYS


def expired_note() -> str:
    days = to_persian_digits(keep_days())
    return f"فایل این خروجی پس از {days} روز نگهداری حذف شد؛ در صورت نیاز، خروجی را دوباره درخواست کنید."


def export_files_expire(*, now: dt.datetime | None = None) -> int:
    """Deletes the files of done jobs that finished more than EXPORT_FILES_KEEP_DAYS ago and marks those jobs
    expired; returns how many were expired."""
    now = now or timezone.now()
    due = (
        ExportJob.objects.filter(status=ExportStatus.DONE, finished_at__lt=now - dt.timedelta(days=keep_days()))
        .exclude(file="")
        .order_by("finished_at")
        .values_list("pk", "file")[:BATCH]
    )
    expired = 0
    note = expired_note()
    for pk, name in due:
        default_storage.delete(name)
        # Only if still done with that same file: nothing else changes a done job, but say so in the query.
        expired += ExportJob.objects.filter(pk=pk, status=ExportStatus.DONE, file=name).update(
            status=ExportStatus.EXPIRED, file="", expired_at=now, note=note
        )
    if expired:
        logger.info("Expired %s export files", expired)
    return expired
