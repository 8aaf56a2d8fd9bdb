"""Staff sessions end after a spell of inactivity and after a fixed span in all (ASVS 3.3.2).

Two timestamps in the session: when the staff member signed in and when they were last seen. The
pensioner's own idle limit (portal/pensioner_session.py) is separate and keeps working: the two share
the session engine, and ending a staff sign-in leaves a pensioner signed in in the same browser.
"""

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from core.fixed_urls import fixed_reverse
from core.text import to_persian_digits

LOGIN_AT = "staff.login_at"
SEEN_AT = "staff.seen_at"
# Refresh the last-seen time at most this often, so not every page view writes the session.
_TOUCH_EVERY_SECONDS = 30
# The pensioner's keys (portal/pensioner_session.py, portal/views/signin.py) outlive a staff sign-out.
_PENSIONER_PREFIX = "portal."


def staff_session_started(sender: type, request: HttpRequest | None, **kwargs) -> None:
    """On every staff login (the `user_logged_in` signal): both limits count from now."""
    if request is None or not hasattr(request, "session"):
        return
    now = int(time.time())
    request.session[LOGIN_AT] = now
    request.session[SEEN_AT] = now


def staff_session_expiry(request: HttpRequest) -> str | None:
    """Why the signed-in staff member's session is over («idle» or «max»), or None after noting this visit."""
    session = request.session
    now = int(time.time())
    login_at = session.setdefault(LOGIN_AT, now)
    seen_at = session.setdefault(SEEN_AT, now)
    if now - seen_at > settings.STAFF_SESSION_IDLE_SECONDS:
        return "idle"
    if now - login_at > settings.STAFF_SESSION_MAX_SECONDS:
        return "max"
    if now - seen_at >= _TOUCH_EVERY_SECONDS:
        session[SEEN_AT] = now
    return None


def _expiry_message(reason: str) -> str:
    if reason == "idle":
        minutes = to_persian_digits(settings.STAFF_SESSION_IDLE_SECONDS // 60)
        return f"برای امنیت حساب، پس از {minutes} دقیقه بی‌کاری از کارتابل خارج شدید. لطفاً دوباره وارد شوید."
    hours = to_persian_digits(settings.STAFF_SESSION_MAX_SECONDS // 3600)
    return f"هر ورود به کارتابل حداکثر {hours} ساعت اعتبار دارد و این زمان گذشته است. لطفاً دوباره وارد شوید."


def _staff_sign_out(request: HttpRequest) -> None:
    """Django's logout (a new, empty session), keeping only what belongs to a signed-in pensioner."""
    kept = {key: value for key, value in request.session.items() if key.startswith(_PENSIONER_PREFIX)}
    logout(request)
    request.session.update(kept)


class StaffSessionMiddleware:
    """Signs out staff whose session is over; from the admin they go to its login, told why in Persian.

    A session whose account was deactivated since (enrollment/staff/accounts.py, staff_active_set) is over
    too: Django's backend already refuses the account on every request; here its session is ended for good.
    A public page asked for in such a session is simply served to no one signed in. Goes after
    AuthenticationMiddleware and MessageMiddleware.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if SESSION_KEY not in request.session:  # no staff sign-in: a pensioner's or a visitor's request
            return self.get_response(request)
        if not request.user.is_authenticated:
            _staff_sign_out(request)  # the account behind the session can no longer sign in
        else:
            reason = staff_session_expiry(request)
            if reason is not None:
                _staff_sign_out(request)
                if request.path.startswith(fixed_reverse("admin:index")):
                    messages.warning(request, _expiry_message(reason))
                    return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        return self.get_response(request)
