"""Protected branches and required status checks, over the real channels: a direct
``git push`` to a protected branch is refused with a readable ``remote:`` line in the
pusher's language, so are a force push and a deletion; a Hub commit to it gets 403; a pull
request waits for its required check (API merge 405 with Gitea's message) until a CI token
posts ``success`` through Gitea's statuses API."""

from __future__ import annotations

import os
import re
import subprocess
import uuid
from pathlib import Path

import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError

from tests.support.accounts import web_login
from tests.support.client import request
from tests.support.live import LiveServer

pytestmark = pytest.mark.e2e


def _git(*args: str, cwd: Path | None = None, lang: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LANG", "LC_"))}
    if lang:
        env["LANGUAGE"] = lang
        env["LC_ALL"] = "C.UTF-8"
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=False, env=env
    )


def _gitea(live: LiveServer, path: str, token: str, method: str = "GET", data: object = None):
    headers = {"Authorization": f"token {token}"}  # Gitea's own scheme
    return request(f"{live.url}/api/v1{path}", method, json_body=data, headers=headers)


def test_protected_branch_refuses_pushes_and_required_check_blocks_merge(
    live: LiveServer, tmp_path: Path
) -> None:
    owner = f"pb{uuid.uuid4().hex[:6]}"
    token = live.create_user(owner)
    api = HfApi(endpoint=live.url, token=token)
    repo_id = f"{owner}/guarded"
    api.create_repo(repo_id)
    api.upload_file(path_or_fileobj=b"v1\n", path_in_repo="a.txt", repo_id=repo_id)
    made = _gitea(
        live,
        f"/repos/{repo_id}/branch_protections",
        token,
        "POST",
        {"rule_name": "ma*", "enable_status_check": True, "status_check_contexts": ["ci/build"]},
    )
    assert made.status == 201, made.body
    assert made.json()["rule_name"] == "ma*" and made.json()["enable_push"] is False
    listed = _gitea(live, f"/repos/{repo_id}/branch_protections", token).json()
    assert [r["branch_name"] for r in listed] == ["ma*"]

    url = live.url.replace("http://", f"http://u:{token}@") + f"/{repo_id}.git"
    work = tmp_path / "work"
    assert _git("clone", "-q", url, str(work)).returncode == 0
    (work / "a.txt").write_text("v2\n")
    _git("-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qam", "direct", cwd=work)
    pushed = _git("push", "origin", "main", cwd=work)  # no language: Chinese
    assert pushed.returncode != 0
    assert "remote: 分支 main 受保护：不允许直接推送，请发起合并请求" in pushed.stderr, (
        pushed.stderr
    )
    english = _git("push", "origin", "main", cwd=work, lang="en")
    assert "remote: Branch main is protected: direct pushes are not allowed" in english.stderr
    deleted = _git("push", "origin", ":main", cwd=work)
    assert deleted.returncode != 0 and "不能删除" in deleted.stderr, deleted.stderr
    _git("reset", "-q", "--hard", "HEAD~1", cwd=work)
    (work / "b.txt").write_text("rewrite\n")
    _git("add", "b.txt", cwd=work)
    _git(
        "-c", "user.name=t", "-c", "user.email=t@x", "commit", "-q", "--amend", "-m", "re", cwd=work
    )
    forced = _git("push", "-f", "origin", "main", cwd=work)
    assert forced.returncode != 0 and "不允许强制推送" in forced.stderr, forced.stderr
    # other branches are not protected
    assert _git("push", "origin", "HEAD:feature", cwd=work).returncode == 0

    with pytest.raises(HfHubHTTPError) as refused:  # the Hub's commit: the same rule
        api.upload_file(path_or_fileobj=b"x\n", path_in_repo="x.txt", repo_id=repo_id)
    assert refused.value.response.status_code == 403
    assert "protected" in str(refused.value)

    api.upload_file(
        path_or_fileobj=b"change\n", path_in_repo="c.txt", repo_id=repo_id, create_pr=True
    )
    head = api.list_repo_refs(repo_id, include_pull_requests=True).pull_requests[0].target_commit
    with pytest.raises(HfHubHTTPError) as waiting:
        api.merge_pull_request(repo_id, 1)
    assert "ci/build" in str(waiting.value)

    browser = web_login(live, owner)
    zh = {"Accept-Language": "zh-CN", "Cookie": browser.cookie_header()}
    pr_page = request(f"{live.url}/{repo_id}/discussions/1", headers=zh).body.decode()
    assert "必需的状态检查 ci/build 尚未成功" in pr_page
    assert re.search(r'id="merge-pull" disabled', pr_page)
    saved = browser.post(
        f"/{repo_id}/settings/branches",
        {"rule_name": "release/*", "push": "none", "required_approvals": "2"},
        f"/{repo_id}/settings",
    )
    assert saved.status == 302
    settings = request(f"{live.url}/{repo_id}/settings", headers=zh).body.decode()
    assert "受保护分支" in settings and "release/*" in settings and "需要 2 个批准" in settings

    ci = live.token(owner)
    for state in ("pending", "success"):
        posted = _gitea(
            live,
            f"/repos/{repo_id}/statuses/{head}",
            ci,
            "POST",
            {"state": state, "context": "ci/build", "target_url": "http://127.0.0.1/ci/1"},
        )
        assert posted.status == 201, posted.body
        assert posted.json()["creator"]["login"] == owner
    combined = _gitea(live, f"/repos/{repo_id}/commits/refs/pr/1/status", token).json()
    assert combined["state"] == "success" and combined["total_count"] == 1
    history = _gitea(live, f"/repos/{repo_id}/commits/{head}/statuses", token)
    assert history.headers["X-Total-Count"] == "2"
    assert [s["status"] for s in history.json()] == ["success", "pending"]
    pr_page = request(f"{live.url}/{repo_id}/discussions/1", headers=zh).body.decode()
    assert 'id="merge-pull">' in pr_page and "ci/build</strong> — 成功" in pr_page
    commit_page = request(f"{live.url}/{repo_id}/commit/{head}", headers=zh).body.decode()
    assert 'id="checks-state">成功<' in commit_page
    api.merge_pull_request(repo_id, 1)
    assert "c.txt" in api.list_repo_files(repo_id)
