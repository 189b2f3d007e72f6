"""Recognising Git LFS pointer blobs, so files pushed with git-lfs look like Hub LFS files.

A pointer's meaning never changes for a given blob id, so answers are cached by blob id
for the life of the process: tree listings and HEAD requests do not re-read small blobs.
"""

from __future__ import annotations

import re
import subprocess
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

MAX_POINTER_SIZE = 1024
_POINTER = re.compile(
    rb"\Aversion https://(?:git-lfs\.github\.com/spec/v1|hawser\.github\.com/spec/v1)\n"
    rb"(?:[a-z0-9.-]+ [^\n]*\n)*?"
    rb"oid sha256:(?P<oid>[0-9a-f]{64})\n"
    rb"(?:[a-z0-9.-]+ [^\n]*\n)*?"
    rb"size (?P<size>\d{1,18})\n"
    rb"(?:[a-z0-9.-]+ [^\n]*\n)*\Z"
)


@dataclass(frozen=True)
class Pointer:
    oid: str  # sha256 of the real content
    size: int  # real size
    pointer_size: int  # size of the pointer blob itself


def parse_pointer(data: bytes) -> Pointer | None:
    if len(data) > MAX_POINTER_SIZE:
        return None
    match = _POINTER.match(data)
    if not match:
        return None
    return Pointer(match["oid"].decode(), int(match["size"]), len(data))


class _Cache:
    def __init__(self, limit: int = 200_000) -> None:
        self.limit = limit
        self.items: OrderedDict[str, Pointer | None] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str) -> tuple[bool, Pointer | None]:
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return True, self.items[key]
        return False, None

    def put(self, key: str, value: Pointer | None) -> None:
        with self.lock:
            self.items[key] = value
            if len(self.items) > self.limit:
                self.items.popitem(last=False)


_cache = _Cache()


def pointers_for(repo: Path, blobs: Iterable[tuple[str, int | None]]) -> dict[str, Pointer]:
    """blob oid → Pointer for those of ``(oid, size)`` that are LFS pointers.

    Only blobs small enough to be pointers are read, all through one ``cat-file --batch``.
    """
    found: dict[str, Pointer] = {}
    wanted: list[str] = []
    for oid, size in blobs:
        if size is None or size > MAX_POINTER_SIZE or oid in found:
            continue
        hit, value = _cache.get(oid)
        if hit:
            if value is not None:
                found[oid] = value
        elif oid not in wanted:
            wanted.append(oid)
    if not wanted:
        return found
    proc = subprocess.run(
        ["git", "cat-file", "--batch"],
        cwd=repo,
        input="".join(f"{oid}\n" for oid in wanted).encode(),
        capture_output=True,
        check=False,
    )
    out = proc.stdout
    pos = 0
    while pos < len(out):
        end = out.index(b"\n", pos)
        header = out[pos:end].split()
        pos = end + 1
        if len(header) < 3 or header[1] == b"missing":
            continue
        oid, size = header[0].decode(), int(header[2])
        data = out[pos : pos + size]
        pos += size + 1
        pointer = parse_pointer(data)
        _cache.put(oid, pointer)
        if pointer is not None:
            found[oid] = pointer
    return found


def pointer_of(repo: Path, oid: str, size: int | None) -> Pointer | None:
    return pointers_for(repo, [(oid, size)]).get(oid)
