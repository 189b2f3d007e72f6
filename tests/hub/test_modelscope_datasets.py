"""ModelScope SDK ``MsDataset.load('owner/name')`` of a dataset on NBopen (issue 18 item 8)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from huggingface_hub import CommitOperationAdd

from tests.hub.conftest import Hub
from tests.support.client import request

pytestmark = pytest.mark.e2e

SCRIPT = """
import json, sys
from modelscope.msdatasets import MsDataset
ds = MsDataset.load(sys.argv[1], split="train", cache_dir=sys.argv[2])
print("ROWS=" + json.dumps([dict(r) for r in ds]))
"""


def test_dataset_routes(hub: Hub) -> None:
    dataset_id = hub.repo_id("ms-ds")
    hub.api.create_repo(dataset_id, repo_type="dataset")
    hub.api.create_commit(
        dataset_id,
        repo_type="dataset",
        operations=[CommitOperationAdd("data/train.csv", b"a,b\n1,2\n")],
        commit_message="data",
    )
    info = request(f"{hub.url}/api/v1/datasets/{dataset_id}", token=hub.token)
    assert info.status == 200, info.body
    data = info.json()["Data"]
    assert data["Type"] == 4 and data["Name"] == dataset_id.split("/")[1]
    tree = request(
        f"{hub.url}/api/v1/datasets/{data['Id']}/repo/tree?Revision=master&Recursive=True",
        token=hub.token,
    )
    assert tree.status == 200, tree.body
    assert "data/train.csv" in {f["Path"] for f in tree.json()["Data"]["Files"]}
    missing = request(f"{hub.url}/api/v1/datasets/{hub.user}/nope", token=hub.token)
    assert missing.status == 404 and missing.json()["Success"] is False
    assert request(f"{hub.url}/api/v1/datasets/999999999/repo/tree").status == 404


def test_msdataset_load(hub: Hub, tmp_path: Path) -> None:
    pytest.importorskip("modelscope")
    pytest.importorskip("addict")  # MsDataset's own dependency (not in every environment)
    dataset_id = hub.repo_id("ms-load")
    hub.api.create_repo(dataset_id, repo_type="dataset")
    hub.api.create_commit(
        dataset_id,
        repo_type="dataset",
        operations=[CommitOperationAdd("train.csv", b"a,b\n1,2\n3,4\n")],
        commit_message="data",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MODELSCOPE", "HF_"))}
    env.update(
        {
            "MODELSCOPE_ENDPOINT": hub.url,
            "MODELSCOPE_API_TOKEN": hub.token,
            "MODELSCOPE_CACHE": str(tmp_path / "ms"),
            "HF_DATASETS_OFFLINE": "0",
        }
    )
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, dataset_id, str(tmp_path / "cache")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if "unexpected keyword argument 'verification_mode'" in done.stderr:
        # modelscope 1.40's loader passes verification_mode to DatasetBuilder.as_dataset(),
        # which datasets 5 no longer takes: everything from NBopen arrived (the split was
        # built from the downloaded file), the client's last step fails.
        assert "Generating train split: 2 examples" in done.stderr, done.stderr[-3000:]
        pytest.xfail("modelscope 1.40 MsDataset.load is incompatible with datasets 5")
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(x for x in done.stdout.splitlines() if x.startswith("ROWS="))
    assert json.loads(line[5:]) == [{"a": 1, "b": 2}, {"a": 3, "b": 4}]
