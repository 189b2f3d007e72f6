"""The Issues / Pull requests / 讨论 pages over HTTP, in Chinese: open an issue with the form,
comment, close it; a Hub pull request shown with its diff and merged from the page; anonymous
visitors are asked to sign in; a private repository's threads are 404 to outsiders."""

from __future__ import annotations

import re
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from huggingface_hub import HfApi

from tests.support.accounts import web_login
from tests.support.client import api_create_repo, request
from tests.support.live import LiveServer

pytestmark = pytest.mark.e2e


def _zh(live: LiveServer, path: str, cookie: str = "") -> tuple[int, str]:
    headers = {"Accept-Language": "zh-CN"}
    if cookie:
        headers["Cookie"] = cookie
    response = request(live.url + path, headers=headers)
    return response.status, response.body.decode()


def test_issue_from_the_form_comment_and_close(live: LiveServer) -> None:
    owner = f"tw{uuid.uuid4().hex[:6]}"
    token = live.create_user(owner)
    api_create_repo(live, token, "webissues", type="code")
    browser = web_login(live, owner)
    base = f"/{owner}/webissues"
    status, empty = _zh(live, f"{base}/issues", browser.cookie_header())
    assert status == 200 and "议题" in empty and "新建议题" in empty
    made = browser.post(
        f"{base}/issues/new",
        {"title": "界面 **标题**", "body": "正文 <script>x</script> *强调*"},
        f"{base}/issues/new",
    )
    assert made.status == 302 and made.headers["Location"] == f"{base}/issues/1"
    posted = browser.post(f"{base}/issues/1/act", {"action": "comment", "body": "回复 #1"}, base)
    assert posted.status == 302
    closed = browser.post(f"{base}/issues/1/act", {"action": "close_not_planned"}, base)
    assert closed.status == 302
    status, thread = _zh(live, f"{base}/issues/1", browser.cookie_header())
    assert status == 200
    assert "<em>强调</em>" in thread and "<script>" not in thread  # the one sanitiser
    assert "回复 #1" in thread and "已关闭（不计划处理）" in thread
    status, listing = _zh(live, f"{base}/issues?state=closed")
    assert status == 200 and f"{base}/issues/1" in listing
    # code repositories have no Hub-style discussions section
    assert _zh(live, f"{base}/discussions")[0] == 404
    status, anonymous = _zh(live, f"{base}/issues/1")
    assert status == 200 and "登录后评论" in anonymous and 'id="comment-form"' not in anonymous


def test_hub_pull_request_page_and_merge(live: LiveServer) -> None:
    owner = f"tw{uuid.uuid4().hex[:6]}"
    token = live.create_user(owner)
    api = HfApi(endpoint=live.url, token=token)
    repo_id = f"{owner}/webmodel"
    api.create_repo(repo_id)
    api.upload_file(
        path_or_fileobj=b"hello\n", path_in_repo="hello.txt", repo_id=repo_id, create_pr=True
    )
    browser = web_login(live, owner)
    page = f"/{repo_id}/discussions/1"
    status, body = _zh(live, page, browser.cookie_header())
    assert status == 200 and "讨论" in body and 'id="merge-pull"' in body
    status, files = _zh(live, f"{page}?tab=files", browser.cookie_header())
    assert status == 200 and "hello.txt" in files and "+hello" in files
    merged = browser.post(f"{page}/act", {"action": "merge", "strategy": "squash"}, page)
    assert merged.status == 302
    status, body = _zh(live, page, browser.cookie_header())
    assert re.search(r'id="thread-state">已合并<', body)
    assert "hello.txt" in api.list_repo_files(repo_id)


