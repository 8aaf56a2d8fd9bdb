from django.apps import AppConfig


class EnrollmentConfig(AppConfig):
    name = "enrollment"
    verbose_name = "پرونده مستمری‌بگیران و درخواست‌ها"

    def ready(self) -> None:
        from audit.record import actor_describer_set
        from enrollment import signals
        from enrollment.audit_actor import actor_describe

        signals.connect()
        actor_describer_set(actor_describe)
