"""``nbopen login``, ``nbopen upload`` and ``nbopen download`` against the live server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.hub.conftest import Hub

pytestmark = pytest.mark.e2e


def nbopen(home: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "NBOPEN_"))}
    env.update({"XDG_CONFIG_HOME": str(home / "config"), "HF_HOME": str(home / "hf")})
    return subprocess.run(
        [sys.executable, "-m", "nbopen.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=check,
    )


def test_login_upload_download_round_trip(hub: Hub, tmp_path: Path) -> None:
    bad = nbopen(tmp_path, "login", "--endpoint", hub.url, "--token", "wrong", check=False)
    assert bad.returncode == 1 and "login failed" in bad.stderr
    nbopen(tmp_path, "login", "--endpoint", hub.url, "--token", hub.token)
    stored = tmp_path / "config" / "nbopen" / "client.json"
    assert stored.stat().st_mode & 0o777 == 0o600
    src = tmp_path / "src"
    (src / "数据").mkdir(parents=True)
    (src / "数据" / "a.csv").write_text("x\n1\n")
    (src / "big.bin").write_bytes(os.urandom(11_000_000))
    repo_id = hub.repo_id("cli")
    out = nbopen(tmp_path, "upload", repo_id, str(src), "--repo-type", "dataset", "--private")
    assert "/commit/" in out.stdout
    info = hub.api.dataset_info(repo_id, files_metadata=True)
    assert info.private
    assert {s.rfilename for s in info.siblings if s.lfs} == {"big.bin"}
    target = tmp_path / "out"
    nbopen(tmp_path, "download", repo_id, "--repo-type", "dataset", "--local-dir", str(target))
    assert (target / "big.bin").read_bytes() == (src / "big.bin").read_bytes()
    assert (target / "数据" / "a.csv").read_text() == "x\n1\n"
    one = nbopen(tmp_path, "download", repo_id, "数据/a.csv", "--repo-type", "dataset")
    assert Path(one.stdout.strip()).read_text() == "x\n1\n"