def test_private_threads_are_not_found(live: LiveServer) -> None:
    owner = f"tw{uuid.uuid4().hex[:6]}"
    token = live.create_user(owner)
    api = HfApi(endpoint=live.url, token=token)
    repo_id = f"{owner}/secretmodel"
    api.create_repo(repo_id, private=True)
    api.create_discussion(repo_id, "内部讨论")
    outsider = f"tw{uuid.uuid4().hex[:6]}"
    live.create_user(outsider)
    stranger = web_login(live, outsider)
    for path in ("/discussions", "/discussions/1", "/discussions/new"):
        assert _zh(live, f"/{repo_id}{path}", stranger.cookie_header())[0] == 404
    refused = stranger.post(f"/{repo_id}/discussions/1/act", {"body": "hi"}, f"/{repo_id}")
    assert refused.status == 404


def _git(*args: str, cwd: Path | None = None) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)
    return done.stdout


def test_contribute_back_from_a_fork_and_fixes_by_git_push(
    live: LiveServer, tmp_path: Path
) -> None:
    """A real ``git push`` to the default branch with ``修复 #1`` closes issue 1; a fork's
    "Contribute back" opens a pull request from the fork's branch, which the owner merges."""
    owner, forker = f"tw{uuid.uuid4().hex[:6]}", f"tw{uuid.uuid4().hex[:6]}"
    token, forker_token = live.create_user(owner), live.create_user(forker)
    api_create_repo(live, token, "upstream", type="code")
    work = tmp_path / "work"
    _git("init", "-q", "-b", "main", str(work))
    (work / "a.txt").write_text("one\n")
    _git("add", "-A", cwd=work)
    _git("commit", "-qm", "first", cwd=work)
    url = live.url.replace("http://", f"http://u:{token}@") + f"/{owner}/upstream.git"
    _git("push", "-q", url, "main", cwd=work)
    owner_browser = web_login(live, owner)
    base = f"/{owner}/upstream"
    owner_browser.post(f"{base}/issues/new", {"title": "bug"}, f"{base}/issues/new")
    (work / "a.txt").write_text("two\n")
    _git("commit", "-qam", "修复 #1", cwd=work)
    _git("push", "-q", url, "main", cwd=work)
    for _ in range(100):  # closing runs as a background job after the push
        status, issue = _zh(live, f"{base}/issues/1")
        if 'id="thread-state">已关闭<' in issue:
            break
        time.sleep(0.1)
    assert status == 200 and 'id="thread-state">已关闭<' in issue

    forked = request(
        f"{live.url}/api/v1/repos/{owner}/upstream/forks", "POST", json_body={}, token=forker_token
    )
    assert forked.status in (200, 201), forked.body
    fork_url = live.url.replace("http://", f"http://u:{forker_token}@") + f"/{forker}/upstream.git"
    clone = tmp_path / "clone"
    _git("clone", "-q", fork_url, str(clone))
    (clone / "b.txt").write_text("from the fork\n")
    _git("add", "-A", cwd=clone)
    _git("commit", "-qm", "fork work", cwd=clone)
    _git("push", "-q", "origin", "main", cwd=clone)
    browser = web_login(live, forker)
    status, fork_page = _zh(live, f"/{forker}/upstream", browser.cookie_header())
    link = f"{base}/pulls/new?head={forker}:main"
    assert status == 200 and "贡献回上游" in fork_page and link in fork_page.replace("&amp;", "&")
    status, form = _zh(live, link, browser.cookie_header())
    assert status == 200 and f'value="{forker}:main" selected' in form
    made = browser.post(
        f"{base}/pulls/new", {"title": "来自分叉", "head": f"{forker}:main"}, f"{base}/pulls/new"
    )
    assert made.status == 302 and made.headers["Location"] == f"{base}/pulls/2"
    merged = owner_browser.post(f"{base}/pulls/2/act", {"action": "merge"}, f"{base}/pulls/2")
    assert merged.status == 302
    status, pull = _zh(live, f"{base}/pulls/2?tab=commits")
    assert 'id="thread-state">已合并<' in pull and "fork work" in pull
    heads = _git("ls-remote", live.url + f"{base}.git", "refs/heads/main", "refs/pull/2/head")
    assert "refs/pull/2/head" in heads
