"""Milestones, organization labels, reactions and issue templates through the client
generated from Gitea's OpenAPI document (``gitea-api-client``: strict pydantic models, so a
field of the wrong name or type fails here), against a live server."""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from gitea_api_client import ApiClient, Configuration
from gitea_api_client.api import IssueApi, OrganizationApi, RepositoryApi
from gitea_api_client.exceptions import ApiException
from gitea_api_client.models import (
    CreateIssueOption,
    CreateLabelOption,
    CreateMilestoneOption,
    EditIssueOption,
    EditLabelOption,
    EditMilestoneOption,
    EditReactionOption,
)

from tests.support.client import api_create_repo, request
from tests.support.live import LiveServer

pytestmark = pytest.mark.e2e

TEMPLATE = """---
name: 缺陷报告
about: 报告一个问题
title: "[缺陷] "
labels: [bug]
---
## 复现步骤
"""


def _client(live: LiveServer, token: str) -> ApiClient:
    config = Configuration(
        host=f"{live.url}/api/v1",
        api_key={"AuthorizationHeaderToken": token},
        api_key_prefix={"AuthorizationHeaderToken": "token"},
    )
    return ApiClient(config)


async def _flow(
    live: LiveServer, org: str, owner_token: str, friend: str, friend_token: str
) -> None:
    async with _client(live, owner_token) as c, _client(live, friend_token) as f:
        issues, friend_issues = IssueApi(c), IssueApi(f)
        due = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
        v1 = await issues.issue_create_milestone(
            org, "app", body=CreateMilestoneOption(title="v1.0", description="首版", due_on=due)
        )
        assert v1.title == "v1.0" and v1.state == "open" and v1.due_on == due
        assert (v1.open_issues, v1.closed_issues) == (0, 0)
        with pytest.raises(ApiException) as refused:  # a reader may not create milestones
            await friend_issues.issue_create_milestone(
                org, "app", body=CreateMilestoneOption(title="mine")
            )
        assert refused.value.status == 403

        label = await OrganizationApi(c).org_create_label(
            org, body=CreateLabelOption(name="bug", color="#ee0701", description="缺陷")
        )
        assert label.is_archived is False and label.exclusive is False
        with pytest.raises(ApiException) as not_owner:
            await OrganizationApi(f).org_create_label(
                org, body=CreateLabelOption(name="x", color="#000000")
            )
        assert not_owner.value.status == 403
        edited = await OrganizationApi(c).org_edit_label(
            org, label.id, body=EditLabelOption(color="00aabb")
        )
        assert edited.color == "00aabb" and edited.name == "bug"
        listed = await OrganizationApi(f).org_list_labels(org)
        assert [x.id for x in listed] == [label.id]

        one = await issues.issue_create_issue(
            org, "app", body=CreateIssueOption(title="登录失败", milestone=v1.id, labels=[label.id])
        )
        assert one.milestone is not None and one.milestone.id == v1.id
        assert [x.name for x in one.labels] == ["bug"]
        two = await friend_issues.issue_create_issue(org, "app", body=CreateIssueOption(title="慢"))
        assert two.milestone is None
        await issues.issue_edit_issue(org, "app", two.number, body=EditIssueOption(milestone=v1.id))
        await issues.issue_edit_issue(org, "app", one.number, body=EditIssueOption(state="closed"))
        got = await issues.issue_get_milestone(org, "app", str(v1.id))
        assert (got.open_issues, got.closed_issues) == (1, 1)
        in_v1 = await issues.issue_list_issues(org, "app", state="all", milestones="v1.0")
        assert sorted(i.number for i in in_v1) == [one.number, two.number]
        by_id = await issues.issue_list_issues(org, "app", state="open", milestones=str(v1.id))
        assert [i.number for i in by_id] == [two.number]

        closed = await issues.issue_edit_milestone(
            org, "app", str(v1.id), body=EditMilestoneOption(state="closed")
        )
        assert closed.state == "closed" and closed.closed_at is not None
        assert await issues.issue_get_milestones_list(org, "app") == []
        every = await issues.issue_get_milestones_list(org, "app", state="all")
        assert [m.id for m in every] == [v1.id]

        made = await friend_issues.issue_post_issue_reaction(
            org, "app", one.number, content=EditReactionOption(content="heart")
        )
        assert made.content == "heart" and made.user is not None and made.user.login == friend
        await issues.issue_post_issue_reaction(
            org, "app", one.number, content=EditReactionOption(content="rocket")
        )
        got_reactions = await issues.issue_get_issue_reactions(org, "app", one.number)
        assert sorted(r.content for r in got_reactions) == ["heart", "rocket"]
        with pytest.raises(ApiException) as bad:
            await friend_issues.issue_post_issue_reaction(
                org, "app", one.number, content=EditReactionOption(content="thumbs")
            )
        assert bad.value.status == 422
        await friend_issues.issue_delete_issue_reaction(
            org, "app", one.number, content=EditReactionOption(content="heart")
        )
        left = await issues.issue_get_issue_reactions(org, "app", one.number)
        assert [r.content for r in left] == ["rocket"]

        templates = await RepositoryApi(f).repo_get_issue_templates(org, "app")
        assert [(t.name, t.title, t.labels) for t in templates] == [
            ("缺陷报告", "[缺陷] ", ["bug"])
        ]
        assert templates[0].content == "## 复现步骤\n"

        await issues.issue_delete_milestone(org, "app", str(v1.id))
        again = await issues.issue_get_issue(org, "app", two.number)
        assert again.milestone is None


