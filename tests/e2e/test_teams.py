"""Teams raise chosen members to chosen roles on chosen repositories, on every channel."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.test_collaborators import authed, call, git
from tests.support.live import LiveServer

ORG = "teamorg"


def _push_first_commit(live: LiveServer, token: str, repo: str, work: Path) -> None:
    git("init", "-q", "-b", "main", str(work))
    (work / "README.md").write_text("# 车间数据\n", encoding="utf-8")
    git("add", "-A", cwd=work)
    git("commit", "-qm", "first", cwd=work)
    git("push", "-q", authed(live, token, repo), "main", cwd=work)


def _can_push(live: LiveServer, token: str, repo: str, work: Path) -> bool:
    clone = work / repo.replace("/", "_")
    if not clone.exists():
        git("clone", "-q", authed(live, token, repo), str(clone))
    (clone / "change.txt").write_text(str(len(list(clone.iterdir()))))
    git("add", "-A", cwd=clone)
    git("commit", "-qm", "change", cwd=clone)
    pushed = git("push", "-q", "origin", "main", cwd=clone, check=False).returncode == 0
    if not pushed:
        git("reset", "-q", "--hard", "HEAD~1", cwd=clone)
    return pushed


def test_team_grants_follow_membership(live: LiveServer, tmp_path: Path) -> None:
    boss = live.create_user("teamboss")
    dev = live.create_user("teamdev")
    outsider = live.create_user("teamoutsider")
    live.cli("org", "create", ORG, "--kind", "enterprise", "--owner", "teamboss")
    live.cli("org", "add-member", ORG, "teamdev", "--role", "read")
    other_org_token = live.create_user("teamotherboss")
    live.cli("org", "create", "teamorg-b", "--kind", "university", "--owner", "teamotherboss")
    for name in ("plant-data", "other"):
        body = {"name": name, "organization": ORG, "private": True}
        assert call(live, "POST", "/api/repos/create", boss, body)[0] == 200
        _push_first_commit(live, boss, f"{ORG}/{name}", tmp_path / f"seed-{name}")
    body = {"name": "foreign", "organization": "teamorg-b"}
    assert call(live, "POST", "/api/repos/create", other_org_token, body)[0] == 200

    base = f"/api/v1/orgs/{ORG}/teams"
    assert not _can_push(live, dev, f"{ORG}/plant-data", tmp_path)  # read member
    assert call(live, "POST", base, dev, {"name": "lab"})[0] == 403
    assert call(live, "GET", base, outsider)[0] == 404
    assert call(live, "GET", base, None)[0] == 401

    status, team = call(live, "POST", base, boss, {"name": "lab", "description": "产线实验室"})
    assert status == 201 and team["members"] == [] and team["repos"] == []
    assert call(live, "POST", base, boss, {"name": "LAB"})[0] == 409
    assert call(live, "PUT", f"{base}/lab/members/teamoutsider", boss)[0] == 400  # not a member
    assert call(live, "PUT", f"{base}/lab/members/teamdev", boss)[0] == 200
    status, team = call(live, "PUT", f"{base}/lab/repos/plant-data", boss, {"permission": "push"})
    assert status == 200
    assert team == {
        "name": "lab",
        "display_name": "lab",  # none given: the slug
        "description": "产线实验室",
        "members": ["teamdev"],
        "repos": [{"repo": f"{ORG}/plant-data", "role": "write"}],
    }
    assert call(live, "PUT", f"{base}/lab/repos/foreign", boss, {"permission": "read"})[0] == 404
    assert call(live, "PUT", f"{base}/lab/members/teamboss", dev)[0] == 403

    assert _can_push(live, dev, f"{ORG}/plant-data", tmp_path)
    assert not _can_push(live, dev, f"{ORG}/other", tmp_path)
    assert call(live, "GET", base, dev)[1]["teams"][0]["name"] == "lab"
    # A team named in Chinese keeps an ASCII slug as its Gitea ``name``.
    status, named = call(live, "POST", base, boss, {"name": "qa", "display_name": "质检组"})
    assert status == 201 and (named["name"], named["display_name"]) == ("qa", "质检组")
    assert call(live, "POST", base, boss, {"name": "质检组"})[0] == 400

    status, _ = call(live, "DELETE", f"{base}/lab/members/teamdev", boss)
    assert status == 200
    assert not _can_push(live, dev, f"{ORG}/plant-data", tmp_path)
    assert call(live, "DELETE", f"{base}/lab", boss)[0] == 200
    assert call(live, "GET", f"{base}/lab", boss)[0] == 404
