"""A repository joins a domain by a plain ``git push`` of its README, and leaves it the same
way; rows come from the real conversion; the API shows private members only to readers."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from tests.support.client import api_create_repo, authed, git, request
from tests.support.live import LiveServer


def _detail(live: LiveServer, token: str | None = None) -> Any:
    response = request(f"{live.url}/api/v1/libraries/port-git", token=token)
    assert response.status == 200, response.body
    return response.json()


def _push(live: LiveServer, token: str, repo: str, work: Path, files: dict[str, str]) -> None:
    if not (work / ".git").exists():
        git("init", "-q", "-b", "main", str(work))
    for name, text in files.items():
        path = work / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    git("add", "-A", cwd=work)
    git("commit", "-q", "-m", "update", cwd=work)
    git("push", "-q", authed(live, token, f"/{repo}.git"), "main", cwd=work)


def test_git_push_puts_a_repository_in_a_domain(live: LiveServer, tmp_path: Path) -> None:
    live.cli("libraries", "add", "port-git", "--zh", "港口（git）")
    owner = live.create_user("git-lib-owner")
    outsider = live.create_user("git-lib-outsider")
    api_create_repo(live, owner, "harbor-git", type="dataset")
    api_create_repo(live, owner, "secret-git", type="code", private=True)
    csv = "id,泊位,teu\n" + "".join(f"{i},北仑{i},{i * 7}\n" for i in range(4))
    _push(
        live,
        owner,
        "datasets/git-lib-owner/harbor-git",
        tmp_path / "harbor",
        {"README.md": "---\ndomain: port-git\n---\n# 泊位\n", "data/train.csv": csv},
    )
    _push(
        live,
        owner,
        "git-lib-owner/secret-git",
        tmp_path / "secret",
        {"README.md": "---\ntags: [domain:port-git]\nlicense: mit\n---\n# secret\n"},
    )

    deadline = time.monotonic() + 120
    while _detail(live)["counts"]["rows"] != 4 and time.monotonic() < deadline:
        time.sleep(0.5)  # the conversion runs in the background
    public = _detail(live)
    assert [r["id"] for r in public["repositories"]] == ["git-lib-owner/harbor-git"]
    assert public["counts"] == {"dataset": 1, "model": 0, "code": 0, "total": 1, "rows": 4}
    assert public["licence_missing"] == ["git-lib-owner/harbor-git"]
    assert public["contributors"] == 1
    assert _detail(live, outsider)["counts"]["total"] == 1
    mine = _detail(live, owner)
    assert {r["id"] for r in mine["repositories"]} == {
        "git-lib-owner/harbor-git",
        "git-lib-owner/secret-git",
    }
    assert mine["growth"]["repositories"][-1] == 2

    # A README without the domain takes the repository out again; a licence clears the notice.
    _push(
        live,
        owner,
        "git-lib-owner/secret-git",
        tmp_path / "secret",
        {"README.md": "---\nlicense: mit\n---\n# secret\n"},
    )
    _push(
        live,
        owner,
        "datasets/git-lib-owner/harbor-git",
        tmp_path / "harbor",
        {"README.md": "---\ndomain: 港口（git）\nlicense: cc-by-4.0\n---\n# 泊位\n"},
    )
    mine = _detail(live, owner)
    assert [r["id"] for r in mine["repositories"]] == ["git-lib-owner/harbor-git"]
    assert mine["licence_missing"] == []
