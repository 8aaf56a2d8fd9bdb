"""core.csp.CSPMiddleware: the same header as django-csp's own middleware, built once; anything a response
or request asks for itself still goes the library's way."""

from csp.constants import HEADER, NONCE, SELF
from csp.middleware import CSPMiddleware as LibraryCSPMiddleware
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from core import csp
from core.csp import CSPMiddleware


def _through(middleware_class, response: HttpResponse, *, nonce: bool = False) -> HttpResponse:
    request = RequestFactory().get("/")
    middleware = middleware_class(lambda request: response)
    middleware.process_request(request)
    if nonce:
        str(request.csp_nonce)  # a template asked for one
    return middleware.process_response(request, response)


def test_a_plain_response_gets_the_librarys_header_built_once(monkeypatch):
    expected = _through(LibraryCSPMiddleware, HttpResponse())[HEADER]
    csp._policies.cache_clear()
    built = []
    monkeypatch.setattr(csp, "build_policy", lambda **kwargs: built.append(kwargs) or expected)
    for _ in range(3):
        assert _through(CSPMiddleware, HttpResponse())[HEADER] == expected
    assert len(built) == 2  # the policy and the report-only one, once
    csp._policies.cache_clear()


def test_a_response_with_its_own_policy_or_a_nonce_goes_the_librarys_way():
    response = HttpResponse()
    response._csp_update = {"img-src": ["https://maps.example"]}
    assert "https://maps.example" in _through(CSPMiddleware, response)[HEADER]
    with override_settings(CONTENT_SECURITY_POLICY={"DIRECTIVES": {"script-src": [SELF, NONCE]}}):
        assert "'nonce-" in _through(CSPMiddleware, HttpResponse(), nonce=True)[HEADER]


def test_a_changed_setting_is_seen():
    with override_settings(CONTENT_SECURITY_POLICY={"DIRECTIVES": {"default-src": ["'none'"]}}):
        assert _through(CSPMiddleware, HttpResponse())[HEADER] == "default-src 'none'"
    assert "default-src 'self'" in _through(CSPMiddleware, HttpResponse())[HEADER]
