"""Exports in the admin: the «خروجی اکسل/CSV» action of the scoped lists, and the list of one's exports."""

import contextlib

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import FieldDoesNotExist
from django.db.models import BooleanField
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpResponse, HttpResponseRedirect, QueryDict
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from core.admin_tools import YES_NO_UNKNOWN, PortalModelAdmin, ReadOnlyAdminMixin, jalali_column
from core.jobs import job_restart
from core.text import format_number, to_persian_digits
from enrollment.reports import exports, views
from enrollment.reports.models import ExportFormat, ExportJob, ExportKind, ExportStatus
from enrollment.selectors import user_sees_all

EXPORT_ACTION = "export_list"


class ScopedExportMixin:
    """«خروجی اکسل/CSV» for a ModelAdmin whose get_queryset is its scope selector: add `EXPORT_ACTION` to
    `actions` and set `export_kind`.

    The ticked rows, or with «انتخاب همه» every row of the list with its current filters and search. The
    first POST asks for the format; the second exports (enrollment.reports.exports decides whether at once
    or as a background job).
    """

    export_kind: str

    def has_export_permission(self, request) -> bool:
        return exports.may_export(request.user, self.export_kind)

    @admin.action(description="خروجی اکسل/CSV", permissions=["export"])
    def export_list(self, request, queryset):
        select_across = request.POST.get("select_across") == "1"
        file_format = request.POST.get("export_format")
        if file_format not in ExportFormat.values:
            return self._export_form(request, select_across)
        ids = None if select_across else list(queryset.values_list("pk", flat=True))
        outcome = exports.export_start(
            user=request.user, kind=self.export_kind, file_format=file_format, query=request.GET.urlencode(), ids=ids
        )
        if isinstance(outcome, ExportJob):
            self.message_user(
                request,
                f"این خروجی بیش از {format_number(exports.inline_max())} ردیف دارد و در پس‌زمینه آماده می‌شود؛ "
                "پیشرفت آن را همین‌جا می‌بینید و وقتی آماده شد فایل را دریافت می‌کنید.",
                messages.INFO,
            )
            return HttpResponseRedirect(reverse("admin:reports_exportjob_changelist"))
        response = HttpResponse(outcome.content, content_type=outcome.content_type)
        response["Content-Disposition"] = f'attachment; filename="{outcome.file_name}"'
        return response

    def _export_form(self, request, select_across: bool) -> TemplateResponse:
        selected = request.POST.getlist(ACTION_CHECKBOX_NAME)
        context = {
            **self.admin_site.each_context(request),
            "title": "خروجی اکسل/CSV",
            "opts": self.model._meta,
            "kind_label": ExportKind(self.export_kind).label,
            "select_across": select_across,
            "selected": selected,
            "formats": ExportFormat.choices,
            "inline_max": exports.inline_max(),
            "action_name": EXPORT_ACTION,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "back_url": request.get_full_path(),
        }
        return TemplateResponse(request, "admin/reports/export_form.html", context)


