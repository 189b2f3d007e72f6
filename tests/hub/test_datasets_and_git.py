"""``datasets.load_dataset`` through the Hub API, and git + git-lfs on the same repositories."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from huggingface_hub import CommitOperationAdd

from tests.hub.conftest import Hub

pytestmark = pytest.mark.e2e


def load(hub: Hub, tmp_path: Path, repo_id: str, **kwargs: object) -> object:
    """Run load_dataset in a subprocess: datasets reads HF_ENDPOINT once, at import time."""
    script = (
        "import json, sys, datasets\n"
        f"kwargs = {kwargs!r}\n"
        f"ds = datasets.load_dataset({repo_id!r}, cache_dir={str(tmp_path / 'ds')!r}, **kwargs)\n"
        "split = ds['train']\n"
        "rows = list(split)\n"
        "print(json.dumps(rows, ensure_ascii=False))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env.update(
        {
            "HF_ENDPOINT": hub.url,
            "HF_TOKEN": hub.token,
            "HF_HOME": str(tmp_path / "hf-home"),
            "HF_HUB_DISABLE_TELEMETRY": "1",
        }
    )
    proc = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-5000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_load_csv_dataset_without_readme(hub: Hub, tmp_path: Path) -> None:
    pytest.importorskip("datasets")
    repo_id = hub.repo_id("csv")
    hub.api.create_repo(repo_id, repo_type="dataset")
    hub.api.upload_file(
        path_or_fileobj="city,value\n宁波,1\n杭州,2\n".encode(),
        path_in_repo="data/train.csv",
        repo_id=repo_id,
        repo_type="dataset",
    )
    rows = load(hub, tmp_path, repo_id)
    assert rows == [{"city": "宁波", "value": 1}, {"city": "杭州", "value": 2}]


def test_load_parquet_dataset_with_configs_and_streaming(hub: Hub, tmp_path: Path) -> None:
    pytest.importorskip("datasets")
    import pyarrow as pa
    import pyarrow.parquet as pq

    repo_id = hub.repo_id("parquet")
    hub.api.create_repo(repo_id, repo_type="dataset")
    buf = io.BytesIO()
    pq.write_table(pa.table({"x": list(range(5)), "name": [f"n{i}" for i in range(5)]}), buf)
    card = (
        "---\nconfigs:\n- config_name: default\n  data_files:\n"
        "  - split: train\n    path: parts/*.parquet\n---\n# Parquet\n"
    )
    hub.api.create_commit(
        repo_id,
        repo_type="dataset",
        operations=[
            CommitOperationAdd("README.md", card.encode()),
            CommitOperationAdd("parts/a.parquet", buf.getvalue()),
        ],
        commit_message="parquet",
    )
    rows = load(hub, tmp_path, repo_id)
    assert [r["x"] for r in rows] == list(range(5))  # type: ignore[index, union-attr]
    streamed = load(hub, tmp_path / "s", repo_id, streaming=True)
    assert [r["name"] for r in streamed] == [f"n{i}" for i in range(5)]  # type: ignore[index, union-attr]


def git(*args: str, cwd: Path | None = None) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def digests(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in root.rglob("*")
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def test_git_clone_with_lfs_is_byte_identical_and_push_is_visible(hub: Hub, tmp_path: Path) -> None:
    repo_id = hub.repo_id("gitlfs")
    hub.api.create_repo(repo_id)
    src = tmp_path / "src"
    (src / "权重").mkdir(parents=True)
    (src / "README.md").write_text("---\nlicense: mit\n---\n# git\n")
    (src / "权重" / "model.safetensors").write_bytes(os.urandom(11_000_000))
    (src / "small.bin").write_bytes(b"\0\1\2" * 1000)
    hub.api.upload_folder(repo_id=repo_id, folder_path=src)
    clone = tmp_path / "clone"
    auth_url = hub.url.replace("http://", f"http://hf_user:{hub.token}@") + f"/{repo_id}"
    git("clone", "-q", auth_url, str(clone))
    git("lfs", "pull", cwd=clone)
    got = digests(clone)
    got.pop(".gitattributes")
    assert got == digests(src)

    # A push with a new LFS file shows up through the API as an LFS sibling.
    git("lfs", "track", "*.gguf", cwd=clone)
    (clone / "extra.gguf").write_bytes(os.urandom(300_000))
    git("add", ".", cwd=clone)
    git("commit", "-qm", "add gguf via git", cwd=clone)
    git("push", "-q", "origin", "main", cwd=clone)
    info = hub.api.model_info(repo_id, files_metadata=True)
    assert info.sha == git("rev-parse", "HEAD", cwd=clone).strip()
    extra = next(s for s in info.siblings if s.rfilename == "extra.gguf")
    assert extra.lfs is not None and extra.size == 300_000
    path = hub.api.hf_hub_download(repo_id, "extra.gguf", cache_dir=str(tmp_path / "c"))
    assert Path(path).read_bytes() == (clone / "extra.gguf").read_bytes()


def test_push_to_hub_then_load(hub: Hub, tmp_path: Path) -> None:
    """``Dataset.push_to_hub`` (preupload + commit with parquet shards and a card) round-trips."""
    pytest.importorskip("datasets")
    repo_id = hub.repo_id("pushed")
    script = (
        "import sys, datasets\n"
        "ds = datasets.Dataset.from_dict({'城市': ['宁波', '舟山'], 'n': [1, 2]})\n"
        "ds.push_to_hub(sys.argv[1], private=True)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env.update(
        {
            "HF_ENDPOINT": hub.url,
            "HF_TOKEN": hub.token,
            "HF_HOME": str(tmp_path / "hf-home"),
            "HF_HUB_DISABLE_TELEMETRY": "1",
            # A default install: the Parquet shard (binary → ``lfs``) goes through Xet, and
            # the dataset conversion reads it back from Xet storage.
        }
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, repo_id],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-5000:]
    info = hub.api.dataset_info(repo_id)
    assert info.private
    assert any(s.rfilename.endswith(".parquet") for s in info.siblings or [])
    rows = load(hub, tmp_path / "load", repo_id)
    assert rows == [{"城市": "宁波", "n": 1}, {"城市": "舟山", "n": 2}]
