"""A repository admin adds and removes a collaborator on the settings page."""

from __future__ import annotations

from playwright.sync_api import Browser, Page

from tests.support.live import LiveServer
from tests.web.conftest import Recorder, create_repo, new_context, sign_up


def test_collaborator_added_and_removed_in_settings(
    page: Page, browser: Browser, live: LiveServer, requests_seen: Recorder
) -> None:
    base = live.url
    sign_up(page, base, "lab-owner")
    create_repo(page, base, owner="lab-owner", name="joint-study", private=True, readme=True)
    guest_ctx = new_context(browser, requests_seen)
    try:
        guest = guest_ctx.new_page()
        sign_up(guest, base, "lab-guest")
        assert guest.goto(f"{base}/lab-owner/joint-study").status == 404  # type: ignore[union-attr]

        page.goto(f"{base}/lab-owner/joint-study/settings")
        assert "还没有协作者" in page.inner_text("#collaborator-list")
        page.fill("#collaborator-username", "lab-guest")
        page.select_option("#collaborator-role", "write")
        page.click("#add-collaborator button[type=submit]")
        page.wait_for_url(f"{base}/lab-owner/joint-study/settings")
        assert "lab-guest" in page.inner_text("#collaborator-list")

        assert guest.goto(f"{base}/lab-owner/joint-study").status == 200  # type: ignore[union-attr]
        assert guest.goto(f"{base}/lab-owner/joint-study/upload").status == 200  # type: ignore[union-attr]
        assert guest.goto(f"{base}/lab-owner/joint-study/settings").status == 403  # type: ignore[union-attr]

        page.click("#collaborator-list li:has-text('lab-guest') button[type=submit]")
        page.wait_for_url(f"{base}/lab-owner/joint-study/settings")
        assert "lab-guest" not in page.inner_text("#collaborator-list")
        assert guest.goto(f"{base}/lab-owner/joint-study").status == 404  # type: ignore[union-attr]
    finally:
        guest_ctx.close()
