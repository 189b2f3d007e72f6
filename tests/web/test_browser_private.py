"""A private repository is invisible to everyone who may not read it, on every page."""

from __future__ import annotations

import urllib.error
import urllib.request

from playwright.sync_api import Browser, Page

from tests.support.live import LiveServer
from tests.web.conftest import Recorder, create_repo, new_context, sign_up

HIDDEN = ["secret-corp/hidden-model", "insider/diary"]


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_private_repository_is_invisible_to_a_second_user(
    page: Page, browser: Browser, live: LiveServer, requests_seen: Recorder
) -> None:
    base = live.url
    sign_up(page, base, "insider")
    page.goto(f"{base}/organizations/new")
    page.fill("#id_name", "secret-corp")
    page.select_option("#id_kind", "enterprise")
    page.click("form[action='/organizations/new'] button[type=submit]")
    page.wait_for_url(f"{base}/secret-corp")
    create_repo(page, base, owner="secret-corp", name="hidden-model", private=True, readme=True)
    assert page.inner_text("#repo-visibility") == "私有"
    create_repo(page, base, owner="secret-corp", name="open-model", readme=True)
    create_repo(page, base, owner="insider", name="diary", type_="code", private=True, readme=True)

    # Positive control: the owner sees all of it everywhere the outsider will look.
    for url in (f"{base}/secret-corp", f"{base}/", f"{base}/search?q=model"):
        page.goto(url)
        assert "hidden-model" in page.inner_text("main"), url
    page.goto(f"{base}/insider")
    assert "diary" in page.inner_text("main")
    for repo in HIDDEN:
        for suffix in ("", "/tree/main", "/blob/main/README.md", "/raw/main/README.md"):
            assert page.goto(f"{base}/{repo}{suffix}").status == 200  # type: ignore[union-attr]

    outsider_ctx = new_context(browser, requests_seen)
    try:
        other = outsider_ctx.new_page()
        sign_up(other, base, "outsider")
        for url in (
            f"{base}/",
            f"{base}/secret-corp",
            f"{base}/insider",
            f"{base}/search?q=model",
            f"{base}/search?q=diary",
            f"{base}/search?type=code",
        ):
            other.goto(url)
            links = other.locator("a[href*='hidden-model'], a[href*='/insider/diary']")
            assert links.count() == 0, url
            # Search pages echo the query itself; everywhere else the names must not appear.
            text = other.inner_text(".repo-list" if "search" in url else "main")
            assert "hidden-model" not in text and "diary" not in text, url
        other.goto(f"{base}/secret-corp")
        assert "open-model" in other.inner_text("main")  # the public sibling is listed
        for repo in HIDDEN:
            for suffix in (
                "",
                "/tree/main",
                "/blob/main/README.md",
                "/raw/main/README.md",
                "/commits/main",
                "/branches",
                "/settings",
                "/upload",
            ):
                response = other.goto(f"{base}/{repo}{suffix}")
                assert response is not None and response.status == 404, repo + suffix
                assert "hidden" not in other.inner_text("main").replace("hidden-model", "")
        # Anonymous visitors get the same 404s.
        for repo in HIDDEN:
            for suffix in ("", "/raw/main/README.md", "/commits/main"):
                assert _status(f"{base}/{repo}{suffix}") == 404
        # Making it public reveals it (so the 404s above were about visibility, not a typo).
        page.goto(f"{base}/secret-corp/hidden-model/settings")
        page.uncheck("#id_private")
        page.click("form[action='/secret-corp/hidden-model/settings'] button[type=submit]")
        page.wait_for_load_state()
        assert other.goto(f"{base}/secret-corp/hidden-model").status == 200  # type: ignore[union-attr]
    finally:
        outsider_ctx.close()
