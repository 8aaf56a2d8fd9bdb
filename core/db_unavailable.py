"""A database that stops answering gets a Persian 503 page with Retry-After, not a 500.

The view's own transaction (its atomic blocks) has rolled back by the time the exception gets here, so
nothing of the request was written; the page is rendered with no request, so it needs no database either.
"""

import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.utils.cache import add_never_cache_headers

logger = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 60


def unavailable_response() -> HttpResponse:
    response = HttpResponse(loader.render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    return response


class DatabaseUnavailableMiddleware:
    """Turns OperationalError / InterfaceError raised by a view into the 503 page (see also
    portal.views.errors.server_error, for the same errors raised outside a view)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DATABASE_ERRORS):
            return None
        logger.error("database unavailable during %s %s", request.method, request.path, exc_info=exception)
        return unavailable_response()
