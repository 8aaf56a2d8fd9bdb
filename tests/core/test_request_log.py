"""One JSON line per request with its id, path, status, duration and who asked; the id on every other
line logged during the request, and in the answer's X-Request-ID."""

import json
import logging

import pytest
from pythonjsonlogger.json import JsonFormatter

from core.request_log import JSON_LOG_FORMATTER, RequestContextFilter
from tests.portal.conftest import sign_in


@pytest.fixture
def json_lines():
    """The `portal.request` and root records of the test, formatted as production formats them."""
    lines: list[dict] = []
    formatter = JsonFormatter(**{k: v for k, v in JSON_LOG_FORMATTER.items() if k != "()"})

    class Keep(logging.Handler):
        def emit(self, record):
            lines.append(json.loads(formatter.format(record)))

    handler = Keep()
    handler.addFilter(RequestContextFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    previous = root.level
    root.setLevel(logging.INFO)
    yield lines
    root.removeHandler(handler)
    root.setLevel(previous)


def test_a_request_line_has_its_id_path_status_duration_and_the_pensioner(client, pensioner_a, json_lines):
    sign_in(client, pensioner_a)
    response = client.get("/requests/", HTTP_X_REQUEST_ID="proxy-given-id-123")
    assert response["X-Request-ID"] == "proxy-given-id-123"
    [line] = [line for line in json_lines if line["logger"] == "portal.request" and line["path"] == "/requests/"]
    assert line["message"] == "request" and line["level"] == "INFO"
    assert line["request_id"] == "proxy-given-id-123" and line["status"] == 200 and line["method"] == "GET"
    assert line["pensioner_id"] == pensioner_a.pk and line["user_id"] is None
    assert isinstance(line["duration_ms"], float) and "time" in line


def test_a_forged_request_id_is_replaced_and_staff_are_named_by_id(admin_client, admin_user, json_lines, db):
    response = admin_client.get("/admin/", HTTP_X_REQUEST_ID="bad id\nwith newline")
    assert response["X-Request-ID"] != "bad id\nwith newline" and len(response["X-Request-ID"]) == 32
    [line] = [line for line in json_lines if line["logger"] == "portal.request" and line["path"] == "/admin/"]
    assert str(line["user_id"]) == str(admin_user.pk)


def test_other_lines_of_the_request_carry_its_id(client, db, json_lines):
    client.get("/no-such-page/", HTTP_X_REQUEST_ID="abcdefgh-1234")
    lines = [line for line in json_lines if line.get("request_id") == "abcdefgh-1234"]
    assert {line["logger"] for line in lines} >= {"portal.request", "django.request"}
