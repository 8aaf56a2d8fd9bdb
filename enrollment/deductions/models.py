"""Premium deduction documents «اسناد کسر کسورات» (point 12): what the payroll deducts each month."""

from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from enrollment.models import Dependent, EnrollmentRequest, Pensioner
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

    history = HistoricalRecords(history_change_reason_field=models.TextField(null=True))

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
