from django.apps import AppConfig


class LoansConfig(AppConfig):
    """The payroll's loans section «وام‌ها», where premium deduction documents live."""

    name = "enrollment.deductions"
    label = "loans"
    verbose_name = "وام‌ها"
