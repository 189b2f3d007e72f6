"""The search page's Code tab in chromium, in Chinese and in English.

What ``tests/e2e/test_code_search_live.py`` already checks over plain HTTP (the API's hits,
re-indexing after a push, deletion) is not repeated; this file checks what a person sees and
clicks: the tab, the hit's file and line with the highlighted word, the language and
repository filter links narrowing the list, the search box keeping those filters while a
pinyin query (``gangkou``) finds 港口, the line link opening the file at that line, and a
private repository's file shown to its owner only (not to an anonymous visitor, not to
another signed-in user).
"""

from __future__ import annotations

import time
import urllib.parse
import uuid
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.client import api_create_repo, authed, git, request
from tests.support.live import LiveServer
from tests.web.conftest import Recorder, log_in, new_context

pytestmark = pytest.mark.e2e

LABELS = {
    "zh-CN": {"tab": "代码", "files": "{n} 个文件", "language": "语言", "none": "没有找到结果。"},
    "en-US": {
        "tab": "Code",
        "files": "{n} files",
        "language": "Language",
        "none": "Nothing found.",
    },
}


def _push(live: LiveServer, token: str, path: str, files: dict[str, str], work: Path) -> None:
    git("init", "-q", "-b", "main", str(work))
    for name, text in files.items():
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_text(text, encoding="utf-8")
    git("add", "-A", cwd=work)
    git("commit", "-qm", "code", cwd=work)
    git("push", "-q", authed(live, token, path), "main", cwd=work)


def _total(live: LiveServer, token: str | None, q: str) -> int:
    url = f"{live.url}/api/v1/search/code?{urllib.parse.urlencode({'q': q})}"
    response = request(url, token=token)
    assert response.status == 200, response.body
    return int(response.json()["total"])


def _wait(live: LiveServer, token: str | None, q: str, want: int) -> None:
    """Indexing runs as a background job after each push."""
    deadline = time.monotonic() + 60
    seen = -1
    while time.monotonic() < deadline:
        seen = _total(live, token, q)
        if seen == want:
            return
        time.sleep(0.3)
    raise AssertionError(f"code search for {q!r} found {seen} files, expected {want}")


