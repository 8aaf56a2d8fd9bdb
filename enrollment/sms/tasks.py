"""django-q2 entry points; the work is in services."""

from enrollment.sms.services import sms_send, sms_sweep


def sms_send_task(message_id: int | None) -> str | None:
    """Queued after commit by sms_queue: sends that one message (None: sms_decoy_after_commit's, nothing)."""
    if message_id is None:
        return None
    return sms_send(message_id=message_id)


def sms_sweep_task() -> dict[str, int]:
    """The "sms_sweep" schedule, every minute: sends what the after-commit tasks missed."""
    return sms_sweep()
