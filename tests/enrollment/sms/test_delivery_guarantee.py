"""At least once to the provider, at most once to the phone: every send of a row carries the row's id as
Kavenegar's `localid`, so the re-sends that an uncertain outcome forces (a timeout, a worker killed, the
database lost while recording) reach the person once. The fake provider without de-duplication shows the
repeats that the local id is there to absorb."""

import datetime as dt
import time

import pytest
from django.db import OperationalError
from django.utils import timezone

from enrollment.sms import services
from enrollment.sms.models import OutboxMessage, OutboxStatus
from enrollment.sms.services import sms_queue, sms_send, sms_sweep

SENDING, SENT = OutboxStatus.SENDING, OutboxStatus.SENT
# django-q2's scheduler looks at the schedules every 30 s and the sweep's is every minute: between two
# sweeps there are at most 90 s.
SWEEP_GAP_MAX = dt.timedelta(seconds=90)


def _queue(n: int = 0) -> OutboxMessage:
    return sms_queue(mobile="09120000001", template="request_submitted", tracking_code=f"12345678901{n}")


def _wait_for_deliveries(kavenegar, count: int, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while len(kavenegar.deliveries) < count and time.monotonic() < deadline:
        time.sleep(0.05)


@pytest.mark.parametrize("dedup", [True, False], ids=["kavenegar", "without_dedup"])
def test_a_timeout_after_the_provider_took_it_is_resent_with_the_same_localid(db, kavenegar, dedup):
    kavenegar.dedup = dedup
    kavenegar.mode = "slow"  # answers 1.5 s later; the client gives up after 0.5 s
    message = _queue()
    t0 = timezone.now()
    assert sms_send(message_id=message.pk, now=t0) == OutboxStatus.QUEUED
    _wait_for_deliveries(kavenegar, 1)  # the provider delivered it after the client had gone
    assert kavenegar.deliveries == [str(message.pk)]

    kavenegar.mode = "up"
    assert sms_sweep(now=t0 + dt.timedelta(minutes=1)) == {"sent": 1}
    assert [call.fields["localid"] for call in kavenegar.calls] == [str(message.pk)] * 2
    message.refresh_from_db()
    assert (message.status, message.attempts) == (SENT, 2)
    if dedup:
        assert kavenegar.deliveries == [str(message.pk)]  # the person got one SMS
        assert message.provider_message_id == str(kavenegar.delivered[str(message.pk)])
    else:
        assert kavenegar.deliveries == [str(message.pk)] * 2  # what the localid spares the person


def test_a_row_left_sending_by_a_dead_worker_is_sent_within_two_minutes(db, kavenegar):
    message = _queue()
    t0 = timezone.now()
    OutboxMessage.objects.filter(pk=message.pk).update(status=SENDING, claimed_at=t0)  # claimed, then killed
    recovered_by = services.STUCK_AFTER + SWEEP_GAP_MAX  # claimed, then the first sweep after STUCK_AFTER
    assert recovered_by <= dt.timedelta(minutes=2)
    assert sms_sweep(now=t0 + services.STUCK_AFTER - dt.timedelta(seconds=1)) == {}  # its sender may be alive
    assert sms_sweep(now=t0 + services.STUCK_AFTER + dt.timedelta(seconds=1)) == {"recovered": 1, "sent": 1}
    message.refresh_from_db()
    assert message.status == SENT and kavenegar.deliveries == [str(message.pk)]


def test_a_database_error_while_recording_does_not_stop_the_sweep(db, kavenegar, monkeypatch, caplog):
    messages = [_queue(n) for n in range(3)]
    real_record, failures = services._record, []

    def record_once_failing(mine, **values):
        if not failures:
            failures.append(values["status"])
            raise OperationalError("server closed the connection unexpectedly")
        return real_record(mine, **values)

    monkeypatch.setattr(services, "_record", record_once_failing)
    t0 = timezone.now()
    assert sms_sweep(now=t0) == {services.DB_ERROR: 1, "sent": 2}
    assert failures == [SENT] and "database error on message" in caplog.text
    assert [m.status for m in OutboxMessage.objects.order_by("pk")] == [SENDING, SENT, SENT]

    # The provider took the first one; the row did not say so. Recovered, it goes again with its localid.
    assert sms_sweep(now=t0 + services.STUCK_AFTER + dt.timedelta(seconds=1)) == {"recovered": 1, "sent": 1}
    assert [call.fields["localid"] for call in kavenegar.calls].count(str(messages[0].pk)) == 2
    assert sorted(kavenegar.deliveries, key=int) == [str(m.pk) for m in messages]  # one SMS each
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {SENT}


def test_a_database_that_keeps_failing_pauses_the_sweep(db, kavenegar, monkeypatch):
    for n in range(5):
        _queue(n)

    def down(*args, **kwargs):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(services, "sms_send", down)
    assert sms_sweep() == {services.DB_ERROR: services.SWEEP_FAILURES_TO_PAUSE}
