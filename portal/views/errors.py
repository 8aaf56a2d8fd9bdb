"""A refused form post in plain Persian (settings.CSRF_FAILURE_VIEW), instead of Django's English page."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "portal/csrf_failure.html", status=403)
