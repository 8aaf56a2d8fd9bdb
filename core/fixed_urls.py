"""The address of a page that takes no arguments, reversed once: the pensioner's layout names the same few
pages on every page it draws, and a middleware asks for the admin's prefix on every request; reversing a
name walks the URL patterns each time. The result depends only on the name, the script prefix and the URL
configuration, so it is kept per process for each name and prefix, and forgotten when the configuration
is changed (tests)."""

import functools

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, reverse


def fixed_reverse(name: str) -> str:
    return _reversed(name, get_script_prefix())


@functools.lru_cache(maxsize=256)
def _reversed(name: str, prefix: str) -> str:
    return reverse(name)


@receiver(setting_changed)
def _forget(setting: str, **kwargs) -> None:
    if setting in ("ROOT_URLCONF", "FORCE_SCRIPT_NAME"):
        _reversed.cache_clear()
