"""The outbox: written in the caller's transaction, sent after commit once, never lost, never twice."""

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone
from django_q.models import OrmQ, Schedule, Success, Task

from enrollment import workflow
from enrollment.models import RequestStatus
from enrollment.sms import services
from enrollment.sms.models import OutboxMessage, OutboxStatus
from enrollment.sms.services import sms_queue, sms_retry, sms_send, sms_sweep

QUEUED, SENDING, SENT, FAILED = OutboxStatus.QUEUED, OutboxStatus.SENDING, OutboxStatus.SENT, OutboxStatus.FAILED


class WorkerKilled(Exception):
    """Stands for the worker process dying at that line."""


def _queue(mobile: str = "09120000001", **context) -> OutboxMessage:
    return sms_queue(mobile=mobile, template="request_submitted", **{"tracking_code": "123456789012", **context})


# --- in the caller's transaction ------------------------------------------------------------------


def test_a_workflow_move_queues_one_message_sent_after_commit(
    submitted_a, kanoon_tehran, recorded, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        workflow.request_kanoon_approve(request_id=submitted_a.pk, by=kanoon_tehran)
        message = OutboxMessage.objects.get(request=submitted_a, template="kanoon_approved")
        assert message.status == QUEUED and message.mobile == "09120000001"
        assert recorded == []  # nothing leaves before the commit
    assert len(callbacks) == 1
    callbacks[0]()
    message.refresh_from_db()
    assert message.status == SENT and message.attempts == 1 and message.sent_at is not None
    assert message.provider_message_id == f"rec-{message.pk}"
    assert recorded == [{"mobile": "09120000001", "text": message.text, "local_id": str(message.pk)}]


def test_a_rolled_back_move_leaves_no_message_and_no_task(
    submitted_a, kanoon_tehran, recorded, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        workflow.request_kanoon_approve(request_id=submitted_a.pk, by=kanoon_tehran)
        raise RuntimeError("the caller fails after the move")
    submitted_a.refresh_from_db()
    assert submitted_a.status == RequestStatus.KANOON_REVIEW
    assert not OutboxMessage.objects.filter(template="kanoon_approved").exists()
    assert callbacks == [] and recorded == [] and not OrmQ.objects.exists()


def test_after_commit_the_message_goes_once_and_later_senders_find_nothing(
    db, recorded, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = _queue()
    message.refresh_from_db()
    assert message.status == SENT
    assert sms_send(message_id=message.pk) is None
    assert sms_sweep() == {}
    assert sms_sweep(now=timezone.now() + dt.timedelta(hours=2)) == {}
    assert [sent["local_id"] for sent in recorded] == [str(message.pk)]


def test_a_sent_message_leaves_no_task_row_and_one_broker_serves_every_hand_over(
    db, recorded, monkeypatch, django_capture_on_commit_callbacks
):
    built = []
    real_broker = services.get_broker
    monkeypatch.setattr(services, "get_broker", lambda *args: built.append(args) or real_broker(*args))
    services._broker.cache_clear()
    with django_capture_on_commit_callbacks(execute=True):
        first = _queue()
    with django_capture_on_commit_callbacks(execute=True):
        second = _queue(mobile="09120000002")
    services._broker.cache_clear()
    assert [m.status for m in OutboxMessage.objects.filter(pk__in=[first.pk, second.pk])] == [SENT, SENT]
    assert len(recorded) == 2 and len(built) == 1
    # The outbox row is the record of the send: django-q2 keeps no success row for it.
    assert not Success.objects.exists() and not Task.objects.exists()


def test_the_outbox_only_backend_keeps_the_message_on_the_machine_and_marks_it_sent(
    db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = _queue()
    message.refresh_from_db()
    assert (message.status, message.provider_message_id) == (SENT, "outbox")


def test_the_decoy_hand_over_reaches_a_worker_and_sends_nothing(db, recorded, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.sms_decoy_after_commit()
    assert len(callbacks) == 1
    assert recorded == [] and not OutboxMessage.objects.exists()


def test_a_broker_that_is_down_does_not_fail_the_caller_and_the_sweep_sends(
    db, recorded, monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(*args, **kwargs):
        raise ConnectionError("redis: connection refused")

    monkeypatch.setattr(services, "async_task", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        message = _queue()
    message.refresh_from_db()
    assert message.status == QUEUED
    assert sms_sweep() == {"sent": 1}
    assert len(recorded) == 1


# --- the worker dies ------------------------------------------------------------------------------


def test_worker_dead_between_commit_and_send_the_sweep_sends_it(
    submitted_a, kanoon_tehran, kavenegar, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):  # committed, but no worker ever ran the task
        workflow.request_kanoon_approve(request_id=submitted_a.pk, by=kanoon_tehran)
    # Neither the submission's message (the fixture's) nor the approval's was handed to a worker.
    messages = OutboxMessage.objects.filter(request=submitted_a).order_by("pk")
    assert [m.template for m in messages] == ["request_submitted", "kanoon_approved"]
    assert {m.status for m in messages} == {QUEUED} and kavenegar.calls == []
    assert sms_sweep() == {"sent": 2}
    assert {m.status for m in messages.all()} == {SENT}
    assert kavenegar.deliveries == [str(m.pk) for m in messages]


def test_worker_dead_after_the_provider_took_it_the_resend_reaches_the_phone_once(db, kavenegar, monkeypatch):
    message = _queue()
    t0 = timezone.now()

    def killed(*args, **kwargs):
        raise WorkerKilled

    with monkeypatch.context() as patch:  # the provider answered; the worker died before writing it down
        patch.setattr(services, "_record", killed)
        with pytest.raises(WorkerKilled):
            sms_send(message_id=message.pk, now=t0)
    message.refresh_from_db()
    assert message.status == SENDING and kavenegar.deliveries == [str(message.pk)]

    assert sms_sweep(now=t0 + dt.timedelta(seconds=20)) == {}  # still within its sender's time
    assert sms_send(message_id=message.pk, now=t0 + dt.timedelta(seconds=20)) is None
    assert sms_sweep(now=t0 + services.STUCK_AFTER + dt.timedelta(seconds=1)) == {"recovered": 1, "sent": 1}

    message.refresh_from_db()
    assert message.status == SENT and message.attempts == 2
    assert [call.fields["localid"] for call in kavenegar.calls] == [str(message.pk)] * 2
    assert kavenegar.deliveries == [str(message.pk)]  # the provider dropped the repeat: one SMS
    assert message.provider_message_id == str(kavenegar.delivered[str(message.pk)])


def test_a_message_stuck_in_sending_past_the_last_attempt_fails(db, recorded, settings):
    settings.SMS_MAX_ATTEMPTS = 2
    message = _queue()
    t0 = timezone.now()
    OutboxMessage.objects.filter(pk=message.pk).update(status=SENDING, claimed_at=t0, attempts=1)
    assert sms_sweep(now=t0 + services.STUCK_AFTER + dt.timedelta(seconds=1)) == {}
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (FAILED, 2, services.STUCK_REASON)
    assert recorded == []


# --- the provider is down -------------------------------------------------------------------------


@pytest.mark.parametrize("outage", ["http_500", "port_closed", "timeout"])
def test_provider_down_the_message_waits_and_goes_once_when_it_is_back(
    db, kavenegar, settings, closed_port_url, outage
):
    if outage == "http_500":
        kavenegar.mode = "down"
    elif outage == "timeout":
        kavenegar.mode = "slow"
    else:
        settings.SMS_API_URL = closed_port_url
    message = _queue()
    t0 = timezone.now()

    assert sms_send(message_id=message.pk, now=t0) == QUEUED
    message.refresh_from_db()
    assert message.status == QUEUED and message.attempts == 1
    assert message.next_attempt_at == t0 + dt.timedelta(minutes=1)
    assert message.last_error and message.sent_at is None
    assert kavenegar.deliveries == []

    kavenegar.mode, settings.SMS_API_URL = "up", kavenegar.url
    assert sms_sweep(now=t0 + dt.timedelta(seconds=30)) == {}  # not due yet
    assert sms_sweep(now=t0 + dt.timedelta(minutes=1)) == {"sent": 1}
    assert sms_sweep(now=t0 + dt.timedelta(minutes=5)) == {}
    message.refresh_from_db()
    assert message.status == SENT and message.attempts == 2
    assert kavenegar.deliveries == [str(message.pk)]


def test_each_failure_waits_twice_as_long_up_to_an_hour(db, kavenegar):
    kavenegar.mode = "down"
    message = _queue()
    now, waits = timezone.now(), []
    for _ in range(7):
        sms_send(message_id=message.pk, now=now)
        message.refresh_from_db()
        waits.append(message.next_attempt_at - now)
        now = message.next_attempt_at
    assert waits == [dt.timedelta(minutes=m) for m in (1, 2, 4, 8, 16, 32, 60)]


def test_after_max_attempts_the_message_fails_and_the_sweep_leaves_it(db, kavenegar, settings):
    settings.SMS_MAX_ATTEMPTS = 3
    kavenegar.mode = "down"
    message = _queue()
    now = timezone.now()
    for expected in (QUEUED, QUEUED, FAILED):
        assert sms_send(message_id=message.pk, now=now) == expected
        now += dt.timedelta(hours=1)
    message.refresh_from_db()
    assert (message.status, message.attempts, message.next_attempt_at) == (FAILED, 3, None)
    kavenegar.mode = "up"
    assert sms_sweep(now=now + dt.timedelta(days=1)) == {}
    assert len(kavenegar.calls) == 3 and kavenegar.deliveries == []


def test_a_failed_message_requeued_goes_with_a_fresh_set_of_attempts(
    db, kavenegar, settings, django_capture_on_commit_callbacks
):
    settings.SMS_MAX_ATTEMPTS = 1
    kavenegar.mode = "down"
    message = _queue()
    assert sms_send(message_id=message.pk) == FAILED
    kavenegar.mode = "up"
    with django_capture_on_commit_callbacks(execute=True):
        assert sms_retry(message_id=message.pk) is True
    message.refresh_from_db()
    assert message.status == SENT and message.attempts == 1
    assert sms_retry(message_id=message.pk) is False  # only failed messages are re-queued
    assert kavenegar.deliveries == [str(message.pk)]


def test_the_sweep_sends_oldest_first_and_pauses_while_the_provider_keeps_failing(db, kavenegar):
    messages = [_queue(tracking_code=f"12345678901{n}") for n in range(6)]
    kavenegar.mode = "down"
    outcome = sms_sweep()
    assert outcome == {"queued": services.SWEEP_FAILURES_TO_PAUSE}
    assert [call.fields["localid"] for call in kavenegar.calls] == [str(m.pk) for m in messages[:3]]
    kavenegar.mode = "up"
    assert sms_sweep() == {"sent": 3}  # the other three; the failed ones wait for their next attempt
    assert sms_sweep(now=timezone.now() + dt.timedelta(minutes=2)) == {"sent": 3}
    assert sorted(kavenegar.deliveries, key=int) == [str(m.pk) for m in messages]


def test_a_login_code_that_could_not_go_in_time_is_not_sent_late(db, recorded):
    message = sms_queue(mobile="09120000001", template="login_code", code="123456")
    later = message.created_at + services.STALE_AFTER["login_code"] + dt.timedelta(seconds=1)
    assert sms_sweep(now=later) == {"failed": 1}
    message.refresh_from_db()
    assert message.status == FAILED and message.last_error == services.STALE_REASON
    assert recorded == []


def test_a_backend_that_crashes_counts_as_a_failed_attempt(db, recorded, monkeypatch):
    def broken(self, **kwargs):
        raise KeyError("entries")

    monkeypatch.setattr("tests.enrollment.sms.fakes.RecordingBackend.send", broken)
    message = _queue()
    assert sms_send(message_id=message.pk) == QUEUED
    message.refresh_from_db()
    assert message.attempts == 1 and "KeyError" in message.last_error


def test_migrate_creates_the_every_minute_sweep_schedule(db):
    schedule = Schedule.objects.get(name="sms_sweep")
    assert schedule.func == "enrollment.sms.tasks.sms_sweep_task"
    assert (schedule.schedule_type, schedule.minutes, schedule.repeats) == (Schedule.MINUTES, 1, -1)
