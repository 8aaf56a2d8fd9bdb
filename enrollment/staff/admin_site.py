"""The admin site with the second factor in its permission check (made the default site in apps.py), and a
temporary password (given by an administrator) changed before any other admin page opens."""

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.admin import AdminSite
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, URLResolver, path, reverse

from enrollment.staff import views
from enrollment.staff.otp import staff_otp_pending

PASSWORD_TEMPORARY = "staff.password_temporary"
# What a signed-in user with a temporary password may still open.
_OPEN_WITH_TEMPORARY_PASSWORD = {"password_change", "password_change_done", "logout", "jsi18n"}


class StaffAdminSite(AdminSite):
    login_template = "admin/staff/login.html"
    index_template = "admin/cartable_home.html"  # the user's queues and the reports above the models

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and not staff_otp_pending(request)

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        """The password form; staff who still owe the second factor are sent on to it."""
        if request.method == "GET" and staff_otp_pending(request):
            return HttpResponseRedirect(views.second_factor_url(request, views.next_url(request)))
        response = super().login(request, extra_context)
        if request.method == "POST" and isinstance(response, HttpResponseRedirect):  # the password was right
            from enrollment.staff.accounts import staff_password_temporary

            request.session[views.PASSWORD_LOGIN] = True
            if staff_password_temporary(request.user):
                request.session[PASSWORD_TEMPORARY] = True
            if staff_otp_pending(request):
                return HttpResponseRedirect(views.second_factor_url(request, response.url))
        return response

    def admin_view(self, view: Callable, cacheable: bool = False) -> Callable:
        inner = super().admin_view(view, cacheable)

        @wraps(inner)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            match = request.resolver_match
            if (
                request.session.get(PASSWORD_TEMPORARY)
                and request.user.is_authenticated
                and (match is None or match.url_name not in _OPEN_WITH_TEMPORARY_PASSWORD)
                and self.has_permission(request)
            ):
                messages.info(request, "رمزی که مدیر به شما داده موقت است؛ پیش از کار، رمز تازه‌ای برای خود بگذارید.")
                return HttpResponseRedirect(reverse(f"{self.name}:password_change"))
            return inner(request, *args, **kwargs)

        return wrapped

    def password_change(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        response = super().password_change(request, extra_context)
        if request.method == "POST" and isinstance(response, HttpResponseRedirect):  # the new password was taken
            from enrollment.staff.accounts import staff_password_changed

            staff_password_changed(user=request.user)
            request.session.pop(PASSWORD_TEMPORARY, None)
        return response

    def get_urls(self) -> list[URLPattern | URLResolver]:
        # Before the admin's own URLs, whose last pattern catches everything.
        return [
            path("staff/verify/", views.otp_verify, name="staff_otp_verify"),
            path("staff/enrol/", views.otp_enrol, name="staff_otp_enrol"),
            path("staff/recovery-codes/", views.recovery_codes, name="staff_recovery_codes"),
            path("staff/signout/", views.signout, name="staff_signout"),
            *super().get_urls(),
        ]
