"""Queueing SMS: a row in the caller's transaction, a send task after commit."""

from enrollment.sms.models import OutboxMessage
from enrollment.sms.texts import sms_text


def sms_queue(*, mobile: str, template: str, request=None, **context: object) -> OutboxMessage:
    message = OutboxMessage.objects.create(
        mobile=mobile, template=template, text=sms_text(template, **context), request=request
    )
    return message
