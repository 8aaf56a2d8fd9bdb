"""The outbox in the admin: read-only; failed messages can be re-queued by national managers.

Who reads what (enrollment.selectors.outbox_visible_to): the staff who see every scope, all of it; a
province manager the messages of their province's requests (each step of a request of a pensioner they
see), never a sign-in code, which belongs to no request; anybody else nothing.
"""

from django.contrib import admin, messages
from django.db.models import Q

from core.admin_tools import PortalModelAdmin, ReadOnlyAdminMixin, jalali_column
from core.identity import normalize_mobile
from core.text import normalize_digits_only, to_persian_digits
from enrollment import selectors
from enrollment.models import EnrollmentRequest
from enrollment.sms.models import OutboxMessage
from enrollment.sms.services import sms_retry
from enrollment.sms.texts import LABELS


class TemplateListFilter(admin.SimpleListFilter):
    """The kinds of message come from texts.py, never from a DISTINCT over the table."""

    title = "نوع پیام"
    parameter_name = "template"

    def lookups(self, request, model_admin):
        return list(LABELS.items())

    def queryset(self, request, queryset):
        return queryset.filter(template=self.value()) if self.value() else queryset


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdminMixin, PortalModelAdmin):
    list_display = [
        "mobile",
        "template_label",
        "status",
        "attempts",
        "created_at_jalali",
        "sent_at_jalali",
        "request_tracking_code",
    ]
    list_select_related = ["request"]
    list_filter = ["status", TemplateListFilter]
    search_fields = ["mobile__exact", "request__tracking_code__exact"]
    search_help_text = "شماره همراه یا کد رهگیری درخواست"
    actions = ["resend"]
    fields = [
        "mobile",
        "template_label",
        "text",  # a login code is stored masked; its sealed copy (`secret`) is never shown
        "request",
        "status",
        "attempts",
        "next_attempt_at_jalali",
        "last_error",
        "provider_message_id",
        "provider_status",
        "created_at_jalali",
        "sent_at_jalali",
    ]
    readonly_fields = fields

    created_at_jalali = jalali_column("created_at", "زمان ایجاد", with_time=True)
    sent_at_jalali = jalali_column("sent_at", "زمان ارسال", with_time=True)
    next_attempt_at_jalali = jalali_column("next_attempt_at", "تلاش بعدی", with_time=True)

    @admin.display(description="نوع پیام", ordering="template")
    def template_label(self, obj: OutboxMessage) -> str:
        return LABELS.get(obj.template, obj.template)

    @admin.display(description="درخواست", ordering="request__tracking_code")
    def request_tracking_code(self, obj: OutboxMessage) -> str:
        return to_persian_digits(obj.request.tracking_code) if obj.request_id else "-"

    def get_queryset(self, request):
        return selectors.outbox_visible_to(request.user, super().get_queryset(request))

    def get_search_results(self, request, queryset, search_term):
        """An exact mobile (typed in any digits, +98 or not) or an exact tracking code; both indexed."""
        term = normalize_digits_only(search_term)
        if not term:
            return queryset, False
        wanted = Q(mobile=normalize_mobile(term))
        request_id = EnrollmentRequest.objects.filter(tracking_code=term).values_list("pk", flat=True).first()
        if request_id is not None:  # request_id=None would mean "IS NULL": every login code
            wanted |= Q(request_id=request_id)
        return queryset.filter(wanted), False

    def has_module_permission(self, request) -> bool:
        return self._reads_outbox(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._reads_outbox(request.user)

    def has_resend_permission(self, request) -> bool:
        return selectors.user_sees_all(request.user) and request.user.has_perm("sms.change_outboxmessage")

    @staticmethod
    def _reads_outbox(user) -> bool:
        return selectors.user_sees_all(user) or selectors.is_province_manager(user)

    @admin.action(description="ارسال مجدد", permissions=["resend"])
    def resend(self, request, queryset) -> None:
        requeued = skipped = 0
        for message in queryset.select_related(None).only("pk", "mobile", "template").iterator():
            if sms_retry(message_id=message.pk):
                requeued += 1
                self.log_change(request, message, "ارسال مجدد")
            else:
                skipped += 1
        if requeued:
            self.message_user(request, f"{to_persian_digits(requeued)} پیامک دوباره در صف ارسال قرار گرفت.")
        if skipped:
            self.message_user(
                request,
                f"{to_persian_digits(skipped)} پیامک تغییری نکرد؛ فقط پیامک‌های ناموفق دوباره فرستاده می‌شوند، "
                "جز کد ورود که فرد باید تازه درخواست کند.",
                messages.WARNING,
            )
