from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every app may use and which imports none of them: Jalali dates and Persian digits, text
    normalization, national code and mobile checks, model fields, rate limits, the spreadsheet writer,
    and the admin's shared pieces (the RTL chrome, its templates, scripts and font)."""

    name = "core"
    verbose_name = "پایه"

    def ready(self) -> None:
        from core.admin_tools import persian_admin_install

        persian_admin_install()
