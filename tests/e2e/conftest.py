"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

Playwright never downloads a browser here (`playwright install` is not part of set-up);
CI installs the `chromium` package (see .ci/run). Each test starts its own browser;
each xdist worker has its own live server on its own test database.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import connections

CHROMIUM = os.environ.get("PRM_E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # Tenants live on subdomains; never ask a resolver about them.
    "--host-resolver-rules=MAP *.localhost 127.0.0.1",
]
SCREENSHOTS = Path(os.environ.get("PRM_E2E_SCREENSHOTS", "/tmp"))  # noqa: S108
TIMEOUT_MS = 15_000


@pytest.fixture
def browser(monkeypatch):
    """A headless Chromium for one test.

    Playwright's sync API keeps an asyncio loop running in this thread while it is
    started, and Django refuses database work next to a running loop. So the browser
    lives for one test only, and Django's guard is lifted only for that test: nothing
    leaks into the next test or into a subprocess. While the loop runs, Django also
    hands out connections of their own (its connections are per async context); they
    are closed before the loop goes, or they would outlive the test database.
    """
    from playwright.sync_api import sync_playwright

    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install chromium (see .ci/run)")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()
            connections.close_all()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def _screenshot_name(item: pytest.Item, suffix: str) -> Path:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", item.name).strip("-")
    return SCREENSHOTS / f"e2e-{name}-{worker}-{suffix}.png"


@pytest.fixture
def page(browser, request) -> Iterator:
    """A fresh browser context (no cookies) per test; a screenshot when the test fails
    (or always, with PRM_E2E_SCREENSHOTS_ALWAYS=true). Parametrise indirectly with
    False to browse without JavaScript."""
    js = getattr(request, "param", True)
    context = browser.new_context(java_script_enabled=js, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    report = getattr(request.node, "report_call", None)
    failed = report is not None and report.failed
    wanted = failed or os.environ.get("PRM_E2E_SCREENSHOTS_ALWAYS") == "true"
    if wanted and not page.is_closed():
        path = _screenshot_name(request.node, "failed" if failed else "passed")
        page.screenshot(path=str(path), full_page=True)
        print(f"screenshot: {path}")
    context.close()


@dataclass
class Portal:
    """Addresses of the tenants' portals on the live server."""

    port: int

    def url(self, slug: str, path: str = "/") -> str:
        return f"http://{slug}.localhost:{self.port}{path}"


@pytest.fixture
def portal(live_server, transactional_db) -> Portal:
    return Portal(port=urlsplit(live_server.url).port)
