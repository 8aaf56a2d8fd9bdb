from django.apps import AppConfig


class SmsConfig(AppConfig):
    """The SMS outbox: every message is a row first, written in the transaction that caused it."""

    name = "enrollment.sms"
    label = "sms"
    verbose_name = "پیامک‌ها"
