"""{% fixed_url %}: the same address as {% url %}, reversed once per name and script prefix."""

from unittest import mock

from django.template import Context, Template
from django.urls import reverse, set_script_prefix

from core import fixed_urls

TEMPLATE = Template("{% load fixed_url %}{% fixed_url 'portal:help' %}")


def test_the_address_is_djangos_and_is_reversed_once_per_prefix():
    fixed_urls._reversed.cache_clear()
    with mock.patch.object(fixed_urls, "reverse", wraps=reverse) as reversing:
        first = [TEMPLATE.render(Context()) for _ in range(3)]
        assert first == [reverse("portal:help")] * 3 and reversing.call_count == 1
        try:
            set_script_prefix("/bime/")
            assert TEMPLATE.render(Context()) == reverse("portal:help") == "/bime/help/"
        finally:
            set_script_prefix("/")
        assert reversing.call_count == 2
