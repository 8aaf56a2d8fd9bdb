from django.db import models


class OutboxStatus(models.TextChoices):
    QUEUED = "queued", "در صف ارسال"
    SENT = "sent", "ارسال‌شده"
    FAILED = "failed", "ناموفق"


class OutboxMessage(models.Model):
    """One SMS. Written inside the transaction of the change it announces; sent after commit."""

    mobile = models.CharField("تلفن همراه", max_length=11, db_index=True)
    template = models.CharField("نوع پیام", max_length=40)
    text = models.TextField("متن")
    request = models.ForeignKey(
        "enrollment.EnrollmentRequest",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sms_messages",
        verbose_name="درخواست",
    )
    status = models.CharField(
        "وضعیت", max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.QUEUED, db_index=True
    )
    attempts = models.PositiveSmallIntegerField("تعداد تلاش", default=0)
    next_attempt_at = models.DateTimeField("تلاش بعدی", null=True, blank=True)
    last_error = models.TextField("آخرین خطا", blank=True)
    provider_message_id = models.CharField("شناسه ارائه‌دهنده", max_length=64, blank=True)
    created_at = models.DateTimeField("زمان ایجاد", auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField("زمان ارسال", null=True, blank=True)

    class Meta:
        verbose_name = "پیامک"
        verbose_name_plural = "صندوق پیامک‌ها"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.mobile}: {self.text[:30]}"
