"""Guessing staff passwords: django-axes locks a username and, separately, an address.

A username is locked after STAFF_LOGIN_FAILURES_PER_USERNAME failures from anywhere, which stops a
guesser who spreads one account's tries over many addresses. An address is locked after the larger
STAFF_LOGIN_FAILURES_PER_ADDRESS failures over any usernames, which stops one machine from trying a
few passwords on every account; it is larger because a Kanoon or branch office reaches us from one
address, and a few typos there must not lock the whole office out. Both locks lift after the cool-off.
"""

import ipaddress

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from core.ratelimit import client_ip
from core.text import to_persian_digits


def client_address(request: HttpRequest) -> str | None:
    """The address the pensioner limits count too (core.ratelimit.client_ip), if it is an address.

    axes stores it in an address column, which PostgreSQL refuses to fill with anything else (a
    request made in code has none; a proxy may send garbage): those share the empty address.
    """
    address = client_ip(request)
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


class StaffLockoutHandler(AxesDatabaseHandler):
    """axes' database handler with a limit of its own for the address.

    axes compares one number, `get_failures`, with one AXES_FAILURE_LIMIT (the username's limit here).
    With AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"] the attempts come back as two querysets,
    the username's and the address's; an address that reached its own limit counts as a full set.
    """

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        by_username, by_address = (
            attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        if by_address >= settings.STAFF_LOGIN_FAILURES_PER_ADDRESS:
            return max(by_username, settings.STAFF_LOGIN_FAILURES_PER_USERNAME)
        return by_username


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """The Persian page axes shows instead of the login form while a lock holds (HTTP 429)."""
    minutes = to_persian_digits(settings.STAFF_LOGIN_COOLOFF_MINUTES)
    return TemplateResponse(
        request, "admin/staff/lockout.html", {"title": "ورود موقتاً بسته است", "minutes": minutes}, status=429
    ).render()
