"""Xet hashes: chunk, xorb (Merkle root), file, term-verification, and their string form.

Every rule here is fixed by the public Xet specification ("Hashing" and "CAS API /
Converting hashes to strings"); a client and this server must agree bit for bit, because
hashes are the names of objects. Hashes are handled as 32 raw bytes internally and turned
into the spec's 64-character string only at the edges (URLs, database keys).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from blake3 import blake3

HASH_LEN = 32
HEX_RE = re.compile(r"[0-9a-f]{64}\Z")

DATA_KEY = bytes(
    [102, 151, 245, 119, 91, 149, 80, 222, 49, 53, 203, 172, 165, 151, 24, 28,
     157, 228, 33, 16, 155, 235, 43, 88, 180, 208, 176, 75, 147, 173, 242, 41]
)  # fmt: skip
INTERNAL_NODE_KEY = bytes(
    [1, 126, 197, 199, 165, 71, 41, 150, 253, 148, 102, 102, 180, 138, 2, 230,
     93, 221, 83, 111, 55, 199, 109, 210, 248, 99, 82, 230, 74, 83, 113, 63]
)  # fmt: skip
VERIFICATION_KEY = bytes(
    [127, 24, 87, 214, 206, 86, 237, 102, 18, 127, 249, 19, 231, 165, 195, 243,
     164, 205, 38, 213, 181, 219, 73, 230, 65, 36, 152, 127, 40, 251, 148, 195]
)  # fmt: skip
ZERO_KEY = bytes(HASH_LEN)

MEAN_BRANCHING = 4
MAX_GROUP = 2 * MEAN_BRANCHING + 1
GLOBAL_DEDUP_MODULUS = 1024


def keyed(key: bytes, data: bytes) -> bytes:
    return blake3(data, key=key).digest()


def chunk_hash(data: bytes) -> bytes:
    """BLAKE3 keyed with DATA_KEY over the uncompressed chunk bytes."""
    return keyed(DATA_KEY, data)


def to_hex(raw: bytes) -> str:
    """The spec's string form: each 8-byte word read little-endian, printed as 16 hex digits."""
    if len(raw) != HASH_LEN:
        raise ValueError("a Xet hash is 32 bytes")
    return b"".join(raw[i : i + 8][::-1] for i in range(0, HASH_LEN, 8)).hex()


def from_hex(text: str) -> bytes:
    if not HEX_RE.match(text):
        raise ValueError(f"not a Xet hash string: {text!r}")
    raw = bytes.fromhex(text)
    return b"".join(raw[i : i + 8][::-1] for i in range(0, HASH_LEN, 8))


def _last_word(raw: bytes) -> int:
    """The hash's fourth 64-bit word; the spec's ``hash % n`` operates on it."""
    return int.from_bytes(raw[24:32], "little")


def is_global_dedup_eligible(raw: bytes) -> bool:
    return _last_word(raw) % GLOBAL_DEDUP_MODULUS == 0


def _next_cut(nodes: Sequence[tuple[bytes, int]], start: int) -> int:
    """End (exclusive) of the group starting at ``start``: 2..9 nodes, cut after hash ≡ 0 mod 4."""
    remaining = len(nodes) - start
    if remaining <= 2:
        return len(nodes)
    end = min(MAX_GROUP, remaining)
    for i in range(2, end):
        if _last_word(nodes[start + i][0]) % MEAN_BRANCHING == 0:
            return start + i + 1
    return start + end


def _merge(group: Sequence[tuple[bytes, int]]) -> tuple[bytes, int]:
    text = "".join(f"{to_hex(h)} : {size}\n" for h, size in group)
    return keyed(INTERNAL_NODE_KEY, text.encode()), sum(size for _, size in group)


def merkle_root(nodes: Sequence[tuple[bytes, int]]) -> bytes:
    """Root of the variable-branching Merkle tree over (chunk hash, chunk length) leaves."""
    if not nodes:
        return bytes(HASH_LEN)
    level = list(nodes)
    while len(level) > 1:
        merged: list[tuple[bytes, int]] = []
        i = 0
        while i < len(level):
            cut = _next_cut(level, i)
            merged.append(_merge(level[i:cut]))
            i = cut
        level = merged
    return level[0][0]


def xorb_hash(chunks: Sequence[tuple[bytes, int]]) -> bytes:
    return merkle_root(chunks)


def file_hash(chunks: Sequence[tuple[bytes, int]]) -> bytes:
    """The Merkle root again keyed with 32 zero bytes (the spec's unsalted file hash)."""
    if not chunks:
        return bytes(HASH_LEN)
    return keyed(ZERO_KEY, merkle_root(chunks))


def verification_hash(chunk_hashes: Sequence[bytes]) -> bytes:
    """Proof that a shard's author knows every chunk hash of a term's chunk range."""
    return keyed(VERIFICATION_KEY, b"".join(chunk_hashes))


def hmac_hash(raw: bytes, key: bytes) -> bytes:
    """What global-dedup answers publish instead of raw chunk hashes."""
    return keyed(key, raw)
