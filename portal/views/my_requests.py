"""«درخواست‌های من»: every request with its status and timeline, and cancelling before any staff action."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods, require_safe

from core.text import to_persian_digits
from enrollment import workflow
from enrollment.workflow import MoveRefused
from portal.pensioner_session import pensioner_required
from portal.selectors import cancel_offered, request_of, requests_of
from portal.views.base import render_page


@require_safe
@pensioner_required
def request_list(request: HttpRequest) -> HttpResponse:
    return render_page(request, "portal/requests.html", {"cards": requests_of(request.pensioner), "nav": "requests"})


@require_http_methods(["GET", "POST"])
@pensioner_required
def request_cancel(request: HttpRequest, tracking_code: str) -> HttpResponse:
    """A separate screen that asks once more; the POST is the cancellation."""
    found = request_of(request.pensioner, tracking_code)
    if found is None:
        raise Http404
    if not cancel_offered(found):
        messages.error(request, "این درخواست دیگر قابل لغو نیست؛ رسیدگی به آن آغاز شده یا پایان یافته است.")
        return redirect("portal:requests")
    if request.method == "POST":
        try:
            workflow.request_cancel(request_id=found.pk, pensioner=request.pensioner)
        except MoveRefused as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(
                request, f"درخواست با کد رهگیری {to_persian_digits(found.tracking_code)} لغو شد. پیامک آن هم ارسال شد."
            )
        return redirect("portal:requests")
    return render_page(request, "portal/request_cancel.html", {"found": found, "nav": "requests"})
