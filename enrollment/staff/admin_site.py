"""The admin site with the second factor in its permission check (made the default site in apps.py)."""

from django.contrib.admin import AdminSite
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, URLResolver, path

from enrollment.staff import views
from enrollment.staff.otp import staff_otp_pending


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
            request.session[views.PASSWORD_LOGIN] = True
            if staff_otp_pending(request):
                return HttpResponseRedirect(views.second_factor_url(request, response.url))
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
