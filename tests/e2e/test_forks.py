"""Forks through the API and the browser, checked with the real git and git-lfs."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tests.support.live import LiveServer


def git(*args: str, cwd: Path | None = None) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def api(
    live: LiveServer, path: str, token: str | None, body: dict[str, Any] | None = None
) -> tuple[int, Any]:
    request = urllib.request.Request(
        live.url + path,
        method="POST" if body is not None else "GET",
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}"} if token else {},
    )
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def _create(live: LiveServer, token: str, name: str, *, private: bool = False) -> None:
    status, _ = api(live, "/api/repos/create", token, {"name": name, "private": private})
    assert status == 200


def _push_with_lfs(live: LiveServer, token: str, repo: str, work: Path) -> tuple[str, bytes]:
    git("init", "-q", "-b", "main", str(work))
    git("lfs", "install", "--local", cwd=work)
    git("lfs", "track", "*.bin", cwd=work)
    weights = os.urandom(300_000)
    (work / "model.bin").write_bytes(weights)
    (work / "README.md").write_text("# 堆场调度模型\n", encoding="utf-8")
    git("add", "-A", cwd=work)
    git("commit", "-qm", "weights", cwd=work)
    git("tag", "v1", cwd=work)
    url = live.url.replace("http://", f"http://u:{token}@") + f"/{repo}.git"
    git("push", "-q", url, "main", "v1", cwd=work)
    return git("rev-parse", "HEAD", cwd=work).strip(), weights


def test_fork_copies_history_tags_and_large_files(live: LiveServer, tmp_path: Path) -> None:
    alice, bob = live.create_user("forksrc"), live.create_user("forker")
    _create(live, alice, "harbour-model")
    head, weights = _push_with_lfs(live, alice, "forksrc/harbour-model", tmp_path / "src")

    status, fork = api(live, "/api/v1/repos/forksrc/harbour-model/forks", bob, {})
    assert status == 201, fork
    assert fork["id"] == "forker/harbour-model"
    assert fork["forked_from"] == "forksrc/harbour-model"

    clone = tmp_path / "clone"
    fork_url = live.url.replace("http://", f"http://u:{bob}@") + "/forker/harbour-model.git"
    git("clone", "-q", fork_url, str(clone))
    assert git("rev-parse", "HEAD", cwd=clone).strip() == head
    assert git("tag", cwd=clone).split() == ["v1"]
    assert hashlib.sha256((clone / "model.bin").read_bytes()).digest() == (
        hashlib.sha256(weights).digest()
    )

    # The fork is independent: a push there leaves the source alone.
    (clone / "NOTES.md").write_text("fork only\n")
    git("add", "-A", cwd=clone)
    git("commit", "-qm", "fork change", cwd=clone)
    git("push", "-q", "origin", "main", cwd=clone)
    source_heads = git("ls-remote", live.url + "/forksrc/harbour-model.git", "refs/heads/main")
    assert source_heads.split()[0] == head

    status, listed = api(live, "/api/v1/repos/forksrc/harbour-model/forks", None)
    assert status == 200
    assert listed["total"] == 1
    assert [f["id"] for f in listed["forks"]] == ["forker/harbour-model"]
    assert api(live, "/api/v1/repos/forksrc/harbour-model/forks", bob, {})[0] == 409
    status, other = api(
        live, "/api/v1/repos/forksrc/harbour-model/forks", bob, {"name": "harbour-2"}
    )
    assert status == 201 and other["id"] == "forker/harbour-2"

    # The event belongs to the source, as GitHub's ForkEvent does (analytics count reuse).
    with urllib.request.urlopen(f"{live.url}/forksrc/harbour-model") as response:
        html = response.read().decode()
    assert 'id="fork-count">2<' in html
    with urllib.request.urlopen(f"{live.url}/forker/harbour-model") as response:
        html = response.read().decode()
    assert 'href="/forksrc/harbour-model"' in html and 'id="forked-from"' in html

    # Deleting the source leaves the fork whole.
    live.delete_repo(alice, "forksrc/harbour-model")
    again = tmp_path / "again"
    git("clone", "-q", fork_url, str(again))
    assert (again / "model.bin").read_bytes() == weights
    with urllib.request.urlopen(f"{live.url}/forker/harbour-model") as response:
        assert 'id="forked-from"' not in response.read().decode()


def test_private_repositories_cannot_be_forked(live: LiveServer, tmp_path: Path) -> None:
    owner, outsider = live.create_user("privsrc"), live.create_user("privforker")
    _create(live, owner, "secret-model", private=True)
    _push_with_lfs(live, owner, "privsrc/secret-model", tmp_path / "src")
    path = "/api/v1/repos/privsrc/secret-model/forks"
    assert api(live, path, outsider, {})[0] == 404  # existence is not revealed
    assert api(live, path, None, {})[0] == 401
    assert api(live, path, None)[0] == 401
    assert api(live, path, outsider)[0] == 404
    status, body = api(live, path, owner, {"name": "secret-copy"})
    assert status == 403, body
    assert api(live, "/api/v1/repos/privsrc/secret-copy/forks", owner)[0] == 404


def test_bad_fork_requests_get_clear_errors(live: LiveServer) -> None:
    token = live.create_user("forkbad")
    _create(live, token, "plain")
    path = "/api/v1/repos/forkbad/plain/forks"
    for body in ({"name": ""}, {"name": 5}, {"organization": ""}, {"name": "../x"}):
        status, answer = api(live, path, token, body)
        assert status == 400, (body, answer)
        assert answer["error"]
    assert api(live, path, token, {"organization": "no-such-org"})[0] == 404