@admin.register(ExportJob)
class ExportJobAdmin(ReadOnlyAdminMixin, PortalModelAdmin):
    """Read-only: one's own exports (managers and auditors: everybody's), with progress and the file."""

    list_display = ["kind", "file_format", "status", "progress", "created_at_jalali", "finished_at_jalali", "download"]
    list_filter = ["status", "kind", "file_format"]
    fields = [
        "kind",
        "file_format",
        "filters_text",
        "selected_count",
        "status",
        "progress",
        "download",
        "error",
        "note",
        "created_at_jalali",
        "started_at_jalali",
        "finished_at_jalali",
        "attempts",
    ]
    readonly_fields = fields
    change_list_template = "admin/reports/exportjob/change_list.html"
    actions = ["restart"]

    created_at_jalali = jalali_column("created_at", "زمان درخواست", with_time=True)
    started_at_jalali = jalali_column("started_at", "زمان شروع", with_time=True)
    finished_at_jalali = jalali_column("finished_at", "زمان پایان", with_time=True)

    def get_queryset(self, request):
        return exports.export_jobs_visible_to(request.user).select_related("user")

    def get_list_display(self, request):
        if user_sees_all(request.user):
            return ["requested_by", *self.list_display]
        return self.list_display

    def get_fields(self, request, obj=None):
        if user_sees_all(request.user):
            return ["requested_by", *self.fields]
        return self.fields

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def has_module_permission(self, request) -> bool:
        return exports.may_export_any(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return exports.may_export_any(request.user)

    def get_urls(self):
        own = [
            path(
                "<int:job_id>/download/",
                self.admin_site.admin_view(views.export_download),
                name="reports_exportjob_download",
            )
        ]
        return own + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        """The list refreshes itself while one of its jobs is still being written."""
        pending = self.get_queryset(request).filter(status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING])
        return super().changelist_view(request, {**(extra_context or {}), "refresh_seconds": 5 * pending.exists()})

    def has_restart_permission(self, request) -> bool:
        return exports.may_export_any(request.user)

    @admin.action(description="شروع دوباره", permissions=["restart"])
    def restart(self, request, queryset):
        """A failed export back to the queue; it runs again as its requester, within their scope as it is now."""
        failed = [job for job in queryset if job.status == ExportStatus.FAILED]
        restarted = sum(
            job_restart(job, queue=exports.export_job_queue, rows_written=0, total_estimate=None, file="")
            for job in failed
        )
        if restarted:
            text = f"{to_persian_digits(restarted)} خروجی دوباره در صف قرار گرفت."
            self.message_user(request, text, messages.SUCCESS)
        if restarted < len(queryset):
            self.message_user(request, "فقط خروجی‌های ناموفق را می‌توان دوباره شروع کرد.", messages.WARNING)

    @admin.display(description="درخواست‌کننده", ordering="user__username")
    def requested_by(self, job: ExportJob) -> str:
        return job.user.get_full_name() or job.user.get_username()

    @admin.display(description="فیلترها و جستجو")
    def filters_text(self, job: ExportJob) -> str:
        return filters_described(exports.SPECS[job.kind].model, job.query) or "-"

    @admin.display(description="ردیف‌های انتخاب‌شده")
    def selected_count(self, job: ExportJob) -> str:
        return "همه ردیف‌های فهرست" if job.selected_ids is None else f"{format_number(len(job.selected_ids))} ردیف"

    @admin.display(description="پیشرفت")
    def progress(self, job: ExportJob) -> str:
        written = format_number(job.rows_written)
        if job.status == ExportStatus.DONE or not job.total_estimate:
            return f"{written} ردیف"
        percent = to_persian_digits(min(100, job.rows_written * 100 // job.total_estimate))
        text = f"{written} از {format_number(job.total_estimate)} ردیف ({percent}٪)"
        stale = job.heartbeat_at and job.heartbeat_at < timezone.now() - exports.STALE_AFTER
        if job.status == ExportStatus.RUNNING and stale:
            text += " — مدتی است پیش نرفته"
        return text

    @admin.display(description="فایل")
    def download(self, job: ExportJob) -> str:
        if job.status == ExportStatus.EXPIRED:
            return "فایل منقضی شده و حذف شده است"
        if job.status != ExportStatus.DONE:
            return "-"
        if not job.file:
            return "همان لحظه دریافت شد"
        url = reverse("admin:reports_exportjob_download", args=[job.pk])
        return format_html('<a class="btn btn-sm btn-success" href="{}">دریافت فایل</a>', url)


# The list's own parameters that choose no rows: ordering, page, «نمایش همه», the popup flags.
_NOT_FILTERS = {"o", "p", "all", "_to_field", "_popup", "e"}


def filters_described(model, query: str) -> str:
    """An admin list's address (`status__exact=accepted&q=احمدی`) in the words of its filter panel:
    «وضعیت: مختومه - تایید نهایی؛ جستجو: احمدی»."""
    model_admin = admin.site.get_model_admin(model)
    filters = [
        f for f in [*model_admin.list_filter, *getattr(model_admin, "office_filters", [])] if isinstance(f, type)
    ]
    parts = []
    for key, value in QueryDict(query).items():
        if key in _NOT_FILTERS:
            continue
        if key == "q":
            parts.append(f"جستجو: {value}")
            continue
        named = next((f for f in filters if key in _parameters_of(f)), None)
        parts.append(_filter_part(named, key, value) if named else _field_part(model, key, value))
    return "؛ ".join(parts)


def _parameters_of(list_filter) -> set[str]:
    return {getattr(list_filter, name, None) for name in ("parameter_name", "start_param", "end_param")} - {None}


def _filter_part(list_filter, key: str, value: str) -> str:
    label = value
    with contextlib.suppress(AttributeError, TypeError):  # lookups that read the user's offices: the value
        label = dict(list_filter.lookups(None, None, None)).get(value, value)
    if getattr(list_filter, "start_param", None) == key:
        return f"{list_filter.title} از {value}"
    if getattr(list_filter, "end_param", None) == key:
        return f"{list_filter.title} تا {value}"
    return f"{list_filter.title}: {label}"


def _field_part(model, key: str, value: str) -> str:
    """`status__exact=accepted` as «وضعیت: مختومه - تایید نهایی», following relations (`pensioner__county`)."""
    names = key.split(LOOKUP_SEP)
    field, labels = None, []
    for name in names:
        try:
            field = (field.related_model if field is not None else model)._meta.get_field(name)
        except (FieldDoesNotExist, AttributeError):
            break
        labels.append(str(field.verbose_name))
    if field is None:
        return f"فیلتر دیگر: {value}"
    if getattr(field, "flatchoices", None):
        shown = dict(field.flatchoices).get(value, value)
    elif isinstance(field, BooleanField):
        shown = YES_NO_UNKNOWN.get(value.lower() in ("1", "true") if value else None)
    else:
        shown = value
    return f"{' / '.join(labels)}: {shown}"
