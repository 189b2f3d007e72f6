"""LFS objects of a mirror, fetched on first request and streamed while they are stored.

Why stream and store at once: a client asking for a cold 10 GB file should see its first byte
when the upstream sends it, not after the server has downloaded everything. The bytes go to
the client and to a temp file together, hashed on the way; only when size and sha256 match the
pointer is the temp file published into LFS storage (content-addressed, linked to the mirror
repository by the write service), so a cut or corrupted upstream stream never leaves a cached
object. The last chunk is held back until that check passes: a client never receives a
complete-looking corrupt file, it sees the response end early and retries.

One fetch per object at a time, across processes: the fetcher holds the object's lock file
(:mod:`.locks`); other requests wait for it and then read storage (or, when that fetch
failed, take the lock and fetch themselves).
"""

from __future__ import annotations

import contextlib
import os
import queue
import tempfile
import threading
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path

from django.db import close_old_connections, connections

from nbopen.config.env import CONFIG
from nbopen.core import tasks
from nbopen.mirrors import hub, locks, net, traffic
from nbopen.mirrors.models import MirroredRepository
from nbopen.repos.lfs import HashingWriter, InvalidObject
from nbopen.repos.models import Repository
from nbopen.repos.writes import objects

CHUNK = 1 << 20


@dataclass(frozen=True)
class ObjectPull:
    """An LFS object a mirror's commit points at and storage does not hold yet."""

    mirror_id: int
    repo_id: int
    path: str
    oid: str
    size: int


def pull_for(repo: Repository, path: str, oid: str, size: int) -> ObjectPull | None:
    """What to fetch for ``path`` of ``repo`` if it is a mirror with an upstream, else None."""
    mirror = MirroredRepository.objects.filter(repository=repo, upstream__isnull=False).first()
    if mirror is None:
        return None
    return ObjectPull(mirror.pk, repo.pk, path, oid, size)


def lock_name(oid: str) -> str:
    return locks.object_name(oid)


def stored(pull: ObjectPull) -> bool:
    """Whether storage holds the object now (linking it to the mirror if so)."""
    try:
        return objects.link_if_stored(repo_id=pull.repo_id, oid=pull.oid, size=pull.size)
    finally:
        close_old_connections()


def stream(pull: ObjectPull, lock_fd: int) -> Generator[bytes, None, None]:
    """Yield the object's bytes from the upstream while storing them; releases ``lock_fd``.

    Raises :class:`~nbopen.mirrors.net.UpstreamError` or
    :class:`~nbopen.repos.lfs.InvalidObject` (possibly after some bytes were yielded: the
    caller then ends the response early). Close the generator when the client goes away.
    """
    staged: Path | None = None
    response = None
    try:
        mirror = MirroredRepository.objects.select_related("upstream").get(pk=pull.mirror_id)
        close_old_connections()
        if mirror.upstream is None:
            raise net.UpstreamError("the upstream of this mirror was removed")
        response = hub.open_file(
            mirror.upstream,
            mirror.source_type,
            mirror.source_id,
            mirror.upstream_revision,
            pull.path,
        )
        CONFIG.tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix="mirror-", dir=CONFIG.tmp_dir)
        staged = Path(name)
        held = b""
        with os.fdopen(fd, "wb") as out:
            writer = HashingWriter(out, pull.size)
            try:
                for chunk in response.stream(CHUNK):
                    writer.write(chunk)
                    if held:
                        yield held
                    held = chunk
            except InvalidObject:
                raise
            except Exception as exc:  # a reset, a timeout, a protocol error mid-stream
                raise net.UpstreamError(f"{pull.path}: the upstream stream broke: {exc}") from exc
        writer.check(pull.oid)
        objects.publish_verified(repo_id=pull.repo_id, oid=pull.oid, size=pull.size, staged=staged)
        traffic.record(pull.mirror_id, upstream=pull.size)
        if CONFIG.mirror_cache_bytes:  # the cache grew: trim it (least recently used first)
            from nbopen.mirrors import eviction

            tasks.defer(eviction.evict_job)
        close_old_connections()
        if held:
            yield held
    finally:
        if staged is not None:
            with contextlib.suppress(FileNotFoundError):
                staged.unlink()
        if response is not None:
            response.release_conn()
        locks.release(lock_fd)


def fetch(pull: ObjectPull, lock_fd: int) -> None:
    """Fetch and store the whole object without a client reading along (a Range request on
    a cold object is answered from storage afterwards)."""
    for _chunk in stream(pull, lock_fd):
        pass


class ReadAhead:
    """Runs :func:`stream` in its own thread, up to ``depth`` chunks ahead of the reader.

    Why: read one chunk at a time, the relay is a strict alternation — the upstream socket
    sits idle while a chunk goes out to the client, and the client's socket while the next
    one is read, hashed and written to disk. With the generator running ahead, the upstream
    read, the hashing and the storage write of chunk N+1 overlap the send of chunk N (the
    hashing and the socket calls release the GIL), which is what makes a cold download
    through the mirror approach a direct one.

    :meth:`get` returns the next chunk, ``b""`` at the end, or raises what the generator
    raised. :meth:`close` stops the producer (the generator is closed in its own thread, so
    the staged file and the object's lock are released as before).
    """

    _END = object()

    def __init__(self, chunks: Generator[bytes, None, None], depth: int = 8) -> None:
        self._queue: queue.Queue[object] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(chunks,), name="mirror-read-ahead", daemon=True
        )
        self._thread.start()

    def _run(self, chunks: Generator[bytes, None, None]) -> None:
        try:
            for chunk in chunks:
                if not self._put(chunk):
                    return
            self._put(self._END)
        except BaseException as exc:  # handed to the reader, who decides what it means
            self._put(exc)
        finally:
            chunks.close()
            connections.close_all()  # this thread's own database connections

    def _put(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def get(self) -> bytes:
        item = self._queue.get()
        if item is self._END:
            return b""
        if isinstance(item, BaseException):
            raise item
        assert isinstance(item, bytes)
        return item

    def close(self, wait: float = 5.0) -> None:
        """Stop the producer; wait up to ``wait`` seconds for it to clean up (a stalled
        upstream read ends at the mirror timeout, in its own thread)."""
        self._stop.set()
        self._thread.join(wait)
