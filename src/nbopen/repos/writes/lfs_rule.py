"""Which files are stored as LFS objects: one rule for every channel.

The Hub's rule (HF_COMPAT.md §6.2): 10 MB (decimal) or larger, or binary — a NUL byte in the
first 512 bytes. Browser uploads, Hub commits and the demo loader all use it, so the same
file ends up the same way in git whatever way it arrived, and ``preupload`` can tell clients
in advance what the commit will do.
"""

from __future__ import annotations

from pathlib import Path

LFS_THRESHOLD = 10 * 1000 * 1000
SNIFF_BYTES = 512


def stored_as_lfs(size: int, sample: bytes) -> bool:
    """Whether a file of ``size`` bytes starting with ``sample`` is stored through LFS."""
    return size >= LFS_THRESHOLD or (size > 0 and b"\0" in sample[:SNIFF_BYTES])


def sample_of(source: Path) -> bytes:
    with open(source, "rb") as fh:
        return fh.read(SNIFF_BYTES)
