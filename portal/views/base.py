"""What every public page shares: who is signed in, for the header."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from portal.pensioner_session import pensioner_current


def render_page(request: HttpRequest, template: str, context: dict | None = None, *, status: int = 200) -> HttpResponse:
    page = {"signed_in_pensioner": pensioner_current(request), **(context or {})}
    return render(request, template, page, status=status)
