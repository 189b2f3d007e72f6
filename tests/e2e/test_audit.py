"""The audit log over HTTP (issue 20, item 7): what services record shows up for the
organization's owner (API, web page, CSV) and for operators, never for another
organization's member."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from tests.support.accounts import web_login
from tests.support.client import api_create_repo, authed, git, request
from tests.support.live import LiveServer


def test_org_owner_reads_the_audit_log_and_others_do_not(live: LiveServer, tmp_path: Path) -> None:
    owner = live.create_user("au-owner")
    other = live.create_user("au-other")
    staff = live.create_user("au-staff", admin=True)
    live.cli("org", "create", "au-org", "--owner", "au-owner", "--kind", "community")
    live.cli("org", "create", "au-else", "--owner", "au-other", "--kind", "community")

    api_create_repo(live, owner, "vault", organization="au-org", type="model")
    base = live.url + "/api/v1/repos/au-org/vault"
    granted = request(
        base + "/collaborators/au-other?type=model",
        "PUT",
        json_body={"permission": "read"},
        token=owner,
    )
    assert granted.status in (200, 201), granted.body
    private = request(
        live.url + "/api/models/au-org/vault/settings",
        "PUT",
        json_body={"private": True},
        token=owner,
    )
    assert private.status == 200, private.body
    # A branch deleted by git push is audited like one deleted through the Hub API.
    local, remote = tmp_path / "local", authed(live, owner, "/au-org/vault.git")
    git("init", "-q", str(local))
    git("commit", "-q", "--allow-empty", "-m", "x", cwd=local)
    git("push", "-q", remote, "HEAD:refs/heads/tmp", cwd=local)
    git("push", "-q", remote, ":refs/heads/tmp", cwd=local)
    live.delete_repo(owner, "au-org/vault")

    mine = request(live.url + "/api/v1/orgs/au-org/audit", token=owner)
    assert mine.status == 200, mine.body
    entries = mine.json()["entries"]
    actions = [e["action"] for e in entries]
    assert actions[:4] == [
        "repo.delete",
        "repo.branch.delete",
        "repo.settings",
        "repo.collaborator_set",
    ], actions
    assert entries[1]["detail"]["via"] == "git" and entries[1]["detail"]["ref"] == "tmp"
    assert entries[2]["detail"] == {"private": True}
    assert {e["repository"] for e in entries[:4]} == {"au-org/vault"}
    assert all(e["actor"] == "au-owner" and e["ip"] == "127.0.0.1" for e in entries[:4])

    filtered = request(live.url + "/api/v1/orgs/au-org/audit?action=repo.delete", token=owner)
    assert [e["action"] for e in filtered.json()["entries"]] == ["repo.delete"]

    # Another organization's owner (a collaborator, even) and anonymous callers see nothing.
    assert request(live.url + "/api/v1/orgs/au-org/audit", token=other).status == 404
    assert request(live.url + "/api/v1/orgs/au-org/audit").status == 401
    assert request(live.url + "/api/v1/admin/audit", token=owner).status == 403
    theirs = request(live.url + "/api/v1/orgs/au-else/audit", token=other).json()["entries"]
    assert "au-org/vault" not in {e["repository"] for e in theirs}

    # Operators read everything: also tokens used from a new address and failed sign-ins.
    site = request(live.url + "/api/v1/admin/audit?actor=au-owner&limit=500", token=staff)
    assert site.status == 200
    seen = {e["action"] for e in site.json()["entries"]}
    assert {"token.new_ip", "repo.delete", "token.create"} <= seen, seen

    # The web page (Chinese by default) and its CSV export, for the owner only.
    browser = web_login(live, "au-owner")
    page = browser.get("/au-org/settings/audit")
    assert page.status == 200
    text = page.body.decode()
    assert "审计日志" in text and "删除仓库" in text and "au-org/vault" in text
    assert 'id="org-audit-link"' in browser.get("/au-org").body.decode()
    exported = browser.get("/au-org/settings/audit?action=repo.settings&format=csv")
    assert exported.status == 200
    assert exported.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.body.decode())))
    assert [(r["action"], r["actor"], r["repository"]) for r in rows] == [
        ("repo.settings", "au-owner", "au-org/vault")
    ]
    assert web_login(live, "au-other").get("/au-org/settings/audit").status == 404
