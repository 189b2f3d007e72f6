"""Membership added and removed on the organization page decides who sees a private repo."""

from __future__ import annotations

from playwright.sync_api import Browser, Page

from tests.support.live import LiveServer
from tests.web.conftest import Recorder, create_repo, new_context, sign_up


def test_membership_grants_and_revokes_access(
    page: Page, browser: Browser, live: LiveServer, requests_seen: Recorder
) -> None:
    base = live.url
    sign_up(page, base, "boss")
    page.goto(f"{base}/organizations/new")
    page.fill("#id_name", "boss-gov")
    page.select_option("#id_kind", "government")
    page.click("form[action='/organizations/new'] button[type=submit]")
    page.wait_for_url(f"{base}/boss-gov")
    assert page.inner_text("#org-kind") == "政府机构"
    create_repo(page, base, owner="boss-gov", name="plans", private=True, readme=True)

    other_ctx = new_context(browser, requests_seen)
    try:
        clerk = other_ctx.new_page()
        sign_up(clerk, base, "clerk")
        assert clerk.goto(f"{base}/boss-gov/plans").status == 404  # type: ignore[union-attr]
        clerk.goto(f"{base}/boss-gov")
        assert clerk.locator("#add-member").count() == 0  # not an admin: no member form

        page.goto(f"{base}/boss-gov")
        page.fill("#member-username", "clerk")
        page.select_option("#member-role", "read")
        page.click("#add-member button[type=submit]")
        page.wait_for_url(f"{base}/boss-gov")
        assert "clerk" in page.inner_text("#members")

        assert clerk.goto(f"{base}/boss-gov/plans").status == 200  # type: ignore[union-attr]
        # No repository settings tab (the account menu's own settings link is not it).
        assert clerk.locator("a[href$='/boss-gov/plans/settings']").count() == 0
        for suffix in ("/settings", "/upload"):  # read members may not administer or write
            assert clerk.goto(f"{base}/boss-gov/plans{suffix}").status == 403  # type: ignore[union-attr]
        clerk.goto(f"{base}/boss-gov")
        assert "plans" in clerk.inner_text(".repo-list")

        page.goto(f"{base}/boss-gov")
        page.click("#members li:has-text('clerk') button[type=submit]")
        page.wait_for_url(f"{base}/boss-gov")
        assert "clerk" not in page.inner_text("#members")
        assert clerk.goto(f"{base}/boss-gov/plans").status == 404  # type: ignore[union-attr]
    finally:
        other_ctx.close()
