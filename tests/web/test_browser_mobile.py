"""Phones (issue 19 item 2): at 390 × 844 no page scrolls sideways, and the menu (a checkbox and
its label, so it works without script) reaches search, 登录 and 注册."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from tests.support.live import LiveServer
from tests.web.conftest import Recorder, create_repo, sign_up

PHONE = {"width": 390, "height": 844}
REPO = "/gangzhi-tech/port-container-detector"
DATASET = "/datasets/yongcheng-data/air-quality-daily"
PAGES = [
    "/",
    REPO,
    f"{REPO}/blob/main/README.md",
    f"{REPO}/commits/main",
    DATASET,
    f"{DATASET}/viewer",
    "/search?q=port",
    "/models",
    "/insights",
    "/gangzhi-tech/insights",
    f"{REPO}/insights",
    "/docs",
    "/docs/getting-started",
    "/docs/dataset-viewer",
    "/docs/operators",
]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path_factory.mktemp("mobile")).start()
    try:
        server.cli("demo")
        yield server
    finally:
        server.stop()


def _no_sideways_scroll(page: Page) -> None:
    scroll, client = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert scroll <= client, f"{page.url} is {scroll} px wide at {client} px"


def _wait_for_viewer(page: Page, url: str) -> None:
    """The demo's dataset is converted in the background: wait for its table."""
    deadline = time.monotonic() + 90
    while True:
        page.goto(url)
        if page.locator("table.viewer-table").count() or time.monotonic() > deadline:
            return
        time.sleep(1)


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_no_page_is_wider_than_a_phone(
    browser: Browser, demo: LiveServer, requests_seen: Recorder, locale: str
) -> None:
    context = browser.new_context(locale=locale, viewport=PHONE)
    context.on("request", lambda r: requests_seen.urls.append(r.url))
    try:
        page = context.new_page()
        _wait_for_viewer(page, demo.url + DATASET + "/viewer")
        assert page.locator("table.viewer-table").count() == 1
        for path in PAGES:
            response = page.goto(demo.url + path)
            assert response is not None and response.status == 200, path
            page.wait_for_load_state("networkidle")
            _no_sideways_scroll(page)
        # Wide content scrolls inside its own box.
        page.goto(demo.url + DATASET + "/viewer")
        wrap = page.locator(".viewer-table-wrap")
        assert wrap.evaluate("e => e.scrollWidth > e.clientWidth")
        # Charts fit the screen.
        page.goto(demo.url + "/insights")
        page.wait_for_load_state("networkidle")
        for box in page.locator(".chart").all():
            bounds = box.bounding_box()
            assert bounds is not None and bounds["x"] + bounds["width"] <= PHONE["width"]
    finally:
        context.close()
    assert requests_seen.foreign(demo.url) == []


@pytest.mark.parametrize("javascript", [True, False])
@pytest.mark.parametrize(
    ("locale", "log_in", "sign_up", "help_"),
    [("zh-CN", "登录", "注册", "帮助"), ("en", "Log in", "Sign up", "Help")],
)
def test_the_phone_menu_reaches_login_signup_and_search(
    browser: Browser,
    demo: LiveServer,
    locale: str,
    log_in: str,
    sign_up: str,
    help_: str,
    javascript: bool,
) -> None:
    context = browser.new_context(locale=locale, viewport=PHONE, java_script_enabled=javascript)
    try:
        page = context.new_page()
        page.goto(demo.url + "/")
        login = page.locator(f".usernav a:text-is('{log_in}')")
        signup = page.locator(f".usernav a:text-is('{sign_up}')")
        search = page.locator("#header-search")
        assert not login.is_visible() and not search.is_visible()
        page.click("#nav-toggle-label")
        for link in (login, signup, search, page.locator(f".mainnav a:text-is('{help_}')")):
            assert link.is_visible()
            box = link.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        _no_sideways_scroll(page)
        search.fill("port")
        search.press("Enter")
        page.wait_for_url("**/search?q=port")
        assert page.locator(".hit").count() >= 1
        page.click("#nav-toggle-label")
        page.locator(f".usernav a:text-is('{sign_up}')").click()
        page.wait_for_url("**/signup")
        page.click("#nav-toggle-label")
        page.locator(f".usernav a:text-is('{log_in}')").click()
        page.wait_for_url("**/login")
    finally:
        context.close()


def test_the_wide_screen_keeps_one_header_line(browser: Browser, demo: LiveServer) -> None:
    for locale in ("zh-CN", "en"):
        context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 800})
        try:
            page = context.new_page()
            page.goto(demo.url + "/")
            assert not page.locator("#nav-toggle-label").is_visible()
            assert page.locator(".usernav a[href='/login']").is_visible()
            assert page.locator(".topbar").evaluate("e => e.getBoundingClientRect().height") <= 57
        finally:
            context.close()


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_signed_in_pages_fit_a_phone(browser: Browser, demo: LiveServer, locale: str) -> None:
    user = "phone-" + locale[:2].lower()
    context = browser.new_context(locale=locale, viewport=PHONE)
    try:
        page = context.new_page()
        sign_up(page, demo.url, user)
        page.goto(f"{demo.url}/organizations/new")
        page.fill("#id_name", f"{user}-org")
        page.select_option("#id_kind", "community")
        page.click("form[action='/organizations/new'] button[type=submit]")
        page.wait_for_url(f"{demo.url}/{user}-org")
        create_repo(page, demo.url, owner=f"{user}-org", name="pocket", readme=True)
        for path in (
            "/new",
            "/settings/tokens",
            f"/{user}",
            f"/{user}-org",
            f"/{user}-org/pocket",
            f"/{user}-org/pocket/settings",
            f"/{user}-org/pocket/upload",
        ):
            page.goto(demo.url + path)
            _no_sideways_scroll(page)
        # The account menu opens inside the phone menu and reaches "log out".
        page.click("#nav-toggle-label")
        page.click(".usernav summary")
        assert page.locator("#logout-button").is_visible()
        _no_sideways_scroll(page)
    finally:
        context.close()
