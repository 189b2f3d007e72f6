"""Gitea's API v1 with a client generated from Gitea's own OpenAPI document
(``gitea-api-client``, pydantic models: a field of the wrong type or name fails here): a
project's owner and a contributor open an issue and a pull request, label, comment and
review it, a CI token posts statuses, and the required check holds the merge (405) until
the status is ``success``. Plus Gitea's pagination headers, ``.diff`` and its error shape."""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
from gitea_api_client import ApiClient, Configuration
from gitea_api_client.api import IssueApi, MiscellaneousApi, RepositoryApi, UserApi
from gitea_api_client.exceptions import ApiException
from gitea_api_client.models import (
    CreateBranchProtectionOption,
    CreateIssueCommentOption,
    CreateIssueOption,
    CreateLabelOption,
    CreatePullRequestOption,
    CreatePullReviewComment,
    CreatePullReviewOptions,
    CreateStatusOption,
    MergePullRequestOption,
)

from tests.support.client import api_create_repo, request
from tests.support.live import LiveServer

pytestmark = pytest.mark.e2e


def _git(*args: str, cwd: Path | None = None) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def _client(live: LiveServer, token: str) -> ApiClient:
    config = Configuration(
        host=f"{live.url}/api/v1",
        api_key={"AuthorizationHeaderToken": token},
        api_key_prefix={"AuthorizationHeaderToken": "token"},
    )
    return ApiClient(config)


async def _flow(live: LiveServer, owner: str, token: str, friend: str, friend_token: str) -> Any:
    async with _client(live, token) as c, _client(live, friend_token) as f:
        repos, issues = RepositoryApi(c), IssueApi(c)
        assert (await MiscellaneousApi(c).get_version()).version
        me = await UserApi(c).user_get_current()
        assert me.login == owner
        repo = await repos.repo_get(owner, "tool")
        assert repo.full_name == f"{owner}/tool" and repo.permissions.admin
        await repos.repo_create_branch_protection(
            owner,
            "tool",
            body=CreateBranchProtectionOption(
                rule_name="main",
                enable_status_check=True,
                status_check_contexts=["ci/build"],
                required_approvals=1,
            ),
        )
        bug = await issues.issue_create_label(
            owner, "tool", body=CreateLabelOption(name="bug", color="#ee0701")
        )
        made = await IssueApi(f).issue_create_issue(
            owner, "tool", body=CreateIssueOption(title="崩溃了", body="步骤 …")
        )
        assert made.number == 1 and made.user.login == friend
        await issues.issue_create_comment(
            owner, "tool", made.number, body=CreateIssueCommentOption(body="谢谢，已确认")
        )
        listed = await issues.issue_list_issues(owner, "tool", state="open", type="issues")
        assert [i.number for i in listed] == [1] and listed[0].comments == 1
        pr = await repos.repo_create_pull_request(
            owner,
            "tool",
            body=CreatePullRequestOption(
                head="feature", base="main", title="修复 #1", body="fixes #1", labels=[bug.id]
            ),
        )
        assert pr.number == 2 and pr.head.ref == "feature" and pr.base.ref == "main"
        pulls = await repos.repo_list_pull_requests(owner, "tool", state="open")
        assert [p.number for p in pulls] == [2]
        files = await repos.repo_get_pull_request_files(owner, "tool", 2)
        assert [(x.filename, x.status, x.additions) for x in files] == [("b.txt", "added", 2)]
        commits = await repos.repo_get_pull_request_commits(owner, "tool", 2)
        assert [x.commit.message.strip() for x in commits] == ["fix it"]
        review = await RepositoryApi(f).repo_create_pull_review(
            owner,
            "tool",
            2,
            body=CreatePullReviewOptions(
                event="APPROVED",
                body="LGTM",
                comments=[CreatePullReviewComment(path="b.txt", new_position=2, body="好")],
            ),
        )
        assert review.state == "APPROVED" and review.comments_count == 1
        reviews = await repos.repo_list_pull_reviews(owner, "tool", 2)
        assert [r.user.login for r in reviews] == [friend]
        with pytest.raises(ApiException) as blocked:
            await repos.repo_merge_pull_request(
                owner, "tool", 2, body=MergePullRequestOption(do="squash")
            )
        assert blocked.value.status == 405 and "ci/build" in (blocked.value.body or "")
        # The friend only reads the repository: their approval is listed, not counted.
        assert "0 of 1 required approvals" in (blocked.value.body or "")
        granted = request(
            f"{live.url}/api/v1/repos/{owner}/tool/collaborators/{friend}",
            "PUT",
            json_body={"permission": "write"},
            token=token,
        )
        assert granted.status == 201, granted.body
        head = pr.head.sha
        status = await repos.repo_create_status(
            owner,
            "tool",
            head,
            body=CreateStatusOption(state="success", context="ci/build", description="ok"),
        )
        assert status.status == "success" and status.creator.login == owner
        combined = await repos.repo_get_combined_status_by_ref(owner, "tool", head)
        assert combined.state == "success" and combined.total_count == 1
        await repos.repo_merge_pull_request(
            owner, "tool", 2, body=MergePullRequestOption(do="squash")
        )
        merged = await repos.repo_get_pull_request(owner, "tool", 2)
        assert merged.merged and merged.merge_commit_sha and merged.state == "closed"
        issue = await issues.issue_get_issue(owner, "tool", 1)
        return issue.state


def test_gitea_client_issues_pulls_reviews_statuses_merge(live: LiveServer, tmp_path: Path) -> None:
    owner, friend = f"gt{uuid.uuid4().hex[:6]}", f"gt{uuid.uuid4().hex[:6]}"
    token, friend_token = live.create_user(owner), live.create_user(friend)
    api_create_repo(live, token, "tool", type="code")
    work = tmp_path / "work"
    _git("init", "-q", "-b", "main", str(work))
    (work / "a.txt").write_text("one\n")
    _git("add", "-A", cwd=work)
    _git("-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qm", "first", cwd=work)
    url = live.url.replace("http://", f"http://u:{token}@") + f"/{owner}/tool.git"
    _git("push", "-q", url, "main", cwd=work)
    _git("checkout", "-qb", "feature", cwd=work)
    (work / "b.txt").write_text("fixed\nline two\n")
    _git("add", "-A", cwd=work)
    _git("-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qm", "fix it", cwd=work)
    _git("push", "-q", url, "feature", cwd=work)

    state = asyncio.run(_flow(live, owner, token, friend, friend_token))
    assert state in {"open", "closed"}  # closing by "fixes #1" runs as a background job

    base = f"{live.url}/api/v1/repos/{owner}/tool"
    diff = request(f"{base}/pulls/2.diff")
    assert diff.status == 200 and "+line two" in diff.body.decode()
    page = request(f"{base}/issues?state=all&limit=1&page=1")
    assert page.status == 200 and page.headers["X-Total-Count"] == "2"
    assert 'rel="next"' in page.headers["Link"] and len(page.json()) == 1
    missing = request(f"{base}/issues/99")
    assert missing.status == 404 and set(missing.json()) == {"message", "url"}
    anonymous = request(f"{base}/issues", "POST", json_body={"title": "x"})
    assert anonymous.status == 401
    api_create_repo(live, token, "secret", type="code", private=True)
    outsider = request(
        f"{live.url}/api/v1/repos/{owner}/secret/issues",
        headers={"Authorization": f"token {friend_token}"},
    )
    assert outsider.status == 404
