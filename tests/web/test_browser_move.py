"""A repository admin renames a repository on its settings page; the old address follows."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.support.live import LiveServer
from tests.web.conftest import create_repo, sign_up


def test_rename_on_the_settings_page_and_the_old_address_redirects(
    page: Page, live: LiveServer
) -> None:
    base = live.url
    sign_up(page, base, "mover")
    create_repo(page, base, owner="mover", name="first-name", private=False, readme=True)
    page.goto(f"{base}/mover/first-name/settings")
    assert "重命名或转移" in page.inner_text("#move-repository")
    page.fill("#move-name", "second-name")
    page.click("#move-repository button[type=submit]")
    page.wait_for_url(f"{base}/mover/second-name/settings")
    assert "mover/second-name" in page.inner_text("body")

    response = page.goto(f"{base}/mover/first-name")
    assert response is not None and response.status == 200
    assert page.url == f"{base}/mover/second-name"
