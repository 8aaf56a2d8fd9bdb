"""url() of the pensioner's pages: the same address as Django's reverse, reversed once per name and script
prefix when the page takes no arguments (core.fixed_urls)."""

from unittest import mock

from django.template import engines
from django.urls import reverse, set_script_prefix

from core import fixed_urls

TEMPLATE = "{{ url('portal:help') }}"


def test_the_address_is_djangos_and_is_reversed_once_per_prefix():
    template = engines["jinja2"].from_string(TEMPLATE)
    fixed_urls._reversed.cache_clear()
    with mock.patch.object(fixed_urls, "reverse", wraps=reverse) as reversing:
        first = [template.render({}) for _ in range(3)]
        assert first == [reverse("portal:help")] * 3 and reversing.call_count == 1
        try:
            set_script_prefix("/bime/")
            assert template.render({}) == reverse("portal:help") == "/bime/help/"
        finally:
            set_script_prefix("/")
        assert reversing.call_count == 2


def test_an_address_with_arguments_is_reversed_each_time():
    page = engines["jinja2"].from_string("{{ url('portal:done', '123456789012') }}").render({})
    assert page == reverse("portal:done", args=["123456789012"])
