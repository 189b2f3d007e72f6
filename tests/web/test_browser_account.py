"""Access tokens (shown once, usable, revocable) and password change, through the browser."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from playwright.sync_api import Page

from tests.support.live import LiveServer
from tests.web.conftest import log_in, sign_up


def _whoami(base: str, token: str) -> int | str:
    request = urllib.request.Request(
        base + "/api/whoami-v2", headers={"Authorization": f"Bearer {token}"}
    )
    try:
        with urllib.request.urlopen(request) as response:
            return str(json.load(response)["name"])
    except urllib.error.HTTPError as exc:
        return exc.code


def test_token_is_shown_once_works_and_can_be_revoked(page: Page, live: LiveServer) -> None:
    base = live.url
    sign_up(page, base, "tokenuser")
    page.goto(f"{base}/settings/tokens")
    page.fill("#id_name", "laptop")
    page.select_option("#id_scope", "write")
    page.click("form[action='/settings/tokens'] button[type=submit]")
    page.wait_for_url(f"{base}/settings/tokens")
    secret = page.inner_text("#new-token").strip()
    assert secret.startswith("nbo_")
    assert _whoami(base, secret) == "tokenuser"
    page.reload()
    assert page.locator("#new-token").count() == 0  # gone for good
    assert secret not in page.content()
    assert "laptop" in page.inner_text("table")
    page.click("table button:text('撤销')")
    page.wait_for_url(f"{base}/settings/tokens")
    assert "令牌已撤销" in page.inner_text(".messages")
    assert _whoami(base, secret) == 401


def test_password_change_then_log_in_with_the_new_one(page: Page, live: LiveServer) -> None:
    base = live.url
    sign_up(page, base, "pwchanger", password="Old-pass-phrase-1")
    page.goto(f"{base}/settings/password")
    page.fill("#id_old_password", "Old-pass-phrase-1")
    page.fill("#id_new_password1", "New-pass-phrase-2")
    page.fill("#id_new_password2", "New-pass-phrase-2")
    page.click("form[action='/settings/password'] button[type=submit]")
    page.wait_for_url(f"{base}/settings/password")
    assert "密码已修改" in page.inner_text(".messages")
    page.context.clear_cookies()
    page.goto(f"{base}/login")
    page.fill("#id_username", "pwchanger")
    page.fill("#id_password", "Old-pass-phrase-1")
    page.click("form[action='/login'] button[type=submit]")
    assert "用户名或密码错误" in page.inner_text("main")
    log_in(page, base, "pwchanger", password="New-pass-phrase-2")
    assert "pwchanger" in page.inner_text(".usernav")


def test_login_does_not_redirect_off_site(page: Page, live: LiveServer) -> None:
    base = live.url
    sign_up(page, base, "redirectee")
    page.context.clear_cookies()
    page.goto(f"{base}/login?next=https://evil.example.com/")
    page.fill("#id_username", "redirectee")
    page.fill("#id_password", "Str0ng-pass-phrase")
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{base}/")
