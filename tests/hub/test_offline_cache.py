"""HF_COMPAT.md §11.16: with the server gone, ``hf_hub_download`` by branch name uses the cache.

The client resolves a branch with a HEAD request; when that fails with a connection error it
falls back to the ``refs/<branch>`` file it wrote on the first download. That only works if the
first download stored the commit the server sent in ``X-Repo-Commit`` and the ETag, so a wrong
header shows up here as a miss. The test starts and stops its own ``nbopen serve`` (the shared
session server stays up), and runs the client in a subprocess with an explicit environment
because ``huggingface_hub`` reads HF_ENDPOINT/HF_HOME/HF_HUB_OFFLINE at import time.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from huggingface_hub import HfApi

from tests.support.live import LiveServer

pytestmark = pytest.mark.e2e

CLIENT = r"""
import json, sys
from huggingface_hub import hf_hub_download
from huggingface_hub.errors import LocalEntryNotFoundError

repo_id, revision, *names = sys.argv[1:]
result = {}
for name in names:
    try:
        result[name] = hf_hub_download(repo_id, name, revision=revision)
    except LocalEntryNotFoundError as exc:
        result[name] = "LocalEntryNotFoundError: " + str(exc)[:200]
print(json.dumps(result))
"""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    own = LiveServer(tmp_path / "server").start()
    try:
        yield own
    finally:
        own.stop()


def download(
    url: str, token: str, home: Path, repo_id: str, revision: str, *names: str
) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGINGFACE"))}
    environment.update(
        {
            "HF_ENDPOINT": url,
            "HF_TOKEN": token,
            "HF_HOME": str(home),
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "HF_HUB_ETAG_TIMEOUT": "5",
        }
    )
    proc = subprocess.run(
        [sys.executable, "-c", CLIENT, repo_id, revision, *names],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-6000:]
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def unreachable(url: str) -> bool:
    host, port = url.removeprefix("http://").split(":")
    try:
        socket.create_connection((host, int(port)), timeout=2).close()
    except OSError:
        return True
    return False


def test_cached_file_is_served_by_branch_name_after_the_server_is_gone(
    server: LiveServer, tmp_path: Path
) -> None:
    user = f"off{uuid.uuid4().hex[:8]}"
    token = server.create_user(user)
    api = HfApi(endpoint=server.url, token=token)
    repo_id = f"{user}/offline-{uuid.uuid4().hex[:6]}"
    api.create_repo(repo_id)
    weights = os.urandom(3 * 1024 * 1024)
    api.upload_file(path_or_fileobj=b'{"v": "main"}', path_in_repo="config.json", repo_id=repo_id)
    api.upload_file(path_or_fileobj=weights, path_in_repo="model.safetensors", repo_id=repo_id)
    api.upload_file(path_or_fileobj=b"never fetched", path_in_repo="other.txt", repo_id=repo_id)
    api.create_branch(repo_id, branch="feature/x")
    api.upload_file(
        path_or_fileobj=b'{"v": "feature"}',
        path_in_repo="config.json",
        repo_id=repo_id,
        revision="feature/x",
    )
    home = tmp_path / "hf-home"
    online_main = download(
        server.url, token, home, repo_id, "main", "config.json", "model.safetensors"
    )
    online_feature = download(server.url, token, home, repo_id, "feature/x", "config.json")
    assert Path(online_main["config.json"]).read_bytes() == b'{"v": "main"}'
    assert Path(online_main["model.safetensors"]).read_bytes() == weights
    assert Path(online_feature["config.json"]).read_bytes() == b'{"v": "feature"}'

    server.stop()
    assert unreachable(server.url)

    offline_main = download(
        server.url, token, home, repo_id, "main", "config.json", "model.safetensors", "other.txt"
    )
    offline_feature = download(server.url, token, home, repo_id, "feature/x", "config.json")
    assert offline_main["config.json"] == online_main["config.json"]
    assert Path(offline_main["config.json"]).read_bytes() == b'{"v": "main"}'
    assert Path(offline_main["model.safetensors"]).read_bytes() == weights
    assert offline_feature["config.json"] == online_feature["config.json"]
    assert Path(offline_feature["config.json"]).read_bytes() == b'{"v": "feature"}'
    # A file that was never downloaded cannot come from anywhere: proves the server is gone.
    assert offline_main["other.txt"].startswith("LocalEntryNotFoundError")
