"""The core §11 scenarios as a stand-alone script, for clients that must run in a subprocess.

Run by tests/hub/test_client_modes.py with (a) the pinned client and ``HF_HUB_DISABLE_XET=1``
(the client reads that at import time) and (b) ``huggingface_hub==0.36.2`` in its own venv.
Only API that exists in both versions is used. Exits non-zero on the first failed check.

Usage: scenario_core.py ENDPOINT TOKEN USER WORKDIR [--lfs-header]
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import uuid
from pathlib import Path


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def main() -> int:
    endpoint, token, user, workdir = sys.argv[1:5]
    headers = {"X-NBopen-Lfs": "1"} if "--lfs-header" in sys.argv else None
    import huggingface_hub
    from huggingface_hub import HfApi, hf_hub_download, snapshot_download
    from huggingface_hub.errors import (
        EntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    api = HfApi(endpoint=endpoint, token=token, headers=headers)
    work = Path(workdir)
    assert api.whoami()["name"] == user
    repo_id = f"{user}/core-{uuid.uuid4().hex[:6]}"
    api.create_repo(repo_id)
    api.create_repo(repo_id, exist_ok=True)
    src = work / "src"
    (src / "目录" / "子").mkdir(parents=True)
    (src / "config.json").write_text('{"a": 1}')
    (src / "README.md").write_text("---\nlicense: mit\nhardware: [kunlunxin]\n---\n# x\n")
    (src / "目录" / "子" / "说明.txt").write_text("你好\n", encoding="utf-8")
    with open(src / "weights.bin", "wb") as fh:
        block = os.urandom(1 << 20)
        for i in range(15):
            fh.write(block[i:] + block[:i])
    # 15 MB goes as one basic PUT, 25 MB as multipart (8 MiB parts) on the LFS paths.
    with open(src / "shard-2.bin", "wb") as fh:
        for i in range(25):
            fh.write(block[i:] + block[:i])
    first = api.upload_folder(repo_id=repo_id, folder_path=str(src))
    info = api.model_info(repo_id, files_metadata=True)
    assert info.sha == first.oid, (info.sha, first.oid)
    lfs_files = {s.rfilename for s in info.siblings if s.lfs}
    assert lfs_files == {"weights.bin", "shard-2.bin"}, lfs_files
    snap = Path(
        snapshot_download(repo_id, cache_dir=str(work / "c1"), endpoint=endpoint, token=token)
    )
    for name in ["config.json", "README.md", "目录/子/说明.txt", "weights.bin", "shard-2.bin"]:
        assert sha256(snap / name) == sha256(src / name), name
    second = api.upload_folder(repo_id=repo_id, folder_path=str(src))
    assert api.model_info(repo_id).sha == first.oid, "identical upload made a commit"
    del second
    api.create_tag(repo_id, tag="v1")
    api.create_branch(repo_id, branch="dev/x")
    api.upload_file(
        path_or_fileobj=b'{"a": 2}', path_in_repo="config.json", repo_id=repo_id, revision="dev/x"
    )
    for revision, expected in (
        ("v1", b'{"a": 1}'),
        ("dev/x", b'{"a": 2}'),
        (first.oid, b'{"a": 1}'),
    ):
        got = hf_hub_download(
            repo_id,
            "config.json",
            revision=revision,
            cache_dir=str(work / "c2"),
            endpoint=endpoint,
            token=token,
        )
        assert Path(got).read_bytes() == expected, revision
    api.delete_folder("目录", repo_id=repo_id)
    api.delete_file("config.json", repo_id=repo_id)
    files = set(api.list_repo_files(repo_id))
    assert files == {".gitattributes", "README.md", "weights.bin", "shard-2.bin"}, files
    try:
        hf_hub_download(
            repo_id, "nope.txt", cache_dir=str(work / "c3"), endpoint=endpoint, token=token
        )
        raise AssertionError("missing file downloaded")
    except EntryNotFoundError:
        pass
    try:
        api.model_info(repo_id, revision="no-such-branch")
        raise AssertionError("bad revision accepted")
    except RevisionNotFoundError:
        pass
    private_id = f"{user}/private-{uuid.uuid4().hex[:6]}"
    api.create_repo(private_id, private=True)
    api.upload_file(path_or_fileobj=b"s", path_in_repo="s.txt", repo_id=private_id)
    try:
        hf_hub_download(
            private_id, "s.txt", cache_dir=str(work / "c4"), endpoint=endpoint, token=False
        )
        raise AssertionError("anonymous read of a private repo")
    except RepositoryNotFoundError:
        pass
    print(json.dumps({"client": huggingface_hub.__version__, "repo": repo_id, "ok": True}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
