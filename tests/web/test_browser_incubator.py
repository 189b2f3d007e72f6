"""The incubator and the standards registry in a Chinese browser: a project applies through
the form, an operator accepts it with a mentor, and its page shows the maturity model with the
measured items filled from the repositories; a published standard's page renders its document
at the tag and lists the implementation a writer declares through the form."""

from __future__ import annotations

import json
import subprocess
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Browser, Page

from tests.support.live import LiveServer
from tests.web.conftest import Recorder, create_repo, log_in, new_context, upload

STANDARD = "# 港口智能调度 数据接口规范\n\n## 作业计划\n\n泊位、岸桥与堆场之间交换的作业计划。\n"


def _post(live: LiveServer, token: str, path: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(
        live.url + path,
        method="POST",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


def _push_tag(live: LiveServer, user: str, token: str, full: str, tag: str, tmp: Path) -> None:
    """Tag the default branch's head with real git over HTTP, as a maintainer would."""
    parts = urlsplit(live.url)
    remote = f"{parts.scheme}://{user}:{token}@{parts.netloc}/{full}"
    work = tmp / full.replace("/", "-")
    run = {"check": True, "capture_output": True}
    subprocess.run(["git", "clone", "-q", remote, str(work)], **run)  # type: ignore[call-overload]
    subprocess.run(["git", "-C", str(work), "tag", tag], **run)  # type: ignore[call-overload]
    subprocess.run(["git", "-C", str(work), "push", "-q", "origin", tag], **run)  # type: ignore[call-overload]


def test_incubator_project_and_standard_pages_in_chinese(
    page: Page, browser: Browser, live: LiveServer, requests_seen: Recorder, tmp_path: Path
) -> None:
    base = live.url
    token = live.create_user("ib-chair")
    live.create_user("ib-op", admin=True)
    live.create_user("ib-mentor")
    live.cli("org", "create", "ib-nbos", "--kind", "community", "--owner", "ib-chair")
    log_in(page, base, "ib-chair", "pw-ib-chair-Secret9")

    # The standard: a code repository of the committee, its text, a tag, published.
    create_repo(page, base, owner="ib-nbos", name="port-std", type_="code", readme=True)
    upload(
        page,
        base,
        "ib-nbos/port-std",
        [{"name": "README.md", "mimeType": "text/markdown", "buffer": STANDARD.encode()}],
        "标准文本",
    )
    _push_tag(live, "ib-chair", token, "ib-nbos/port-std", "v1.0", tmp_path)
    _post(
        live,
        token,
        "/api/v1/standards",
        {
            "repository": "ib-nbos/port-std",
            "number": "T/NBOS 101-2026",
            "title": "港口智能调度",
            "committee": "ib-nbos",
            "industries": ["港航物流"],
        },
    )
    for to in ("public_comment", "approved"):
        _post(live, token, "/api/v1/standards/t-nbos-101-2026/transition", {"to": to})
    _post(
        live,
        token,
        "/api/v1/standards/t-nbos-101-2026/transition",
        {"to": "published", "version": "v1.0"},
    )

    # A writer declares an implementation through the standard page's form.
    create_repo(page, base, owner="ib-chair", name="berth-impl", type_="code", readme=True)
    page.goto(f"{base}/standards")
    assert "开放标准" in page.inner_text("h1")
    page.click("a[href='/standards/t-nbos-101-2026']")
    page.wait_for_url(f"{base}/standards/t-nbos-101-2026")
    assert page.inner_text("#standard-number") == "T/NBOS 101-2026"
    assert page.inner_text("#standard-status") == "已发布"
    assert "泊位、岸桥与堆场之间交换的作业计划" in page.inner_text("#document")
    assert "还没有声明的实现" in page.inner_text("#implementations")
    page.select_option("#impl-repo", "ib-chair/berth-impl")
    page.click("#implement button[type=submit]")
    page.wait_for_url(f"{base}/standards/t-nbos-101-2026")
    assert "ib-chair/berth-impl" in page.inner_text("#implementations")

    # The project applies through the form (in Chinese).
    page.goto(f"{base}/incubator")
    assert page.inner_text("h1") == "孵化器"
    page.fill("#name", "港口调度开放套件")
    page.fill("#slug", "port-suite")
    page.fill("#repositories", "ib-nbos/port-std\nib-chair/berth-impl")
    page.fill("#description", "港口调度的**开放**套件")
    page.click("#apply button[type=submit]")
    page.wait_for_url(f"{base}/incubator/port-suite")
    assert page.inner_text("#project-state") == "已申请"

    # An operator accepts it with a mentor.
    op_context = new_context(browser, requests_seen)
    try:
        op = op_context.new_page()
        log_in(op, base, "ib-op", "pw-ib-op-Secret9")
        op.goto(f"{base}/incubator/port-suite")
        op.fill("#mentors-field", "ib-mentor")
        op.click("#accept button[value=accept]")
        op.wait_for_url(f"{base}/incubator/port-suite")
        assert op.inner_text("#project-state") == "孵化中"
    finally:
        op_context.close()

    # Anyone reads the maturity page: the measured items are filled from the repositories.
    anonymous_context = new_context(browser, requests_seen)
    try:
        anon = anonymous_context.new_page()
        anon.goto(f"{base}/incubator")
        anon.click("a[href='/incubator/port-suite']")
        anon.wait_for_url(f"{base}/incubator/port-suite")
        assert "ib-mentor" in anon.content()
        assert "成熟度" in anon.content()
        assert anon.inner_text("#item-CD20 .badge") == "已满足"
        assert "2 个公开仓库" in anon.inner_text("#item-CD20")
        assert "1 个标签" in anon.inner_text("#item-RE10")
        assert anon.inner_text("#item-RE10 .badge") == "已满足"
        assert "git 历史中有" in anon.inner_text("#item-CD40")
        assert anon.inner_text("#item-CS30 .badge") == "未知"
        assert "平台不度量此项" in anon.inner_text("#item-CS30")
        assert "共识建立" in anon.inner_text("#maturity")
        assert anon.query_selector("#accept") is None and anon.query_selector("#override") is None
    finally:
        anonymous_context.close()
