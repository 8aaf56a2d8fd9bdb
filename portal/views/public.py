"""The home page with the service entry and the announcements (point 16), the help page, one announcement."""

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_safe

from policies.current import period_current
from portal.selectors import announcement_visible, announcements_published
from portal.views.base import render_page


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """The service entry says whether the window is open, not yet open or over, with its dates, before
    anyone signs in."""
    current = period_current()
    period = current.period if current else None
    return render_page(
        request,
        "portal/home.html",
        {"announcements": announcements_published(), "period": period, "window": _window(period), "nav": "home"},
    )


def _window(period) -> str:
    if period is None:
        return "none"
    now = timezone.now()
    if now < period.window_opens_at:
        return "not_yet"
    return "open" if period.accepts_submissions(now) else "over"


@require_safe
def help_page(request: HttpRequest) -> HttpResponse:
    return render_page(request, "portal/help.html", {"nav": "help"})


@require_safe
def announcement(request: HttpRequest, pk: int) -> HttpResponse:
    item = announcement_visible(pk, user=request.user)
    if item is None:
        raise Http404
    return render_page(request, "portal/announcement.html", {"announcement": item, "is_preview": not item.is_live()})
