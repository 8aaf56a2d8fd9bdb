"""Reading the outbox."""

from django.db.models import QuerySet

from enrollment.sms.models import OutboxMessage


def outbox_latest(*, mobile: str = "", limit: int = 20) -> QuerySet[OutboxMessage]:
    """The latest messages, newest first; only those to `mobile` when it is given (as 09xxxxxxxxx)."""
    messages = OutboxMessage.objects.order_by("-created_at", "-id")
    if mobile:
        messages = messages.filter(mobile=mobile)
    return messages[:limit]
