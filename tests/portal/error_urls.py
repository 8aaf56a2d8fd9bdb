"""The site's URLs plus views that fail on purpose, for the error pages' tests (pytest.mark.urls)."""

from django.core.exceptions import PermissionDenied
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import handler500  # noqa: F401 (handler500 is looked up here)
from config.urls import urlpatterns as site_patterns


def _raising(exception: Exception):
    def view(request: HttpRequest) -> HttpResponse:
        raise exception

    return view


urlpatterns = [
    path("fails/forbidden/", _raising(PermissionDenied("not yours"))),
    path("fails/bug/", _raising(RuntimeError("a bug"))),
    path("fails/database/", _raising(OperationalError("server closed the connection unexpectedly"))),
    path("fails/interface/", _raising(InterfaceError("connection already closed"))),
    *site_patterns,
]
