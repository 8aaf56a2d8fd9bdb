"""Announcements for the public home page (directive point 16), kept by public-relations staff."""

from django.contrib import admin
from django.utils.html import format_html

from core.admin_tools import PortalModelAdmin, ScopedHistoryAdmin, jalali_column
from portal.models import Announcement


@admin.register(Announcement)
class AnnouncementAdmin(ScopedHistoryAdmin, PortalModelAdmin):
    list_display = ["title", "is_published", "publish_from_jalali", "publish_until_jalali", "preview"]
    list_filter = ["is_published"]
    search_fields = ["title"]
    fields = ["title", "body", "is_published", "publish_from", "publish_until", "preview"]
    readonly_fields = ["preview"]

    publish_from_jalali = jalali_column("publish_from", "نمایش از", with_time=True)
    publish_until_jalali = jalali_column("publish_until", "نمایش تا", with_time=True)

    @admin.display(description="پیش‌نمایش")
    def preview(self, obj: Announcement) -> str:
        if obj.pk is None:
            return "پس از ذخیره، پیش‌نمایش صفحه عمومی در دسترس است."
        return format_html('<a href="{}" target="_blank" rel="noopener">پیش‌نمایش</a>', obj.get_absolute_url())

    def save_model(self, request, obj: Announcement, form, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
