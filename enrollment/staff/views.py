"""The Persian pages of the second factor: verify after the password, enrol by QR code, recovery codes.

They sit inside the admin's URLs but outside its permission check (that check is what sends staff
here), so each one checks for itself that a staff member signed in with their password.
"""

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from core.text import to_persian_digits
from enrollment.staff import otp
from enrollment.staff.forms import CodeForm

PASSWORD_LOGIN = "staff.password_login"  # set by the admin login form (admin_site.StaffAdminSite.login)
PENDING_KEY = "staff.otp_pending_key"
FRESH_CODES = "staff.recovery_codes_fresh"

WRONG_CODE = (
    "کد درست نیست یا زمان آن گذشته است. کد تازه‌ای از برنامه وارد کنید؛ "
    "پس از چند تلاش نادرست، هر تلاش تازه باید چند ثانیه صبر کند."
)


def _staff_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(request: HttpRequest) -> HttpResponse:
        user = request.user
        if not (user.is_authenticated and user.is_active and user.is_staff):
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        return view(request)

    return never_cache(wrapped)


def next_url(request: HttpRequest) -> str:
    """Where to go once this step is done: a path on this site from `next`, or the admin's index."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("admin:index")


def step_url(name: str, target: str) -> str:
    return f"{reverse(name)}?{urlencode({'next': target})}"


def second_factor_url(request: HttpRequest, target: str) -> str:
    """The page a staff member who owes the second factor goes to: verify it, or enrol a first device."""
    name = "admin:staff_otp_verify" if otp.staff_otp_enrolled(request.user) else "admin:staff_otp_enrol"
    return step_url(name, target)


def _page(request: HttpRequest, template: str, context: dict) -> TemplateResponse:
    return TemplateResponse(request, f"admin/staff/{template}", context)


@_staff_page
def otp_verify(request: HttpRequest) -> HttpResponse:
    target = next_url(request)
    if not otp.staff_otp_pending(request):
        return HttpResponseRedirect(target)
    if not otp.staff_otp_enrolled(request.user):
        return HttpResponseRedirect(step_url("admin:staff_otp_enrol", target))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = otp.staff_otp_verify(user=request.user, code=form.cleaned_data["code"])
        if device is not None:
            request.session.cycle_key()  # a new session id as the session gains the admin
            otp_login(request, device)
            return HttpResponseRedirect(target)
        form.add_error("code", WRONG_CODE)
    return _page(request, "otp_verify.html", {"title": "تأیید ورود با رمز دوم", "form": form, "next": target})


@_staff_page
def otp_enrol(request: HttpRequest) -> HttpResponse:
    target = next_url(request)
    user = request.user
    if otp.staff_otp_enrolled(user):
        return HttpResponseRedirect(step_url("admin:staff_otp_verify", target))
    if not request.session.get(PASSWORD_LOGIN):
        # Enrolment binds a phone to the account: only right after the password was typed in this session.
        logout(request)
        return redirect_to_login(request.get_full_path(), reverse("admin:login"))
    key = request.session.get(PENDING_KEY) or otp.staff_otp_secret_new()
    request.session[PENDING_KEY] = key
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        enrolled = otp.staff_otp_enrol(user=user, key=key, code=form.cleaned_data["code"])
        if enrolled is not None:
            device, codes = enrolled
            del request.session[PENDING_KEY]
            request.session.cycle_key()
            otp_login(request, device)
            request.session[FRESH_CODES] = codes
            return HttpResponseRedirect(step_url("admin:staff_recovery_codes", target))
        form.add_error("code", WRONG_CODE)
    context = {
        "title": "فعال‌سازی رمز دوم",
        "form": form,
        "next": target,
        "qr_svg": mark_safe(otp.staff_otp_qr_svg(user=user, key=key)),  # drawn here from our own key
        "manual_secret": otp.staff_otp_manual_secret(key),
    }
    return _page(request, "otp_enrol.html", context)


def _shown(code: str) -> str:
    half = len(code) // 2
    return to_persian_digits(f"{code[:half]} {code[half:]}")


@_staff_page
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """Fresh codes are shown once, right after enrolment or renewal; afterwards only how many are left."""
    target = next_url(request)
    user = request.user
    if not otp.staff_otp_enrolled(user):
        return HttpResponseRedirect(step_url("admin:staff_otp_enrol", target))
    if not user.is_verified():
        return HttpResponseRedirect(step_url("admin:staff_otp_verify", request.get_full_path()))
    codes = request.session.pop(FRESH_CODES, None)
    if request.method == "POST":
        codes = otp.staff_recovery_codes_renew(user=user)
    context = {
        "title": "کدهای بازیابی",
        "codes": [_shown(code) for code in codes or []],
        "left": to_persian_digits(otp.staff_recovery_codes_left(user)),
        "next": target,
    }
    return _page(request, "recovery_codes.html", context)


@require_POST
@_staff_page
def signout(request: HttpRequest) -> HttpResponse:
    """Leaving from the second-factor pages, where the admin's own logout (behind the check) cannot be reached."""
    logout(request)
    return HttpResponseRedirect(reverse("admin:login"))