@pytest.fixture(scope="module")
def harbour(live: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Two public code repositories and one private one, pushed with git by one owner.

    ``quay_<stem>`` is in four public files (Python twice, shell, Markdown) across two
    repositories; ``secret_<stem>`` only in the private repository.
    """
    stem = uuid.uuid4().hex[:6]
    owner, other = f"cso{stem}", f"csx{stem}"
    token = live.create_user(owner)
    live.create_user(other)
    ident, secret = f"quay_{stem}", f"secret_{stem}"
    tmp = tmp_path_factory.mktemp("code-browser")
    sdk = {
        "sdk/berth.py": (
            '"""Berth planning."""\n\n\n'
            f"def {ident}(block_id: int) -> str:\n"
            "    # 港口调度: schedule the quay cranes\n"
            "    return str(block_id)\n"
        ),
        "scripts/berth.sh": f"#!/bin/sh\n# run the planner\n{ident} --dry-run\n",
        "README.md": f"# Harbour SDK\n\nCall `{ident}` to plan a berth.\n",
    }
    tools = {"tools/cli.py": f"from sdk.berth import {ident}\n\nprint({ident}(3))\n"}
    hidden = {"plan.py": f"def {secret}() -> str:\n    return '港口机密'\n"}
    for name, files, private in (
        ("harbour-sdk", sdk, False),
        ("harbour-tools", tools, False),
        ("harbour-secret", hidden, True),
    ):
        api_create_repo(live, token, name, private=private)
        _push(live, token, f"/{owner}/{name}.git", files, tmp / name)
    _wait(live, None, ident, 4)
    _wait(live, token, secret, 1)
    return {"owner": owner, "other": other, "ident": ident, "secret": secret}


def _code_tab(page: Page, base: str, q: str) -> None:
    """Search from the search page's box, then switch to the Code tab as a visitor does."""
    page.goto(f"{base}/search")
    page.fill("#search-page-q", q)
    page.press("#search-page-q", "Enter")
    page.wait_for_url("**/search?q=*")
    page.click("#search-tabs a[data-tab=code]")
    page.wait_for_url("**tab=code*")


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_code_tab_hits_filters_and_pinyin(
    browser: Browser,
    live: LiveServer,
    requests_seen: Recorder,
    harbour: dict[str, Any],
    locale: str,
) -> None:
    base, owner, ident = live.url, harbour["owner"], harbour["ident"]
    words = LABELS[locale]
    context = new_context(browser, requests_seen, locale=locale)
    try:
        page = context.new_page()
        _code_tab(page, base, ident)
        expect(page.locator("#search-tabs a.active")).to_have_text(words["tab"])
        hits = page.locator(".code-hit")
        expect(hits).to_have_count(4)
        expect(page.locator("#result-count")).to_have_text(words["files"].format(n=4))

        # The file and the line, with the identifier highlighted (a real <mark>, not text).
        berth = page.locator(
            f".code-hit[data-repo='{owner}/harbour-sdk'][data-path='sdk/berth.py']"
        )
        expect(berth.locator(".repo-name")).to_contain_text(f"{owner}/harbour-sdk")
        expect(berth.locator(".line-no a").first).to_have_text("4")
        expect(berth.locator(".code-line mark").first).to_have_text(ident)
        expect(berth.locator(".code-line").first).to_contain_text(f"def {ident}(block_id: int)")
        shell = page.locator(".code-hit[data-path='scripts/berth.sh']")
        expect(shell.locator(".line-no a").first).to_have_text("3")

        # The language filter narrows to the two Python files, in both repositories.
        languages = page.locator("section[data-facet=language]")
        expect(languages.locator("h3")).to_have_text(words["language"])
        languages.locator("a[data-value=python]").click()
        page.wait_for_url("**language=python*")
        expect(hits).to_have_count(2)
        assert sorted(hits.evaluate_all("els => els.map(e => e.dataset.path)")) == [
            "sdk/berth.py",
            "tools/cli.py",
        ]
        expect(page.locator("section[data-facet=language] a.active")).to_have_attribute(
            "data-value", "python"
        )
        # … and the repository filter to one repository's file.
        page.click(f"section[data-facet=repo] a[data-value='{owner}/harbour-sdk']")
        page.wait_for_url("**repo=*")
        expect(hits).to_have_count(1)
        expect(hits.first).to_have_attribute("data-path", "sdk/berth.py")
        expect(page.locator("#result-count")).to_have_text(
            words["files"].replace("files", "file").format(n=1)
        )

        # Pinyin from the same box: both filters stay, and the Chinese comment is the hit.
        page.fill("#search-page-q", "gangkou")
        page.press("#search-page-q", "Enter")
        page.wait_for_url("**q=gangkou*")
        assert "repo=" in page.url and "language=python" in page.url
        expect(hits).to_have_count(1)
        expect(hits.first.locator(".line-no a").first).to_have_text("5")
        expect(hits.first.locator(".code-line mark").first).to_contain_text("港口")

        # The line number opens the file at that line.
        hits.first.locator(".line-no a").first.click()
        page.wait_for_url("**/blob/main/sdk/berth.py#L-5")
        expect(page.locator("[id='L-5']")).to_be_attached()
        expect(page.locator("main")).to_contain_text("港口调度")
    finally:
        context.close()


def _hidden_from(page: Page, base: str, harbour: dict[str, Any], locale: str) -> None:
    owner, secret = harbour["owner"], harbour["secret"]
    _code_tab(page, base, secret)
    expect(page.locator(".code-hit")).to_have_count(0)
    expect(page.locator(".code-hits")).to_contain_text(LABELS[locale]["none"])
    expect(page.locator("#result-count")).to_have_text(LABELS[locale]["files"].format(n=0))
    # A broad query that the private file also matches: its repository is neither a hit nor
    # a facet value; asked for by name, it holds nothing.
    page.goto(f"{base}/search?tab=code&q=gangkou")
    expect(page.locator(".code-hit").first).to_be_visible()
    expect(page.locator(f".code-hit[data-repo='{owner}/harbour-secret']")).to_have_count(0)
    expect(page.locator(f"#facets a[data-value='{owner}/harbour-secret']")).to_have_count(0)
    assert "harbour-secret" not in page.content()
    assert secret not in page.inner_text(".search-results")
    page.goto(f"{base}/search?tab=code&q=gangkou&repo={owner}/harbour-secret")
    expect(page.locator(".code-hit")).to_have_count(0)
    expect(page.locator("#result-count")).to_have_text(LABELS[locale]["files"].format(n=0))


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_private_file_shown_to_its_owner_only(
    browser: Browser,
    live: LiveServer,
    requests_seen: Recorder,
    harbour: dict[str, Any],
    locale: str,
) -> None:
    base, owner, other = live.url, harbour["owner"], harbour["other"]
    anonymous = new_context(browser, requests_seen, locale=locale)
    outsider = new_context(browser, requests_seen, locale=locale)
    insider = new_context(browser, requests_seen, locale=locale)
    try:
        _hidden_from(anonymous.new_page(), base, harbour, locale)

        page = outsider.new_page()
        log_in(page, base, other, password=f"pw-{other}-Secret9")
        _hidden_from(page, base, harbour, locale)

        # The owner, signed in, finds the private file at its line, highlighted.
        page = insider.new_page()
        log_in(page, base, owner, password=f"pw-{owner}-Secret9")
        _code_tab(page, base, harbour["secret"])
        hit = page.locator(f".code-hit[data-repo='{owner}/harbour-secret']")
        expect(hit).to_have_count(1)
        expect(hit).to_have_attribute("data-path", "plan.py")
        expect(hit.locator(".line-no a").first).to_have_text("1")
        expect(hit.locator(".code-line mark").first).to_have_text(harbour["secret"])
        page.goto(f"{base}/search?tab=code&q=gangkou&repo={owner}/harbour-secret")
        expect(page.locator(".code-hit")).to_have_count(1)
        expect(page.locator(".code-hit .code-line mark").first).to_contain_text("港口")
    finally:
        for context in (anonymous, outsider, insider):
            context.close()
