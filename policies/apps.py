from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "policies"
    verbose_name = "دوره‌های قرارداد و شرایط"

    def ready(self) -> None:
        from policies import signals  # noqa: F401
