"""Exports of the admin lists (the request cartable and the registry) as CSV or XLSX, within the user's scope.

Which rows: `export_rows` rebuilds the admin list the user was looking at — its list filters and search,
from the list's query string — for that user, and passes the result through the scope selector of
enrollment.selectors once more itself. The admin's own queryset is that same selector, so nothing a
user could not list can reach a file, and a query string written by hand cannot widen it.

How: up to REPORTS_INLINE_EXPORT_MAX rows are written while the user waits. More become an ExportJob,
run by a django-q2 task after the request commits. The job keeps the user, the list's query string and
any rows ticked by hand, never the rows: the task reads them again, with the job's user, when it runs.
Rows are read as plain tuples of the columns the file shows (`values_list` of the resource's
`rows_columns`, one query with its joins, `.iterator(chunk_size=CHUNK_SIZE)`: a server-side cursor on
PostgreSQL), turned into cells by the resource's `plain_row` without building a model instance, and
written one at a time to a scratch file (the csv module; core.spreadsheet.XlsxBook), so memory stays flat
however many rows there are and a million rows take seconds, not minutes. Every export, small or large,
leaves an ExportJob row: who took what, when.

The rows are read on the read replica when there is one (core.db_router.reading_replica), seconds behind
the primary at most; the scope (enrollment.selectors.scope_of), the job and its progress stay on the primary.
The file goes through STORAGES["default"] (S3 in production), so any web machine can serve its download.

Every cell goes through core.spreadsheet on its way out: text that a spreadsheet would run as a formula
(a name typed as «=HYPERLINK(...)») is written as text.
"""

import codecs
import csv
import datetime as dt
import io
import logging
import secrets
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import BinaryIO

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.files import File
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import HttpRequest, QueryDict
from django.utils import timezone
from django_q.tasks import async_task
from import_export.resources import Resource

from audit.log import entries_filtered
from audit.models import AuditEntry
from audit.resources import AuditEntryExportResource
from core import jalali
from core.db_router import reading_replica
from core.jobs import JobRules, Superseded, job_beat, job_claim, job_fail, job_finish
from core.spreadsheet import XlsxBook, safe_row
from enrollment import selectors
from enrollment.models import EnrollmentRequest, Pensioner, RequestItem
from enrollment.reports.models import ExportFormat, ExportJob, ExportKind, ExportStatus
from enrollment.reports.resources import PensionerRegistryExportResource, RequestItemExportResource
from enrollment.roles import VIEW_AUDIT_LOG

logger = logging.getLogger(__name__)

RUN_TASK = "enrollment.reports.tasks.export_job_run_task"
CHUNK_SIZE = 5000  # rows a fetch from the cursor, and between two progress updates of a job
CSV_BATCH = 1000
# Rows per XLSX sheet, the header included (Excel's limit); later rows go on to a second sheet.
XLSX_MAX_ROWS = 1_048_576
# A running job whose progress has not moved for this long has lost its worker; the next delivery of
# its task takes it over. Far longer than any single step (the count, the first fetch of the rows).
STALE_AFTER = dt.timedelta(minutes=15)

CONTENT_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

REFUSED = "شما اجازه این خروجی را ندارید."
NOT_QUEUED = "صف کارهای پس‌زمینه در دسترس نبود؛ خروجی را دوباره درخواست کنید."


def inline_max() -> int:
    """More rows than this are written by a background job, not while the user waits."""
    return getattr(settings, "REPORTS_INLINE_EXPORT_MAX", 5000)


def max_attempts() -> int:
    """How many times a job's task may start writing its file before the job is given up."""
    return getattr(settings, "REPORTS_EXPORT_MAX_ATTEMPTS", 3)


def task_timeout() -> int:
    """Seconds a worker may spend on one export (django-q2's per-task timeout)."""
    return getattr(settings, "REPORTS_EXPORT_TIMEOUT", 3600)


# -- what each export is -----------------------------------------------------------------------------


def _request_item_rows(requests: QuerySet[EnrollmentRequest]) -> QuerySet[RequestItem]:
    return RequestItem.objects.filter(request__in=requests.values("pk")).order_by(
        "request__submitted_at", "request_id", "id"
    )


def _pensioner_rows(pensioners: QuerySet[Pensioner]) -> QuerySet[Pensioner]:
    return pensioners.order_by("pk")


def _audit_chosen(user: AbstractBaseUser, query: str) -> QuerySet[AuditEntry]:
    """The audit log's page has filters of its own (audit.log), not a ChangeList's."""
    return entries_filtered(AuditEntry.objects.all(), query, offices=selectors.audit_log_offices(user))


