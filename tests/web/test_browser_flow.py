"""The newcomer's path through the web UI, in a real browser (Debian chromium)."""

from __future__ import annotations

import urllib.request

from playwright.sync_api import Page

from tests.support.live import LiveServer
from tests.web.conftest import create_repo, sign_up, upload

README = """---
license: apache-2.0
tags:
  - 中文
  - vision
---
# 宁波港口集装箱识别模型

This model finds **containers** in port camera images.

| 指标 | 值 |
|---|---|
| mAP | 0.91 |
"""

CODE = "def greet(name: str) -> str:\n    return f'你好, {name}'\n"


def test_signup_org_repo_upload_browse_language_logout(page: Page, live: LiveServer) -> None:
    base = live.url
    sign_up(page, base, "newcomer")
    assert page.locator(".usernav").inner_text().find("newcomer") >= 0
    assert page.locator("html").get_attribute("lang") == "zh-CN"

    # Create an organization: its page shows the kind badge in Chinese.
    page.goto(f"{base}/organizations/new")
    page.fill("#id_name", "nbu-lab")
    page.fill("#id_display_name", "宁波大学智能实验室")
    page.select_option("#id_kind", "university")
    page.click("form[action='/organizations/new'] button[type=submit]")
    page.wait_for_url(f"{base}/nbu-lab")
    assert page.inner_text("#org-kind") == "高校"
    assert "宁波大学智能实验室" in page.inner_text("h1")

    # Create a model repository under the organization: like one a Hub client creates, it
    # starts with the Hub's initial commit (.gitattributes routing weights through LFS).
    create_repo(page, base, owner="nbu-lab", name="port-detector", type_="model")
    assert page.inner_text("#repo-type") == "模型"
    assert ".gitattributes" in page.inner_text("#file-list")

    # Upload two files through the browser into a new commit.
    upload(
        page,
        base,
        "nbu-lab/port-detector",
        [
            {"name": "README.md", "mimeType": "text/markdown", "buffer": README.encode()},
            {"name": "greet.py", "mimeType": "text/x-python", "buffer": CODE.encode()},
        ],
        "添加模型说明和代码",
    )
    page.wait_for_url(f"{base}/nbu-lab/port-detector/tree/main")
    files = page.inner_text("#file-list")
    assert "README.md" in files and "greet.py" in files
    # The README is rendered, its front matter shown as a metadata card.
    assert page.inner_text("#readme h1") == "宁波港口集装箱识别模型"
    assert page.locator("#readme strong").inner_text() == "containers"
    assert page.locator("#readme table td").first.inner_text() == "mAP"
    assert "apache-2.0" in page.inner_text("#readme-metadata")
    assert "apache-2.0" in page.inner_text("#repo-license")

    # Browse the uploaded file: highlighted, with a raw link served as plain text.
    page.click("#file-list a:text('greet.py')")
    page.wait_for_url(f"{base}/nbu-lab/port-detector/blob/main/greet.py")
    assert page.locator("#file-body .hl .k").first.inner_text() in {"def", "return"}
    assert "你好" in page.inner_text("#file-body")
    raw_href = page.get_attribute("#raw-link", "href")
    with urllib.request.urlopen(base + str(raw_href)) as response:
        assert response.read().decode() == CODE
        assert response.headers["Content-Type"].startswith("text/plain")
    # The commit shows up in the history with its message, and its diff shows the file.
    page.goto(f"{base}/nbu-lab/port-detector/commits/main")
    assert "添加模型说明和代码" in page.inner_text("#commit-list")
    page.click("#commit-list .commit-title")
    assert "greet.py" in page.inner_text("main")
    assert "return f'你好, {name}'" in page.inner_text("main")

    # Switch the interface to English (the select submits itself).
    page.goto(f"{base}/nbu-lab/port-detector")
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    assert page.url == f"{base}/nbu-lab/port-detector"
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.inner_text("#repo-type") == "Model"
    assert "Commits" in page.inner_text(".repo-tabs")

    # Log out from the user menu.
    page.click(".usernav summary")
    page.click("#logout-button")
    page.wait_for_url(f"{base}/")
    assert "Log in" in page.inner_text(".usernav")
    page.goto(f"{base}/new")
    assert page.url.startswith(f"{base}/login")
