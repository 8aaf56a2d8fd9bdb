"""A real headless Chromium for the browser tests, and what they record about the pages it loads.

Playwright's browsers are not downloaded here: the system Chromium is used (CHROMIUM_PATH, by default
/usr/bin/chromium). While Playwright runs, its event loop makes Django refuse ORM calls from the test's
thread, so a test puts its data in place before the browser starts.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Browser, Page, Request, Response, sync_playwright

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS_DIR = Path(__file__).resolve().parent.parent / "test-artifacts"


def chromium_installed() -> bool:
    return Path(CHROMIUM_PATH).is_file()


@contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM_PATH, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Traffic:
    """Every request a page made and every response it got, to prove nothing left the server under test."""

    origin: str
    requests: list[str] = field(default_factory=list)
    responses: list[tuple[str, int]] = field(default_factory=list)

    def watch(self, page: Page) -> None:
        page.on("request", self._on_request)
        page.on("response", self._on_response)

    def _on_request(self, request: Request) -> None:
        self.requests.append(request.url)

    def _on_response(self, response: Response) -> None:
        self.responses.append((response.url, response.status))

    def foreign(self) -> list[str]:
        """Requests to any other host; data: and blob: URLs never touch the network."""
        return [
            url
            for url in self.requests
            if urlsplit(url).scheme in {"http", "https", "ws", "wss"} and origin_of(url) != self.origin
        ]

    def failed(self) -> list[tuple[str, int]]:
        return [(url, status) for url, status in self.responses if status >= 400]

    def statuses_of(self, path: str) -> set[int]:
        """Later visits may revalidate a cached file (304); the first fetch in a fresh context is a 200."""
        return {status for url, status in self.responses if urlsplit(url).path == path}


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
