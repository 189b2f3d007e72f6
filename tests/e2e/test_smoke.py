"""The shortest path through the platform: create, push, clone with the real git."""

from __future__ import annotations

import json
import subprocess
import urllib.request
from pathlib import Path

from tests.support.live import LiveServer


def git(*args: str, cwd: Path | None = None) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def test_push_then_clone_round_trip(live: LiveServer, tmp_path: Path) -> None:
    token = live.create_user("smoke")
    request = urllib.request.Request(
        live.url + "/api/repos/create",
        method="POST",
        data=json.dumps({"name": "hello", "type": "code"}).encode(),
        headers={"Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request) as response:
        assert json.load(response)["url"] == f"{live.url}/smoke/hello"
    src = tmp_path / "src"
    git("init", "-q", "-b", "main", str(src))
    (src / "README.md").write_text("# 你好 NBopen\n", encoding="utf-8")
    git("add", ".", cwd=src)
    git("commit", "-qm", "first", cwd=src)
    push_url = live.url.replace("http://", f"http://user:{token}@") + "/smoke/hello.git"
    git("push", "-q", push_url, "main", cwd=src)
    git("clone", "-q", live.url + "/smoke/hello", str(tmp_path / "clone"))
    assert (tmp_path / "clone" / "README.md").read_text(encoding="utf-8") == "# 你好 NBopen\n"
    assert git("rev-parse", "HEAD", cwd=tmp_path / "clone") == git("rev-parse", "HEAD", cwd=src)


def test_a_second_serve_on_a_busy_port_is_refused(live: LiveServer, tmp_path: Path) -> None:
    """granian's SO_REUSEPORT would otherwise let two deployments split one port's traffic."""
    from tests.support.live import NBOPEN

    env = {**live.env, "NBOPEN_DATA_DIR": str(tmp_path / "other")}
    env.pop("NBOPEN_DATABASE_URL", None)
    proc = subprocess.run(
        [*NBOPEN, "serve", "--port", str(live.port), "--no-demo"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1
    assert f"cannot serve on 127.0.0.1:{live.port}" in proc.stderr
    with urllib.request.urlopen(live.url + "/healthz") as response:
        assert response.status == 200
