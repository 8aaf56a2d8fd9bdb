"""An export too large to build inside a web request: a row here, a django-q2 task, a file in the storage."""

from django.conf import settings
from django.db import models


class ExportKind(models.TextChoices):
    REQUEST_ITEMS = "request_items", "فهرست ثبت‌نام و انصراف (هر فرد یک ردیف)"
    PENSIONERS = "pensioners", "مستمری‌بگیران"
    AUDIT_LOG = "audit_log", "گزارش تغییرات"


class ExportFormat(models.TextChoices):
    XLSX = "xlsx", "اکسل (XLSX)"
    CSV = "csv", "CSV"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "در صف"
    RUNNING = "running", "در حال آماده‌سازی"
    DONE = "done", "آماده"
    FAILED = "failed", "ناموفق"
    EXPIRED = "expired", "منقضی‌شده"


class ExportJob(models.Model):
    """queued → running (claimed by one worker) → done, with the file; or failed, with the reason.
    A done job's file is deleted EXPORT_FILES_KEEP_DAYS after it was written: the job is then expired.

    The rows are not stored: `query` (the admin list's filters and search) and `selected_ids` say which
    rows the user asked for, and the task reads them again through the user's scope when it runs.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name="درخواست‌کننده"
    )
    kind = models.CharField("نوع خروجی", max_length=20, choices=ExportKind.choices)
    query = models.TextField("فیلترها و جستجو", blank=True, help_text="پارامترهای فهرست مدیریت هنگام درخواست")
    selected_ids = models.JSONField(
        "ردیف‌های انتخاب‌شده", null=True, blank=True, help_text="خالی یعنی همه ردیف‌های فهرست با همان فیلترها"
    )
    file_format = models.CharField("قالب فایل", max_length=4, choices=ExportFormat.choices)
    status = models.CharField("وضعیت", max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    rows_written = models.PositiveIntegerField("ردیف‌های نوشته‌شده", default=0)
    total_estimate = models.PositiveIntegerField("تعداد کل ردیف‌ها", null=True, blank=True)
    file = models.FileField("فایل", upload_to="exports/%Y/%m/", max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField("تعداد اجرا", default=0)
    error = models.TextField("خطا", blank=True)
    created_at = models.DateTimeField("زمان درخواست", auto_now_add=True)
    started_at = models.DateTimeField("زمان شروع", null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        "آخرین پیشرفت", null=True, blank=True, help_text="هر دسته از ردیف‌ها که نوشته می‌شود به‌روز می‌شود"
    )
    finished_at = models.DateTimeField("زمان پایان", null=True, blank=True)
    expired_at = models.DateTimeField("زمان حذف فایل", null=True, blank=True)
    note = models.TextField("توضیح", blank=True)

    class Meta:
        verbose_name = "خروجی"
        verbose_name_plural = "خروجی‌ها"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="export_job_user_recent")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_file_format_display()})"
