"""Sign-in: national code, then the SMS code; resend after a countdown; sign-out."""

import datetime as dt
import math
import time

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from core.ratelimit import client_ip
from core.text import to_persian_digits
from enrollment.models import RequestStatus
from portal import otp
from portal.pensioner_forms import LoginCodeForm, NationalCodeForm
from portal.pensioner_session import pensioner_current, pensioner_login, pensioner_logout, session_expired_notice
from portal.views.base import render_page

NATIONAL_CODE = "portal.login_national_code"
NEXT = "portal.login_next"
# What the code page shows of the code last sent (the masked number, until when it is valid, when another
# may be asked for): kept from the request that sent it, so the page itself reads nothing from the database.
CODE_PAGE = "portal.login_code_page"
SIGNED_OUT = "از سامانه خارج شدید. اگر درخواستی را نیمه‌تمام گذاشته‌اید، با ورود دوباره از همان مرحله ادامه می‌دهید."


def _safe_next(request: HttpRequest, value: str | None) -> str:
    """Only a page of this portal; anything else (another host, the admin) goes to the wizard."""
    if (
        value
        and value.startswith("/")
        and not value.startswith("/admin")
        and url_has_allowed_host_and_scheme(value, allowed_hosts={request.get_host()}, require_https=False)
    ):
        return value
    return reverse("portal:wizard")


@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    if request.method == "GET" and "next" in request.GET:
        request.session[NEXT] = _safe_next(request, request.GET["next"])
    if pensioner_current(request) is not None:
        return redirect(request.session.pop(NEXT, None) or reverse("portal:wizard"))
    form = NationalCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        national_code = form.cleaned_data["national_code"]
        try:
            sent = otp.login_code_request(national_code=national_code, ip=client_ip(request))
        except otp.LoginRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            request.session[NATIONAL_CODE] = national_code
            _code_page_remember(request, sent)
            return redirect("portal:login_code")
    return render_page(
        request, "portal/login.html", {"form": form, "expired": session_expired_notice(request), "nav": "login"}
    )


@require_http_methods(["GET", "POST"])
def login_code(request: HttpRequest) -> HttpResponse:
    national_code = request.session.get(NATIONAL_CODE)
    if not national_code:
        return redirect("portal:login")
    form = LoginCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            pensioner = otp.login_code_verify(national_code=national_code, code=form.cleaned_data["code"])
        except otp.LoginRefused as refusal:
            form.add_error("code", refusal.message)
        else:
            request.session.pop(NATIONAL_CODE, None)
            request.session.pop(CODE_PAGE, None)
            next_page = request.session.pop(NEXT, None) or _landing(pensioner)
            pensioner_login(request, pensioner)
            return redirect(next_page)
    shown = request.session.get(CODE_PAGE) or _code_page_read(national_code)
    expires_at = dt.datetime.fromtimestamp(shown["expires_at"], dt.UTC) if shown["expires_at"] else None
    context = {
        "form": form,
        "national_code": national_code,
        "masked_mobile": shown["masked_mobile"],
        "code_sent": otp.CODE_SENT,
        "expires_at": expires_at,
        "resend_in": max(0, math.ceil(shown["resend_at"] - time.time())),
        "nav": "login",
    }
    return render_page(request, "portal/login_code.html", context)


def _code_page_remember(request: HttpRequest, sent: otp.CodeSent) -> None:
    request.session[CODE_PAGE] = {
        "masked_mobile": sent.masked_mobile,
        "expires_at": sent.expires_at.timestamp(),
        "resend_at": sent.resend_at.timestamp(),
    }


def _code_page_read(national_code: str) -> dict:
    """The code page's facts from the database, for a session that has not kept them."""
    latest = otp.login_code_latest(national_code)
    return {
        "masked_mobile": otp.masked_mobile_for(national_code),
        "expires_at": latest.expires_at.timestamp() if latest else None,
        "resend_at": otp.resend_at(latest).timestamp() if latest else 0,
    }


@require_POST
def login_code_resend(request: HttpRequest) -> HttpResponse:
    national_code = request.session.get(NATIONAL_CODE)
    if not national_code:
        return redirect("portal:login")
    try:
        sent = otp.login_code_request(national_code=national_code, ip=client_ip(request))
    except otp.LoginRefused as refusal:
        messages.error(request, refusal.message)
    else:
        _code_page_remember(request, sent)
        if sent.issued:
            messages.success(request, otp.CODE_SENT)
        else:
            seconds = max(1, math.ceil((sent.resend_at - timezone.now()).total_seconds()))
            messages.info(
                request,
                f"کد قبلی هنوز معتبر است. پس از {to_persian_digits(seconds)} ثانیه می‌توانید کد تازه بخواهید.",
            )
    return redirect("portal:login_code")


@require_http_methods(["GET", "POST"])
def logout(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        pensioner_logout(request)
        messages.success(request, SIGNED_OUT)
    return redirect("portal:home")


def _landing(pensioner) -> str:
    """Someone who has already filed a request most often comes back to follow it; others come to file one."""
    filed = pensioner.requests.exclude(status=RequestStatus.DRAFT).exists()
    return reverse("portal:requests" if filed else "portal:wizard")
