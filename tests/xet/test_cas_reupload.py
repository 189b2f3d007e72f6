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

from nbopen.xet import hashing, shardfmt
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


@pytest.fixture
def weights(tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    """Content of this test only (no other test's public repository holds it)."""
    path = tmp_path / "model.safetensors"
    # Binary from its first bytes (a safetensors header starts with a u64 length), so preupload
    # answers "lfs" below the 10 MB threshold.
    data = (1234).to_bytes(8, "little") + random.Random(request.node.name).randbytes(SIZE - 8)
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
    assert _gc(live)["retained_xorbs"] >= 1  # the uploader's proof of possession keeps them
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
        "/v1/files/" + _xet_hash_of(live, token, "xre/ckpt", "model.safetensors"),
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


def test_member_of_the_same_organization(
    live: LiveServer, weights: dict[str, Any], tmp_path: Path
) -> None:
    """Bob builds his copy from Alice's org upload (server dedup, cached by his client); after
    both org repositories are deleted, his cached answer still works in his own repository."""
    alice, bob = live.create_user("rxalice"), live.create_user("rxbob")
    live.cli("org", "create", "rxlab", "--kind", "community", "--owner", "rxalice")
    live.cli("org", "add-member", "rxlab", "rxbob", "--role", "write")
    up = {"op": "upload", "path": weights["path"], "name": "model.safetensors"}
    alice_home, bob_home = tmp_path / "alice", tmp_path / "bob"
    _ok(
        _run(
            live,
            alice_home,
            alice,
            [{"op": "create", "repo": "rxlab/base", "private": True}, {**up, "repo": "rxlab/base"}],
        )
    )
    assert _received(live, "rxlab/base") >= SIZE
    # Bob's own client, empty cache: the server's dedup answer (Alice's private org repo is
    # readable to him) spares the bytes, and his client caches that answer.
    _ok(
        _run(
            live,
            bob_home,
            bob,
            [{"op": "create", "repo": "rxlab/bobs"}, {**up, "repo": "rxlab/bobs"}],
        )
    )
    assert _received(live, "rxlab/bobs") < SIZE // 2
    live.delete_repo(alice, "rxlab/base")
    live.delete_repo(alice, "rxlab/bobs")  # an org admin deletes both
    assert _gc(live)["retained_xorbs"] >= 1
    dl = {"op": "download", "name": "model.safetensors", "cache_dir": str(tmp_path / "dl")}
    results = _ok(
        _run(
            live,
            bob_home,
            bob,
            [
                {"op": "create", "repo": "rxbob/own"},
                {**up, "repo": "rxbob/own"},
                {**dl, "repo": "rxbob/own"},
            ],
        )
    )
    assert results[-1]["sha256"] == weights["sha256"]


def _one_chunk_shard(chunk: bytes, size: int) -> bytes:
    """A shard building a one-chunk file from the one-chunk xorb ``chunk`` (its hash is the
    chunk hash): all an outsider needs is the chunk hash and length of a private file."""
    term = shardfmt.Term(chunk, size, 0, 1)
    info = shardfmt.FileInfo(
        hashing.file_hash([(chunk, size)]), [term], [hashing.verification_hash([chunk])]
    )
    return shardfmt.write_upload_shard([info], [])


def test_outsider_who_knows_the_hashes_gets_nothing(
    live: LiveServer, cas: Cas, tmp_path: Path
) -> None:
    owner, outsider = live.create_user("xowner"), live.create_user("xmallory")
    data = b"\0" + random.Random(7).randbytes(4999)
    secret = tmp_path / "secret.bin"
    secret.write_bytes(data)
    sha = hashlib.sha256(data).hexdigest()
    chunk = hashing.chunk_hash(data)
    chunk_hex, file_hex = hashing.to_hex(chunk), hashing.to_hex(hashing.file_hash([(chunk, 5000)]))
    up = {"op": "upload", "path": str(secret), "name": "secret.bin"}
    _ok(
        _run(
            live,
            tmp_path / "owner",
            owner,
            [
                {"op": "create", "repo": "xowner/vault", "private": True},
                {**up, "repo": "xowner/vault"},
            ],
        )
    )
    cas.create_repo(outsider, "own")
    assert _xet_hash_of(live, owner, "xowner/vault", "secret.bin") == file_hex

    fake = hashing.chunk_hash(random.Random(8).randbytes(5000))  # a xorb that never existed

    def probe() -> None:
        token = cas.token("xmallory/own", "xmallory", write=True)["accessToken"]
        # Shard: the same 400, word for word, as for a xorb nobody ever uploaded.
        status, body = cas.request("POST", "/v1/shards", token, _one_chunk_shard(chunk, 5000))
        fake_status, fake_body = cas.request(
            "POST", "/v1/shards", token, _one_chunk_shard(fake, 5000)
        )
        assert status == fake_status == 400
        assert body.replace(chunk_hex.encode(), hashing.to_hex(fake).encode()) == fake_body
        # No route serves a xorb by its hash; fetch URLs need the server's signature.
        assert cas.request("GET", f"/v1/xorbs/default/{chunk_hex}", token)[0] != 200
        for key in (chunk_hex, sha):
            assert cas.request("GET", f"/fetch/{key}", None)[0] == 403
            assert cas.request("GET", f"/fetch/{key}?op=xet-xorb&k={key}&r=0-99", None)[0] == 403
        # Dedup, reconstruction, plain file: nothing.
        assert cas.request("GET", f"/v1/chunks/default/{chunk_hex}", token)[0] == 404
        assert cas.request("GET", f"/v1/chunks/default-merkledb/{chunk_hex}", token)[0] == 404
        assert cas.request("GET", f"/v1/reconstructions/{file_hex}", token)[0] == 404
        assert cas.request("GET", f"/v1/files/{file_hex}", token)[0] == 404
        # Resolve in the owner's repository: not found for the outsider.
        status, _ = _http(live, "GET", "/xowner/vault/resolve/main/secret.bin", outsider)
        assert status == 404
        # LFS bridge: committing the private sha256 as an LFS pointer is refused...
        status, _ = _commit_lfs_pointer(live, outsider, "xmallory/own", sha, 5000)
        assert status == 422
        # ...and the git-lfs batch API of their own repository offers no download.
        status, body = _lfs_batch(live, "xmallory", outsider, "xmallory/own", sha, 5000)
        assert b'"href"' not in body and data not in body

    probe()
    # The owner deletes the repository; GC keeps the xorb for the owner's proof of possession.
    live.delete_repo(owner, "xowner/vault")
    gc = _gc(live)
    assert gc["retained_xorbs"] >= 1
    probe()  # a retained xorb is still no one else's
    # Control: the owner (who uploaded the bytes) may build from it, the outsider still not.
    cas.create_repo(owner, "again", private=True)
    token = cas.token("xowner/again", "xowner", write=True)["accessToken"]
    assert cas.request("POST", "/v1/shards", token, _one_chunk_shard(chunk, 5000))[0] == 200
    status, body = cas.request("GET", f"/v1/files/{file_hex}", token)
    assert status == 200 and body == data
    probe()
    # Once the proof is older than the retention, GC frees the content like any other.
    live.delete_repo(owner, "xowner/again")
    assert _gc(live, "--possession-seconds", "0")["xorbs"] >= 1
    probe()


def _http(live: LiveServer, method: str, path: str, token: str) -> tuple[int, bytes]:
    request = urllib.request.Request(
        live.url + path, method=method, headers={"Authorization": f"Bearer {token}"}
    )
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _commit_lfs_pointer(
    live: LiveServer, token: str, repo: str, oid: str, size: int
) -> tuple[int, bytes]:
    lines = [
        {"key": "header", "value": {"summary": "claim"}},
        {"key": "lfsFile", "value": {"path": "w.bin", "algo": "sha256", "oid": oid, "size": size}},
    ]
    request = urllib.request.Request(
        f"{live.url}/api/models/{repo}/commit/main",
        method="POST",
        data="\n".join(json.dumps(line) for line in lines).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"},
    )
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _lfs_batch(
    live: LiveServer, user: str, token: str, repo: str, oid: str, size: int
) -> tuple[int, bytes]:
    import base64

    body = {
        "operation": "download",
        "transfers": ["basic"],
        "objects": [{"oid": oid, "size": size}],
    }
    auth = base64.b64encode(f"{user}:{token}".encode()).decode()
    request = urllib.request.Request(
        f"{live.url}/{repo}.git/info/lfs/objects/batch",
        method="POST",
        data=json.dumps(body).encode(),
        headers={
            "Authorization": f"Basic {auth}",
            "Accept": "application/vnd.git-lfs+json",
            "Content-Type": "application/vnd.git-lfs+json",
        },
    )
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _xet_hash_of(live: LiveServer, token: str, repo: str, name: str) -> str:
    request = urllib.request.Request(
        f"{live.url}/{repo}/resolve/main/{name}",
        method="HEAD",
        headers={"Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request) as response:
        return str(response.headers["X-Xet-Hash"])
