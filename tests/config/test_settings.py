"""Production settings: `check --deploy` is clean, and they refuse to start on demo defaults."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": "p4Xq-" + "a9Kz!7mR2vL0wT8yB3nC6dF1gH5jQ" * 2,
    "DATABASE_URL": "postgres://portal@127.0.0.1:5432/portal",
    "DJANGO_ALLOWED_HOSTS": "bimeh.example.ir",
    "CLIENT_IP_HEADER": "HTTP_X_FORWARDED_FOR",
    "SMS_BACKEND": "enrollment.sms.backends.KavenegarBackend",
    "SMS_API_URL": "https://api.kavenegar.com/v1",
    "SMS_API_KEY": "k" * 20,
}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "SMS_"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True
    )


def test_production_passes_check_deploy_with_no_warning():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_real_secret_key():
    result = _manage("check", env={**PRODUCTION_ENV, "DJANGO_SECRET_KEY": "short"})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_refuses_demo_passwords():
    code = "from django.conf import settings; print(settings.DEBUG, settings.DEMO_PASSWORDS_ALLOWED)"
    result = _manage("shell", "--no-imports", "-c", code, env=PRODUCTION_ENV)
    assert result.stdout.strip() == "False False", result.stderr


def test_a_malformed_boolean_in_the_environment_fails_loudly():
    result = _manage("check", env={"DJANGO_DEBUG": "maybe"})
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be one of true/false" in result.stderr


def test_production_refuses_to_start_without_choosing_the_client_address_header():
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != "CLIENT_IP_HEADER"}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "CLIENT_IP_HEADER" in result.stderr


def test_the_load_balancers_plain_http_probe_is_not_redirected_to_https():
    code = (
        "from django.test import Client; c = Client(headers={'host': 'bimeh.example.ir'}); "
        "print(c.get('/healthz').status_code, c.get('/help/').status_code)"
    )
    result = _manage("shell", "--no-imports", "-c", code, env=PRODUCTION_ENV)
    assert result.stdout.strip() == "200 301", result.stderr
