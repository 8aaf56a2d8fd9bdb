"""A login code is never readable in the outbox: masked in the text, sealed beside it, erased once it leaves."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone

from enrollment.sms import services
from enrollment.sms.models import OutboxMessage, OutboxStatus
from enrollment.sms.sealing import SealBroken, secret_open, secret_seal
from enrollment.sms.selectors import login_code_for_demo
from enrollment.sms.services import sms_queue, sms_send, sms_sweep
from enrollment.sms.texts import sms_text

MOBILE = "09120000001"


def _login_code(code: str = "123456", mobile: str = MOBILE) -> OutboxMessage:
    return sms_queue(mobile=mobile, template="login_code", code=code)


def _raw_row(message: OutboxMessage) -> str:
    """Every column of the row as the database holds it: what a backup or a read-only account sees."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {OutboxMessage._meta.db_table} WHERE id = %s", [message.pk])
        return " ".join(str(value) for value in cursor.fetchone())


def test_a_queued_login_code_is_nowhere_in_the_row(db):
    message = _login_code("482915")
    row = _raw_row(message)
    assert "482915" not in row and "۴۸۲۹۱۵" not in row
    assert message.text == sms_text("login_code", code="******")
    assert secret_open(message.secret, mobile=MOBILE, template="login_code") == "482915"


def test_two_seals_of_one_code_differ(db):
    assert _login_code("111111").secret != _login_code("111111").secret


@pytest.mark.parametrize(
    "change",
    [{"mobile": "09129999999"}, {"template": "request_submitted"}, {"secret_key": "another-secret-key"}],
)
def test_a_seal_opens_only_for_its_mobile_kind_and_key(settings, change):
    sealed = secret_seal("123456", mobile=MOBILE, template="login_code")
    if "secret_key" in change:
        settings.SECRET_KEY = change["secret_key"]
    with pytest.raises(SealBroken):
        secret_open(sealed, mobile=change.get("mobile", MOBILE), template=change.get("template", "login_code"))


def test_a_row_whose_mobile_was_changed_sends_nothing(db, recorded):
    message = _login_code()
    OutboxMessage.objects.filter(pk=message.pk).update(mobile="09129999999")
    assert sms_send(message_id=message.pk) == OutboxStatus.FAILED
    message.refresh_from_db()
    assert message.last_error == services.SEAL_REASON and message.secret == ""
    assert recorded == []


def test_the_provider_gets_the_code_and_the_sent_row_keeps_none(db, recorded):
    message = _login_code("907162")
    assert sms_send(message_id=message.pk) == OutboxStatus.SENT
    assert recorded[0]["text"] == sms_text("login_code", code="907162")
    message.refresh_from_db()
    assert message.secret == "" and "907162" not in _raw_row(message)


def test_a_failed_try_keeps_the_seal_for_the_next_and_a_failure_for_good_erases_it(db, kavenegar, settings):
    settings.SMS_MAX_ATTEMPTS = 2
    kavenegar.mode = "down"
    message = _login_code()
    now = timezone.now()
    assert sms_send(message_id=message.pk, now=now) == OutboxStatus.QUEUED
    message.refresh_from_db()
    assert message.secret != ""
    assert sms_send(message_id=message.pk, now=now + dt.timedelta(minutes=1)) == OutboxStatus.FAILED
    message.refresh_from_db()
    assert message.secret == "" and kavenegar.deliveries == []


def test_a_login_code_too_late_to_send_is_erased(db, recorded):
    message = _login_code()
    sms_sweep(now=message.created_at + services.STALE_AFTER["login_code"] + dt.timedelta(seconds=1))
    message.refresh_from_db()
    assert (message.status, message.secret) == (OutboxStatus.FAILED, "")


def test_the_outbox_only_backend_keeps_the_seal_until_the_sweep_erases_it(db):
    message = _login_code("246810")
    assert sms_send(message_id=message.pk) == OutboxStatus.SENT
    assert login_code_for_demo(MOBILE) == "246810"
    sms_sweep(now=message.created_at + services.SECRET_KEPT_FOR - dt.timedelta(seconds=1))
    assert login_code_for_demo(MOBILE) == "246810"
    sms_sweep(now=message.created_at + services.SECRET_KEPT_FOR + dt.timedelta(seconds=1))
    message.refresh_from_db()
    assert message.secret == "" and login_code_for_demo(MOBILE) == ""


def test_the_demo_reader_reads_the_newest_code_only(db):
    _login_code("111111")
    _login_code("222222")
    assert login_code_for_demo(MOBILE) == "222222"
    assert login_code_for_demo("09120000002") == ""


def test_with_a_real_provider_the_demo_reader_is_refused_unless_debug(db, kavenegar, settings):
    _login_code("135790")
    with pytest.raises(PermissionDenied):
        login_code_for_demo(MOBILE)
    settings.DEBUG = True
    assert login_code_for_demo(MOBILE) == "135790"
