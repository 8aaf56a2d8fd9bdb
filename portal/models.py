"""What the public portal keeps of its own: one-time login codes and the announcements (directive point 16)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from audit.facts import Facts
from audit.history import AuditedHistoryManager


class LoginCode(models.Model):
    """One SMS code for one national code. Only its keyed hash is stored; see portal.otp.

    Rows are written for national codes that are not in the registry too (never sent), so the
    per-national-code limit answers the same whether or not the code exists. Their `attempts` summed
    over 24 hours are the national code's wrong codes of the day, which LOGIN_CODE_FAILURES_PER_DAY caps.
    """

    national_code = models.CharField("کد ملی", max_length=10)
    code_hash = models.CharField("چکیده کد", max_length=64)
    created_at = models.DateTimeField("زمان ایجاد", default=timezone.now)
    expires_at = models.DateTimeField("پایان اعتبار")
    attempts = models.PositiveSmallIntegerField("تلاش‌های نادرست", default=0)
    used_at = models.DateTimeField("زمان استفاده", null=True, blank=True)

    class Meta:
        verbose_name = "کد ورود یک‌بارمصرف"
        verbose_name_plural = "کدهای ورود یک‌بارمصرف"
        indexes = [models.Index(fields=["national_code", "created_at"], name="login_code_recent")]

    def __str__(self) -> str:
        return f"{self.national_code} ({self.created_at:%Y-%m-%d %H:%M})"


class AnnouncementQuerySet(models.QuerySet):
    def published(self, at=None) -> "AnnouncementQuerySet":
        """Marked published and inside its publishing window at `at` (default now)."""
        moment = at or timezone.now()
        return self.filter(is_published=True, publish_from__lte=moment).filter(
            Q(publish_until__isnull=True) | Q(publish_until__gt=moment)
        )


class Announcement(models.Model):
    title = models.CharField("عنوان", max_length=200)
    body = models.TextField("متن")
    publish_from = models.DateTimeField("نمایش از", default=timezone.now)
    publish_until = models.DateTimeField("نمایش تا", null=True, blank=True, help_text="خالی یعنی بدون پایان")
    is_published = models.BooleanField("منتشر شود", default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name="ایجادکننده",
    )
    created_at = models.DateTimeField("زمان ایجاد", auto_now_add=True)

    objects = AnnouncementQuerySet.as_manager()
    history = HistoricalRecords(
        history_change_reason_field=models.TextField(null=True), history_manager=AuditedHistoryManager
    )

    class Meta:
        verbose_name = "اطلاعیه"
        verbose_name_plural = "اطلاعیه‌ها"
        ordering = ["-publish_from", "-id"]
        indexes = [models.Index(fields=["is_published", "publish_from"], name="announcement_published")]
        constraints = [
            models.CheckConstraint(
                condition=Q(publish_until__isnull=True) | Q(publish_until__gt=models.F("publish_from")),
                name="announcement_window_in_order",
                violation_error_message="«نمایش تا» باید بعد از «نمایش از» باشد.",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("portal:announcement", args=[self.pk])

    def audit_facts(self) -> Facts:
        return Facts(label=f"اطلاعیه «{self.title}»")

    def is_live(self, at=None) -> bool:
        """What AnnouncementQuerySet.published() selects, for one object already in hand."""
        moment = at or timezone.now()
        return (
            self.is_published
            and self.publish_from <= moment
            and (self.publish_until is None or self.publish_until > moment)
        )
