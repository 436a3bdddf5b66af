"""Browser tests: Playwright (Python) driving Debian's Chromium against a live server.

Chromium comes from Debian (`apt-get install chromium`; `.ci/run` installs it). Where it is missing the
browser tests are skipped with that reason; CI always has it. Screenshots of each step are saved under
``var/test-artifacts/screenshots/`` (override with ``YIHAOTONG_ARTIFACTS``).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("YIHAOTONG_ARTIFACTS", Path.cwd() / "var" / "test-artifacts" / "screenshots"))

# Playwright's sync API runs an event loop in this thread; the Django ORM calls the tests make between
# browser steps are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    missing = not (Path(CHROMIUM).exists() or shutil.which("chromium"))
    try:
        import playwright  # noqa: F401
    except ImportError:
        missing = True
    if missing:
        skip = pytest.mark.skip(reason=f"needs Chromium at {CHROMIUM} and the playwright package (CI installs both)")
        for item in items:
            if "tests/browser" in str(item.fspath):
                item.add_marker(skip)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"),
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield b
        b.close()


class Session:
    """One person's browser context, logged in, with a screenshot helper."""

    def __init__(self, browser, base_url: str, username: str, password: str, language: str, journey: str):
        self.context = browser.new_context(
            viewport={"width": 1366, "height": 768},
            locale="zh-CN" if language == "zh-hans" else "en-US",
            extra_http_headers={"Accept-Language": language},
        )
        self.page = self.context.new_page()
        self.page.set_default_timeout(15000)
        self.base = base_url
        self.username = username
        self.journey = journey
        self.shots = 0
        self.page.goto(f"{base_url}/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", password)
        self.page.click("button[type=submit]")
        self.page.wait_for_url(f"{base_url}/")

    def go(self, path: str):
        self.page.goto(self.base + path)
        self.page.wait_for_load_state("networkidle")
        return self.page

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.shots += 1
        self.page.screenshot(
            path=str(ARTIFACTS / f"{self.journey}-{self.username}-{self.shots:02d}-{name}.png"), full_page=True
        )

    def close(self):
        self.context.close()


@pytest.fixture
def open_session(browser, live_server):
    sessions = []

    def factory(
        username: str, *, password: str = "browser-test-pass-1", language: str = "zh-hans", journey: str = "journey"
    ) -> Session:
        s = Session(browser, live_server.url, username, password, language, journey)
        sessions.append(s)
        return s

    yield factory
    for s in sessions:
        s.close()
