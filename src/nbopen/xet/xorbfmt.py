"""Reading (and, for tests and tools, writing) serialized xorbs.

A xorb body is a sequence of chunks, each an 8-byte header (version 0, compressed length
u24 LE, compression scheme, uncompressed length u24 LE) followed by the compressed bytes.
Older clients append a metadata footer starting with the ``XETBLOB`` magic; current ones
send none. We verify by decompressing every chunk and recomputing every chunk hash and the
xorb hash — the hash in the URL is a claim, never trusted.
"""

from __future__ import annotations

from dataclasses import dataclass

import lz4.frame

from nbopen.xet import hashing

HEADER_LEN = 8
MAX_CHUNK = 128 * 1024
# The spec caps a xorb near 64 MiB; clients fill xorbs with 64 MiB of *uncompressed* chunk
# data and add 8 header bytes per chunk, so incompressible data serializes slightly above it.
MAX_XORB_BYTES = 66 * 1024 * 1024
MAX_FOOTER_BYTES = 8 * 1024 * 1024
FOOTER_MAGIC = b"XETBLOB"

NONE, LZ4, BG4_LZ4 = 0, 1, 2


class InvalidXorb(ValueError):
    pass


@dataclass(frozen=True)
class ChunkInfo:
    hash: bytes
    offset: int  # where the chunk header starts in the stored xorb
    length: int  # uncompressed length


@dataclass(frozen=True)
class ParsedXorb:
    hash: bytes
    chunks: list[ChunkInfo]
    data_length: int  # bytes of chunk data (the footer, if any, is not stored)

    @property
    def unpacked_length(self) -> int:
        return sum(c.length for c in self.chunks)


def _u24(b: bytes) -> int:
    return int.from_bytes(b, "little")


def bg4_regroup(grouped: bytes) -> bytes:
    """Undo byte grouping: group i holds bytes i, i+4, i+8, … (remainder to the first groups)."""
    n = len(grouped)
    base, rem = divmod(n, 4)
    out = bytearray(n)
    pos = 0
    for i in range(4):
        size = base + (1 if i < rem else 0)
        out[i::4] = grouped[pos : pos + size]
        pos += size
    return bytes(out)


def bg4_group(data: bytes) -> bytes:
    return b"".join(data[i::4] for i in range(4))


def decompress(scheme: int, payload: bytes, expected: int) -> bytes:
    try:
        if scheme == NONE:
            data = payload
        elif scheme == LZ4:
            data = lz4.frame.decompress(payload)
        elif scheme == BG4_LZ4:
            data = bg4_regroup(lz4.frame.decompress(payload))
        else:
            raise InvalidXorb(f"unknown chunk compression scheme {scheme}")
    except (RuntimeError, ValueError) as exc:  # lz4 reports corrupt frames as RuntimeError
        raise InvalidXorb(f"chunk does not decompress: {exc}") from exc
    if len(data) != expected:
        raise InvalidXorb("chunk length does not match its header")
    return data


def iter_chunks(body: bytes) -> tuple[list[tuple[int, int, int, int]], int]:
    """(offset, scheme, compressed length, uncompressed length) per chunk, and where data ends."""
    pos = 0
    out = []
    while pos < len(body):
        if body[pos : pos + len(FOOTER_MAGIC)] == FOOTER_MAGIC:
            if len(body) - pos > MAX_FOOTER_BYTES:
                raise InvalidXorb("xorb footer too large")
            break
        header = body[pos : pos + HEADER_LEN]
        if len(header) < HEADER_LEN:
            raise InvalidXorb("truncated chunk header")
        if header[0] != 0:
            raise InvalidXorb(f"unsupported chunk header version {header[0]}")
        clen, scheme, ulen = _u24(header[1:4]), header[4], _u24(header[5:8])
        if ulen == 0 or ulen > MAX_CHUNK or clen > 2 * MAX_CHUNK:
            raise InvalidXorb("chunk size out of range")
        if pos + HEADER_LEN + clen > len(body):
            raise InvalidXorb("truncated chunk data")
        out.append((pos, scheme, clen, ulen))
        pos += HEADER_LEN + clen
    if not out:
        raise InvalidXorb("xorb has no chunks")
    return out, pos


def parse(body: bytes) -> ParsedXorb:
    """Decompress and hash every chunk; raises :class:`InvalidXorb` on any inconsistency."""
    if len(body) > MAX_XORB_BYTES + MAX_FOOTER_BYTES:
        raise InvalidXorb("xorb larger than the 64 MiB limit")
    layout, data_end = iter_chunks(body)
    if data_end > MAX_XORB_BYTES:
        raise InvalidXorb("xorb larger than the 64 MiB limit")
    chunks = []
    for offset, scheme, clen, ulen in layout:
        start = offset + HEADER_LEN
        data = decompress(scheme, body[start : start + clen], ulen)
        chunks.append(ChunkInfo(hash=hashing.chunk_hash(data), offset=offset, length=ulen))
    root = hashing.xorb_hash([(c.hash, c.length) for c in chunks])
    return ParsedXorb(hash=root, chunks=chunks, data_length=data_end)


def decode_range(blob: bytes) -> list[bytes]:
    """Uncompressed chunks of a contiguous run of serialized chunks (used for streaming)."""
    layout, _ = iter_chunks(blob)
    return [
        decompress(scheme, blob[off + HEADER_LEN : off + HEADER_LEN + clen], ulen)
        for off, scheme, clen, ulen in layout
    ]


def serialize(chunks: list[bytes], scheme: int = LZ4) -> bytes:
    """A xorb as a client would send it (used by tests and the benchmark)."""
    out = bytearray()
    for data in chunks:
        if scheme == NONE:
            payload = data
        elif scheme == LZ4:
            payload = lz4.frame.compress(data)
        else:
            payload = lz4.frame.compress(bg4_group(data))
        out += bytes([0]) + len(payload).to_bytes(3, "little") + bytes([scheme])
        out += len(data).to_bytes(3, "little") + payload
    return bytes(out)
