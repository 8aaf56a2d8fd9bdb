"""The SMS outbox: a row in the caller's transaction, a send task after commit, a sweep for what it missed.

Never lost: the row commits or rolls back with the change it announces. The after-commit task is only
the fast path; the sweep (a django-q2 schedule, every minute) sends whatever is still queued and due,
and returns to the queue a row whose sender died in the middle of sending.
Never twice: a sender first claims the row with a conditional UPDATE queued → sending; the row count
says who won, on PostgreSQL and SQLite alike. The provider is called outside any lock, with the row's
id as its local id, so the one re-send that can still happen (a worker died after the provider took
the message but before the row said so) is recognised and dropped by the provider.
Never readable: a login code is stored masked in the text and sealed beside it (enrollment.sms.sealing);
the sender opens the seal only for the provider's call, and the seal is erased when the message leaves
the outbox (sent, failed for good) or, at the latest, SECRET_KEPT_FOR after it was written.
"""

import datetime as dt
import functools
import logging
import time
from collections import Counter

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django_q.brokers import Broker, get_broker
from django_q.tasks import async_task

from enrollment.sms.backends import SmsFailure, backend_get
from enrollment.sms.models import OutboxMessage, OutboxStatus
from enrollment.sms.sealing import SealBroken, secret_seal
from enrollment.sms.selectors import outbox_text_revealed
from enrollment.sms.texts import MASK, SECRETS, sms_text

logger = logging.getLogger(__name__)

SEND_TASK = "enrollment.sms.tasks.sms_send_task"
BACKOFF_CAP = dt.timedelta(hours=1)
# Three times SMS_TIMEOUT: a row that has been "sending" this long has lost its sender. With the sweep
# every minute (django-q2's scheduler looks every 30 s) such a row is sent again within 2 minutes.
# Taken over too early it costs nothing worse than a repeated call with the same local id.
STUCK_AFTER = dt.timedelta(seconds=30)
# A login code is valid for two minutes; sent later than this it only confuses.
STALE_AFTER = {"login_code": dt.timedelta(minutes=5)}
# No sealed code outlives its use: the sweep erases whatever a message still holds after this long
# (the outbox-only backend of the demo and the tests keeps it until then; see OutboxOnlyBackend).
SECRET_KEPT_FOR = dt.timedelta(minutes=5)
SWEEP_BATCH = 100
# One sweep stays well inside Q_CLUSTER["timeout"]; what is left waits for the next minute.
SWEEP_SECONDS = 50
# This many failed sends in a row and the provider is taken to be down until the next sweep.
SWEEP_FAILURES_TO_PAUSE = 3
# The sweep's outcome key for a message whose send or record met a database error.
DB_ERROR = "db_error"

STUCK_REASON = "ارسال نیمه‌کاره ماند (فرستنده متوقف شد)؛ دوباره فرستاده می‌شود."
STALE_REASON = "کد ورود پیش از ارسال منقضی شد؛ فرستاده نشد."
SEAL_REASON = "کد پیامک باز نشد (کلید دیگر، شماره تغییرکرده یا کد پاک‌شده)؛ فرستاده نشد."


def sms_queue(*, mobile: str, template: str, request=None, **context: object) -> OutboxMessage:
    """Writes the message in the caller's transaction; it is handed to a worker once that commits.

    The secret placeholder of the template (texts.SECRETS) is stored masked in `text` and sealed in
    `secret`.
    """
    secret = ""
    if secret_name := SECRETS.get(template):
        secret = secret_seal(str(context[secret_name]), mobile=mobile, template=template)
        context = {**context, secret_name: MASK}
    message = OutboxMessage.objects.create(
        mobile=mobile, template=template, text=sms_text(template, **context), secret=secret, request=request
    )
    _send_after_commit(message.pk)
    return message


def sms_decoy_after_commit() -> None:
    """The hand-over to a worker that sms_queue makes after commit, for no message: nothing is sent.

    For a caller whose answer must take as long whether or not it queued a message (the sign-in page,
    for a national code that is in no registry).
    """
    _send_after_commit(None)


@functools.cache
def _broker() -> Broker:
    """The SMS cluster's broker, one a process: django-q2 otherwise builds a broker, and with Redis a new
    connection (a connect and four commands of hand-shake), for every task it queues."""
    return get_broker()


def _send_task_queue(message_id: int | None) -> None:
    """Queues the send task of one message. Its success is not kept as a django-q task row: the outbox
    row says what became of the message, and django-q2 would otherwise lock and prune its last
    successes on every task (Q_CLUSTER["save_limit"]), a serial point in every SMS sent. A failure is
    kept as usual."""
    async_task(SEND_TASK, message_id, broker=_broker(), save=False)


def _send_after_commit(message_id: int | None) -> None:
    """Hands the message to a worker once the caller's transaction commits (at once outside one)."""

    def enqueue() -> None:  # a function, not a partial: Django logs a robust hook's failure by __qualname__
        _send_task_queue(message_id)

    # robust: a broker that is down must not turn the caller's committed change into an error page;
    # the sweep sends the message anyway.
    transaction.on_commit(enqueue, robust=True)


