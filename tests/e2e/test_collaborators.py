"""Collaborators open one private repository to one person, on every channel, and only then."""

from __future__ import annotations

import json
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tests.support.live import LiveServer


def git(
    *args: str, cwd: Path | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, check=check, capture_output=True, text=True)


def call(
    live: LiveServer, method: str, path: str, token: str | None, body: Any = None
) -> tuple[int, Any]:
    request = urllib.request.Request(
        live.url + path,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}"} if token else {},
    )
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def authed(live: LiveServer, token: str, repo: str) -> str:
    return live.url.replace("http://", f"http://u:{token}@") + f"/{repo}.git"


def _search_ids(live: LiveServer, token: str | None, q: str) -> list[str]:
    status, body = call(live, "GET", f"/api/v1/search?q={q}", token)
    assert status == 200
    return [r["id"] for r in body["results"]]


def test_a_collaborator_gets_exactly_the_granted_level(live: LiveServer, tmp_path: Path) -> None:
    alice, bob, carol = (live.create_user(n) for n in ("collabowner", "collabbob", "collabcarol"))
    assert (
        call(live, "POST", "/api/repos/create", alice, {"name": "quay-secret", "private": True})[0]
        == 200
    )
    work = tmp_path / "w"
    git("init", "-q", "-b", "main", str(work))
    (work / "README.md").write_text("# 码头秘密 quaysecretword\n", encoding="utf-8")
    git("add", "-A", cwd=work)
    git("commit", "-qm", "first", cwd=work)
    git("push", "-q", authed(live, alice, "collabowner/quay-secret"), "main", cwd=work)
    repo_path = "/api/v1/repos/collabowner/quay-secret/collaborators"

    # Before any grant: bob sees nothing anywhere.
    assert (
        git(
            "clone",
            "-q",
            authed(live, bob, "collabowner/quay-secret"),
            str(tmp_path / "c0"),
            check=False,
        ).returncode
        != 0
    )
    assert call(live, "GET", repo_path, bob)[0] == 404
    assert "collabowner/quay-secret" not in _search_ids(live, bob, "quaysecretword")

    status, body = call(live, "PUT", f"{repo_path}/collabbob", alice, {"permission": "pull"})
    assert (status, body) == (201, {"user": "collabbob", "role": "read"})
    clone = tmp_path / "c1"
    git("clone", "-q", authed(live, bob, "collabowner/quay-secret"), str(clone))
    assert "码头秘密" in (clone / "README.md").read_text(encoding="utf-8")
    assert "collabowner/quay-secret" in _search_ids(live, bob, "quaysecretword")
    assert "collabowner/quay-secret" not in _search_ids(live, carol, "quaysecretword")
    (clone / "x.txt").write_text("x\n")
    git("add", "-A", cwd=clone)
    git("commit", "-qm", "by bob", cwd=clone)
    assert git("push", "-q", "origin", "main", cwd=clone, check=False).returncode != 0
    assert call(live, "PUT", f"{repo_path}/collabcarol", bob, {"permission": "read"})[0] == 403

    assert call(live, "PUT", f"{repo_path}/collabbob", alice, {"permission": "write"})[0] == 201
    git("push", "-q", "origin", "main", cwd=clone)
    assert call(live, "PUT", f"{repo_path}/collabcarol", bob, {"permission": "read"})[0] == 403
    status, listed = call(live, "GET", repo_path, bob)
    assert listed == {"collaborators": [{"user": "collabbob", "role": "write"}]}

    assert call(live, "DELETE", f"{repo_path}/collabbob", alice)[0] == 200
    assert (
        git(
            "clone",
            "-q",
            authed(live, bob, "collabowner/quay-secret"),
            str(tmp_path / "c2"),
            check=False,
        ).returncode
        != 0
    )
    assert "collabowner/quay-secret" not in _search_ids(live, bob, "quaysecretword")


def test_collaborator_requests_are_checked(live: LiveServer) -> None:
    owner = live.create_user("collabchk")
    live.create_user("collabchk2")
    assert call(live, "POST", "/api/repos/create", owner, {"name": "r", "private": True})[0] == 200
    path = "/api/v1/repos/collabchk/r/collaborators"
    assert call(live, "GET", path, None)[0] == 401
    assert call(live, "PUT", f"{path}/collabchk2", owner, {"permission": "god"})[0] == 400
    assert call(live, "PUT", f"{path}/collabchk2", owner, {"permission": 3})[0] == 400
    assert call(live, "PUT", f"{path}/nobody-here", owner, {"permission": "read"})[0] == 404
    assert call(live, "PUT", f"{path}/collabchk", owner, {"permission": "read"})[0] == 400
    assert call(live, "DELETE", f"{path}/collabchk2", owner)[0] == 404
    assert call(live, "POST", path, owner, {})[0] == 405
    read_only = live.token("collabchk", scope="read")
    assert call(live, "PUT", f"{path}/collabchk2", read_only, {"permission": "read"})[0] == 403
