"""The signed-in pensioner: an id in the Django session, not a Django user.

Staff sessions share the session engine, so the inactivity limit is the pensioner's own: a
timestamp in the session, checked and refreshed on each of their requests, and the session's
expiry set to the same number of seconds so the cookie and the stored session end with it.
"""

import time
from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from core.queries import KeyedRead
from enrollment.models import Pensioner

PENSIONER_ID = "portal.pensioner_id"
SEEN_AT = "portal.pensioner_seen_at"
DATA_CONFIRMED = "portal.data_confirmed_draft"
EXPIRED_FLAG = "portal.pensioner_expired"
_KEYS = (PENSIONER_ID, SEEN_AT, DATA_CONFIRMED)
# Refresh the timestamp at most this often, so not every page view writes the session.
_TOUCH_EVERY_SECONDS = 30


def pensioner_login(request: HttpRequest, pensioner: Pensioner) -> None:
    request.session.cycle_key()  # a new session id at sign-in: no fixation
    request.session[PENSIONER_ID] = pensioner.pk
    request.session[SEEN_AT] = int(time.time())
    request.session.pop(EXPIRED_FLAG, None)
    request.session.set_expiry(settings.PENSIONER_SESSION_IDLE_SECONDS)


def pensioner_logout(request: HttpRequest) -> None:
    """Forgets the pensioner and nothing else (a staff sign-in in the same browser stays)."""
    for key in _KEYS:
        request.session.pop(key, None)
    request.session.cycle_key()


# The row alone, on every request of theirs: the paying branch is read by the pages that name it.
_PENSIONER = KeyedRead(lambda pk: Pensioner.objects.filter(pk=pk).order_by()[:1])


def pensioner_current(request: HttpRequest) -> Pensioner | None:
    """The signed-in pensioner, or None; an idle session ends here and says so on the next page."""
    if hasattr(request, "_pensioner_cache"):
        return request._pensioner_cache
    pensioner = None
    pensioner_id = request.session.get(PENSIONER_ID)
    if pensioner_id is not None:
        now = int(time.time())
        seen_at = request.session.get(SEEN_AT, 0)
        if now - seen_at > settings.PENSIONER_SESSION_IDLE_SECONDS:
            pensioner_logout(request)
            request.session[EXPIRED_FLAG] = True
        else:
            pensioner = _PENSIONER.row(pk=pensioner_id)
            if now - seen_at >= _TOUCH_EVERY_SECONDS:
                request.session[SEEN_AT] = now
    request._pensioner_cache = pensioner
    return pensioner


def session_expired_notice(request: HttpRequest) -> bool:
    """True once, on the page after an idle session ended."""
    return bool(request.session.pop(EXPIRED_FLAG, False))


def login_url(next_path: str) -> str:
    return f"{reverse('portal:login')}?{urlencode({'next': next_path})}"


def pensioner_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Pages of a signed-in pensioner; `request.pensioner` is set. Others go to the sign-in page."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        pensioner = pensioner_current(request)
        if pensioner is None:
            return HttpResponseRedirect(login_url(request.get_full_path()))
        request.pensioner = pensioner
        return view(request, *args, **kwargs)

    return wrapped