def _due(now: dt.datetime) -> Q:
    return Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)


def sms_send(*, message_id: int, now: dt.datetime | None = None) -> str | None:
    """Sends one message if it is still queued and due.

    Returns the message's new status, or None when it was not this caller's to send: already sent,
    being sent by another worker, failed for good, not due yet, or gone.
    """
    now = now or timezone.now()
    claimed = OutboxMessage.objects.filter(_due(now), pk=message_id, status=OutboxStatus.QUEUED).update(
        status=OutboxStatus.SENDING, claimed_at=now
    )
    if not claimed:
        return None
    message = OutboxMessage.objects.get(pk=message_id)
    # Every later write names this claim, so a sender that outlived STUCK_AFTER cannot overwrite the
    # outcome of the sender that took over.
    mine = OutboxMessage.objects.filter(pk=message.pk, status=OutboxStatus.SENDING, claimed_at=message.claimed_at)
    stale_after = STALE_AFTER.get(message.template)
    if stale_after and message.created_at + stale_after < now:
        _record(mine, status=OutboxStatus.FAILED, claimed_at=None, secret="", last_error=STALE_REASON)
        return OutboxStatus.FAILED
    try:
        text = _text_for_the_phone(message)
    except SealBroken:
        _record(mine, status=OutboxStatus.FAILED, claimed_at=None, secret="", last_error=SEAL_REASON)
        return OutboxStatus.FAILED
    backend = backend_get()
    try:
        result = backend.send(mobile=message.mobile, text=text, local_id=str(message.pk))
    except SmsFailure as failure:
        return _attempt_failed(message, mine, reason=failure.reason, now=now)
    except Exception as error:  # a bug in a backend must not leave the row "sending" until the sweep
        logger.exception("SMS backend raised on message %s", message.pk)
        return _attempt_failed(message, mine, reason=f"{type(error).__name__}: {error}", now=now)
    _record(
        mine,
        status=OutboxStatus.SENT,
        attempts=message.attempts + 1,
        claimed_at=None,
        sent_at=timezone.now(),
        provider_message_id=result.provider_message_id,
        provider_status=result.provider_status,
        **({} if backend.keeps_secret else {"secret": ""}),
    )
    return OutboxStatus.SENT


def _text_for_the_phone(message: OutboxMessage) -> str:
    """The text with its secret filled in; SealBroken when the seal is gone or does not open."""
    if message.template not in SECRETS:
        return message.text
    if not message.secret:
        raise SealBroken("erased")
    return outbox_text_revealed(message)


def _attempt_failed(message: OutboxMessage, mine: QuerySet[OutboxMessage], *, reason: str, now: dt.datetime) -> str:
    attempts = message.attempts + 1
    if attempts >= settings.SMS_MAX_ATTEMPTS:
        status, next_attempt_at, kept = OutboxStatus.FAILED, None, {"secret": ""}
    else:
        status, next_attempt_at, kept = OutboxStatus.QUEUED, now + sms_backoff(attempts), {}
    _record(
        mine,
        status=status,
        attempts=attempts,
        claimed_at=None,
        next_attempt_at=next_attempt_at,
        last_error=reason,
        **kept,
    )
    return status


def _record(mine: QuerySet[OutboxMessage], **values: object) -> None:
    if not mine.update(**values):
        logger.warning("SMS outbox row changed hands while it was being sent: %s", values.get("status"))


def sms_backoff(attempts: int) -> dt.timedelta:
    """1, 2, 4, 8 ... minutes after the 1st, 2nd, 3rd, 4th ... failure, at most an hour."""
    return min(dt.timedelta(minutes=2 ** (attempts - 1)), BACKOFF_CAP)


