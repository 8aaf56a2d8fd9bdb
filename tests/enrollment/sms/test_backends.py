"""The provider clients: Kavenegar's REST API against a fake on loopback, and the console."""

import pytest

from enrollment.sms.backends import ConsoleBackend, KavenegarBackend, SmsFailure
from enrollment.sms.models import OutboxStatus
from enrollment.sms.services import sms_queue, sms_send
from enrollment.sms.texts import sms_text


def test_kavenegar_posts_receptor_message_sender_and_localid_to_the_keyed_path(kavenegar):
    result = KavenegarBackend().send(mobile="09120000001", text="کد ورود: ۱۲۳\nخط دوم", local_id="42")
    [call] = kavenegar.calls
    assert call.path == f"/v1/{kavenegar.API_KEY}/sms/send.json"
    assert call.fields == {
        "receptor": "09120000001",
        "message": "کد ورود: ۱۲۳\nخط دوم",
        "sender": "10004346",
        "localid": "42",
    }
    assert result.provider_message_id == str(kavenegar.delivered["42"])
    assert result.provider_status == "در صف ارسال"


def test_kavenegar_without_a_sender_uses_the_accounts_default_line(kavenegar, settings):
    settings.SMS_SENDER = ""
    KavenegarBackend().send(mobile="09120000001", text="x", local_id="1")
    assert "sender" not in kavenegar.calls[0].fields


def test_kavenegar_a_repeated_localid_is_answered_with_the_first_message(kavenegar):
    first = KavenegarBackend().send(mobile="09120000001", text="x", local_id="7")
    again = KavenegarBackend().send(mobile="09120000001", text="x", local_id="7")
    assert first == again and kavenegar.deliveries == ["7"]


def test_a_sent_message_records_the_providers_id_and_status(db, kavenegar):
    message = sms_queue(mobile="09120000001", template="request_submitted", tracking_code="123456789012")
    assert sms_send(message_id=message.pk) == OutboxStatus.SENT
    message.refresh_from_db()
    assert message.provider_message_id == str(kavenegar.delivered[str(message.pk)])
    assert message.provider_status == "در صف ارسال" and message.last_error == ""
    assert kavenegar.calls[0].fields["message"] == message.text


def test_the_phone_gets_the_real_login_code_and_the_outbox_keeps_none(db, kavenegar):
    message = sms_queue(mobile="09120000001", template="login_code", code="123456")
    assert sms_send(message_id=message.pk) == OutboxStatus.SENT
    assert kavenegar.calls[0].fields["message"] == sms_text("login_code", code="123456")
    message.refresh_from_db()
    assert "123456" not in message.text and "******" in message.text
    assert message.secret == ""


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"SMS_API_KEY": "wrong-key"}, "HTTP 401: کلید API معتبر نیست"),
        ({"mode": "down"}, "HTTP 500"),
        ({"mode": "slow"}, "در دسترس نیست"),
        ({"mobile": "12345"}, "HTTP 411: گیرنده نامعتبر است"),
    ],
)
def test_kavenegar_failures_carry_the_reason(kavenegar, settings, change, reason):
    if "mode" in change:
        kavenegar.mode = change["mode"]
    if "SMS_API_KEY" in change:
        settings.SMS_API_KEY = change["SMS_API_KEY"]
    with pytest.raises(SmsFailure) as failure:
        KavenegarBackend().send(mobile=change.get("mobile", "09120000001"), text="x", local_id="1")
    assert reason in failure.value.reason
    assert "wrong-key" not in failure.value.reason  # the key never reaches a log or the admin


def test_kavenegar_refused_connection_is_a_failure(db, settings, closed_port_url):
    settings.SMS_BACKEND = "enrollment.sms.backends.KavenegarBackend"
    settings.SMS_API_URL, settings.SMS_API_KEY = closed_port_url, "k"
    with pytest.raises(SmsFailure) as failure:
        KavenegarBackend().send(mobile="09120000001", text="x", local_id="1")
    assert "در دسترس نیست" in failure.value.reason


@pytest.mark.parametrize(
    "body",
    [b"<html>maintenance</html>", b'{"return": {"status": 200, "message": "ok"}, "entries": []}'],
)
def test_kavenegar_an_answer_without_a_message_id_is_a_failure(kavenegar, monkeypatch, body):
    monkeypatch.setattr(kavenegar, "answer", lambda path, fields: (200, body))
    with pytest.raises(SmsFailure):
        KavenegarBackend().send(mobile="09120000001", text="x", local_id="1")


def test_console_backend_prints_the_message(capsys):
    result = ConsoleBackend().send(mobile="09120000001", text="سلام", local_id="5")
    assert capsys.readouterr().out == "[SMS 5] 09120000001: سلام\n"
    assert result.provider_message_id == "console"