def _audit_rows(entries: QuerySet[AuditEntry]) -> QuerySet[AuditEntry]:
    return entries.order_by("-at", "-id")


@dataclass(frozen=True)
class ExportSpec:
    model: type[Model]  # the admin list the rows are chosen in
    scope: Callable[[AbstractBaseUser, QuerySet], QuerySet]  # the selector of that list
    rows: Callable[[QuerySet], QuerySet]  # from the chosen objects to the rows of the file, in order
    resource: type[Resource]  # the columns, and the plain values they read (rows_columns, plain_row)
    permission: str  # reading these rows in the admin
    file_stem: str
    sheet_title: str
    # The objects a query string chooses, for a page that is not an admin ChangeList (default: the model's list).
    chosen: Callable[[AbstractBaseUser, str], QuerySet] | None = None


SPECS: dict[str, ExportSpec] = {
    ExportKind.REQUEST_ITEMS: ExportSpec(
        model=EnrollmentRequest,
        scope=selectors.requests_visible_to,
        rows=_request_item_rows,
        resource=RequestItemExportResource,
        permission="enrollment.view_enrollmentrequest",
        file_stem="enrollment-list",
        sheet_title="فهرست ثبت‌نام و انصراف",
    ),
    ExportKind.PENSIONERS: ExportSpec(
        model=Pensioner,
        scope=selectors.pensioners_visible_to,
        rows=_pensioner_rows,
        resource=PensionerRegistryExportResource,
        permission="enrollment.view_pensioner",
        file_stem="pensioners",
        sheet_title="مستمری‌بگیران",
    ),
    ExportKind.AUDIT_LOG: ExportSpec(
        model=AuditEntry,
        scope=selectors.audit_entries_visible_to,
        rows=_audit_rows,
        resource=AuditEntryExportResource,
        permission=VIEW_AUDIT_LOG,
        file_stem="audit-log",
        sheet_title="گزارش تغییرات",
        chosen=_audit_chosen,
    ),
}


def may_export(user: AbstractBaseUser, kind: str) -> bool:
    """Staff who read these rows in the admin (Kanoon, branch, managers, auditors) may take them out."""
    return user.is_active and user.is_staff and user.has_perm(SPECS[kind].permission)


def may_export_any(user: AbstractBaseUser) -> bool:
    return any(may_export(user, kind) for kind in SPECS)


def export_jobs_visible_to(user: AbstractBaseUser) -> QuerySet[ExportJob]:
    """A user's own exports; managers and auditors see everybody's."""
    if not user.is_active:
        return ExportJob.objects.none()
    if selectors.user_sees_all(user):
        return ExportJob.objects.all()
    return ExportJob.objects.filter(user=user)


# -- which rows --------------------------------------------------------------------------------------


def export_rows(*, user: AbstractBaseUser, kind: str, query: str = "", ids: Sequence[int] | None = None) -> QuerySet:
    """The rows of an export: the admin list `query` describes, as `user` would see it, scoped again by
    the list's selector; only the objects `ids` when the user ticked rows by hand."""
    spec = SPECS[kind]
    listed = spec.chosen(user, query) if spec.chosen else admin_list_queryset(spec.model, user, query)
    chosen = spec.scope(user, listed)
    if ids is not None:
        chosen = chosen.filter(pk__in=ids)
    return spec.rows(chosen).values_list(*spec.resource.rows_columns)


def admin_list_queryset(model: type[Model], user: AbstractBaseUser, query: str) -> QuerySet:
    """The queryset of the model's admin list for `user` with the filters and search of `query`.

    Built the way the list page builds it (ChangeList, without its page and count), so a list filter
    means exactly what it means on the page, and a parameter the page would refuse is refused here.
    """
    model_admin = admin.site.get_model_admin(model)
    request = HttpRequest()
    request.method = "GET"
    request.user = user
    request.GET = QueryDict(query)
    request._messages = CookieStorage(request)  # a filter warns about a mistyped date through messages

    class Unpaged(model_admin.get_changelist(request)):
        def get_results(self, request) -> None:
            """No page to show and nothing to count: only the queryset is wanted."""

    list_display = model_admin.get_list_display(request)
    changelist = Unpaged(
        request,
        model,
        list_display,
        model_admin.get_list_display_links(request, list_display),
        model_admin.get_list_filter(request),
        model_admin.date_hierarchy,
        model_admin.get_search_fields(request),
        model_admin.get_list_select_related(request),
        model_admin.list_per_page,
        model_admin.list_max_show_all,
        model_admin.list_editable,
        model_admin,
        model_admin.get_sortable_by(request),
        model_admin.search_help_text,
    )
    return changelist.queryset


