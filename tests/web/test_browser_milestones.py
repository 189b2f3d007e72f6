"""Milestones, reactions and issue templates in a Chinese browser: a maintainer creates a
milestone, a reporter files an issue from the repository's template (its title, body and
label filled in), the maintainer assigns it to the milestone and closes it, and the progress
bar moves; reactions toggle without a reload with JavaScript and as plain form posts
without it."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.e2e.test_forks import git
from tests.support.client import api_create_repo, request
from tests.support.live import LiveServer
from tests.web.conftest import Recorder, log_in, new_context

TEMPLATE = """---
name: 缺陷报告
about: 报告一个运行错误
title: "[缺陷] "
labels: [缺陷]
---
## 复现步骤

1. 打开文件
"""


def _setup(live: LiveServer, tmp_path: Path) -> tuple[str, str]:
    token = live.create_user("msowner")
    live.create_user("msreporter")
    api_create_repo(live, token, "roadmap", type="code")
    work = tmp_path / "work"
    folder = work / ".nbopen" / "ISSUE_TEMPLATE"
    folder.mkdir(parents=True)
    (folder / "bug.md").write_text(TEMPLATE, encoding="utf-8")
    (work / "README.md").write_text("# 路线图\n", encoding="utf-8")
    git("init", "-q", "-b", "main", str(work))
    git("add", "-A", cwd=work)
    git(
        "-c",
        "user.name=维护者",
        "-c",
        "user.email=m@example.org",
        "commit",
        "-qm",
        "模板",
        cwd=work,
    )
    url = live.url.replace("http://", f"http://u:{token}@") + "/msowner/roadmap.git"
    git("push", "-q", url, "main", cwd=work)
    made = request(
        f"{live.url}/api/v1/repos/msowner/roadmap/labels",
        "POST",
        json_body={"name": "缺陷", "color": "#ee0701"},
        headers={"Authorization": f"token {token}"},
    )
    assert made.status == 201, made.body
    return f"{live.url}/msowner/roadmap", token


def _progress(page: Page, base: str) -> str:
    page.goto(f"{base}/milestones?state=open")
    return page.inner_text("#milestone-list .milestone-row")


def test_milestone_template_reactions_in_chinese(
    browser: Browser, live: LiveServer, tmp_path: Path
) -> None:
    base, token = _setup(live, tmp_path)
    seen = Recorder()
    owner_ctx, reporter_ctx = new_context(browser, seen), new_context(browser, seen)
    try:
        owner, reporter = owner_ctx.new_page(), reporter_ctx.new_page()
        log_in(owner, live.url, "msowner", "pw-msowner-Secret9")
        log_in(reporter, live.url, "msreporter", "pw-msreporter-Secret9")

        # the maintainer creates a milestone
        owner.goto(f"{base}/issues")
        owner.click("#milestones-link")
        owner.wait_for_url(f"{base}/milestones")
        expect(owner.locator("#no-milestones")).to_have_text("还没有里程碑。")
        owner.click("#new-milestone")
        owner.fill("#milestone-title", "第一版")
        owner.fill("#milestone-due", "2027-06-30")
        owner.fill("#milestone-description", "**首个**公开版本")
        owner.click("#milestone-save")
        owner.wait_for_url(f"{base}/milestones")
        expect(owner.locator(".flash").first).to_contain_text("里程碑已创建。")
        row = owner.inner_text("#milestone-list .milestone-row")
        assert "第一版" in row and "截止于 2027-06-30" in row and "已完成 0%" in row

        # a reader may not: the new-milestone page is refused
        refused = reporter.goto(f"{base}/milestones/new")
        assert refused is not None and refused.status == 403
        expect(reporter.locator("#new-milestone")).to_have_count(0)

        # the reporter files an issue from the template
        reporter.goto(f"{base}/issues/new")
        expect(reporter.locator("h2")).to_have_text("选择模板")
        expect(reporter.locator("#template-chooser")).to_contain_text("报告一个运行错误")
        reporter.click("#template-chooser .template-pick")
        expect(reporter.locator("#thread-title")).to_have_value("[缺陷] ")
        expect(reporter.locator("#thread-body")).to_have_value("## 复现步骤\n\n1. 打开文件\n")
        expect(reporter.locator("#template-used")).to_contain_text("模板：缺陷报告")
        reporter.fill("#thread-title", "[缺陷] 保存时崩溃")
        reporter.click("#thread-form button[type=submit]")
        reporter.wait_for_url(f"{base}/issues/1")
        expect(reporter.locator(".thread-label")).to_have_text(["缺陷"])
        expect(reporter.locator("#edit-meta")).to_have_count(0)  # labels need write

        # the maintainer assigns it to the milestone
        owner.goto(f"{base}/issues/1")
        owner.click("#edit-meta")
        owner.select_option("#milestone-select", label="第一版")
        owner.click("#meta-save")
        owner.wait_for_url(f"{base}/issues/1")
        expect(owner.locator("#thread-milestone")).to_contain_text("里程碑: 第一版")
        expect(owner.locator("#thread-timeline")).to_contain_text("将此项加入里程碑 第一版")
        row = _progress(owner, base)
        assert "已完成 0%" in row and "1 个开放" in row

        # the list filters by milestone
        owner.goto(f"{base}/issues")
        owner.select_option("#filter-milestone", label="第一版")
        owner.click("#filter-submit")
        expect(owner.locator("#thread-list .commit-title")).to_have_text(["[缺陷] 保存时崩溃"])
        owner.select_option("#filter-milestone", label="无里程碑")
        owner.click("#filter-submit")
        expect(owner.locator("#no-threads")).to_be_visible()

        # closing the issue moves the progress bar
        owner.goto(f"{base}/issues/1")
        owner.click("#close-thread")
        owner.wait_for_url(f"{base}/issues/1")
        owner.goto(f"{base}/milestones")
        row = owner.inner_text("#milestone-list .milestone-row")
        assert "已完成 100%" in row and "1 个已关闭" in row
        assert owner.get_attribute("#milestone-list progress", "value") == "1"

        # a reaction with JavaScript: the count changes, the page does not reload
        reporter.goto(f"{base}/issues/1")
        reporter.evaluate("window.__stay = 'here'")
        reporter.click("#thread-reactions .reaction-menu summary")
        reporter.click("#thread-reactions .reaction-choice[data-content='hooray']")
        mine = reporter.locator("#thread-reactions .reaction-counts .reaction-mine")
        expect(mine).to_have_text("🎉 1")
        assert reporter.evaluate("window.__stay") == "here"
        owner.goto(f"{base}/issues/1")
        owner.click("#thread-reactions .reaction-counts .reaction[data-content='hooray']")
        expect(owner.locator("#thread-reactions .reaction[data-content='hooray']")).to_have_text(
            "🎉 2"
        )
        reporter.click("#thread-reactions .reaction-counts .reaction-mine")
        expect(reporter.locator("#thread-reactions .reaction-counts")).to_have_text("🎉 1")
        expect(reporter.locator("#thread-reactions .reaction-mine")).to_have_count(0)
        assert reporter.evaluate("window.__stay") == "here"
    finally:
        owner_ctx.close()
        reporter_ctx.close()
    assert seen.foreign(live.url) == []

    # without JavaScript the same buttons are form posts that come back to the thread
    plain = browser.new_context(locale="zh-CN", java_script_enabled=False)
    try:
        page = plain.new_page()
        log_in(page, live.url, "msreporter", "pw-msreporter-Secret9")
        page.goto(f"{base}/issues/1")
        page.click("#thread-reactions .reaction-menu summary")
        page.click("#thread-reactions .reaction-choice[data-content='heart']")
        page.wait_for_url(f"{base}/issues/1#thread-reactions")
        expect(page.locator("#thread-reactions .reaction-mine")).to_have_text("❤️ 1")
    finally:
        plain.close()

    # a private repository's milestones are a 404 for a stranger, like a missing one
    api_create_repo(live, token, "hidden-plan", private=True, type="code")
    assert request(f"{live.url}/msowner/hidden-plan/milestones").status == 404
