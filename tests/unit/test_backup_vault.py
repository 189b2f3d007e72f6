"""``nbopen backup`` and ``restore`` carry the competitions' vault (issue 15): ground truths,
host scorers and submitted files live in the storage's private ``challenges/`` key space,
which the LFS listing does not see and the data-dir copy skips, so they need their own step.
A round trip through a real backup directory (manifest, checksums, verification)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from nbopen.challenges import vault
from nbopen.core.storage import get_storage
from nbopen.ops import backup, restore
from nbopen.ops.manifest import BackupError, Inventory, read_manifest

TRUTH = b"id,target,split\nsecret-row,42,private\n"
SCORER = b"def evaluate(g, s, p):\n    return {'public': {'score': 1.0}}\n"


def test_vault_round_trip(tmp_path: Path) -> None:
    truth_oid, _ = vault.put_stream(io.BytesIO(TRUTH), limit=1 << 20)
    scorer_oid, _ = vault.put_stream(io.BytesIO(SCORER), limit=1 << 20)
    # The vault is a key space of its own: the LFS listing (what backup copied) misses it.
    assert truth_oid not in set(get_storage().oids())

    target = tmp_path / "backup"
    target.mkdir()
    inventory = Inventory(target)
    copied = backup.copy_key_space(vault.vault(), "objects/challenges/", inventory)
    assert copied >= 2
    inventory.finish({"database": {"kind": "sqlite", "file": "database.sqlite3"}})

    # The server is lost: its vault with it.
    for oid in (truth_oid, scorer_oid):
        vault.vault().delete(oid)
        assert vault.vault().size(oid) is None

    _manifest, entries = read_manifest(target)
    restore._check_paths(entries, "database.sqlite3")  # a path every backup may list
    lfs, xet, vaulted = restore._restore_objects(target, entries, tmp_path / "tmp")
    assert (lfs, xet, vaulted) == (0, 0, copied)
    with vault.vault().open(truth_oid) as fh:
        assert fh.read() == TRUTH
    out = tmp_path / "scorer.py"
    vault.copy_to(scorer_oid, out)
    assert out.read_bytes() == SCORER


def test_a_corrupt_vault_object_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    oid, _ = vault.put_stream(io.BytesIO(TRUTH + b"other\n"), limit=1 << 20)
    target = tmp_path / "backup"
    target.mkdir()
    inventory = Inventory(target)
    backup.copy_key_space(vault.vault(), "objects/challenges/", inventory)
    inventory.finish({"database": {"kind": "sqlite", "file": "database.sqlite3"}})
    stored = next(target.glob(f"objects/challenges/*/*/{oid}"))
    stored.write_bytes(b"tampered")
    with pytest.raises(BackupError, match="objects/challenges/"):
        read_manifest(target)
