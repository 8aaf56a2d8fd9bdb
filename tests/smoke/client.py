"""What the production smoke needs to talk to the stack as the proxy would: an HTTP client that keeps
cookies (Secure ones too: the proxy ends TLS, the stack sees `X-Forwarded-Proto: https`), follows
redirects, and fills Django's CSRF field; and TOTP codes for staff accounts, as an authenticator app
makes them (RFC 6238, what django-otp checks)."""

import hashlib
import hmac
import http.client
import re
import struct
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlsplit

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def stack_env(path: Path) -> dict[str, str]:
    """The variables deploy/prod-local.sh gave the stack's processes (its stack.env)."""
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return dict(pairs)


def totp(key_hex: str, at: float | None = None) -> str:
    """The six-digit code of a 30-second step, as django-otp's TOTPDevice computes it."""
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(bytes.fromhex(key_hex), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"


@dataclass
class Page:
    url: str
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def csrf(self) -> str:
        match = CSRF_FIELD.search(self.text)
        assert match, f"no CSRF field on {self.url}"
        return match.group(1)


class Client:
    """One visitor (one cookie jar) of the stack at `base` (http://host:port)."""

    def __init__(self, base: str, address: str = "203.0.113.10"):
        self.base = base.rstrip("/")
        parts = urlsplit(self.base)
        self.host, self.port = parts.hostname, parts.port
        self.address = address
        self.cookies: dict[str, str] = {}
        self.headers: dict[str, str] = {}  # sent with every request

    def _send(self, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> Page:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        origin = f"https://{self.host}:{self.port}"
        all_headers = {
            "Host": f"{self.host}:{self.port}",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": self.address,
            "Accept-Language": "fa-IR",
            "Referer": origin + path,
            **self.headers,
            **headers,
        }
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method == "POST":
            all_headers["Origin"] = origin
        connection.request(method, path, body=body, headers=all_headers)
        response = connection.getresponse()
        data = response.read()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                cookie = SimpleCookie()
                cookie.load(value)
                for name, morsel in cookie.items():
                    if morsel["max-age"] == "0" or not morsel.value:
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.value
        connection.close()
        return Page(path, response.status, {k.lower(): v for k, v in response.getheaders()}, data)

    def request(self, method: str, path: str, data: dict | None = None, *, follow: bool = True) -> Page:
        body = urlencode(data or {}, doseq=True).encode() if method == "POST" else None
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if method == "POST" else {}
        page = self._send(method, path, body, headers)
        hops = 0
        while follow and page.status in (301, 302, 303) and hops < 10:
            location = urljoin(f"https://{self.host}:{self.port}{path}", page.headers["location"])
            parts = urlsplit(location)
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            page = self._send("GET", path, None, {})
            hops += 1
        return page

    def get(self, path: str, *, follow: bool = True) -> Page:
        return self.request("GET", path, follow=follow)

    def post(self, path: str, data: dict, *, follow: bool = True, csrf_from: str | None = None) -> Page:
        """POSTs a form; its CSRF token is read from the page at `csrf_from` (default: `path` itself)."""
        token = self.get(csrf_from or path).csrf()
        return self.request("POST", path, {"csrfmiddlewaretoken": token, **data}, follow=follow)
