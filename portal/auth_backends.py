"""Staff sign-in: Django's model backend, except that the demo password never works outside the demo."""

from django.conf import settings
from django.contrib.auth.backends import ModelBackend


class StaffBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if password == settings.DEMO_PASSWORD and not settings.DEMO_PASSWORDS_ALLOWED:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
