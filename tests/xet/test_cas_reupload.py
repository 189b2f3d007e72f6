"""Re-uploading known content with the default client and a persistent Xet cache (issue 18.1).

hf_xet keeps every shard it uploaded in a local cache (``$HF_HOME/xet/<endpoint>/shard-cache``,
three weeks) and, in later processes, builds files from the xorbs listed there without
uploading them again. The server must accept such shards from a user who proved possession of
those xorbs, even after every repository that referenced them was deleted (and GC ran), while
someone who only knows the hashes of a private file still gets nothing.

Each simulated user has their own ``HF_HOME``; every client run is a new process, as a user's
separate ``hf upload`` invocations would be (one run may do several steps in one process).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.support.live import LiveServer
from tests.xet.conftest import Cas

pytestmark = pytest.mark.e2e

SIZE = 3 * 1024 * 1024 + 12345

# One client process: runs the steps in order and prints one JSON result per step.
CLIENT = r"""
import hashlib, json, sys
from huggingface_hub import HfApi, hf_hub_download
from huggingface_hub.utils._runtime import is_xet_available

spec = json.loads(sys.argv[1])
assert is_xet_available(), "the default install has hf_xet"
api = HfApi(endpoint=spec["endpoint"], token=spec["token"])
out = []
for step in spec["steps"]:
    op = step["op"]
    try:
        if op == "create":
            api.create_repo(step["repo"], private=step.get("private", False))
            out.append({"ok": True})
        elif op == "delete":
            api.delete_repo(step["repo"])
            out.append({"ok": True})
        elif op == "upload":
            api.upload_file(
                path_or_fileobj=step["path"], path_in_repo=step["name"], repo_id=step["repo"]
            )
            out.append({"ok": True})
        elif op == "download":
            path = hf_hub_download(
                step["repo"], step["name"], endpoint=spec["endpoint"], token=spec["token"],
                cache_dir=step["cache_dir"],
            )
            with open(path, "rb") as fh:
                out.append({"ok": True, "sha256": hashlib.sha256(fh.read()).hexdigest()})
    except Exception as exc:  # reported, not raised: the test decides
        out.append({"ok": False, "error": f"{type(exc).__name__}: {exc}"[:2000]})
print(json.dumps(out))
"""


def _run(live: LiveServer, home: Path, token: str, steps: list[dict[str, Any]]) -> list[Any]:
    """Run ``steps`` in one new client process whose Xet cache lives in ``home``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "NBOPEN_"))}
    env.update({"HF_HOME": str(home), "HF_HUB_DISABLE_TELEMETRY": "1"})
    spec = {"endpoint": live.url, "token": token, "steps": steps}
    proc = subprocess.run(
        [sys.executable, "-c", CLIENT, json.dumps(spec)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return list(json.loads(proc.stdout.strip().splitlines()[-1]))


def _ok(results: list[Any]) -> list[Any]:
    for result in results:
        assert result["ok"], result.get("error")
    return results


def _received(live: LiveServer, repo: str) -> int:
    return int(json.loads(live.cli("xet", "usage", repo).stdout)["received_xorb_bytes"])


def _gc(live: LiveServer, *extra: str) -> dict[str, int]:
    return dict(json.loads(live.cli("xet", "gc", "--grace-seconds", "0", *extra).stdout))


def _cached_shards(home: Path) -> int:
    return sum(1 for p in (home / "xet").rglob("*.mdb") if "shard-cache" in p.parts)


@pytest.fixture(scope="module")
def weights(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path = tmp_path_factory.mktemp("weights") / "model.safetensors"
    data = random.Random(18).randbytes(SIZE)
    path.write_bytes(data)
    return {"path": str(path), "data": data, "sha256": hashlib.sha256(data).hexdigest()}


def test_reupload_after_delete_with_persistent_cache(
    live: LiveServer, cas: Cas, weights: dict[str, Any], tmp_path: Path
) -> None:
    token = live.create_user("xre")
    home = tmp_path / "xre-home"
    up = {"op": "upload", "path": weights["path"], "name": "model.safetensors"}

    # 1. First upload: every byte travels; the client caches the shard it uploaded.
    _ok(_run(live, home, token, [{"op": "create", "repo": "xre/ckpt"}, {**up, "repo": "xre/ckpt"}]))
    assert _received(live, "xre/ckpt") >= SIZE
    assert _cached_shards(home) >= 1

    # 2. A second repository of the same user, new process: built from the cached xorbs.
    _ok(_run(live, home, token, [{"op": "create", "repo": "xre/copy"}, {**up, "repo": "xre/copy"}]))
    assert _received(live, "xre/copy") == 0

    # 3. Delete both, let GC run, re-create, upload again in a new process. The client's
    # cache still lists the xorbs, so it sends a shard referencing them and no xorb at all.
    live.delete_repo(token, "xre/ckpt")
    live.delete_repo(token, "xre/copy")
    assert _gc(live)["xorbs"] == 0  # the uploader's proof of possession keeps them
    dl = {"op": "download", "name": "model.safetensors", "cache_dir": str(tmp_path / "dl")}
    results = _ok(
        _run(
            live,
            home,
            token,
            [
                {"op": "create", "repo": "xre/ckpt", "private": True},
                {**up, "repo": "xre/ckpt"},
                {**dl, "repo": "xre/ckpt"},
            ],
        )
    )
    assert _received(live, "xre/ckpt") == 0  # the cached shard was used: issue 18.1 reproduced
    assert results[-1]["sha256"] == weights["sha256"]
    status, body = cas.request(
        "GET",
        "/v1/files/" + _xet_hash(live, token, "xre/ckpt"),
        cas.token("xre/ckpt", "xre")["accessToken"],
    )
    assert status == 200 and body == weights["data"]

    # 4. Same process: upload, delete, re-create under another name, upload, download.
    results = _ok(
        _run(
            live,
            home,
            token,
            [
                {"op": "create", "repo": "xre/a"},
                {**up, "repo": "xre/a"},
                {"op": "delete", "repo": "xre/a"},
                {"op": "delete", "repo": "xre/ckpt"},
                {"op": "create", "repo": "xre/b"},
                {**up, "repo": "xre/b"},
                {**dl, "repo": "xre/b", "cache_dir": str(tmp_path / "dl-b")},
            ],
        )
    )
    assert results[-1]["sha256"] == weights["sha256"]
    assert _received(live, "xre/b") == 0


def _xet_hash(live: LiveServer, token: str, repo: str) -> str:
    request = urllib.request.Request(
        f"{live.url}/{repo}/resolve/main/model.safetensors",
        method="HEAD",
        headers={"Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request) as response:
        return str(response.headers["X-Xet-Hash"])
