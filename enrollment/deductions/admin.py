from django.contrib import admin, messages

from core.admin_tools import PortalModelAdmin, ReadOnlyAdminMixin, ScopedHistoryAdmin, jalali_column
from core.jalali import format_month
from core.jobs import PENDING, JobStatus
from core.text import format_number, to_persian_digits
from enrollment import selectors
from enrollment.deductions import jobs
from enrollment.deductions.models import DeductionDocument, MonthlyListJob, RolloverJob

CHANGE_PERIOD = "policies.change_contractperiod"


@admin.register(DeductionDocument)
class DeductionDocumentAdmin(ReadOnlyAdminMixin, ScopedHistoryAdmin, PortalModelAdmin):
    """Deduction documents are written by acceptance of a request, never by hand."""

    list_display = ["pensioner", "dependent", "kind", "monthly_amount", "first", "last", "status", "source_request"]
    list_select_related = ["pensioner", "dependent", "source_request"]
    list_filter = ["kind", "status"]
    search_fields = ["pensioner__national_code__exact", "source_request__tracking_code__exact"]

    @admin.display(description="ماه شروع کسر", ordering="first_month")
    def first(self, obj: DeductionDocument) -> str:
        return format_month(obj.first_month)

    @admin.display(description="ماه پایان کسر", ordering="last_month")
    def last(self, obj: DeductionDocument) -> str:
        return format_month(obj.last_month) or "-"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset.filter(pensioner__in=selectors.pensioners_visible_to(request.user).values("pk"))


RESTART = "شروع دوباره"


def _restart_selected(modeladmin, request, queryset, restart) -> None:
    """«شروع دوباره» of the ticked jobs that failed; the others are left as they are and named."""
    restarted = [job for job in queryset if job.status == JobStatus.FAILED and restart(job)]
    if restarted:
        modeladmin.message_user(
            request, f"{to_persian_digits(len(restarted))} کار دوباره در صف اجرا قرار گرفت.", messages.SUCCESS
        )
    if len(restarted) < len(queryset):
        modeladmin.message_user(request, "فقط کارهای ناموفق را می‌توان دوباره شروع کرد.", messages.WARNING)


class JobAdmin(ReadOnlyAdminMixin, PortalModelAdmin):
    """The shared columns of a job list: status, progress, attempts and the reason of a failure."""

    list_filter = ["status"]
    actions = ["restart"]
    change_list_template = "admin/reports/exportjob/change_list.html"  # refreshes itself while a job is pending
    created_at_jalali = jalali_column("created_at", "زمان درخواست", with_time=True)
    heartbeat_at_jalali = jalali_column("heartbeat_at", "آخرین پیشرفت", with_time=True)
    finished_at_jalali = jalali_column("finished_at", "زمان پایان", with_time=True)
    restart_job = None  # the job module's restart function

    def changelist_view(self, request, extra_context=None):
        """The list refreshes itself while one of its jobs is still pending."""
        pending = self.get_queryset(request).filter(status__in=PENDING).exists()
        return super().changelist_view(request, {**(extra_context or {}), "refresh_seconds": 5 * pending})

    def has_restart_permission(self, request) -> bool:
        return self.has_view_permission(request)

    @admin.action(description=RESTART, permissions=["restart"])
    def restart(self, request, queryset):
        _restart_selected(self, request, queryset, type(self).restart_job)


@admin.register(RolloverJob)
class RolloverJobAdmin(JobAdmin):
    """Rollovers into a new period, for the managers who run them from the period list."""

    list_display = [
        "new_period", "old_period", "status", "progress_text", "attempts", "error", "created_at_jalali",
        "heartbeat_at_jalali", "finished_at_jalali",
    ]  # fmt: skip
    list_select_related = ["old_period", "new_period"]
    list_filter = ["status", "new_period"]
    fields = [*list_display, "summary", "user"]
    readonly_fields = fields
    restart_job = staticmethod(jobs.rollover_restart)

    def has_module_permission(self, request) -> bool:
        return request.user.has_perm(CHANGE_PERIOD)

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm(CHANGE_PERIOD)

    @admin.display(description="پیشرفت")
    def progress_text(self, job: RolloverJob) -> str:
        processed = format_number(jobs.rollover_processed(job))
        if job.total_estimate is None:
            return f"{processed} سند"
        return f"{processed} از {format_number(job.total_estimate)} سند"


@admin.register(MonthlyListJob)
class MonthlyListJobAdmin(JobAdmin):
    """Files of large monthly lists: one's own (managers and auditors: everybody's)."""

    list_display = [
        "branch", "month_text", "file_format", "status", "progress_text", "attempts", "error", "created_at_jalali",
        "finished_at_jalali",
    ]  # fmt: skip
    fields = [*list_display, "user"]
    readonly_fields = fields
    restart_job = staticmethod(jobs.monthly_restart)

    def get_queryset(self, request):
        return jobs.monthly_jobs_visible_to(request.user).select_related("user")

    def has_module_permission(self, request) -> bool:
        return request.user.has_perm(jobs.VIEW_DEDUCTIONS)

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm(jobs.VIEW_DEDUCTIONS)

    @admin.display(description="ماه", ordering="month")
    def month_text(self, job: MonthlyListJob) -> str:
        return format_month(job.month)

    @admin.display(description="پیشرفت")
    def progress_text(self, job: MonthlyListJob) -> str:
        if job.total_estimate is None:
            return "-"
        return f"{format_number(job.rows_written)} از {format_number(job.total_estimate)} ردیف"
