"""Behind the README's proxy the per-address sign-in limit counts each pensioner's own address."""

from django.test import override_settings
from django.urls import reverse

LOGIN = reverse("portal:login")
PROXY = "10.20.0.1"  # every connection reaches gunicorn from the proxy


def _ask(client, national_code: str, client_address: str) -> bool:
    """True when the code was issued (the page moves on to the code step)."""
    response = client.post(
        LOGIN, {"national_code": national_code}, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=client_address
    )
    return response.status_code == 302


@override_settings(LOGIN_CODES_PER_IP=1, CLIENT_IP_HEADER="HTTP_X_FORWARDED_FOR")
def test_two_pensioners_behind_one_proxy_are_two_addresses(client, world):
    assert _ask(client, "0010000011", "192.0.2.10")
    assert _ask(client, "0010000021", "192.0.2.11")
    assert not _ask(client, "0010000038", "192.0.2.10")


@override_settings(LOGIN_CODES_PER_IP=1, CLIENT_IP_HEADER="HTTP_X_FORWARDED_FOR")
def test_an_address_the_client_forges_in_front_of_the_proxy_is_ignored(client, world):
    assert _ask(client, "0010000011", "192.0.2.10")
    assert not _ask(client, "0010000021", "203.0.113.99, 192.0.2.10")


@override_settings(LOGIN_CODES_PER_IP=1, CLIENT_IP_HEADER="REMOTE_ADDR")
def test_left_at_remote_addr_behind_a_proxy_everyone_would_share_one_address(client, world):
    """Why production refuses to start until CLIENT_IP_HEADER is chosen."""
    assert _ask(client, "0010000011", "192.0.2.10")
    assert not _ask(client, "0010000021", "192.0.2.11")
