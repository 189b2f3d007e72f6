"""ModelScope SDK (``MODELSCOPE_ENDPOINT``) downloads of a model and a dataset from NBopen."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from huggingface_hub import CommitOperationAdd

from tests.hub.conftest import Hub

pytestmark = pytest.mark.e2e

SCRIPT = """
import json, sys
from modelscope import snapshot_download
from modelscope.hub.snapshot_download import dataset_snapshot_download
model_dir = snapshot_download(sys.argv[1], cache_dir=sys.argv[3])
data_dir = dataset_snapshot_download(sys.argv[2], cache_dir=sys.argv[3])
print(json.dumps({"model": model_dir, "dataset": data_dir}))
"""


def test_modelscope_snapshot_download_model_and_dataset(hub: Hub, tmp_path: Path) -> None:
    pytest.importorskip("modelscope")
    model_id, dataset_id = hub.repo_id("ms-model"), hub.repo_id("ms-data")
    hub.api.create_repo(model_id)
    hub.api.create_repo(dataset_id, repo_type="dataset")
    weights = os.urandom(12_000_000)
    model_files = {
        "config.json": b'{"a": 1}',
        "weights/model.bin": weights,
        "说明.md": "宁波\n".encode(),
    }
    hub.api.create_commit(
        model_id,
        operations=[CommitOperationAdd(k, v) for k, v in model_files.items()],
        commit_message="model",
    )
    hub.api.create_commit(
        dataset_id,
        repo_type="dataset",
        operations=[
            CommitOperationAdd(f"data/part{i}.csv", f"x\n{i}\n".encode()) for i in range(3)
        ],
        commit_message="data",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MODELSCOPE", "HF_"))}
    env.update(
        {
            "MODELSCOPE_ENDPOINT": hub.url,
            "MODELSCOPE_API_TOKEN": hub.token,
            "MODELSCOPE_CACHE": str(tmp_path / "ms"),
        }
    )
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, model_id, dataset_id, str(tmp_path / "cache")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-5000:]
    dirs = json.loads(proc.stdout.strip().splitlines()[-1])
    model_dir, data_dir = Path(dirs["model"]), Path(dirs["dataset"])
    for name, data in model_files.items():
        got = (model_dir / name).read_bytes()
        assert hashlib.sha256(got).digest() == hashlib.sha256(data).digest(), name
    for i in range(3):
        assert (data_dir / "data" / f"part{i}.csv").read_text() == f"x\n{i}\n"
