"""The home page with the service entry and the announcements (point 16), the help page, one announcement."""

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from policies.selectors import period_active
from portal.selectors import announcement_visible, announcements_published
from portal.views.base import render_page


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    return render_page(
        request,
        "portal/home.html",
        {"announcements": announcements_published(), "period": period_active(), "nav": "home"},
    )


@require_safe
def help_page(request: HttpRequest) -> HttpResponse:
    return render_page(request, "portal/help.html", {"nav": "help"})


@require_safe
def announcement(request: HttpRequest, pk: int) -> HttpResponse:
    item = announcement_visible(pk, user=request.user)
    if item is None:
        raise Http404
    return render_page(request, "portal/announcement.html", {"announcement": item, "is_preview": not item.is_live()})
