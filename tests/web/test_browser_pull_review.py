"""The co-development acceptance path in a Chinese browser: fork → branch → pull request from
the fork → line comment → request changes → a fix pushed to the fork (the pull request follows
it, the comment becomes outdated) → approve → squash merge → ``修复 #1`` closes the issue →
the author (who reported the issue and opened the pull request) is notified of both."""

from __future__ import annotations

import time
from pathlib import Path

from playwright.sync_api import Browser, Page

from tests.e2e.test_forks import git
from tests.support.client import api_create_repo
from tests.support.live import LiveServer
from tests.web.conftest import Recorder, log_in, new_context


def _push(live: LiveServer, token: str, repo: str, work: Path, ref: str) -> None:
    url = live.url.replace("http://", f"http://u:{token}@") + f"/{repo}.git"
    git("push", "-q", url, ref, cwd=work)


def _commit(work: Path, name: str, text: str, message: str) -> None:
    (work / name).write_text(text, encoding="utf-8")
    git("add", "-A", cwd=work)
    git(
        "-c",
        "user.name=贡献者",
        "-c",
        "user.email=c@example.org",
        "commit",
        "-qm",
        message,
        cwd=work,
    )


def _wait_text(page: Page, url: str, selector: str, text: str, timeout: float = 20) -> None:
    """Reload until ``selector`` shows ``text`` (the pull request follows a push in the
    background task queue)."""
    end = time.monotonic() + timeout
    while True:
        page.goto(url)
        if text in page.inner_text(selector):
            return
        assert time.monotonic() < end, f"{selector} never showed {text!r}"
        time.sleep(0.3)


def test_fork_pull_review_squash_merge_closes_issue(
    browser: Browser, live: LiveServer, tmp_path: Path
) -> None:
    owner_token = live.create_user("prowner")
    contrib_token = live.create_user("prcontrib")
    api_create_repo(live, owner_token, "harbour", type="code")
    work = tmp_path / "work"
    git("init", "-q", "-b", "main", str(work))
    _commit(work, "app.py", "def main():\n    return 1\n", "初始版本")
    _push(live, owner_token, "prowner/harbour", work, "main")
    base = f"{live.url}/prowner/harbour"
    seen = Recorder()
    owner_ctx, contrib_ctx = new_context(browser, seen), new_context(browser, seen)
    try:
        owner, contrib = owner_ctx.new_page(), contrib_ctx.new_page()
        log_in(owner, live.url, "prowner", "pw-prowner-Secret9")
        log_in(contrib, live.url, "prcontrib", "pw-prcontrib-Secret9")
        # the contributor reports the issue the pull request will close
        contrib.goto(f"{base}/issues/new")
        contrib.fill("#thread-title", "启动时崩溃")
        contrib.click("#thread-form button[type=submit]")
        contrib.wait_for_url(f"{base}/issues/1")

        # fork in the browser, push a branch with a change to the fork
        contrib.goto(base)
        contrib.click("#fork-button")
        contrib.click("#fork-form button[type=submit]")
        contrib.wait_for_url(f"{live.url}/prcontrib/harbour")
        git("checkout", "-qb", "fix-crash", cwd=work)
        _commit(work, "app.py", "def main():\n    return 2\n", "修正返回值")
        _push(live, contrib_token, "prcontrib/harbour", work, "fix-crash")

        # open the pull request from the fork ("Contribute back" lands on this form)
        contrib.goto(f"{base}/pulls/new?head=prcontrib:fix-crash")
        summary = contrib.inner_text("#compare-summary")
        assert "1 次提交" in summary and "修正返回值" in summary
        assert "1 个文件有变更" in summary and "没有冲突" in summary
        contrib.fill("#thread-title", "修正启动崩溃")
        contrib.fill("#thread-body", "修复 #1")
        contrib.click("#thread-form button[type=submit]")
        contrib.wait_for_url(f"{base}/pulls/2")
        assert "prcontrib/harbour" in contrib.inner_text("#pull-branches")

        # the base owner comments on a line and requests changes
        pull = f"{base}/pulls/2"
        owner.goto(f"{pull}?tab=files")
        assert "app.py" in owner.inner_text("#file-0 summary")
        owner.click("#file-0 a.line-link[data-line='2']")
        owner.fill("#line-comment-body", "这里应该返回 3")
        owner.click("#line-comment-submit")
        owner.wait_for_selector(".review-comment >> text=这里应该返回 3")
        owner.check("#review-request-changes")
        owner.fill("#review-body", "请修改返回值")
        owner.click("#review-submit")
        owner.goto(pull)
        assert "请求修改" in owner.inner_text("#pull-reviews")

        # the contributor pushes a fix to the fork's branch: the pull request follows
        _commit(work, "app.py", "def main():\n    return 3\n", "按评审意见修改")
        _push(live, contrib_token, "prcontrib/harbour", work, "fix-crash")
        _wait_text(owner, f"{pull}?tab=commits", "#pull-commits", "按评审意见修改")
        owner.goto(pull)
        assert "已过时" in owner.inner_text("#review-comments")  # outdated, not lost
        assert "这里应该返回 3" in owner.inner_text("#review-comments")
        # a reply, and the conversation resolved
        owner.fill("#review-comments .reply-form textarea", "已确认")
        owner.click("#review-comments .reply-form button[value=reply]")
        owner.click("#review-comments .resolve-conversation")
        assert "已解决" in owner.inner_text("#review-comments")

        # approve, then squash-merge
        owner.check("#review-approve")
        owner.click("#review-submit")
        owner.select_option("#merge-strategy", "squash")
        owner.click("#merge-pull")
        owner.wait_for_selector("#merge-status")
        assert owner.inner_text("#thread-state") == "已合并"
        head = git("ls-remote", f"{base}.git", "refs/heads/main").split()[0]
        owner.goto(f"{base}/commit/{head}")
        assert "修正启动崩溃 (#2)" in owner.inner_text("main")

        # the referenced issue is closed
        owner.goto(f"{base}/issues/1")
        assert owner.inner_text("#thread-state") == "已关闭"

        # the author (of the pull request and of the issue) gets notifications: the unread
        # count in the header, and both threads in the inbox with what happened last
        # (fanned out by the task queue, hence the reloads)
        _wait_text(contrib, f"{live.url}/notifications", "#notification-list", "已关闭")
        assert int(contrib.inner_text("#header-notifications #unread-count")) >= 2
        entries = contrib.locator("#notification-list li")
        pr_entry = entries.filter(has_text="修正启动崩溃")
        assert "合并请求 #2" in pr_entry.inner_text() and "已合并" in pr_entry.inner_text()
        assert "prowner" in pr_entry.inner_text()  # who did it
        issue_entry = entries.filter(has_text="启动时崩溃")
        assert "议题 #1" in issue_entry.inner_text() and "已关闭" in issue_entry.inner_text()
    finally:
        owner_ctx.close()
        contrib_ctx.close()
    assert seen.foreign(live.url) == [], "a page contacted another host"
