"""A mirror whose upstream is another NBopen's ModelScope API (``--kind modelscope``):
models and datasets are mirrored from ``/api/v1/…/repo`` listings and downloads, read back
through the Hub API and through the mirror's own ModelScope SDK routes.

Two live servers on loopback, shared by the tests of this file.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from huggingface_hub import CommitOperationAdd, HfApi

from tests.support.live import LiveServer

pytestmark = pytest.mark.e2e

WEIGHTS = "weights/model.bin"


@dataclass
class Pair:
    upstream: LiveServer
    mirror: LiveServer
    api: HfApi  # on the upstream
    owner: str
    token: str  # a user of the mirror


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    upstream = LiveServer(tmp_path_factory.mktemp("upstream")).start()
    mirror = LiveServer(
        tmp_path_factory.mktemp("mirror"),
        env={"NBOPEN_MIRROR_ALLOW_ADDRESSES": "loopback", "NBOPEN_MIRROR_REFRESH": "0"},
    )
    try:
        mirror.start()
        owner = f"ms{uuid.uuid4().hex[:6]}"
        api = HfApi(endpoint=upstream.url, token=upstream.create_user(owner))
        mirror.cli("mirror", "upstream", "add", "ms", upstream.url, "--kind", "modelscope")
        yield Pair(upstream, mirror, api, owner, mirror.create_user("reader"))
    finally:
        mirror.stop()
        upstream.stop()


def _publish(pair: Pair, stem: str, files: dict[str, bytes], repo_type: str = "model") -> str:
    repo_id = f"{pair.owner}/{stem}"
    pair.api.create_repo(repo_id, repo_type=repo_type)
    pair.api.create_commit(
        repo_id,
        repo_type=repo_type,
        operations=[CommitOperationAdd(path, data) for path, data in files.items()],
        commit_message="upload",
    )
    return repo_id


def _resolve(pair: Pair, repo_id: str, path: str, prefix: str = "") -> requests.Response:
    return requests.get(
        f"{pair.mirror.url}/{prefix}{repo_id}/resolve/main/{path}",
        headers={"Authorization": f"Bearer {pair.token}"},
        timeout=60,
    )


def test_a_model_is_mirrored_from_the_modelscope_api(pair: Pair) -> None:
    weights = os.urandom(2_000_000)
    files = {"config.json": b'{"a": 1}', WEIGHTS: weights, "docs/说明.md": "宁波\n".encode()}
    repo_id = _publish(pair, "hub-read", files)
    for path, data in files.items():
        answer = _resolve(pair, repo_id, path)
        assert answer.status_code == 200, (path, answer.text[:300])
        assert answer.content == data, path
    oid = hashlib.sha256(weights).hexdigest()
    assert any(p.name == oid for p in (pair.mirror.data_dir / "lfs").rglob("*"))
    info = requests.get(
        f"{pair.mirror.url}/api/models/{repo_id}",
        headers={"Authorization": f"Bearer {pair.token}"},
        timeout=30,
    ).json()
    # the mirror lives in the upstream's namespace; the ModelScope revision is a fingerprint
    commits = requests.get(
        f"{pair.mirror.url}/api/models/ms/{pair.owner}__hub-read/commits/main",
        headers={"Authorization": f"Bearer {pair.token}"},
        timeout=30,
    ).json()
    assert commits[0]["title"].startswith(f"Mirror of {repo_id} at ")
    assert len(commits[0]["title"].rsplit(" ", 1)[1]) == 64
    assert {s["rfilename"] for s in info["siblings"]} >= set(files)


def test_a_new_upstream_file_shows_at_the_next_refresh(pair: Pair) -> None:
    repo_id = _publish(pair, "refresh", {"a.txt": b"one\n"})
    assert _resolve(pair, repo_id, "a.txt").content == b"one\n"
    pair.api.upload_file(path_or_fileobj=b"two\n", path_in_repo="b.txt", repo_id=repo_id)
    answer = _resolve(pair, repo_id, "b.txt")  # NBOPEN_MIRROR_REFRESH=0: every request
    assert answer.status_code == 200 and answer.content == b"two\n"


def test_a_private_upstream_repository_is_not_mirrored_without_a_token(pair: Pair) -> None:
    repo_id = f"{pair.owner}/hidden"
    pair.api.create_repo(repo_id, private=True)
    pair.api.upload_file(path_or_fileobj=b"secret", path_in_repo="s.txt", repo_id=repo_id)
    assert _resolve(pair, repo_id, "s.txt").status_code in {401, 404}


MS_SCRIPT = """
import json, sys
from modelscope import snapshot_download
from modelscope.hub.snapshot_download import dataset_snapshot_download
model_dir = snapshot_download(sys.argv[1], cache_dir=sys.argv[3])
data_dir = dataset_snapshot_download(sys.argv[2], cache_dir=sys.argv[3])
print(json.dumps({"model": model_dir, "dataset": data_dir}))
"""


def test_modelscope_sdk_downloads_through_the_mirror(pair: Pair, tmp_path: Path) -> None:
    """The SDK, pointed at the mirror, pulls a cold model and dataset that the mirror fetches
    from the upstream's ModelScope API: both ends of the mirror speak ModelScope."""
    pytest.importorskip("modelscope")
    weights = os.urandom(3_000_000)
    model_files = {"config.json": b'{"b": 2}', WEIGHTS: weights, "说明.md": "镜像\n".encode()}
    model_id = _publish(pair, "sdk-model", model_files)
    data_files = {f"data/part{i}.csv": f"x\n{i}\n".encode() for i in range(3)}
    dataset_id = _publish(pair, "sdk-data", data_files, repo_type="dataset")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MODELSCOPE", "HF_"))}
    env.update(
        {
            "MODELSCOPE_ENDPOINT": pair.mirror.url,
            "MODELSCOPE_API_TOKEN": pair.token,
            "MODELSCOPE_CACHE": str(tmp_path / "ms"),
        }
    )
    proc = subprocess.run(
        [sys.executable, "-c", MS_SCRIPT, model_id, dataset_id, str(tmp_path / "cache")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-5000:]
    dirs = json.loads(proc.stdout.strip().splitlines()[-1])
    model_dir, data_dir = Path(dirs["model"]), Path(dirs["dataset"])
    for name, data in model_files.items():
        assert (model_dir / name).read_bytes() == data, name
    for name, data in data_files.items():
        assert (data_dir / name).read_bytes() == data, name
    # the mirror stored the weights (they were fetched on the SDK's request)
    oid = hashlib.sha256(weights).hexdigest()
    assert any(p.name == oid for p in (pair.mirror.data_dir / "lfs").rglob("*"))
