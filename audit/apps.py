from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "گزارش تغییرات"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from simple_history.signals import post_create_historical_record

        from audit.history import on_historical_record

        post_create_historical_record.connect(on_historical_record, dispatch_uid="audit-history-row")
