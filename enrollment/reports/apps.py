from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """What managers take out of the system: exports, the monthly deduction list, reconciliation, the dashboard."""

    name = "enrollment.reports"
    label = "reports"
    verbose_name = "گزارش‌ها و خروجی‌ها"
