from django.db import models

from enrollment.sms.texts import LABELS


class OutboxStatus(models.TextChoices):
    QUEUED = "queued", "در صف ارسال"
    SENDING = "sending", "در حال ارسال"
    SENT = "sent", "ارسال‌شده"
    FAILED = "failed", "ناموفق"


class OutboxMessage(models.Model):
    """One SMS. Written inside the transaction of the change it announces; sent after commit.

    queued → sending (claimed by one sender) → sent, or back to queued with a later next_attempt_at,
    or failed after SMS_MAX_ATTEMPTS. A row left in "sending" by a dead worker returns to queued.

    A login code is never readable here: `text` has it masked and `secret` holds it sealed
    (enrollment.sms.sealing) until the message leaves the outbox: sent, failed for good, or older than
    services.SECRET_KEPT_FOR, when the sweep erases it.
    """

    mobile = models.CharField("تلفن همراه", max_length=11, db_index=True)
    template = models.CharField("نوع پیام", max_length=40)
    text = models.TextField("متن")
    secret = models.CharField("کد رمزنگاری‌شده", max_length=100, blank=True, editable=False)
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
    claimed_at = models.DateTimeField("شروع ارسال", null=True, blank=True)
    last_error = models.TextField("آخرین خطا", blank=True)
    provider_message_id = models.CharField("شناسه ارائه‌دهنده", max_length=64, blank=True)
    provider_status = models.CharField("وضعیت نزد ارائه‌دهنده", max_length=100, blank=True)
    created_at = models.DateTimeField("زمان ایجاد", auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField("زمان ارسال", null=True, blank=True)

    class Meta:
        verbose_name = "پیامک"
        verbose_name_plural = "صندوق پیامک‌ها"
        ordering = ["-created_at", "-id"]
        indexes = [
            # The sweep's question, "what is waiting?", reads only the few unsent rows of a large table.
            models.Index(fields=["id"], condition=models.Q(status="queued"), name="sms_outbox_queued_idx"),
            models.Index(fields=["claimed_at"], condition=models.Q(status="sending"), name="sms_outbox_sending_idx"),
            # The sweep's erasure of sealed codes reads only the few rows that still hold one.
            models.Index(fields=["created_at"], condition=~models.Q(secret=""), name="sms_outbox_secret_idx"),
        ]

    def __str__(self) -> str:
        # Never the text: a login code must not reach the admin's log or page titles.
        return f"پیامک {LABELS.get(self.template, self.template)} به {self.mobile}"
