"""Locks shared by every process of a deployment: ``flock`` on files in the data dir.

Granian workers, the thread pool and Celery workers on one machine all see the same data dir,
so one lock file per mirrored repository or object makes "fetch it once" hold across them.
A lock dies with its holder (the kernel releases ``flock`` on exit), so a crashed fetch never
leaves the next request waiting forever.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager

from nbopen.config.env import CONFIG


def _open(name: str) -> int:
    folder = CONFIG.data_dir / "mirrors" / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    return os.open(folder / f"{name}.lock", os.O_RDWR | os.O_CREAT, 0o600)


@contextmanager
def held(name: str) -> Iterator[None]:
    """Wait for and hold the lock ``name``."""
    fd = _open(name)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def try_hold(name: str) -> int | None:
    """The lock's descriptor if it was free (pass it to :func:`release`), else None."""
    fd = _open(name)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def release(fd: int) -> None:
    os.close(fd)  # closing the last descriptor of the open file drops the flock


def object_name(oid: str) -> str:
    """The lock of one LFS object: held while it is fetched, or evicted."""
    return f"object-{oid}"
