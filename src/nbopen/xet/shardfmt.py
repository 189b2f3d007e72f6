"""The MDB shard format: parsing uploaded shards and writing global-dedup answers.

Layout (all integers little-endian): a 48-byte header (magic tag, version 2, footer size),
the file-info section (per file: header, data-sequence entries, optional verification
entries, optional metadata extension; ended by a bookend), the CAS-info section (per xorb:
header and one entry per chunk; ended by a bookend) and an optional 200-byte footer.
Uploads carry no footer; dedup answers do (it holds the HMAC key for chunk hashes).
"""

from __future__ import annotations

import struct
import time
from dataclasses import dataclass, field

HEADER_TAG = bytes(
    [72, 70, 82, 101, 112, 111, 77, 101, 116, 97, 68, 97, 116, 97, 0, 85,
     105, 103, 69, 106, 123, 129, 87, 131, 165, 189, 217, 92, 205, 209, 74, 169]
)  # fmt: skip
HEADER_VERSION = 2
FOOTER_VERSION = 1
FOOTER_LEN = 200
ENTRY = 48
BOOKEND = b"\xff" * 32 + bytes(16)
FLAG_VERIFICATION = 1 << 31
FLAG_METADATA_EXT = 1 << 30
MAX_SHARD_BYTES = 64 * 1024 * 1024


class InvalidShard(ValueError):
    pass


@dataclass(frozen=True)
class Term:
    xorb: bytes
    unpacked_length: int
    chunk_start: int
    chunk_end: int


@dataclass
class FileInfo:
    file_hash: bytes
    terms: list[Term]
    verification: list[bytes] = field(default_factory=list)
    sha256: bytes | None = None

    @property
    def size(self) -> int:
        return sum(t.unpacked_length for t in self.terms)


@dataclass(frozen=True)
class CasChunk:
    hash: bytes
    offset: int
    length: int


@dataclass
class CasInfo:
    xorb: bytes
    bytes_in_xorb: int
    bytes_on_disk: int
    chunks: list[CasChunk]


@dataclass
class Shard:
    files: list[FileInfo]
    xorbs: list[CasInfo]
    hmac_key: bytes | None = None  # from the footer, when there is one


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise InvalidShard("shard is truncated")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out


def parse(data: bytes) -> Shard:
    if len(data) > MAX_SHARD_BYTES:
        raise InvalidShard("shard larger than 64 MiB")
    r = _Reader(data)
    tag, version, footer_size = struct.unpack("<32sQQ", r.take(48))
    if tag != HEADER_TAG:
        raise InvalidShard("not a shard (bad magic)")
    if version != HEADER_VERSION:
        raise InvalidShard(f"unsupported shard version {version}")
    if footer_size not in (0, FOOTER_LEN):
        raise InvalidShard("unexpected shard footer size")
    files: list[FileInfo] = []
    while True:
        raw = r.take(ENTRY)
        if raw == BOOKEND:
            break
        fhash, flags, count, _ = struct.unpack("<32sII8s", raw)
        if count > len(data) // ENTRY:
            raise InvalidShard("file entry count out of range")
        terms = []
        for _ in range(count):
            xorb, _flags, unpacked, start, end = struct.unpack("<32sIIII", r.take(ENTRY))
            if end <= start:
                raise InvalidShard("empty or inverted chunk range in a term")
            terms.append(Term(xorb, unpacked, start, end))
        info = FileInfo(fhash, terms)
        if flags & FLAG_VERIFICATION:
            info.verification = [r.take(ENTRY)[:32] for _ in range(count)]
        if flags & FLAG_METADATA_EXT:
            info.sha256 = r.take(ENTRY)[:32]
        files.append(info)
    xorbs: list[CasInfo] = []
    while True:
        raw = r.take(ENTRY)
        if raw == BOOKEND:
            break
        xhash, _flags, count, in_xorb, on_disk = struct.unpack("<32sIIII", raw)
        if count > len(data) // ENTRY:
            raise InvalidShard("xorb entry count out of range")
        chunks = []
        for _ in range(count):
            chash, offset, length, _ = struct.unpack("<32sII8s", r.take(ENTRY))
            chunks.append(CasChunk(chash, offset, length))
        xorbs.append(CasInfo(xhash, in_xorb, on_disk, chunks))
    key = None
    if footer_size:
        if len(data) - r.pos < FOOTER_LEN:
            raise InvalidShard("shard footer is truncated")
        # Lookup tables may sit between the sections and the footer; we do not need them.
        fields = struct.unpack("<QQQ48s32sQQ72sQ", data[-FOOTER_LEN:])
        if fields[0] != FOOTER_VERSION or fields[8] != len(data) - FOOTER_LEN:
            raise InvalidShard("bad shard footer")
        key = fields[4] if any(fields[4]) else None
    elif r.pos != len(data):
        raise InvalidShard("trailing bytes after the shard sections")
    return Shard(files, xorbs, key)


