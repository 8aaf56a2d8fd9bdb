"""One JSON log line per request, and the request's id on every line logged while it runs.

RequestLogMiddleware gives each request an id (the proxy's X-Request-ID when it is a sane one, else a
new one), answers with it in X-Request-ID, and after the response logs `request` on the `portal.request`
logger with the method, path, status, duration and who asked: the staff user's id, or the pensioner's
id from the session key settings.LOG_SESSION_SUBJECT_KEY (ids only: no national code, no query string,
no form data). RequestContextFilter copies the id, user and path onto every other record of
the same request, so a traceback in the log can be matched to its request line.

The formatter is python-json-logger's (config/settings/production.py): time, level, logger, message
and these fields, one JSON object a line.
"""

import logging
import re
import time
import uuid
from contextvars import ContextVar

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.http import HttpRequest, HttpResponse

# python-json-logger's formatter as production configures it (config/settings/production.py LOGGING).
JSON_LOG_FORMATTER = {
    "()": "pythonjsonlogger.json.JsonFormatter",
    "fmt": "{asctime}{levelname}{name}{message}",
    "style": "{",
    "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
}
log = logging.getLogger("portal.request")
_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_context: ContextVar[dict | None] = ContextVar("request_log_context", default=None)


class RequestContextFilter(logging.Filter):
    """Adds request_id, user_id, pensioner_id and path of the running request to a record (or blanks)."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = _context.get() or {}
        for name in ("request_id", "user_id", "pensioner_id", "path"):
            if not hasattr(record, name):
                setattr(record, name, context.get(name))
        return True


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.monotonic()
        offered = request.headers.get("X-Request-ID", "")
        request_id = offered if _SANE_ID.match(offered) else uuid.uuid4().hex
        context = {"request_id": request_id, "path": request.path, "user_id": None, "pensioner_id": None}
        # Set, and left set after the response: Django logs a 404 or 500 ("django.request") only once the
        # middleware has returned, and that line must carry the id too. The next request sets its own.
        _context.set(context)
        response = self.get_response(request)
        context.update(_subject(request))
        response["X-Request-ID"] = request_id
        log.info(
            "request",
            extra={
                "method": request.method,
                "status": response.status_code,
                "duration_ms": round((time.monotonic() - started) * 1000, 1),
            },
        )
        return response


def _subject(request: HttpRequest) -> dict:
    """Who made the request, as ids from the session: the staff user's, or the pensioner's. Read only
    when the request used its session already, so that logging never costs a query of its own."""
    session = getattr(request, "session", None)
    if session is None or not session.accessed:
        return {}
    key = getattr(settings, "LOG_SESSION_SUBJECT_KEY", "")
    return {"user_id": session.get(SESSION_KEY), "pensioner_id": session.get(key) if key else None}
