"""Deduplication measured at the server: re-uploading a large file after a 1 % change."""

from __future__ import annotations

import hashlib
import os
import random
from pathlib import Path

import pytest

from tests.support.live import LiveServer
from tests.xet.conftest import Cas

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SIZE = 300 * 1024 * 1024


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def test_one_percent_change_moves_a_small_fraction(
    live: LiveServer, cas: Cas, tmp_path: Path
) -> None:
    token = live.create_user("xerin")
    cas.create_repo(token, "ckpt")
    path = tmp_path / "model.safetensors"
    with open(path, "wb") as fh:
        remaining = SIZE
        while remaining:
            block = min(remaining, 16 << 20)
            fh.write(os.urandom(block))
            remaining -= block
    (first,) = cas.upload("xerin/ckpt", "xerin", [path])
    after_first = cas.usage("xerin/ckpt")
    assert after_first["received_xorb_bytes"] >= SIZE  # random bytes do not compress

    # Change 1 % of the file in place: ten scattered 320 KiB regions.
    rng = random.Random(8)
    changed = 0
    with open(path, "r+b") as fh:
        for i in range(10):
            region = 320 * 1024
            offset = i * (SIZE // 10) + rng.randrange(0, SIZE // 10 - region)
            fh.seek(offset)
            fh.write(os.urandom(region))
            changed += region
    assert changed >= SIZE // 100
    (second,) = cas.upload("xerin/ckpt", "xerin", [path])
    assert second.hash != first.hash
    after_second = cas.usage("xerin/ckpt")
    sent = after_second["received_xorb_bytes"] - after_first["received_xorb_bytes"]
    grown = after_second["stored_bytes"] - after_first["stored_bytes"]
    print(f"\nsecond upload: {sent} bytes received for a {SIZE}-byte file ({sent / SIZE:.2%})")
    assert changed <= sent < SIZE // 10
    assert grown < SIZE // 10

    dest = tmp_path / "back.bin"
    cas.download("xerin/ckpt", "xerin", second.hash, second.file_size, dest)
    assert _sha256(dest) == _sha256(path)


@pytest.mark.parametrize("private", [False, True])
def test_global_dedup_across_repos_respects_privacy(
    live: LiveServer, cas: Cas, tmp_path: Path, private: bool
) -> None:
    """Another user's upload of the same bytes dedups against public content only.

    Each upload uses a fresh client cache, so any saving must come from the server's
    global-dedup answers, not from the client remembering its earlier upload.
    """
    owner, other = ("xpriv", "xpeek") if private else ("xpub", "xcopy")
    token = live.create_user(owner)
    cas.create_repo(token, "base", private=private)
    cas.create_repo(live.create_user(other), "copy")
    path = tmp_path / "weights.bin"
    path.write_bytes(os.urandom(24 * 1024 * 1024))
    cas.upload(f"{owner}/base", owner, [path], cache=tmp_path / "cache-1")
    (info,) = cas.upload(f"{other}/copy", other, [path], cache=tmp_path / "cache-2")
    sent = cas.usage(f"{other}/copy")["received_xorb_bytes"]
    size = path.stat().st_size
    print(f"\nprivate={private}: copy upload received {sent} xorb bytes for {size}")
    if private:
        assert sent >= size  # nothing learned about the private repository
    else:
        assert sent < size // 10
    dest = tmp_path / "back.bin"
    cas.download(f"{other}/copy", other, info.hash, info.file_size, dest)
    assert dest.read_bytes() == path.read_bytes()
