"""Browser fixtures: Playwright driving Debian's chromium against the live server.

Every page opened through the ``page`` fixture records the URL of every request the browser
makes; a test fails if any of them goes to a host other than the server itself.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.support.live import LiveServer

CHROMIUM = os.environ.get("NBOPEN_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        try:
            yield browser
        finally:
            browser.close()


class Recorder:
    """Every URL any page of a context requested."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def foreign(self, server: str) -> list[str]:
        own = urlsplit(server).netloc
        return [u for u in self.urls if urlsplit(u).netloc != own and not u.startswith("data:")]


@pytest.fixture
def requests_seen() -> Recorder:
    return Recorder()


def new_context(browser: Browser, recorder: Recorder, locale: str = "zh-CN") -> BrowserContext:
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
    context.on("request", lambda request: recorder.urls.append(request.url))
    return context


@pytest.fixture
def context(
    browser: Browser, live: LiveServer, requests_seen: Recorder
) -> Iterator[BrowserContext]:
    ctx = new_context(browser, requests_seen)
    try:
        yield ctx
    finally:
        ctx.close()
    assert requests_seen.urls, "the browser made no requests at all"
    assert requests_seen.foreign(live.url) == [], "a page contacted another host"


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


def sign_up(page: Page, base: str, username: str, password: str = "Str0ng-pass-phrase") -> None:
    page.goto(f"{base}/signup")
    page.fill("#id_username", username)
    page.fill("#id_email", f"{username}@example.org")
    page.fill("#id_password", password)
    page.click("form[action='/signup'] button[type=submit]")
    page.wait_for_url(f"{base}/")


def log_in(page: Page, base: str, username: str, password: str = "Str0ng-pass-phrase") -> None:
    page.goto(f"{base}/login")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{base}/")


def create_repo(
    page: Page,
    base: str,
    *,
    owner: str,
    name: str,
    type_: str = "model",
    private: bool = False,
    readme: bool = False,
) -> None:
    page.goto(f"{base}/new?owner={owner}")
    page.select_option("#id_owner", owner)
    page.fill("#id_name", name)
    page.check(f"input[name=type][value={type_}]")
    if private:
        page.check("#id_private")
    if not readme:
        page.uncheck("#id_readme")
    page.click("form[action='/new'] button[type=submit]")
    prefix = "/datasets" if type_ == "dataset" else ""  # a dataset's page, as on the Hub
    page.wait_for_url(f"{base}{prefix}/{owner}/{name}")


def upload(page: Page, base: str, repo: str, files: list[dict[str, object]], message: str) -> None:
    """Upload through the browser form; ``files`` are Playwright file payloads."""
    page.goto(f"{base}/{repo}/upload")
    page.set_input_files("#id_files", files)  # type: ignore[arg-type]
    page.fill("#id_message", message)
    page.click("#upload-form button[type=submit]")
    page.wait_for_load_state()
