"""{% fixed_url 'portal:home' %}: Django's {% url %} for a page that takes no arguments, reversed once.

The pensioner's layout names the same few pages on every page it draws (home, requests, help, sign-out),
and reversing a name walks the URL patterns each time: a few percent of a wizard step. The result
depends only on the name, the script prefix and the URL configuration, so it is kept per process for
each name and prefix, and forgotten when the configuration is changed (tests)."""

import functools

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, reverse

register = template.Library()


@register.simple_tag
def fixed_url(name: str) -> str:
    return _reversed(name, get_script_prefix())


@functools.lru_cache(maxsize=256)
def _reversed(name: str, prefix: str) -> str:
    return reverse(name)


@receiver(setting_changed)
def _forget(setting: str, **kwargs) -> None:
    if setting in ("ROOT_URLCONF", "FORCE_SCRIPT_NAME"):
        _reversed.cache_clear()