def _truncated(raw: bytes) -> int:
    """The lookup-table key of a hash: its first 64-bit word, little-endian."""
    return int.from_bytes(raw[:8], "little")


def write_dedup_shard(xorbs: list[CasInfo], *, hmac_key: bytes, ttl: int) -> bytes:
    """A footer-carrying shard with no files, listing xorbs whose chunk hashes are HMAC'ed.

    Besides the sections, a full shard carries three sorted lookup tables (file, xorb, chunk:
    truncated hash → entry index) between the CAS section and the footer; the client binary
    searches them, so they must be present and sorted.
    """
    xorbs = sorted(xorbs, key=lambda x: (_truncated(x.xorb), x.xorb))
    out = bytearray(struct.pack("<32sQQ", HEADER_TAG, HEADER_VERSION, FOOTER_LEN))
    file_info_offset = len(out)
    out += BOOKEND
    cas_info_offset = len(out)
    xorb_lookup: list[tuple[int, int]] = []
    chunk_lookup: list[tuple[int, int, int]] = []
    index = 0
    for x in xorbs:
        xorb_lookup.append((_truncated(x.xorb), index))
        out += struct.pack("<32sIIII", x.xorb, 0, len(x.chunks), x.bytes_in_xorb, x.bytes_on_disk)
        for i, c in enumerate(x.chunks):
            out += struct.pack("<32sII8s", c.hash, c.offset, c.length, bytes(8))
            chunk_lookup.append((_truncated(c.hash), index, i))
        index += 1 + len(x.chunks)
    out += BOOKEND
    file_lookup_offset = len(out)
    xorb_lookup_offset = len(out)
    for key, idx in xorb_lookup:
        out += struct.pack("<QI", key, idx)
    chunk_lookup_offset = len(out)
    for key, idx, i in sorted(chunk_lookup):
        out += struct.pack("<QII", key, idx, i)
    footer_offset = len(out)
    now = int(time.time())
    out += struct.pack(
        "<9Q32sQQ48sQQQQ",
        FOOTER_VERSION,
        file_info_offset,
        cas_info_offset,
        file_lookup_offset,
        0,
        xorb_lookup_offset,
        len(xorb_lookup),
        chunk_lookup_offset,
        len(chunk_lookup),
        hmac_key,
        now,
        now + ttl,
        bytes(48),
        sum(x.bytes_on_disk for x in xorbs),
        0,
        sum(x.bytes_in_xorb for x in xorbs),
        footer_offset,
    )
    return bytes(out)


def write_upload_shard(files: list[FileInfo], xorbs: list[CasInfo]) -> bytes:
    """A footer-less shard as a client uploads it (for tests and the benchmark)."""
    out = bytearray(struct.pack("<32sQQ", HEADER_TAG, HEADER_VERSION, 0))
    for f in files:
        flags = (FLAG_VERIFICATION if f.verification else 0) | (
            FLAG_METADATA_EXT if f.sha256 else 0
        )
        out += struct.pack("<32sII8s", f.file_hash, flags, len(f.terms), bytes(8))
        for t in f.terms:
            out += struct.pack("<32sIIII", t.xorb, 0, t.unpacked_length, t.chunk_start, t.chunk_end)
        for v in f.verification:
            out += v + bytes(16)
        if f.sha256:
            out += f.sha256 + bytes(16)
    out += BOOKEND
    for x in xorbs:
        out += struct.pack("<32sIIII", x.xorb, 0, len(x.chunks), x.bytes_in_xorb, x.bytes_on_disk)
        for c in x.chunks:
            out += struct.pack("<32sII8s", c.hash, c.offset, c.length, bytes(8))
    out += BOOKEND
    return bytes(out)
