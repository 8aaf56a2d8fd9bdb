"""The outbox's numbers for /readyz and /metrics: how many messages wait, and how long the oldest unsent one
has waited.

A growing backlog or an old message means the sender (the django-q2 worker, or the provider behind it)
has stopped; the limits are READYZ_OUTBOX_MAX_QUEUED and READYZ_OUTBOX_MAX_AGE_SECONDS.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Min, Q
from django.utils import timezone

from enrollment.sms.models import OutboxMessage, OutboxStatus


@dataclass(frozen=True)
class OutboxBacklog:
    queued: int
    sending: int
    oldest_age_seconds: int  # of the oldest queued or sending message; 0 when none waits

    @property
    def within_limits(self) -> bool:
        return (
            self.queued <= settings.READYZ_OUTBOX_MAX_QUEUED
            and self.oldest_age_seconds <= settings.READYZ_OUTBOX_MAX_AGE_SECONDS
        )


def outbox_backlog() -> OutboxBacklog:
    """One query over the pending messages (the outbox's partial indexes on queued and sending)."""
    pending = OutboxMessage.objects.filter(status__in=[OutboxStatus.QUEUED, OutboxStatus.SENDING])
    numbers = pending.aggregate(
        queued=Count("pk", filter=Q(status=OutboxStatus.QUEUED)),
        sending=Count("pk", filter=Q(status=OutboxStatus.SENDING)),
        oldest=Min("created_at"),
    )
    oldest = numbers["oldest"]
    age = max(0, int((timezone.now() - oldest).total_seconds())) if oldest else 0
    return OutboxBacklog(queued=numbers["queued"], sending=numbers["sending"], oldest_age_seconds=age)
