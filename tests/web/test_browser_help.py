"""Help inside the site (issue 19 item 5): /docs in Chinese and English with the reader's own
endpoint in every command, copy buttons, and a "Use this" box on every repository page."""

from __future__ import annotations

import json
import urllib.request

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from tests.support.live import LiveServer
from tests.web.conftest import Recorder, sign_up

pytestmark = pytest.mark.once  # static help pages

GUIDES = {
    "zh-CN": {
        "": "帮助",
        "getting-started": "快速上手",
        "tokens": "令牌与权限范围",
        "dataset-viewer": "数据查看器",
        "analytics": "分析",
        "api": "API 参考",
        "operators": "运维指南",
    },
    "en": {
        "": "Help",
        "getting-started": "Getting started",
        "tokens": "Tokens and scopes",
        "dataset-viewer": "Dataset viewer",
        "analytics": "Analytics",
        "api": "API reference",
        "operators": "Operators' guide",
    },
}


def _context(browser: Browser, recorder: Recorder, locale: str, **kw: object) -> BrowserContext:
    context = browser.new_context(locale=locale, **kw)  # type: ignore[arg-type]
    context.on("request", lambda r: recorder.urls.append(r.url))
    return context


def _create(live: LiveServer, token: str, name: str, type_: str) -> None:
    request = urllib.request.Request(
        live.url + "/api/repos/create",
        method="POST",
        data=json.dumps({"name": name, "type": type_}).encode(),
        headers={"Authorization": f"Bearer {token}"},
    )
    urllib.request.urlopen(request).close()


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_help_pages_in_both_languages(
    browser: Browser, live: LiveServer, requests_seen: Recorder, locale: str
) -> None:
    context = _context(browser, requests_seen, locale)
    try:
        page = context.new_page()
        page.goto(live.url + "/help")
        assert page.url == live.url + "/docs"
        for slug, title in GUIDES[locale].items():
            response = page.goto(f"{live.url}/docs/{slug}".rstrip("/"))
            assert response is not None and response.status == 200
            assert page.inner_text("#docs-body h1") == title
            assert page.inner_text("#endpoint") == live.url
            # The API reference and the analytics methods are one click away everywhere.
            assert page.locator("#docs-nav a[href='/api/docs']").count() == 1
            assert page.locator("#docs-nav a[href='/insights/methods']").count() == 1
        assert page.evaluate("document.documentElement.lang") == (
            "zh-CN" if locale == "zh-CN" else "en"
        )
        page.goto(live.url + "/docs/dataset-viewer")
        body = page.inner_text("#docs-body")
        for word in ("IS", "NOT", "LIKE", "IN", "orderby"):
            assert word in body
        page.goto(live.url + "/docs/api")
        assert page.locator("#api-docs-link").get_attribute("href") == "/api/docs"
        page.goto(live.url + "/docs/analytics")
        page.click("#methods-link")
        page.wait_for_url(live.url + "/insights/methods")
        page.goto(live.url + "/docs/operators")
        table = page.inner_text("#config-table")
        for variable in ("NBOPEN_PUBLIC_URL", "NBOPEN_DATABASE_URL", "NBOPEN_TASKS"):
            assert variable in table
        for anchor in ("#postgresql", "#celery", "#spark", "#backups"):
            assert page.locator(anchor).count() == 1
        assert page.locator("footer a[href='/docs']").count() == 1
        # A page that does not exist is a 404 in the page language, not a help page.
        missing = page.goto(live.url + "/docs/no-such-guide")
        assert missing is not None and missing.status == 404
    finally:
        context.close()
    assert requests_seen.foreign(live.url) == []


@pytest.mark.parametrize(("locale", "copied"), [("zh-CN", "已复制"), ("en", "Copied")])
def test_getting_started_fills_in_the_endpoint_and_copies(
    browser: Browser, live: LiveServer, requests_seen: Recorder, locale: str, copied: str
) -> None:
    context = _context(browser, requests_seen, locale)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live.url)
    try:
        page = context.new_page()
        user = "helpreader" + locale[:2].lower()
        sign_up(page, live.url, user)
        page.goto(live.url + "/docs/getting-started")
        for tool in ("git", "git-lfs", "huggingface-hub", "datasets", "modelscope", "cli"):
            assert page.locator(f"h2#{tool}").count() == 1
        for key in ("git-clone", "git-lfs", "hf-python", "datasets", "modelscope", "cli"):
            code = page.inner_text(f"#snippet-{key}")
            assert live.url in code or "HF_ENDPOINT" in code, key
        assert f"{live.url}/{user}/my-code.git" in page.inner_text("#snippet-git-clone")
        assert f'os.environ["MODELSCOPE_ENDPOINT"] = "{live.url}"' in page.inner_text(
            "#snippet-modelscope"
        )
        button = page.locator("[data-snippet='cli'] .copy-button")
        assert button.is_visible()
        button.click()
        expect(button).to_have_text(copied)
        clipboard = page.evaluate("navigator.clipboard.readText()")
        assert clipboard == page.inner_text("#snippet-cli")
        assert f"nbopen login --endpoint {live.url}" in clipboard
    finally:
        context.close()
    assert requests_seen.foreign(live.url) == []


