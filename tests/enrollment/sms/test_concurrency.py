"""Racing senders on PostgreSQL, each with its own connection: every message goes exactly once."""

import threading
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import connection

from enrollment.sms.models import OutboxMessage, OutboxStatus
from enrollment.sms.sealing import secret_seal
from enrollment.sms.services import sms_send, sms_sweep
from enrollment.sms.texts import MASK, sms_text
from tests.enrollment.sms.fakes import RecordingBackend

pytestmark = pytest.mark.django_db(transaction=True)


def _committed() -> OutboxMessage:
    """A message as sms_queue leaves it once its transaction committed, before any worker took it.

    (sms_queue itself would send it at once here: outside a transaction its after-commit hook runs
    immediately, and the test settings run django-q2 tasks inline.)
    """
    mobile, template = "09120000001", "login_code"
    return OutboxMessage.objects.create(
        mobile=mobile,
        template=template,
        text=sms_text(template, code=MASK),
        secret=secret_seal("123456", mobile=mobile, template=template),
    )


def _race(*senders: Callable[[], object]) -> list[object]:
    """Runs the senders at the same instant, each in its own thread and database connection."""
    start = threading.Barrier(len(senders))
    results: list[object] = [None] * len(senders)
    errors: list[BaseException] = []

    def run(index: int, sender: Callable[[], object]) -> None:
        try:
            start.wait()
            results[index] = sender()
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, sender)) for i, sender in enumerate(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    return results


def test_two_workers_sending_the_same_message_send_it_once(on_postgres, recorded):
    RecordingBackend.delay = 0.2  # both are inside sms_send while the provider answers
    message = _committed()
    results = _race(lambda: sms_send(message_id=message.pk), lambda: sms_send(message_id=message.pk))
    assert sorted(results, key=str) == [None, OutboxStatus.SENT]
    assert [(sent["local_id"], sent["text"]) for sent in recorded] == [
        (str(message.pk), sms_text("login_code", code="123456"))
    ]
    message.refresh_from_db()
    assert (message.status, message.attempts, message.secret) == (OutboxStatus.SENT, 1, "")


def test_the_sweep_racing_the_after_commit_tasks_sends_each_message_once(on_postgres, recorded):
    RecordingBackend.delay = 0.01
    messages = [_committed() for _ in range(20)]
    tasks = [lambda m=m: sms_send(message_id=m.pk) for m in messages]
    _race(sms_sweep, sms_sweep, *tasks)
    assert Counter(sent["local_id"] for sent in recorded) == Counter(str(m.pk) for m in messages)
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {OutboxStatus.SENT}
