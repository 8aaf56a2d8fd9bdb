"""The error views of settings and urls: a refused form post and the 500 page, in plain Persian."""

import sys

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import defaults
from django.views.decorators.csrf import requires_csrf_token

from core.db_unavailable import DATABASE_ERRORS, unavailable_response


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "portal/csrf_failure.html", status=403)


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    """handler500. A database error raised outside a view (a middleware saving the session, say) never
    reaches DatabaseUnavailableMiddleware; it still gets the 503 page, not the 500 one."""
    if isinstance(sys.exc_info()[1], DATABASE_ERRORS):
        return unavailable_response()
    return defaults.server_error(request)