def _git(*args: str, cwd: Path | None = None) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def test_gitea_client_milestones_org_labels_reactions_templates(
    live: LiveServer, tmp_path: Path
) -> None:
    owner, friend = f"gm{uuid.uuid4().hex[:6]}", f"gm{uuid.uuid4().hex[:6]}"
    org = f"gmorg{uuid.uuid4().hex[:6]}"
    token, friend_token = live.create_user(owner), live.create_user(friend)
    live.cli("org", "create", org, "--kind", "community", "--owner", owner)
    api_create_repo(live, token, "app", organization=org, type="code")
    work = tmp_path / "work"
    (work / ".gitea" / "ISSUE_TEMPLATE").mkdir(parents=True)
    (work / ".gitea" / "ISSUE_TEMPLATE" / "bug.md").write_text(TEMPLATE)
    _git("init", "-q", "-b", "main", str(work))
    _git("add", "-A", cwd=work)
    _git("-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qm", "first", cwd=work)
    url = live.url.replace("http://", f"http://u:{token}@") + f"/{org}/app.git"
    _git("push", "-q", url, "main", cwd=work)

    asyncio.run(_flow(live, org, token, friend, friend_token))

    # A bad milestone or label refuses the whole issue: nothing half made.
    base = f"{live.url}/api/v1/repos/{org}/app"
    auth = {"Authorization": f"token {token}"}
    before = request(f"{base}/issues?state=all", headers=auth).headers["X-Total-Count"]
    for bad in ({"milestone": 2**70}, {"milestone": True}, {"labels": [2**70]}):
        refused = request(f"{base}/issues", "POST", json_body={"title": "x", **bad}, headers=auth)
        assert refused.status in {404, 422} and set(refused.json()) == {"message", "url"}, bad
    after = request(f"{base}/issues?state=all", headers=auth).headers["X-Total-Count"]
    assert after == before
    huge = request(f"{base}/milestones/{2**70}", headers=auth)
    assert huge.status == 404
    org_huge = request(f"{live.url}/api/v1/orgs/{org}/labels/{2**70}", headers=auth)
    assert org_huge.status == 404

    # A private repository's milestones, reactions and templates are a 404 for outsiders.
    api_create_repo(live, token, "secret", organization=org, private=True, type="code")
    base = f"{live.url}/api/v1/repos/{org}/secret"
    for path in ("/milestones", "/issue_templates", "/issues/1/reactions"):
        got = request(base + path, headers={"Authorization": f"token {friend_token}"})
        assert got.status == 404 and set(got.json()) == {"message", "url"}, path
    anonymous = request(f"{base}/milestones")
    assert anonymous.status in {401, 404}


def test_milestone_patch_keeps_null_fields_and_empty_due_on_removes_the_date(
    live: LiveServer,
) -> None:
    owner = f"gp{uuid.uuid4().hex[:6]}"
    token = live.create_user(owner)
    api_create_repo(live, token, "dates", type="code")
    base = f"{live.url}/api/v1/repos/{owner}/dates/milestones"
    auth = {"Authorization": f"token {token}"}
    made = request(
        base, "POST", json_body={"title": "季度", "due_on": "2027-01-31"}, headers=auth
    ).json()
    assert made["due_on"] == "2027-01-31T23:59:59Z"
    kept = request(
        f"{base}/{made['id']}", "PATCH", json_body={"due_on": None, "title": "Q1"}, headers=auth
    ).json()
    assert kept["due_on"] == "2027-01-31T23:59:59Z" and kept["title"] == "Q1"
    gone = request(f"{base}/{made['id']}", "PATCH", json_body={"due_on": ""}, headers=auth)
    assert gone.status == 200 and gone.json()["due_on"] is None
    by_title = request(f"{base}/q1", headers=auth)
    assert by_title.status == 200 and by_title.json()["id"] == made["id"]
    bad = request(f"{base}/{made['id']}", "PATCH", json_body={"state": "done"}, headers=auth)
    assert bad.status == 422 and set(bad.json()) == {"message", "url"}
