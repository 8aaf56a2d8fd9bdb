"""The SMS settings: the real provider refuses to start without its address and key."""

from tests.config.test_settings import PRODUCTION_ENV, _manage

KAVENEGAR = {**PRODUCTION_ENV, "SMS_BACKEND": "enrollment.sms.backends.KavenegarBackend"}


def test_production_with_kavenegar_but_no_api_key_refuses_to_start():
    result = _manage("check", env={**KAVENEGAR, "SMS_API_URL": "https://api.kavenegar.com/v1"})
    assert result.returncode != 0
    assert "SMS_API_URL and SMS_API_KEY must be set" in result.stderr


def test_production_with_kavenegar_configured_starts():
    env = {**KAVENEGAR, "SMS_API_URL": "https://api.kavenegar.com/v1", "SMS_API_KEY": "k" * 20}
    result = _manage("check", env=env)
    assert result.returncode == 0, result.stderr
