"""An organization admin builds a team on the organization page; leaving the org ends it."""

from __future__ import annotations

from playwright.sync_api import Browser, Page

from tests.support.live import LiveServer
from tests.web.conftest import Recorder, create_repo, new_context, sign_up


def test_team_on_the_organization_page(
    page: Page, browser: Browser, live: LiveServer, requests_seen: Recorder
) -> None:
    base = live.url
    sign_up(page, base, "tw-boss")
    page.goto(f"{base}/organizations/new")
    page.fill("#id_name", "tw-works")
    page.select_option("#id_kind", "enterprise")
    page.click("form[action='/organizations/new'] button[type=submit]")
    page.wait_for_url(f"{base}/tw-works")
    create_repo(page, base, owner="tw-works", name="line-3", private=True, readme=True)

    dev_ctx = new_context(browser, requests_seen)
    try:
        dev = dev_ctx.new_page()
        sign_up(dev, base, "tw-dev")
        page.goto(f"{base}/tw-works")
        page.fill("#member-username", "tw-dev")
        page.select_option("#member-role", "read")
        page.click("#add-member button[type=submit]")
        page.wait_for_url(f"{base}/tw-works")
        # an org reader may read the repository but not upload: the 403 page
        assert dev.goto(f"{base}/tw-works/line-3/upload").status == 403  # type: ignore[union-attr]

        page.fill("#team-name-input", "assembly")
        page.fill("#team-description-input", "总装车间")
        page.click("#new-team button[type=submit]")
        page.wait_for_url(f"{base}/tw-works/teams/assembly")
        page.fill("#team-member-username", "tw-dev")
        page.click("#add-team-member button[type=submit]")
        page.wait_for_url(f"{base}/tw-works/teams/assembly")
        page.select_option("#grant-repo-name", "line-3")
        page.select_option("#grant-role", "write")
        page.click("#grant-repo button[type=submit]")
        page.wait_for_url(f"{base}/tw-works/teams/assembly")
        assert "line-3" in page.inner_text("#team-repos")
        assert "tw-dev" in page.inner_text("#team-members")

        dev.goto(f"{base}/tw-works")
        assert "assembly" in dev.inner_text("#teams")
        assert dev.goto(f"{base}/tw-works/line-3/upload").status == 200  # type: ignore[union-attr]
        assert dev.goto(f"{base}/tw-works/teams/assembly").status == 200  # type: ignore[union-attr]
        assert dev.locator("#add-team-member").count() == 0  # members see, admins manage

        page.goto(f"{base}/tw-works")
        page.click("#members li:has-text('tw-dev') button[type=submit]")
        page.wait_for_url(f"{base}/tw-works")
        assert dev.goto(f"{base}/tw-works/line-3").status == 404  # type: ignore[union-attr]
        assert dev.goto(f"{base}/tw-works/teams/assembly").status == 404  # type: ignore[union-attr]
        page.goto(f"{base}/tw-works/teams/assembly")
        assert "tw-dev" not in page.inner_text("#team-members")
    finally:
        dev_ctx.close()
