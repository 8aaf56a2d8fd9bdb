"""A real headless Chromium for the browser tests, and what they record about the pages it loads.

Playwright's browsers are not downloaded here: the system Chromium is used (CHROMIUM_PATH, by default
/usr/bin/chromium). While Playwright runs, its event loop makes Django refuse ORM calls from the test's
thread, so a test puts its data in place before the browser starts.

Accessibility: `axe_violations(page)` runs axe-core on the page as it stands, with the axe.min.js that the
axe-playwright-python package ships (dev extras): the engine comes from the test environment, never from
another host, and the page under test never loads it itself.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from axe_playwright_python.sync_playwright import Axe
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


# WCAG 2.2 AA as axe-core tags its rules: each level's A and AA criteria (2.2 added AA rules only).
AXE_WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")
AXE_IMPACTS_ALL = ("critical", "serious", "moderate", "minor")
AXE_NODES_SHOWN = 5


def axe_violations(
    page: Page, impacts: tuple[str, ...] = ("critical", "serious"), tags: tuple[str, ...] = AXE_WCAG_TAGS
) -> list[str]:
    """The axe-core violations of WCAG 2.2 AA on the page as it is now, of the given impacts, one readable
    line each: the page's path, the rule, its impact, what it asks, and the first few offending elements
    with axe's own explanation. An empty list means the page passes."""
    options = {"runOnly": {"type": "tag", "values": list(tags)}, "resultTypes": ["violations"]}
    found = Axe().run(page, options=options).response["violations"]
    path = urlsplit(page.url).path
    return [_axe_describe(path, violation) for violation in found if violation["impact"] in impacts]


def _axe_describe(path: str, violation: dict) -> str:
    nodes = violation["nodes"]
    shown = [
        f"{' '.join(node['target'])} <{node['html'][:160]}>: {' '.join((node.get('failureSummary') or '').split())}"
        for node in nodes[:AXE_NODES_SHOWN]
    ]
    more = [f"... and {len(nodes) - AXE_NODES_SHOWN} more"] if len(nodes) > AXE_NODES_SHOWN else []
    return (
        f"{path}: {violation['id']} ({violation['impact']}): {violation['help']} [{len(nodes)} elements]\n    "
        + "\n    ".join(shown + more)
    )
