"""The SMS settings in production: the real provider refuses to start without its address and key, and the
default outbox-only backend, which sends nothing, refuses to start unless a staging machine allows it."""

from tests.config.test_settings import PRODUCTION_ENV, _manage

KAVENEGAR = {**PRODUCTION_ENV, "SMS_BACKEND": "enrollment.sms.backends.KavenegarBackend"}
WITHOUT_SMS = {key: value for key, value in PRODUCTION_ENV.items() if not key.startswith("SMS_")}
OUTBOX_ONLY = "enrollment.sms.backends.OutboxOnlyBackend"


def test_production_with_kavenegar_but_no_api_key_refuses_to_start():
    env = {key: value for key, value in KAVENEGAR.items() if key != "SMS_API_KEY"}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "SMS_API_URL and SMS_API_KEY must be set" in result.stderr


def test_production_with_kavenegar_configured_starts():
    env = {**KAVENEGAR, "SMS_API_URL": "https://api.kavenegar.com/v1", "SMS_API_KEY": "k" * 20}
    result = _manage("check", env=env)
    assert result.returncode == 0, result.stderr


def test_production_without_an_sms_backend_refuses_to_start_naming_the_variables():
    result = _manage("check", env=WITHOUT_SMS)
    assert result.returncode != 0
    assert "ImproperlyConfigured: SMS_BACKEND is enrollment.sms.backends.OutboxOnlyBackend" in result.stderr
    for variable in ("SMS_API_URL", "SMS_API_KEY", "SMS_OUTBOX_ONLY_ALLOWED=true"):
        assert variable in result.stderr


def test_production_with_the_outbox_only_backend_named_refuses_to_start():
    for allowed in ({}, {"SMS_OUTBOX_ONLY_ALLOWED": "false"}):
        result = _manage("check", env={**WITHOUT_SMS, "SMS_BACKEND": OUTBOX_ONLY, **allowed})
        assert result.returncode != 0
        assert "SMS_OUTBOX_ONLY_ALLOWED=true" in result.stderr


def test_production_with_the_console_backend_refuses_to_start():
    console = "enrollment.sms.backends.ConsoleBackend"  # it prints the codes into the worker's log
    result = _manage("check", env={**WITHOUT_SMS, "SMS_BACKEND": console})
    assert result.returncode != 0
    assert f"SMS_BACKEND is {console}, which sends no SMS" in result.stderr


def test_a_staging_machine_may_keep_messages_in_the_outbox_when_it_says_so():
    code = "from django.conf import settings; print(settings.SMS_BACKEND, settings.SMS_OUTBOX_ONLY_ALLOWED)"
    result = _manage("shell", "--no-imports", "-c", code, env={**WITHOUT_SMS, "SMS_OUTBOX_ONLY_ALLOWED": "true"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == f"{OUTBOX_ONLY} True"


def test_a_malformed_allowance_fails_loudly():
    result = _manage("check", env={**WITHOUT_SMS, "SMS_OUTBOX_ONLY_ALLOWED": "staging"})
    assert result.returncode != 0
    assert "SMS_OUTBOX_ONLY_ALLOWED must be one of true/false" in result.stderr
