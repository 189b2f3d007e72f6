"""/settings and the profile it feeds (issue 19 item 4), in Chinese and English, in chromium.

A user edits their profile, uploads an avatar (an SVG is refused), changes their password
(a weak one is refused in the page language), picks a language and a time zone that every
page then follows, pins repositories; the profile shows the contribution calendar, the pins
and the organizations' repositories, and a visitor's counts leave out what they may not read.
"""

from __future__ import annotations

import re
import struct
import zlib

import pytest
from playwright.sync_api import Browser, Page

from tests.support.live import LiveServer
from tests.web.conftest import Recorder, create_repo, new_context, sign_up

HAN = re.compile(r"[\u4e00-\u9fff]")
WORDS = {
    "zh-CN": {
        "saved": "个人资料已保存",
        "svg": "头像须为",
        "big": "头像超过 1024 KiB",
        "weak": "密码",
        "pins": "置顶仓库已保存",
    },
    "en": {
        "saved": "Your profile was saved",
        "svg": "The avatar must be",
        "big": "The avatar is larger than 1024 KiB",
        "weak": "password",
        "pins": "Your pinned repositories were saved",
    },
}


def _png() -> bytes:
    """A real 2 × 2 PNG (the browser must be able to draw it)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\xc7\x00\x0b" * 2 for _ in range(2))
    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def _flash(page: Page) -> str:
    return page.inner_text(".messages")


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_profile_avatar_password_and_sidebar(
    browser: Browser, live: LiveServer, requests_seen: Recorder, locale: str
) -> None:
    words = WORDS[locale]
    name = f"settler-{locale[:2].lower()}"
    context = new_context(browser, requests_seen, locale)
    try:
        page = context.new_page()
        sign_up(page, live.url, name, password="Old-pass-phrase-1")
        page.goto(live.url + "/settings")
        page.wait_for_url(live.url + "/settings/profile")
        links = page.locator("#settings-nav a").evaluate_all("els => els.map(e => e.pathname)")
        for section in ("profile", "account", "preferences", "pins", "tokens"):
            assert f"/settings/{section}" in links
        page.fill("#id_display_name", "王小港")
        page.fill("#id_bio", "宁波港的数据工程师")
        page.fill("#id_location", "宁波")
        page.fill("#id_website", "https://example.org/wang")
        page.click("#profile-form button[type=submit]")
        page.wait_for_url(live.url + "/settings/profile")
        assert words["saved"] in _flash(page)

        # An SVG (script inside) is refused whatever it is called; a PNG is taken.
        page.set_input_files(
            "#id_avatar",
            files=[{"name": "me.png", "mimeType": "image/png", "buffer": b"<svg><script/></svg>"}],
        )
        page.click("#avatar-form button[type=submit]:not([name])")
        assert words["svg"] in page.inner_text(".flash-error")
        big = _png() + b"\x00" * (1536 * 1024)
        page.set_input_files(
            "#id_avatar", files=[{"name": "big.png", "mimeType": "image/png", "buffer": big}]
        )
        page.click("#avatar-form button[type=submit]:not([name])")
        assert words["big"] in page.inner_text(".flash-error")
        page.set_input_files(
            "#id_avatar", files=[{"name": "me.png", "mimeType": "image/png", "buffer": _png()}]
        )
        page.click("#avatar-form button[type=submit]:not([name])")
        page.wait_for_url(live.url + "/settings/profile")

        page.goto(f"{live.url}/{name}")
        assert page.inner_text("#profile-name") == "王小港"
        assert "宁波港的数据工程师" in page.inner_text("#profile-bio")
        assert "https://example.org/wang" in page.inner_text("#profile-facts")
        img = page.locator(".profile-side img.avatar-img")
        assert img.evaluate("e => e.complete && e.naturalWidth") == 2
        served = page.request.get(img.evaluate("e => e.src"))
        assert served.headers["content-type"] == "image/png"
        assert served.headers["x-content-type-options"] == "nosniff"
        assert "sandbox" in served.headers["content-security-policy"]

        # A weak new password: Django's validators answer in the page's language.
        page.goto(live.url + "/settings/account")
        page.fill("#id_old_password", "Old-pass-phrase-1")
        page.fill("#id_new_password1", "12345678")
        page.fill("#id_new_password2", "12345678")
        page.click("#password-form button[type=submit]")
        errors = " ".join(page.locator("#password-form .error").all_inner_texts())
        assert errors and words["weak"] in errors
        if locale == "zh-CN":
            assert "password" not in errors.lower() and HAN.search(errors)
        page.fill("#id_old_password", "Old-pass-phrase-1")
        page.fill("#id_new_password1", "New-pass-phrase-2")
        page.fill("#id_new_password2", "New-pass-phrase-2")
        page.click("#password-form button[type=submit]")
        page.wait_for_url(live.url + "/settings/password")
        assert page.locator(".flash-success").count() == 1
    finally:
        context.close()
    assert requests_seen.foreign(live.url) == []


def _commit_clock(page: Page, url: str) -> tuple[int, int]:
    page.goto(url)
    text = page.inner_text(".repo-main, main")
    match = re.search(r"(\d{1,2}):(\d{2})", text)
    assert match, text[:500]
    return int(match.group(1)), int(match.group(2))


def test_language_and_time_zone_preferences_follow_the_user(
    browser: Browser, live: LiveServer, requests_seen: Recorder
) -> None:
    name = "zone-keeper"
    context = new_context(browser, requests_seen, "zh-CN")
    try:
        page = context.new_page()
        sign_up(page, live.url, name)
        create_repo(page, live.url, owner=name, name="clock", readme=True)
        page.goto(f"{live.url}/{name}/clock/commits/main")
        commit_url = page.locator(".commit-row a.commit-title").first.evaluate("e => e.href")

        page.goto(live.url + "/settings/preferences")
        page.select_option("#id_time_zone", "UTC")
        page.click("#preferences-form button[type=submit]")
        page.wait_for_url(live.url + "/settings/preferences")
        utc = _commit_clock(page, commit_url)
        page.goto(live.url + "/settings/preferences")
        page.select_option("#id_time_zone", "Asia/Tokyo")
        page.click("#preferences-form button[type=submit]")
        page.wait_for_url(live.url + "/settings/preferences")
        tokyo = _commit_clock(page, commit_url)
        assert ((tokyo[0] - utc[0]) % 24, tokyo[1]) == (9, utc[1])

        # English, chosen once, follows the account into a fresh browser (no cookie).
        page.goto(live.url + "/settings/preferences")
        page.select_option("#id_language", "en")
        page.click("#preferences-form button[type=submit]")
        page.wait_for_url(live.url + "/settings/preferences")
        assert "Your preferences were saved" in _flash(page)
        assert page.locator("html").get_attribute("lang") == "en"
    finally:
        context.close()
    other = new_context(browser, requests_seen, "zh-CN")
    try:
        page = other.new_page()
        page.goto(live.url + "/login")
        page.fill("#id_username", name)
        page.fill("#id_password", "Str0ng-pass-phrase")
        page.click("form[action='/login'] button[type=submit]")
        page.wait_for_url(live.url + "/")
        assert page.locator("html").get_attribute("lang") == "en"
        assert "Models" in page.inner_text(".mainnav")
        # The header's language menu changes the saved preference too.
        with page.expect_navigation():
            page.select_option("select[name=language]", "zh-hans")
        page.goto(live.url + "/settings/preferences")
        assert page.eval_on_selector("#id_language", "e => e.value") == "zh-hans"
        assert page.locator("html").get_attribute("lang") == "zh-CN"
    finally:
        other.close()


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_calendar_pins_and_private_counts_on_the_profile(
    browser: Browser, live: LiveServer, requests_seen: Recorder, locale: str
) -> None:
    suffix = locale[:2].lower()
    boss, worker = f"cal-boss-{suffix}", f"cal-worker-{suffix}"
    org = f"cal-org-{suffix}"
    context = new_context(browser, requests_seen, locale)
    try:
        page = context.new_page()
        sign_up(page, live.url, worker)
        create_repo(page, live.url, owner=worker, name="own-work", readme=True)
        context.clear_cookies()
        sign_up(page, live.url, boss)
        page.goto(f"{live.url}/organizations/new")
        page.fill("#id_name", org)
        page.select_option("#id_kind", "enterprise")
        page.click("form[action='/organizations/new'] button[type=submit]")
        page.wait_for_url(f"{live.url}/{org}")
        create_repo(page, live.url, owner=org, name="open-line", readme=True)
        create_repo(page, live.url, owner=org, name="secret-line", private=True, readme=True)
        page.goto(f"{live.url}/{org}")
        page.fill("#member-username", worker)
        page.click("#add-member button[type=submit]")
        page.wait_for_url(f"{live.url}/{org}")
        # A team may be named in Chinese: the slug in its link is made up from nothing ASCII.
        page.fill("#team-name-input", "数据标注组")
        page.click("#new-team button[type=submit]")
        page.wait_for_url(f"{live.url}/{org}/teams/team")
        assert "数据标注组" in page.inner_text("#team-name")
        context.clear_cookies()

        # The worker pins their own repository and both organization repositories.
        page.goto(live.url + "/login")
        page.fill("#id_username", worker)
        page.fill("#id_password", "Str0ng-pass-phrase")
        page.click("form[action='/login'] button[type=submit]")
        page.wait_for_url(live.url + "/")
        page.goto(live.url + "/settings/pins")
        for label in (f"{worker}/own-work", f"{org}/open-line", f"{org}/secret-line"):
            page.get_by_label(label, exact=True).check()
        page.click("#pins-form button[type=submit]")
        page.wait_for_url(live.url + "/settings/pins")
        assert WORDS[locale]["pins"] in _flash(page)

        page.goto(f"{live.url}/{worker}")
        assert page.inner_text("#org-repo-count") == "2"
        pinned = page.inner_text("#pinned-list")
        assert "secret-line" in pinned and "open-line" in pinned and "own-work" in pinned
        squares = page.locator("#contrib-calendar rect.day")
        assert squares.count() >= 52 * 7
        # Today is the last square: the repository created above counts there.
        assert int(squares.last.get_attribute("data-count") or 0) >= 1
        title = squares.last.locator("title").text_content() or ""
        if locale == "zh-CN":
            assert HAN.search(title) and "contribution" not in title

        # A visitor never sees the private repository, in lists or counts.
        context.clear_cookies()
        page.goto(f"{live.url}/{worker}")
        assert page.inner_text("#org-repo-count") == "1"
        assert "secret-line" not in page.inner_text("main")
        assert "open-line" in page.inner_text("#pinned-list")
        visitor_total = sum(
            int(c or 0)
            for c in page.locator("#contrib-calendar rect.day").evaluate_all(
                "els => els.map(e => e.dataset.count)"
            )
        )
        assert str(visitor_total) in page.inner_text("#contributions")
    finally:
        context.close()
    assert requests_seen.foreign(live.url) == []
