"""django-csp's middleware, with the policy of an ordinary response built once a process.

Every page of the product carries the same policy: no view sets its own (django-csp's decorators are not
used) and no template asks for a nonce. django-csp nevertheless builds the header from the settings on
every response, twice (the policy and the report-only one), copying the whole configuration each time:
a few percent of a pensioner's request. Here a response that nothing asked to treat differently gets the
header built once; one that carries a per-response policy, or a request that took a nonce, goes the
library's own way, as do the debug pages and any excluded URL prefix.
"""

import functools

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as LibraryCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponseBase

_PER_RESPONSE = ("_csp_config", "_csp_update", "_csp_replace", "_csp_config_ro", "_csp_update_ro", "_csp_replace_ro")
_SETTINGS = ("CONTENT_SECURITY_POLICY", "CONTENT_SECURITY_POLICY_REPORT_ONLY", "DEBUG")


@functools.cache
def _policies() -> tuple[str, str] | None:
    """(policy, report-only policy) from the settings, or None when the settings exclude URL prefixes
    (then every response is the library's to decide)."""
    configs = [getattr(settings, name, None) or {} for name in _SETTINGS[:2]]
    if settings.DEBUG or any(config.get("EXCLUDE_URL_PREFIXES") for config in configs):
        return None
    return build_policy(), build_policy(report_only=True)


@receiver(setting_changed)
def _settings_changed(setting: str, **kwargs) -> None:
    if setting in _SETTINGS:
        _policies.cache_clear()


class CSPMiddleware(LibraryCSPMiddleware):
    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        policies = _policies()
        if (
            policies is None
            or getattr(request, "_csp_nonce", None) is not None
            or any(hasattr(response, name) for name in _PER_RESPONSE)
        ):
            return super().process_response(request, response)
        policy, report_only = policies
        if policy and HEADER not in response and not getattr(response, "_csp_exempt", False):
            response[HEADER] = policy
        if report_only and HEADER_REPORT_ONLY not in response and not getattr(response, "_csp_exempt_ro", False):
            response[HEADER_REPORT_ONLY] = report_only
        # As the library does: a nonce asked for after the header is written is an error, not a silent gap.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response
