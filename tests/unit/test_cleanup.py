"""``nbopen gc``'s rule for leftovers: stale and closed goes, fresh or open stays."""

from __future__ import annotations

import os
import time
from pathlib import Path

from nbopen.ops.cleanup import collect, open_files

DAY = 24 * 3600


def _file(path: Path, size: int = 10, age: float = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    if age:
        then = time.time() - age
        os.utime(path, (then, then))
    return path


def _age(path: Path, age: float) -> None:
    then = time.time() - age
    os.utime(path, (then, then))


def test_stale_temp_files_go_fresh_and_open_ones_stay(tmp_path: Path) -> None:
    data = tmp_path / "data"
    stale = _file(data / "tmp" / "lfs-abc-crashed", 1000, age=2 * DAY)
    fresh = _file(data / "tmp" / "lfs-def-uploading", 10)
    held = _file(data / "tmp" / "commit-body-slow", 10, age=2 * DAY)
    part = _file(data / "tmp" / "multipart" / "7-oid" / "00001", 5, age=2 * DAY)
    _age(part.parent, 2 * DAY)
    _age(data / "tmp" / "multipart", 2 * DAY)
    git_root = data / "git"
    repo = git_root / "07" / "7.git"
    index = _file(repo / "nbopen-tmp" / "index-1", age=2 * DAY)
    quarantine = _file(repo / "objects" / "tmp_objdir-incoming-x" / "ab" / "cd", age=2 * DAY)
    for path in (quarantine.parent, quarantine.parent.parent):
        _age(path, 2 * DAY)
    pack = _file(repo / "objects" / "pack" / "tmp_pack_q", age=2 * DAY)
    real_pack = _file(repo / "objects" / "pack" / "pack-1.pack", age=30 * DAY)
    trash = _file(data / "trash" / "dataset-3.abc" / "x.parquet", 100)
    partial = _file(data / "lfs" / "ab" / "cd" / "abcd.partial", age=2 * DAY)
    with open(held, "rb"):
        removed = collect(
            data_dir=data, git_root=git_root, storage_root=data / "lfs", in_use=open_files()
        )
    assert not stale.exists() and not part.exists() and not part.parent.exists()
    assert (data / "tmp" / "multipart").is_dir()  # the staging roots stay
    assert fresh.exists() and held.exists()
    assert not index.exists() and (repo / "nbopen-tmp").is_dir()
    assert not quarantine.parent.parent.exists()
    assert not pack.exists() and real_pack.exists()
    assert not trash.parent.exists()
    assert not partial.exists()
    assert removed.kept_open == 1
    assert removed.files == 6
    assert removed.bytes >= 1000 + 5 + 100


def test_grace_period_is_respected(tmp_path: Path) -> None:
    data = tmp_path / "data"
    hour_old = _file(data / "tmp" / "xorb-1", age=3600)
    collect(data_dir=data, git_root=data / "git", storage_root=None, in_use=set())
    assert hour_old.exists()
    collect(data_dir=data, git_root=data / "git", storage_root=None, grace_seconds=60, in_use=set())
    assert not hour_old.exists()
