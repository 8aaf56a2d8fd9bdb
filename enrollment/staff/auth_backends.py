"""Staff sign-in: Django's model backend behind django-axes' lockout check.

The demo password never works outside the demo.
"""

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.contrib.auth.backends import ModelBackend


class LoginLockoutBackend(AxesStandaloneBackend):
    """axes' check first: a locked username or address is refused before its password is looked at.

    Every login from the web passes its request. A password checked without one (a shell, a script on
    the server) is no attempt from any address, and axes would refuse it outright: it passes through.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class StaffBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if password == settings.DEMO_PASSWORD and not settings.DEMO_PASSWORDS_ALLOWED:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
