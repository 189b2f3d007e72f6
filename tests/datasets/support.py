"""Dataset test helpers: create a dataset repo, push with git (+LFS), query the viewer."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from tests.support.live import LiveServer


def git(*args: str, cwd: Path | None = None) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def create_dataset(live: LiveServer, token: str, name: str, *, private: bool = False) -> None:
    request = urllib.request.Request(
        live.url + "/api/repos/create",
        method="POST",
        data=json.dumps({"name": name, "type": "dataset", "private": private}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        assert response.status == 200


def push_files(
    live: LiveServer,
    token: str,
    owner: str,
    name: str,
    work: Path,
    files: dict[str, bytes],
    *,
    lfs: tuple[str, ...] = (),
    message: str = "data",
) -> str:
    """Commit ``files`` (path → bytes) in ``work`` and push to the dataset; returns the sha."""
    if not (work / ".git").exists():
        work.mkdir(parents=True, exist_ok=True)
        git("init", "-q", "-b", "main", str(work))
        if lfs:
            git("lfs", "install", "--local", cwd=work)
            git("lfs", "track", *lfs, cwd=work)
    for rel, data in files.items():
        target = work / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    git("add", "-A", cwd=work)
    git("commit", "-qm", message, cwd=work)
    url = live.url.replace("http://", f"http://user:{token}@") + f"/datasets/{owner}/{name}.git"
    git("push", "-q", url, "main", cwd=work)
    return git("rev-parse", "HEAD", cwd=work).strip()


def get(
    live: LiveServer, endpoint: str, token: str | None = None, **params: Any
) -> tuple[int, Any, dict[str, str]]:
    """(status, parsed JSON body, headers) of GET /datasets-server/{endpoint}?params."""
    query = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
    request = urllib.request.Request(f"{live.url}/datasets-server/{endpoint}?{query}")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read()), dict(response.headers)
    except urllib.error.HTTPError as exc:
        body = exc.read()
        return exc.code, json.loads(body) if body else None, dict(exc.headers)


def fetch(url: str, token: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def wait_converted(
    live: LiveServer, dataset: str, token: str | None = None, timeout: float = 180
) -> dict[str, Any]:
    """Poll /splits until nothing is pending; returns the final /splits body."""
    deadline = time.monotonic() + timeout
    body: Any = None
    while time.monotonic() < deadline:
        status, body, _ = get(live, "splits", token, dataset=dataset)
        assert status == 200, body
        if not body["pending"] and (body["splits"] or body["failed"]):
            return dict(body)
        time.sleep(0.3)
    raise AssertionError(f"conversion of {dataset} did not finish: {body}\n{live.log()[-3000:]}")
