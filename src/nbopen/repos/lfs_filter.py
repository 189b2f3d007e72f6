"""``python -m nbopen.repos.lfs_filter REPO_ID``: git's long-running smudge filter for
``filter=lfs``, reading objects from NBopen's storage.

``git archive`` (:mod:`nbopen.repos.git.archive`) starts it once per archive and sends every
file that ``.gitattributes`` routes through LFS. A pointer whose object is linked to the
repository is replaced by the object's bytes; anything else (not a pointer, an object this
server does not hold) passes through unchanged, so the archive then carries the pointer file,
as a clone without the object would. Speaks the pkt-line protocol of
https://git-scm.com/docs/gitattributes#_long_running_filter_process (version 2, smudge only).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from typing import BinaryIO

MAX_PACKET = 65516


def _read_packet(stream: BinaryIO) -> bytes | None:
    """One packet's payload; None for a flush packet. EOFError when git has gone."""
    header = stream.read(4)
    if len(header) < 4:
        raise EOFError
    length = int(header, 16)
    if length == 0:
        return None
    return stream.read(length - 4)


def _read_list(stream: BinaryIO) -> list[str]:
    items = []
    while (packet := _read_packet(stream)) is not None:
        items.append(packet.decode("utf-8", "surrogateescape").rstrip("\n"))
    return items


def _read_content(stream: BinaryIO) -> bytes:
    chunks = []
    while (packet := _read_packet(stream)) is not None:
        chunks.append(packet)
    return b"".join(chunks)


def _write(stream: BinaryIO, payload: bytes) -> None:
    stream.write(b"%04x" % (len(payload) + 4) + payload)


def _flush(stream: BinaryIO) -> None:
    stream.write(b"0000")


def _write_text(stream: BinaryIO, *lines: str) -> None:
    for line in lines:
        _write(stream, (line + "\n").encode())
    _flush(stream)


def serve(
    stdin: BinaryIO, stdout: BinaryIO, smudge: Callable[[bytes], Iterator[bytes] | None]
) -> None:
    """Answer git until it closes the pipe. ``smudge(pointer)`` gives the content's chunks,
    or None to pass the file through unchanged."""
    welcome = _read_list(stdin)
    if welcome[:1] != ["git-filter-client"] or "version=2" not in welcome:
        raise SystemExit("lfs_filter: not a git filter client")
    _write_text(stdout, "git-filter-server", "version=2")
    capabilities = _read_list(stdin)
    _write_text(stdout, *[c for c in capabilities if c == "capability=smudge"])
    stdout.flush()
    while True:
        try:
            header = _read_list(stdin)
        except EOFError:
            return
        content = _read_content(stdin)
        if "command=smudge" not in header:
            _write_text(stdout, "status=error")
            stdout.flush()
            continue
        chunks = smudge(content) or iter([content])
        _write_text(stdout, "status=success")
        for chunk in chunks:
            for start in range(0, len(chunk), MAX_PACKET):
                _write(stdout, chunk[start : start + MAX_PACKET])
        _flush(stdout)
        _flush(stdout)  # an empty list: the status stays "success"
        stdout.flush()


def _smudger(repo_id: int) -> Callable[[bytes], Iterator[bytes] | None]:
    from nbopen.repos.edits import open_lfs, pointer_fields
    from nbopen.repos.lfs import is_linked
    from nbopen.repos.models import Repository

    repo = Repository.objects.get(pk=repo_id)

    def smudge(data: bytes) -> Iterator[bytes] | None:
        pointer = pointer_fields(data)
        if pointer is None or not is_linked(repo, *pointer):
            return None
        reader = open_lfs(repo, pointer[0])
        if reader is None:
            return None
        return _chunks(reader)

    return smudge


def _chunks(reader: BinaryIO) -> Iterator[bytes]:
    with reader:
        while chunk := reader.read(1 << 20):
            yield chunk


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nbopen.config.settings")
    import django

    django.setup()
    serve(sys.stdin.buffer, sys.stdout.buffer, _smudger(int(sys.argv[1])))


if __name__ == "__main__":
    main()
