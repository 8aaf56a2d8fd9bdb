"""Reading the outbox."""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from enrollment.sms.backends import backend_get
from enrollment.sms.models import OutboxMessage
from enrollment.sms.sealing import secret_open
from enrollment.sms.texts import SECRETS, sms_text_reveal


def outbox_latest(*, mobile: str = "", limit: int = 20) -> QuerySet[OutboxMessage]:
    """The latest messages, newest first; only those to `mobile` when it is given (as 09xxxxxxxxx)."""
    messages = OutboxMessage.objects.order_by("-created_at", "-id")
    if mobile:
        messages = messages.filter(mobile=mobile)
    return messages[:limit]


def secrets_readable() -> bool:
    """Only where no real phone is involved: DEBUG on (the demo), or the outbox is the phone (the tests)."""
    return settings.DEBUG or backend_get().keeps_secret


def outbox_text_revealed(message: OutboxMessage) -> str:
    """The text as the phone receives it while its sealed secret is still kept; else the masked text."""
    if message.template not in SECRETS or not message.secret:
        return message.text
    return sms_text_reveal(message.text, secret_open(message.secret, mobile=message.mobile, template=message.template))


def login_code_for_demo(mobile: str) -> str:
    """The code of the newest login-code SMS to `mobile`, as the phone shows it: for the demo and the tests.

    PermissionDenied unless secrets_readable(); "" when there is no such message or its code is erased.
    """
    if not secrets_readable():
        raise PermissionDenied("login codes are readable only in DEBUG or with the outbox-only SMS backend")
    message = OutboxMessage.objects.filter(mobile=mobile, template="login_code").order_by("-created_at", "-id").first()
    if message is None or not message.secret:
        return ""
    return secret_open(message.secret, mobile=message.mobile, template=message.template)