def test_without_javascript_the_commands_are_there_and_no_dead_buttons(
    browser: Browser, live: LiveServer
) -> None:
    context = browser.new_context(locale="zh-CN", java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(live.url + "/docs/getting-started")
        assert live.url in page.inner_text("#snippet-hf-python")
        assert page.locator(".copy-button").count() >= 6
        assert page.locator(".copy-button:visible").count() == 0
    finally:
        context.close()


@pytest.mark.parametrize(
    ("locale", "titles"),
    [
        ("zh-CN", {"model": "使用此模型", "dataset": "使用此数据集", "code": "使用此仓库"}),
        (
            "en",
            {
                "model": "Use this model",
                "dataset": "Use this dataset",
                "code": "Use this repository",
            },
        ),
    ],
)
def test_every_repository_page_has_a_use_this_box(
    browser: Browser,
    live: LiveServer,
    requests_seen: Recorder,
    locale: str,
    titles: dict[str, str],
) -> None:
    owner = "user" + locale[:2].lower()
    token = live.create_user(owner)
    for type_ in ("model", "dataset", "code"):
        _create(live, token, f"use-{type_}", type_)
    context = _context(browser, requests_seen, locale)
    try:
        page = context.new_page()
        expected = {
            "model": ("use-git", "use-hf", "use-modelscope", "use-cli"),
            "dataset": ("use-git", "use-hf", "use-datasets", "use-cli"),
            "code": ("use-git",),
        }
        for type_, keys in expected.items():
            prefix = "/datasets" if type_ == "dataset" else ""
            page.goto(f"{live.url}{prefix}/{owner}/use-{type_}")
            box = page.locator("#use-box")
            assert box.locator("h3").first.inner_text() == titles[type_]
            shown = [s.get_attribute("data-snippet") for s in box.locator(".snippet-box").all()]
            assert tuple(shown) == keys
            full = f"{owner}/use-{type_}"
            clone = f"git clone {live.url}{prefix}/{full}.git"  # datasets clone from /datasets/
            assert clone in page.inner_text("#snippet-use-git")
            if type_ == "dataset":
                assert f'load_dataset("{full}")' in page.inner_text("#snippet-use-datasets")
                assert 'repo_type="dataset"' in page.inner_text("#snippet-use-hf")
            if type_ == "model":
                assert f'snapshot_download("{full}")' in page.inner_text("#snippet-use-modelscope")
            assert box.locator("a[href='/docs/getting-started']").count() == 1
    finally:
        context.close()
    assert requests_seen.foreign(live.url) == []


@pytest.mark.parametrize("name", ["docs", "help"])
def test_docs_and_help_are_reserved_owner_names(live: LiveServer, name: str) -> None:
    result = live.cli(
        "user",
        "create",
        name,
        "--email",
        f"{name}@example.org",
        "--password",
        "x-Secret-99",
        check=False,
    )
    assert result.returncode != 0
    with urllib.request.urlopen(live.url + "/docs") as response:
        assert response.status == 200


def test_a_visitor_from_another_address_gets_commands_for_that_address(live: LiveServer) -> None:
    """The test server's public URL is its loopback address (``serve``'s default): someone who
    reached it by a LAN name gets commands that work from their machine."""
    token = live.create_user("lanowner")
    _create(live, token, "lan-model", "model")
    for path, expected in (
        ("/docs/getting-started", "git clone http://nbopen.lan:8123/USERNAME/my-code.git"),
        ("/lanowner/lan-model", "git clone http://nbopen.lan:8123/lanowner/lan-model.git"),
    ):
        request = urllib.request.Request(live.url + path, headers={"Host": "nbopen.lan:8123"})
        with urllib.request.urlopen(request) as response:
            html = response.read().decode()
        assert expected in html
        assert "127.0.0.1" not in html
