"""A cartable move on more requests than one web request should carry: a job (core.jobs) and its report.

The selection is kept as the clerk made it, never as a snapshot of the rows: the admin list's filters and
search (`query`, «همه موارد منطبق») or the ticked ids. The task reads it again through the clerk's scope
as it is when the job runs, a chunk at a time in id order; `last_id` is where it stopped, written in the
same transaction as the chunk's moves and its report lines, so a job resumed after its worker died goes
on from the first request it had not dealt with and never moves one twice.
"""

from django.conf import settings
from django.db import models

from core.jobs import BackgroundJob


class BulkMoveJob(BackgroundJob):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name="درخواست‌کننده"
    )
    move = models.CharField("اقدام", max_length=20, help_text="نام حرکت در جدول گردش کار (enrollment.workflow)")
    query = models.TextField("فیلترها و جستجو", blank=True, help_text="پارامترهای کارتابل هنگام درخواست")
    selected_ids = models.JSONField(
        "درخواست‌های انتخاب‌شده", null=True, blank=True, help_text="خالی یعنی همه درخواست‌های منطبق با فیلترها"
    )
    reason_code = models.CharField("علت عدم تایید", max_length=30, blank=True)
    note = models.TextField("توضیح", blank=True)
    total = models.PositiveIntegerField("تعداد درخواست‌ها", null=True, blank=True, help_text="در شروع اجرا")
    processed = models.PositiveIntegerField("رسیدگی‌شده", default=0)
    moved = models.PositiveIntegerField("انجام شد", default=0)
    refused = models.PositiveIntegerField("انجام نشد", default=0)
    held = models.PositiveIntegerField("در دست همکار", default=0)
    last_id = models.BigIntegerField("آخرین درخواست رسیدگی‌شده", default=0)

    class Meta:
        verbose_name = "اقدام گروهی"
        verbose_name_plural = "اقدام‌های گروهی"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="bulk_move_job_user_recent")]

    def __str__(self) -> str:
        return f"اقدام گروهی {self.pk}"


class BulkMoveOutcome(models.TextChoices):
    MOVED = "moved", "انجام شد"
    REFUSED = "refused", "انجام نشد"
    HELD = "held", "در دست همکار دیگر؛ کنار گذاشته شد"


class BulkMoveLine(models.Model):
    """One request of the job's report. `request_id` is a plain number, not a key: a request the clerk may
    not see is reported by its number alone, and the report outlives nothing it could protect."""

    job = models.ForeignKey(
        BulkMoveJob, on_delete=models.CASCADE, related_name="lines", verbose_name="اقدام گروهی", db_index=False
    )
    request_id = models.BigIntegerField("شناسه درخواست")
    tracking_code = models.CharField("کد رهگیری", max_length=12, blank=True)
    outcome = models.CharField("نتیجه", max_length=10, choices=BulkMoveOutcome.choices)
    reason = models.TextField("علت", blank=True)

    class Meta:
        verbose_name = "نتیجه اقدام گروهی برای یک درخواست"
        verbose_name_plural = "نتایج اقدام گروهی"
        # A request is reported once per job, however often the job was resumed.
        constraints = [models.UniqueConstraint(fields=["job", "request_id"], name="bulk_move_line_once")]
        indexes = [models.Index(fields=["job", "outcome", "request_id"], name="bulk_move_line_outcome")]

    def __str__(self) -> str:
        return f"{self.tracking_code or self.request_id}: {self.get_outcome_display()}"
