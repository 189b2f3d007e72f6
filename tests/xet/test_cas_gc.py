"""Garbage collection after repository deletion keeps content other repositories reference."""

from __future__ import annotations

import json
import os
import urllib.request
from pathlib import Path

import pytest

from tests.support.live import LiveServer
from tests.xet.conftest import Cas

pytestmark = pytest.mark.e2e


def _stored_objects(live: LiveServer) -> int:
    root = live.data_dir / "lfs" / "xet"
    return sum(1 for p in root.rglob("*") if p.is_file()) if root.exists() else 0


def test_gc_after_repo_deletion(live: LiveServer, cas: Cas, tmp_path: Path) -> None:
    token = live.create_user("xgc")
    cas.create_repo(token, "doomed")
    cas.create_repo(token, "keeper")
    only = tmp_path / "only.bin"
    only.write_bytes(os.urandom(400_000))
    shared = tmp_path / "shared.bin"
    shared.write_bytes(os.urandom(300_000))
    cas.upload("xgc/doomed", "xgc", [only])
    cas.upload("xgc/doomed", "xgc", [shared])
    (kept,) = cas.upload("xgc/keeper", "xgc", [shared])
    before = _stored_objects(live)

    request = urllib.request.Request(
        live.url + "/api/repos/delete",
        method="DELETE",
        data=json.dumps({"name": "xgc/doomed", "type": "model"}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        assert response.status == 200
    # Within the grace period nothing goes: uploads in flight are protected.
    assert json.loads(live.cli("xet", "gc").stdout)["xorbs"] == 0
    # Nor while the uploader's proof of possession lasts: their client's cache may still
    # reference the xorbs (docs/xet-protocol.md §6, §9).
    retained = json.loads(live.cli("xet", "gc", "--grace-seconds", "0").stdout)
    assert retained["xorbs"] == 0 and retained["retained_xorbs"] >= 1
    assert _stored_objects(live) == before
    result = json.loads(
        live.cli("xet", "gc", "--grace-seconds", "0", "--possession-seconds", "0").stdout
    )
    assert result["xorbs"] >= 1 and result["freed_bytes"] >= 400_000
    assert result["expired_proofs"] >= 1
    assert _stored_objects(live) == before - result["xorbs"]

    dest = tmp_path / "back.bin"
    cas.download("xgc/keeper", "xgc", kept.hash, kept.file_size, dest)
    assert dest.read_bytes() == shared.read_bytes()
    again = ["xet", "gc", "--grace-seconds", "0", "--possession-seconds", "0"]
    assert json.loads(live.cli(*again).stdout)["xorbs"] == 0