def sms_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Sends every queued message that is due, oldest first, in batches, for at most SWEEP_SECONDS.

    Runs every minute (the "sms_sweep" schedule). First returns to the queue the rows whose sender
    died in the middle and erases the sealed codes older than SECRET_KEPT_FOR; stops early when the
    provider keeps failing. Returns how many messages ended in each status.
    """
    now = now or timezone.now()
    outcome = Counter()
    if recovered := _recover_stuck(now):
        outcome["recovered"] = recovered
    _erase_old_secrets(now)
    started = time.monotonic()
    last_id, failures_in_a_row = 0, 0
    while time.monotonic() - started < SWEEP_SECONDS and failures_in_a_row < SWEEP_FAILURES_TO_PAUSE:
        batch = list(
            OutboxMessage.objects.filter(_due(now), status=OutboxStatus.QUEUED, pk__gt=last_id)
            .order_by("pk")
            .values_list("pk", flat=True)[:SWEEP_BATCH]
        )
        if not batch:
            break
        for message_id in batch:
            last_id = message_id
            # The sweep's clock moves on: a row claimed late in a long sweep is not taken for stuck early.
            status = _send_or_log(message_id, now=now + dt.timedelta(seconds=time.monotonic() - started))
            if status:
                outcome[str(status)] += 1
            if status in (OutboxStatus.QUEUED, DB_ERROR):
                failures_in_a_row += 1
            elif status == OutboxStatus.SENT:
                failures_in_a_row = 0
            if failures_in_a_row >= SWEEP_FAILURES_TO_PAUSE or time.monotonic() - started >= SWEEP_SECONDS:
                break
    if failures_in_a_row >= SWEEP_FAILURES_TO_PAUSE:
        logger.warning("SMS provider failing; sweep paused until its next run")
    return dict(outcome)


def _send_or_log(message_id: int, *, now: dt.datetime) -> str | None:
    """sms_send, but a database error (lost connection, failover) is logged and the sweep goes on.

    The message then stays where the error left it: queued, or "sending" if the provider was already
    called, and then the stuck-row recovery sends it again with the same local id, which the provider
    recognises.
    """
    try:
        return sms_send(message_id=message_id, now=now)
    except DatabaseError:
        logger.exception("SMS outbox: database error on message %s; the sweep goes on", message_id)
        _drop_broken_connection()
        return DB_ERROR


def _drop_broken_connection() -> None:
    """A connection the server dropped is closed, so the next query opens a new one instead of failing."""
    if connection.connection is not None and not connection.in_atomic_block and not connection.is_usable():
        connection.close()


def _recover_stuck(now: dt.datetime) -> int:
    """Rows left "sending" by a dead worker count one attempt and go back to the queue (or fail)."""
    stuck = OutboxMessage.objects.filter(status=OutboxStatus.SENDING, claimed_at__lt=now - STUCK_AFTER)
    given_up = stuck.filter(attempts__gte=settings.SMS_MAX_ATTEMPTS - 1).update(
        status=OutboxStatus.FAILED, attempts=F("attempts") + 1, claimed_at=None, secret="", last_error=STUCK_REASON
    )
    requeued = stuck.update(
        status=OutboxStatus.QUEUED,
        attempts=F("attempts") + 1,
        claimed_at=None,
        next_attempt_at=now,
        last_error=STUCK_REASON,
    )
    if given_up or requeued:
        logger.warning("SMS outbox: %s stuck message(s) re-queued, %s given up", requeued, given_up)
    return requeued


def _erase_old_secrets(now: dt.datetime) -> int:
    """Sealed codes older than SECRET_KEPT_FOR are erased, whatever became of their message.

    A row being sent keeps its seal for its sender; if that sender is dead, the next sweep fails it
    as stale and erases the seal then.
    """
    return (
        OutboxMessage.objects.exclude(secret="")
        .filter(created_at__lt=now - SECRET_KEPT_FOR)
        .exclude(status=OutboxStatus.SENDING)
        .update(secret="")
    )


def sms_retry(*, message_id: int) -> bool:
    """«ارسال مجدد»: a failed message is queued again with a fresh set of attempts.

    Returns False, changing nothing, when the message is not (or no longer) failed, or when it carried
    a secret: a failed login code has lost its code, and the person asks for a new one anyway.
    """
    with transaction.atomic():
        requeued = (
            OutboxMessage.objects.filter(pk=message_id, status=OutboxStatus.FAILED)
            .exclude(template__in=SECRETS)
            .update(status=OutboxStatus.QUEUED, attempts=0, next_attempt_at=None, claimed_at=None)
        )
        if requeued:
            _send_after_commit(message_id)
    return bool(requeued)


def sms_queue_many(messages: list[dict]) -> list[OutboxMessage]:
    """sms_queue for many messages at once (a move made for a set of requests): one INSERT in the
    caller's transaction, then one hand-over after commit that queues a send task for each message.

    Each dict holds sms_queue's arguments: mobile, template, request and the template's context.
    Robust like sms_queue's: if the broker fails, the hand-over stops at the first failure (a broker
    that is down would otherwise be waited on once per message) and the sweep sends the rest. The
    hand-over is one transaction, so that the database broker commits its task rows once, not once a
    message (for Redis it is an empty one).
    """
    rows = [_outbox_row(**message) for message in messages]
    if not rows:
        return []
    created = OutboxMessage.objects.bulk_create(rows)
    message_ids = [message.pk for message in created]

    def enqueue_each() -> None:
        with transaction.atomic():
            for message_id in message_ids:
                _send_task_queue(message_id)

    transaction.on_commit(enqueue_each, robust=True)
    return created


def _outbox_row(*, mobile: str, template: str, request=None, **context: object) -> OutboxMessage:
    """An unsaved outbox row as sms_queue writes it: the template's secret masked in the text, sealed aside."""
    secret = ""
    if secret_name := SECRETS.get(template):
        secret = secret_seal(str(context[secret_name]), mobile=mobile, template=template)
        context = {**context, secret_name: MASK}
    return OutboxMessage(
        mobile=mobile, template=template, text=sms_text(template, **context), secret=secret, request=request
    )
