"""Reading the commit endpoint's NDJSON body as a stream, without holding files in memory.

A ``file`` line carries its content base64-encoded inline, so one line can be hundreds of
megabytes. Short lines are parsed with ``json``; a line that grows past ``BIG_LINE`` is
switched to streaming: the base64 ``content`` string is decoded chunk by chunk into a temp
file and the rest of the line (path, encoding) is parsed on its own.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from nbopen.core.limits import loads as safe_json

READ_CHUNK = 1 << 20
BIG_LINE = 4 << 20
_CONTENT_KEY = re.compile(rb'"content"\s*:\s*"')


class Readable(Protocol):
    def read(self, size: int = -1) -> bytes: ...


class BadPayload(ValueError):
    pass


@dataclass
class Line:
    key: str
    value: dict[str, Any]
    content: bytes | None = None  # decoded inline content (small lines)
    content_path: Path | None = None  # decoded inline content (big lines), caller deletes
    size: int = 0
    sha256: str = ""
    sample: bytes = b""


class _Decoder:
    """Streaming base64 → file, hashing as it goes."""

    def __init__(self, tmp_dir: Path) -> None:
        tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix="commit-", dir=tmp_dir)
        self.path = Path(name)
        self.fh = os.fdopen(fd, "wb")
        self.pending = b""
        self.size = 0
        self.hash = hashlib.sha256()
        self.sample = b""

    def feed(self, text: bytes) -> None:
        if b"\\" in text:
            text = text.replace(b"\\/", b"/").replace(b"\\n", b"").replace(b"\\r", b"")
        data = self.pending + text
        cut = len(data) - len(data) % 4
        self.pending = data[cut:]
        self._write(data[:cut])

    def _write(self, b64: bytes) -> None:
        if not b64:
            return
        try:
            raw = base64.b64decode(b64, validate=True)
        except binascii.Error as exc:
            raise BadPayload(f"invalid base64 content: {exc}") from exc
        if len(self.sample) < 512:
            self.sample += raw[: 512 - len(self.sample)]
        self.size += len(raw)
        self.hash.update(raw)
        self.fh.write(raw)

    def close(self) -> None:
        if self.pending:
            self._write(self.pending)
            self.pending = b""
        self.fh.close()


def _parse(raw: bytes) -> dict[str, Any]:
    try:
        obj = safe_json(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadPayload(f"invalid JSON line: {exc}") from exc
    if not isinstance(obj, dict) or not isinstance(obj.get("key"), str):
        raise BadPayload("each line must be an object with a 'key'")
    if not isinstance(obj.get("value"), dict):
        raise BadPayload(f"line {obj.get('key')!r} needs an object 'value'")
    return obj


def _small(raw: bytes) -> Line:
    obj = _parse(raw)
    line = Line(obj["key"], obj["value"])
    if line.key == "file":
        content = line.value.pop("content", None)
        if not isinstance(content, str):
            raise BadPayload("a 'file' line needs a string 'content'")
        encoding = line.value.get("encoding", "base64")
        try:
            data = (
                base64.b64decode(content, validate=True)
                if encoding == "base64"
                else (content.encode())
            )
        except binascii.Error as exc:
            raise BadPayload(f"invalid base64 content: {exc}") from exc
        line.content = data
        line.size = len(data)
        line.sha256 = hashlib.sha256(data).hexdigest()
        line.sample = data[:512]
    return line


def read_lines(stream: Readable, tmp_dir: Path, max_lines: int = 100_000) -> Iterator[Line]:
    """Yield parsed lines; big inline files arrive as ``content_path`` temp files."""
    buffer = b""
    count = 0
    eof = False
    while True:
        newline = buffer.find(b"\n")
        if newline < 0 and not eof and len(buffer) < BIG_LINE:
            chunk = stream.read(READ_CHUNK)
            if chunk:
                buffer += chunk
                continue
            eof = True
        if newline >= 0:
            raw, buffer = buffer[:newline], buffer[newline + 1 :]
        elif eof:
            raw, buffer = buffer, b""
        else:
            line, buffer, eof = _big(stream, buffer, tmp_dir)
            count += 1
            yield line
            continue
        if raw.strip():
            count += 1
            if count > max_lines:
                raise BadPayload(f"a commit may hold at most {max_lines} operations")
            yield _small(raw)
        if eof and not buffer:
            return


def _big(stream: Readable, buffer: bytes, tmp_dir: Path) -> tuple[Line, bytes, bool]:
    """Stream one oversized line; returns it, the bytes after it, and whether EOF was hit."""
    match = _CONTENT_KEY.search(buffer, 0, 65536)
    if match is None:
        raise BadPayload("line too long (only inline file content may be large)")
    prefix = buffer[: match.end()]
    rest = buffer[match.end() :]
    decoder = _Decoder(tmp_dir)
    eof = False
    try:
        while True:
            quote = rest.find(b'"')
            if quote >= 0:
                decoder.feed(rest[:quote])
                rest = rest[quote:]
                break
            decoder.feed(rest)
            rest = stream.read(READ_CHUNK)
            if not rest:
                raise BadPayload("the body ended inside a file's content")
        while b"\n" not in rest:
            more = stream.read(READ_CHUNK)
            if not more:
                eof = True
                break
            rest += more
            if len(rest) > 65536:
                raise BadPayload("line too long after the content")
        suffix, _, after = rest.partition(b"\n")
        decoder.close()
        obj = _parse(prefix + suffix)
    except BaseException:
        decoder.fh.close()
        decoder.path.unlink(missing_ok=True)
        raise
    if obj["key"] != "file" or obj["value"].get("encoding", "base64") != "base64":
        decoder.path.unlink(missing_ok=True)
        raise BadPayload("only base64 'file' lines may be large")
    obj["value"].pop("content", None)
    line = Line(
        "file",
        obj["value"],
        content_path=decoder.path,
        size=decoder.size,
        sha256=decoder.hash.hexdigest(),
        sample=decoder.sample,
    )
    return line, after, eof