# -- writing -----------------------------------------------------------------------------------------


class _CsvSheet:
    """UTF-8 with a byte-order mark, which Excel needs to read Persian from a CSV file. Rows are gathered
    CSV_BATCH at a time and encoded in one go: a write and an encoding per row cost more than the row."""

    def __init__(self, out: BinaryIO, *, title: str, headers: list[str]):
        self._out = out
        self._text = io.StringIO()
        self._writer = csv.writer(self._text)
        self._batch: list[list[object]] = []
        out.write(codecs.BOM_UTF8)
        self.write(headers)

    def write(self, row: list[object]) -> None:
        self._batch.append(safe_row(row))
        if len(self._batch) >= CSV_BATCH:
            self._flush()

    def _flush(self) -> None:
        self._writer.writerows(self._batch)
        self._batch.clear()
        self._out.write(self._text.getvalue().encode())
        self._text.seek(0)
        self._text.truncate()

    def close(self) -> None:
        self._flush()  # the caller's file stays open


class _XlsxSheet:
    """Right-to-left sheets with a bold header row that stays in view, each row streamed into the file as
    it comes; past Excel's row limit the rows go on in a new sheet."""

    def __init__(self, out: BinaryIO, *, title: str, headers: list[str]):
        self._title, self._headers = title, headers
        self._book = XlsxBook(out)
        self._sheets = 0
        self._new_sheet()

    def _new_sheet(self) -> None:
        self._sheets += 1
        self._book.sheet(self._title if self._sheets == 1 else f"{self._title} {self._sheets}", header=self._headers)
        self._rows = 1

    def write(self, row: list[object]) -> None:
        if self._rows >= XLSX_MAX_ROWS:
            self._new_sheet()
        self._book.append(row)
        self._rows += 1

    def close(self) -> None:
        self._book.close()


SHEETS = {ExportFormat.CSV: _CsvSheet, ExportFormat.XLSX: _XlsxSheet}


def export_write(
    *, kind: str, rows: QuerySet, file_format: str, out: BinaryIO, on_chunk: Callable[[int], None] | None = None
) -> int:
    """Writes the header and every row of `rows` (export_rows: tuples of the resource's rows_columns) to
    `out`, reading CHUNK_SIZE rows at a time; calls `on_chunk` with the rows written so far after each
    chunk. Returns how many rows were written."""
    spec = SPECS[kind]
    plain_row = spec.resource.plain_row
    sheet = SHEETS[file_format](out, title=spec.sheet_title, headers=spec.resource().get_export_headers())
    write = sheet.write
    written = 0
    with reading_replica():  # the rows (progress updates are writes: the primary)
        for values in rows.iterator(chunk_size=CHUNK_SIZE):
            write(plain_row(values))
            written += 1
            if on_chunk is not None and written % CHUNK_SIZE == 0:
                on_chunk(written)
    sheet.close()
    return written


def download_name(kind: str, file_format: str, when: dt.datetime) -> str:
    """enrollment-list-1405-09-04-1430.xlsx: Latin, so every browser keeps it as it is."""
    stamp = jalali.format_datetime(when, persian=False).replace("/", "-").replace(" ", "-").replace(":", "")
    return f"{SPECS[kind].file_stem}-{stamp}.{file_format}"


# -- starting an export ------------------------------------------------------------------------------


@dataclass(frozen=True)
class InlineExport:
    """A small export, written while the user waited: the response carries it."""

    job: ExportJob
    content: bytes

    @property
    def file_name(self) -> str:
        return download_name(self.job.kind, self.job.file_format, self.job.created_at)

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.job.file_format]


