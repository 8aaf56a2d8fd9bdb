"""`StaffAdminConfig` takes the place of "django.contrib.admin" in INSTALLED_APPS.

It makes `StaffAdminSite` the default site, so `django.contrib.admin.site` and every
`admin.site.register`, `admin_site.admin_view` and URL keep working unchanged.
"""

from django.contrib.admin.apps import AdminConfig


class StaffAdminConfig(AdminConfig):
    default_site = "enrollment.staff.admin_site.StaffAdminSite"

    def ready(self) -> None:
        super().ready()
        from django.contrib import admin
        from django.contrib.auth.signals import user_logged_in

        from enrollment.staff.sessions import staff_session_started

        user_logged_in.connect(staff_session_started, dispatch_uid="enrollment.staff.sessions")
        from django_otp.plugins.otp_static.models import StaticDevice
        from django_otp.plugins.otp_totp.models import TOTPDevice

        # Second-factor keys are secrets no one reads or edits in the admin (django-otp registers them
        # there, with a QR code of each key); a lost device is reset with `manage.py staff_otp_reset`.
        for model in (TOTPDevice, StaticDevice):
            if admin.site.is_registered(model):
                admin.site.unregister(model)
