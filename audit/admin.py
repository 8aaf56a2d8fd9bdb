"""«گزارش تغییرات»: the auditors' and managers' page of the log, in the admin.

Read-only: one page (filters, keyset pages, the entries in words) and its export; no entry has a page of
its own. The entries shown are those enrollment.selectors lets the user read; the admin module may look
across the layers (pyproject.toml's import contracts).
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from audit.log import LogFilter, Position, entry_view, page_of
from audit.models import AuditEntry
from core.admin_tools import ReadOnlyAdminMixin
from core.text import format_number
from enrollment import selectors
from enrollment.reports import exports
from enrollment.reports.models import ExportFormat, ExportJob, ExportKind

NEWER, OLDER = "newer", "older"


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    def get_queryset(self, request):
        return selectors.audit_entries_visible_to(request.user, super().get_queryset(request))

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path("", self.admin_site.admin_view(self.changelist_view), name="{}_{}_changelist".format(*info)),
            path("export/", self.admin_site.admin_view(self.export_view), name="{}_{}_export".format(*info)),
        ]

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = LogFilter(request.GET, offices=selectors.audit_log_offices(request.user))
        entries = form.apply(self.get_queryset(request)) if form.is_valid() else AuditEntry.objects.none()
        before, after = Position.parse(request.GET.get(OLDER)), Position.parse(request.GET.get(NEWER))
        page = page_of(entries, before=before, after=after)
        query = form.query() if form.is_valid() else ""
        context = {
            **self.admin_site.each_context(request),
            "title": "گزارش تغییرات",
            "opts": self.opts,
            "form": form,
            "rows": [entry_view(entry) for entry in page.entries],
            "newer_url": _page_url(query, NEWER, page.newer),
            "older_url": _page_url(query, OLDER, page.older),
            "first_url": f"?{query}" if page.newer else "",
            "query": query,
            "may_export": form.is_valid() and exports.may_export(request.user, ExportKind.AUDIT_LOG),
            "formats": ExportFormat.choices,
            "inline_max": exports.inline_max(),
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/audit/auditentry/log.html", context)

    def export_view(self, request):
        """The filtered log as a file, within the user's scope, recorded as an ExportJob (and expiring). Only the
        page's own button (export=1) takes it: any other POST goes back to the page."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not exports.may_export(request.user, ExportKind.AUDIT_LOG):
            raise PermissionDenied
        back = reverse("admin:audit_auditentry_changelist")
        form = LogFilter(request.POST, offices=selectors.audit_log_offices(request.user))
        file_format = request.POST.get("export_format")
        if request.POST.get("export") != "1" or file_format not in ExportFormat.values or not form.is_valid():
            messages.error(request, "فیلترها یا قالب فایل معتبر نیست؛ دوباره انتخاب کنید.")
            return HttpResponseRedirect(back)
        outcome = exports.export_start(
            user=request.user, kind=ExportKind.AUDIT_LOG, file_format=file_format, query=form.query()
        )
        if isinstance(outcome, ExportJob):
            messages.info(
                request,
                f"این خروجی بیش از {format_number(exports.inline_max())} ردیف دارد و در پس‌زمینه آماده می‌شود؛ "
                "پیشرفت آن را همین‌جا می‌بینید و وقتی آماده شد فایل را دریافت می‌کنید.",
            )
            return HttpResponseRedirect(reverse("admin:reports_exportjob_changelist"))
        response = HttpResponse(outcome.content, content_type=outcome.content_type)
        response["Content-Disposition"] = f'attachment; filename="{outcome.file_name}"'
        return response


def _page_url(query: str, direction: str, position: Position | None) -> str:
    if position is None:
        return ""
    return f"?{query}&{direction}={position.token()}" if query else f"?{direction}={position.token()}"
