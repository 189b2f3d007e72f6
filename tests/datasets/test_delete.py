"""Deleting a dataset repository removes what was converted from it, not only its git data."""

from __future__ import annotations

import time
from pathlib import Path

from tests.datasets.support import create_dataset, get, push_files, wait_converted
from tests.support.live import LiveServer


def _converted_dirs(live: LiveServer) -> set[Path]:
    root = live.data_dir / "datasets"
    return set(root.iterdir()) if root.exists() else set()


def test_delete_removes_converted_files(live: LiveServer, tmp_path: Path) -> None:
    token = live.create_user("dsdeleter")
    before = _converted_dirs(live)
    create_dataset(live, token, "gone")
    push_files(live, token, "dsdeleter", "gone", tmp_path / "w", {"train.csv": b"a,b\n1,2\n"})
    wait_converted(live, "dsdeleter/gone", token)
    (converted,) = _converted_dirs(live) - before
    assert any(converted.rglob("*.parquet"))

    live.delete_repo(token, "dsdeleter/gone", "dataset")
    assert not converted.exists()  # moved aside before the response
    deadline = time.monotonic() + 30
    trash = live.data_dir / "trash"
    while any(trash.glob(f"dataset-{converted.name}.*")) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(trash.glob(f"dataset-{converted.name}.*"))
    status, _, _ = get(
        live, "rows", token, dataset="dsdeleter/gone", config="default", split="train"
    )
    assert status == 404
