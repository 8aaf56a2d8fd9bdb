import socket

import pytest

from tests.enrollment.sms.fakes import FakeKavenegar, RecordingBackend


@pytest.fixture
def recorded(settings) -> list[dict[str, str]]:
    """Every message the provider took, in order."""
    settings.SMS_BACKEND = "tests.enrollment.sms.fakes.RecordingBackend"
    RecordingBackend.sent = []
    RecordingBackend.delay = 0.0
    return RecordingBackend.sent


@pytest.fixture
def kavenegar(settings, monkeypatch):
    """A Kavenegar-style provider on 127.0.0.1, and the settings that point the real client at it."""
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    fake = FakeKavenegar().start()
    settings.SMS_BACKEND = "enrollment.sms.backends.KavenegarBackend"
    settings.SMS_API_URL = fake.url
    settings.SMS_API_KEY = FakeKavenegar.API_KEY
    settings.SMS_SENDER = "10004346"
    settings.SMS_TIMEOUT = 0.5
    yield fake
    fake.stop()


@pytest.fixture
def closed_port_url() -> str:
    """An address on loopback where nothing listens: connecting is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"
