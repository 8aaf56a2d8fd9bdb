"""Premium deduction documents «اسناد کسر کسورات» (point 12): what the payroll deducts each month."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q, prefetch_related_objects
from simple_history.models import HistoricalRecords

from audit.facts import Facts, related
from audit.history import AuditedHistoryManager
from audit.render import value_display
from core.jobs import PENDING, BackgroundJob
from enrollment.models import Dependent, EnrollmentRequest, Pensioner
from enrollment.models.registry import county_offices_many
from policies.models import ContractPeriod, InsuranceKind


class DeductionStatus(models.TextChoices):
    ACTIVE = "active", "فعال"
    ENDED = "ended", "خاتمه‌یافته"
    CANCELLED = "cancelled", "لغو پیش از شروع کسر"


class DeductionDocument(models.Model):
    """Monthly deduction for one person and one kind of insurance.

    Months are stored as the Gregorian date of the first day of the Jalali month; `last_month`
    empty means open-ended.
    """

    pensioner = models.ForeignKey(
        Pensioner, on_delete=models.PROTECT, related_name="deductions", verbose_name="مستمری‌بگیر"
    )
    dependent = models.ForeignKey(
        Dependent,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deductions",
        verbose_name="فرد تبعی",
        help_text="خالی یعنی خود مستمری‌بگیر اصلی",
    )
    period = models.ForeignKey(ContractPeriod, on_delete=models.PROTECT, verbose_name="دوره")
    kind = models.CharField("نوع بیمه", max_length=10, choices=InsuranceKind.choices)
    monthly_amount = models.PositiveBigIntegerField("مبلغ ماهانه (ریال)")
    first_month = models.DateField("ماه شروع کسر")
    last_month = models.DateField("ماه پایان کسر", null=True, blank=True)
    status = models.CharField(
        "وضعیت", max_length=10, choices=DeductionStatus.choices, default=DeductionStatus.ACTIVE, db_index=True
    )
    source_request = models.ForeignKey(
        EnrollmentRequest,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deductions",
        verbose_name="درخواست مبنا",
    )
    created_at = models.DateTimeField("زمان ایجاد", auto_now_add=True)

    history = HistoricalRecords(
        history_change_reason_field=models.TextField(null=True), history_manager=AuditedHistoryManager
    )

    class Meta:
        verbose_name = "سند کسر کسورات"
        verbose_name_plural = "اسناد کسر کسورات"
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(last_month__isnull=True) | Q(last_month__gte=F("first_month")), name="deduction_months"
            ),
            models.UniqueConstraint(
                fields=["pensioner", "period", "kind"],
                condition=Q(status="active", dependent__isnull=True),
                name="one_active_deduction_main_pensioner",
            ),
            models.UniqueConstraint(
                fields=["dependent", "period", "kind"],
                condition=Q(status="active"),
                name="one_active_deduction_dependent",
            ),
        ]
        indexes = [models.Index(fields=["period", "status", "first_month"], name="deduction_month_list")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} - {self.pensioner_id}"

    def audit_facts(self) -> Facts:
        """A document belongs to its pensioner's file; its tracking code is its source request's."""
        pensioner = related(self, "pensioner")
        person = related(self, "dependent") or pensioner
        source = related(self, "source_request")
        month = value_display(self._meta.get_field("first_month"), self.first_month)
        return Facts(
            label=f"سند کسر {self.get_kind_display()}، {person.full_name}، از {month}",
            offices=pensioner.audit_facts().offices,
            national_code=pensioner.national_code,
            tracking_code=source.tracking_code if source else "",
        )

    @classmethod
    def audit_prepare(cls, documents: list["DeductionDocument"]) -> None:
        """What a set's facts read, read once for the set."""
        prefetch_related_objects(documents, "pensioner", "dependent", "source_request")
        county_offices_many(d.pensioner.county_id for d in documents)


class RolloverJob(BackgroundJob):
    """One rollover of a period's insured into the next (rollover.py), run in slices by django-q2.

    `progress` is the running RolloverResult, saved in the same transaction as each batch it counts, so a
    slice killed half-way loses neither documents nor counts: the next attempt resumes after
    `progress.last_document_id`. At most one rollover per pair of periods is queued or running.
    """

    old_period = models.ForeignKey(ContractPeriod, on_delete=models.PROTECT, related_name="+", verbose_name="دوره قبل")
    new_period = models.ForeignKey(
        ContractPeriod, on_delete=models.PROTECT, related_name="rollover_jobs", verbose_name="دوره جدید"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="درخواست‌کننده",
    )
    progress = models.JSONField("پیشرفت", null=True, blank=True, help_text="شمارش‌های تا این لحظه")
    total_estimate = models.PositiveIntegerField("اسناد فعال دوره قبل در شروع", null=True, blank=True)
    summary = models.TextField("نتیجه", blank=True)

    class Meta:
        verbose_name = "انتقال به دوره جدید"
        verbose_name_plural = "انتقال‌ها به دوره جدید"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["old_period", "new_period"],
                condition=Q(status__in=PENDING),
                name="one_pending_rollover_per_pair",
            )
        ]

    def __str__(self) -> str:
        return f"انتقال به «{self.new_period}»"


class MonthlyListJob(BackgroundJob):
    """The monthly deduction list of a branch (monthly.py) too large to write inside a request: written by
    a django-q2 task to the default storage, downloaded from the list's page."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name="درخواست‌کننده"
    )
    branch = models.ForeignKey("enrollment.Branch", on_delete=models.CASCADE, related_name="+", verbose_name="شعبه")
    month = models.DateField("ماه", help_text="روز اول ماه شمسی")
    file_format = models.CharField("قالب فایل", max_length=4, choices=[("xlsx", "اکسل (XLSX)"), ("csv", "CSV")])
    rows_written = models.PositiveIntegerField("ردیف‌های نوشته‌شده", default=0)
    total_estimate = models.PositiveIntegerField("تعداد کل ردیف‌ها", null=True, blank=True)
    file = models.FileField("فایل", upload_to="deductions/%Y/%m/", max_length=200, blank=True)

    class Meta:
        verbose_name = "فایل فهرست ماهانه کسور"
        verbose_name_plural = "فایل‌های فهرست ماهانه کسور"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["branch", "month", "-created_at"], name="monthly_job_branch_month")]

    def __str__(self) -> str:
        return f"فهرست کسور {self.branch_id} ({self.get_file_format_display()})"