def export_start(
    *, user: AbstractBaseUser, kind: str, file_format: str, query: str = "", ids: Sequence[int] | None = None
) -> InlineExport | ExportJob:
    """Writes a small export at once; a larger one becomes a job that a worker runs after commit.

    Either way an ExportJob row records who took which rows in which format. Raises PermissionError when
    the user may not take this export.
    """
    if not may_export(user, kind):
        raise PermissionError(REFUSED)
    selection = list(ids) if ids is not None else None
    rows = export_rows(user=user, kind=kind, query=query, ids=selection)
    limit = inline_max()
    with reading_replica():
        large = rows.order_by()[: limit + 1].count() > limit
    if large:
        return _job_create(user=user, kind=kind, file_format=file_format, query=query, ids=selection)
    buffer = io.BytesIO()
    written = export_write(kind=kind, rows=rows, file_format=file_format, out=buffer)
    now = timezone.now()
    job = ExportJob.objects.create(
        user=user,
        kind=kind,
        file_format=file_format,
        query=query,
        selected_ids=selection,
        status=ExportStatus.DONE,
        rows_written=written,
        total_estimate=written,
        attempts=1,
        started_at=now,
        finished_at=now,
    )
    return InlineExport(job=job, content=buffer.getvalue())


def _job_create(*, user: AbstractBaseUser, kind: str, file_format: str, query: str, ids: list[int] | None) -> ExportJob:
    job = ExportJob.objects.create(user=user, kind=kind, file_format=file_format, query=query, selected_ids=ids)
    _run_after_commit(job.pk)
    return job


def export_job_queue(job_id: int) -> None:
    """Queues a job's task after commit: a new job, a restarted one, or one the sweep found stalled."""
    _run_after_commit(job_id)


def _run_after_commit(job_id: int) -> None:
    def enqueue() -> None:
        try:
            async_task(
                RUN_TASK,
                job_id,
                task_name=f"export-{job_id}",
                timeout=task_timeout(),
                cluster=settings.LONG_TASKS_CLUSTER,  # never in the way of a login code
            )
        except Exception:
            # The job would wait in the queue for ever: say so on it, and let the user ask again.
            logger.exception("Could not queue export job %s", job_id)
            ExportJob.objects.filter(pk=job_id, status=ExportStatus.QUEUED).update(
                status=ExportStatus.FAILED, error=NOT_QUEUED, finished_at=timezone.now()
            )

    transaction.on_commit(enqueue)


# -- running a job -----------------------------------------------------------------------------------


def export_job_run(*, job_id: int) -> str | None:
    """Writes a queued job's file and stores it; returns the job's new status, or None when the job was
    not this caller's to run: finished, being written by a live worker, given up, or gone.

    The claim, the progress and the end are core.jobs' moves, as for every background job: a job whose
    progress stopped for STALE_AFTER is taken over by the next delivery of its task, and a worker taken
    for dead cannot overwrite the one that took over. After REPORTS_EXPORT_MAX_ATTEMPTS starts the job
    fails for good, and the manager may start it again.
    """
    mine = job_claim(ExportJob, job_id, export_rules(), rows_written=0)
    if mine is None:
        return None
    job = ExportJob.objects.select_related("user").get(pk=job_id)
    try:
        written = _job_write(job, mine)
    except Superseded:
        logger.warning("Export job %s was taken over by another worker", job.pk)
        return None
    except Exception as error:
        logger.exception("Export job %s failed", job.pk)
        job_fail(mine, str(error) if isinstance(error, PermissionError) else f"ساختن فایل ناموفق بود: {error}")
        return ExportStatus.FAILED
    if not job_finish(mine, file=job.file.name, rows_written=written):
        job.file.delete(save=False)  # taken over at the last moment: the other worker's file is the one kept
        return None
    return ExportStatus.DONE


def export_rules() -> JobRules:
    """An export beats every CHUNK_SIZE rows; a job silent for STALE_AFTER has lost its worker."""
    return JobRules(stale_after=STALE_AFTER, max_attempts=max_attempts())


def _job_write(job: ExportJob, mine: QuerySet[ExportJob]) -> int:
    """Scope again, with the job's user as they are now: a user who lost a county since asking gets none
    of its rows, and one who lost the right to export gets no file."""
    if not may_export(job.user, job.kind):
        raise PermissionError(REFUSED)
    rows = export_rows(user=job.user, kind=job.kind, query=job.query, ids=job.selected_ids)
    with reading_replica():
        total = rows.count()
    job_beat(mine, total_estimate=total)

    def on_chunk(written: int) -> None:
        job_beat(mine, rows_written=written)

    with tempfile.TemporaryFile() as scratch:
        written = export_write(kind=job.kind, rows=rows, file_format=job.file_format, out=scratch, on_chunk=on_chunk)
        scratch.seek(0)
        # A name nobody can guess, in case the storage is ever served as it is.
        job.file.save(f"{job.pk}-{secrets.token_hex(8)}.{job.file_format}", File(scratch), save=False)
    return written
