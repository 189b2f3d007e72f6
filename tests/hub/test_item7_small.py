"""Issue 20 item 7, the small ones, driven by real clients against the live server."""

from __future__ import annotations

import io
import json
import os
import urllib.request
from pathlib import Path

import pytest
from huggingface_hub import CommitOperationAdd, hf_hub_download

from tests.hub.conftest import Hub

pytestmark = pytest.mark.e2e


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # httpx2 inside the client's LFS PUT
@pytest.mark.parametrize("size", [4096, 21_000_000], ids=["basic", "multipart"])
def test_two_identical_binary_files_in_one_commit(hub: Hub, tmp_path: Path, size: int) -> None:
    repo_id = hub.repo_id("twins")
    hub.api.create_repo(repo_id)
    data = os.urandom(size) + b"\x00binary"
    hub.api.create_commit(
        repo_id,
        operations=[
            # Buffers take the client's LFS path (batch + basic or multipart transfer).
            CommitOperationAdd("a/weights.bin", io.BytesIO(data)),
            CommitOperationAdd("b/weights.bin", io.BytesIO(data)),
        ],
        commit_message="twins",
    )
    files = hub.api.list_repo_files(repo_id)
    assert {"a/weights.bin", "b/weights.bin"} <= set(files)
    for path in ("a/weights.bin", "b/weights.bin"):
        got = hf_hub_download(
            repo_id, path, endpoint=hub.url, token=hub.token, cache_dir=tmp_path / "c"
        )
        assert Path(got).read_bytes() == data


def test_lfs_batch_answers_one_entry_per_oid(hub: Hub) -> None:
    repo_id = hub.repo_id("batch")
    hub.api.create_repo(repo_id)
    oid, size = "ab" * 32, 10
    body = {
        "operation": "upload",
        "transfers": ["basic"],
        "objects": [{"oid": oid, "size": size}, {"oid": oid, "size": size}],
    }
    request = urllib.request.Request(
        f"{hub.url}/{repo_id}.git/info/lfs/objects/batch",
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "Authorization": f"Bearer {hub.token}",
            "Content-Type": "application/vnd.git-lfs+json",
            "Accept": "application/vnd.git-lfs+json",
        },
    )
    with urllib.request.urlopen(request) as response:
        answer = json.load(response)
    assert [o["oid"] for o in answer["objects"]] == [oid]
