"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

Playwright never downloads a browser here (`playwright install` is not part of set-up);
CI installs the `chromium` package (see .ci/run). Each xdist worker starts its own
browser and its own live server, on its own test database.
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

# Playwright's sync API runs an event loop in this thread; Django would otherwise refuse
# the test's own (synchronous) database work next to it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

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


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install chromium (see .ci/run)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


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
    if failed or os.environ.get("PRM_E2E_SCREENSHOTS_ALWAYS") == "true":
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
