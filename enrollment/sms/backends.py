"""Where an SMS goes, chosen by settings.SMS_BACKEND: the outbox only, the console, or Kavenegar.

A backend sends one message and returns what the provider said, or raises SmsFailure with the reason.
`local_id` is the outbox row's id: a provider that de-duplicates on it (Kavenegar's `localid`) makes a
re-send after a crash harmless.
"""

import json
import sys
from dataclasses import dataclass
from http.client import HTTPException
from typing import Protocol
from urllib.error import HTTPError
from urllib.parse import quote, urlencode
from urllib.request import Request, build_opener

from django.conf import settings
from django.utils.module_loading import import_string


class SmsFailure(Exception):
    """The message did not reach the provider; `reason` is recorded on the outbox row."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str
    provider_status: str = ""


class SmsBackend(Protocol):
    # True only where the outbox itself is the phone: a sent message then keeps its sealed secret
    # until the sweep erases it (services.SECRET_KEPT_FOR), so the demo and the tests can read it.
    keeps_secret: bool

    def send(self, *, mobile: str, text: str, local_id: str) -> SendResult: ...


def backend_get() -> SmsBackend:
    return import_string(settings.SMS_BACKEND)()


class OutboxOnlyBackend:
    """Demo and tests: the message never leaves the machine; `sms_outbox` shows it.

    The outbox is this backend's phone, so a login code "sent" here stays (sealed) for the few minutes
    it is of use, and `sms_outbox` in DEBUG and selectors.login_code_for_demo can read it.
    """

    keeps_secret = True

    def send(self, *, mobile: str, text: str, local_id: str) -> SendResult:
        return SendResult(provider_message_id="outbox")


class ConsoleBackend:
    """Development: the message is printed on the worker's standard output."""

    keeps_secret = False

    def send(self, *, mobile: str, text: str, local_id: str) -> SendResult:
        sys.stdout.write(f"[SMS {local_id}] {mobile}: {text}\n")
        sys.stdout.flush()
        return SendResult(provider_message_id="console")


class KavenegarBackend:
    """Kavenegar's REST API: POST {SMS_API_URL}/{SMS_API_KEY}/sms/send.json, answered in JSON.

    The answer is {"return": {"status": 200, "message": ...}, "entries": [{"messageid": ..., ...}]};
    any other return status, an HTTP error, a refused connection or a timeout is a failure.
    """

    keeps_secret = False

    def __init__(self) -> None:
        self.url = f"{settings.SMS_API_URL.rstrip('/')}/{quote(settings.SMS_API_KEY, safe='')}/sms/send.json"
        self.sender = settings.SMS_SENDER
        self.timeout = settings.SMS_TIMEOUT
        self.opener = build_opener()  # honours http(s)_proxy/no_proxy as they are now, not at first use

    def send(self, *, mobile: str, text: str, local_id: str) -> SendResult:
        fields = {"receptor": mobile, "message": text, "localid": local_id}
        if self.sender:
            fields["sender"] = self.sender  # without it the account's default line sends
        http_request = Request(
            self.url,
            data=urlencode(fields).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8", "Accept": "application/json"},
            method="POST",
        )
        try:
            with self.opener.open(http_request, timeout=self.timeout) as response:
                body = response.read()
        except HTTPError as error:
            raise SmsFailure(f"HTTP {error.code}: {_provider_message(error.read()) or error.reason}") from None
        except (OSError, HTTPException) as error:  # refused, unreachable, DNS, TLS, timeout, cut short
            raise SmsFailure(f"ارائه‌دهنده در دسترس نیست: {getattr(error, 'reason', error)}") from None
        return _parse_answer(body)


def _provider_message(body: bytes) -> str:
    try:
        return str(json.loads(body)["return"]["message"])
    except (ValueError, KeyError, TypeError):
        return ""


def _parse_answer(body: bytes) -> SendResult:
    try:
        answer = json.loads(body)
        status, message = answer["return"]["status"], answer["return"].get("message", "")
    except (ValueError, KeyError, TypeError, AttributeError):
        raise SmsFailure(f"پاسخ نامفهوم ارائه‌دهنده: {body[:200]!r}") from None
    if status != 200:
        raise SmsFailure(f"ارائه‌دهنده نپذیرفت ({status}): {message}")
    try:
        entry = answer["entries"][0]
        message_id = str(entry["messageid"])
    except (KeyError, IndexError, TypeError):
        raise SmsFailure(f"پاسخ ارائه‌دهنده شناسه پیامک ندارد: {body[:200]!r}") from None
    provider_status = str(entry.get("statustext") or entry.get("status", ""))
    return SendResult(provider_message_id=message_id[:64], provider_status=provider_status[:100])
