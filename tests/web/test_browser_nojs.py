"""Reading works with JavaScript switched off, including the language switch; errors are
explained in the reader's language."""

from __future__ import annotations

import json
import subprocess
import urllib.request
from pathlib import Path

from playwright.sync_api import Browser

from tests.support.live import LiveServer
from tests.web.conftest import Recorder, sign_up


def test_reading_and_switching_language_without_javascript(
    browser: Browser, live: LiveServer, tmp_path: Path, requests_seen: Recorder
) -> None:
    token = live.create_user("nojs")
    request = urllib.request.Request(
        live.url + "/api/repos/create",
        method="POST",
        data=json.dumps({"name": "plain", "type": "code"}).encode(),
        headers={"Authorization": f"Bearer {token}"},
    )
    urllib.request.urlopen(request).close()
    src = tmp_path / "src"
    subprocess.run(["git", "init", "-q", "-b", "main", str(src)], check=True)
    (src / "README.md").write_text("# 无脚本也能读\n\nPlain *HTML* pages.\n", encoding="utf-8")
    (src / "app.py").write_text("print('hi')\n")
    subprocess.run(["git", "add", "."], cwd=src, check=True)
    subprocess.run(["git", "commit", "-qm", "first"], cwd=src, check=True)
    push = live.url.replace("http://", f"http://u:{token}@") + "/nojs/plain.git"
    subprocess.run(["git", "push", "-q", push, "main"], cwd=src, check=True)

    context = browser.new_context(java_script_enabled=False, locale="zh-CN")
    context.on("request", lambda r: requests_seen.urls.append(r.url))
    try:
        page = context.new_page()
        page.goto(f"{live.url}/nojs/plain")
        assert page.inner_text("#readme h1") == "无脚本也能读"
        page.click("#file-list a:text('app.py')")
        assert "print" in page.inner_text("#file-body")
        # Without JS the select does not submit itself: the fallback button is there.
        page.select_option("select[name=language]", "en")
        page.click(".langform button[type=submit]")
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == "en"
        assert page.url == f"{live.url}/nojs/plain/blob/main/app.py"
        # The branch picker is a <details> menu: it opens without script too.
        page.click(".rev-picker summary")
        assert page.locator(".rev-picker .menu-body a:text('main')").is_visible()
    finally:
        context.close()
    assert requests_seen.foreign(live.url) == []


def test_form_errors_are_translated(browser: Browser, live: LiveServer) -> None:
    context = browser.new_context(locale="zh-CN")
    try:
        page = context.new_page()
        sign_up(page, live.url, "explainer")
        page.goto(f"{live.url}/organizations/new")
        page.fill("#id_name", "explainer")  # taken by the user's own name
        page.select_option("#id_kind", "community")
        page.click("form[action='/organizations/new'] button[type=submit]")
        assert "名称“explainer”已被占用" in page.inner_text(".flash-error")
        page.fill("#id_name", "bad name!")
        page.click("form[action='/organizations/new'] button[type=submit]")
        shown = page.inner_text(".flash-error")
        assert "所有者名称“bad name!”无效" in shown and "invalid" not in shown
    finally:
        context.close()
