from django.contrib import admin

from core.admin_tools import PortalModelAdmin, ReadOnlyAdminMixin, ScopedHistoryAdmin
from core.jalali import format_month
from enrollment import selectors
from enrollment.deductions.models import DeductionDocument


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
