"""«اقدام‌های گروهی»: the cartable's background moves (enrollment.bulk_jobs), each with its report page.

A clerk sees their own jobs, a province manager those of their province's staff, national managers and
auditors all (bulk_jobs.bulk_jobs_visible_to). A job's page is its report: progress while it runs, then
every request with what happened to it, a page of REPORT_PAGE lines at a time.
"""

from django.contrib import admin
from django.core.paginator import Paginator
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from core.jobs import PENDING, JobStatus
from core.text import format_number, to_persian_digits
from enrollment import bulk_jobs, selectors, workflow
from enrollment.deductions.admin import JobAdmin
from enrollment.models import BulkMoveJob, BulkMoveOutcome

REPORT_PAGE = 500


def move_label(job: BulkMoveJob) -> str:
    move = workflow.MOVES.get(job.move)
    return move.label if move else job.move


def progress_text(job: BulkMoveJob) -> str:
    """۴۰۰ از ۱٬۲۰۰ درخواست (۳۳٪), and a warning when a running job has stopped moving."""
    done = format_number(job.processed)
    if job.total is None:
        return "-" if job.status in PENDING else f"{done} درخواست"
    text = f"{done} از {format_number(job.total)} درخواست"
    if job.status in PENDING and job.total:
        text += f" ({to_persian_digits(min(100, job.processed * 100 // job.total))}٪)"
    stale = job.heartbeat_at and job.heartbeat_at < timezone.now() - bulk_jobs.RULES.stale_after
    if job.status == JobStatus.RUNNING and stale:
        text += " — مدتی است پیش نرفته"
    return text


def selection_text(job: BulkMoveJob) -> str:
    if job.selected_ids is None:
        return "همه درخواست‌های منطبق با فیلترهای کارتابل"
    return f"{format_number(len(job.selected_ids))} درخواست انتخاب‌شده"


@admin.register(BulkMoveJob)
class BulkMoveJobAdmin(JobAdmin):
    list_display = [
        "number", "move_text", "selection", "status", "progress", "outcomes", "attempts_text", "created_at_jalali",
        "finished_at_jalali",
    ]  # fmt: skip
    list_display_links = ["number"]
    restart_job = staticmethod(bulk_jobs.bulk_move_restart)

    def get_queryset(self, request):
        return bulk_jobs.bulk_jobs_visible_to(request.user)

    def get_list_display(self, request):
        if selectors.user_sees_all(request.user):
            return ["requested_by", *self.list_display]
        return self.list_display

    def has_module_permission(self, request) -> bool:
        return bulk_jobs.may_see_jobs(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return bulk_jobs.may_see_jobs(request.user)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The job's page is its report."""
        job = self.get_queryset(request).filter(pk=object_id).first() if str(object_id).isdigit() else None
        if job is None:
            raise Http404
        lines = job.lines.order_by("request_id")
        shown = request.GET.get("outcome")
        if shown in BulkMoveOutcome.values:
            lines = lines.filter(outcome=shown)
        page = Paginator(lines, REPORT_PAGE).get_page(request.GET.get("p"))
        context = {
            **self.admin_site.each_context(request),
            "title": f"گزارش اقدام گروهی شماره {to_persian_digits(job.pk)}: «{move_label(job)}»",
            "opts": self.model._meta,
            "job": job,
            "move_label": move_label(job),
            "selection": selection_text(job),
            "progress": progress_text(job),
            "pending": job.status in PENDING,
            "requested_by": self.requested_by(job),
            "outcomes": [("", "همه", job.processed), *self._counts(job)],
            "shown": shown or "",
            "page": page,
            "changelist_url": reverse("admin:enrollment_bulkmovejob_changelist"),
            "cartable_url": reverse("admin:enrollment_enrollmentrequest_changelist"),
        }
        return TemplateResponse(request, "admin/enrollment/bulkmovejob/report.html", context)

    @staticmethod
    def _counts(job: BulkMoveJob) -> list[tuple[str, str, int]]:
        count = {BulkMoveOutcome.MOVED: job.moved, BulkMoveOutcome.REFUSED: job.refused, BulkMoveOutcome.HELD: job.held}
        return [(value, label, count[value]) for value, label in BulkMoveOutcome.choices]

    @admin.display(description="شماره", ordering="id")
    def number(self, job: BulkMoveJob) -> str:
        return to_persian_digits(job.pk)

    @admin.display(description="اقدام")
    def move_text(self, job: BulkMoveJob) -> str:
        return move_label(job)

    @admin.display(description="انتخاب")
    def selection(self, job: BulkMoveJob) -> str:
        return selection_text(job)

    @admin.display(description="پیشرفت")
    def progress(self, job: BulkMoveJob) -> str:
        return progress_text(job)

    @admin.display(description="نتیجه")
    def outcomes(self, job: BulkMoveJob) -> str:
        return format_html(
            '<span class="text-success">{} انجام شد</span>، <span class="text-danger">{} انجام نشد</span>، '
            "{} در دست همکار",
            format_number(job.moved),
            format_number(job.refused),
            format_number(job.held),
        )

    @admin.display(description="تعداد اجرا")
    def attempts_text(self, job: BulkMoveJob) -> str:
        return to_persian_digits(job.attempts)

    @admin.display(description="درخواست‌کننده", ordering="user__username")
    def requested_by(self, job: BulkMoveJob) -> str:
        return job.user.get_full_name() or job.user.get_username()
