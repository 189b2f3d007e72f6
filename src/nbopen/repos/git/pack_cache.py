"""The pack cache: one ``git pack-objects`` for identical upload-pack requests, as Gitaly does.

Why: parallel clones of one commit (a CI fleet, a class, a competition's teams cloning the
starter kit) make upload-pack run ``pack-objects`` with the same arguments and the same
standard input (wants, haves, shallow lines), and each run pays the whole cost of counting and
compressing the objects. git lets a trusted hook stand in for pack-objects
(``uploadpack.packObjectsHook``, honoured only from protected configuration such as
``git -c``): it gets the pack-objects command line as arguments and its stdin, and must write
the pack to stdout. This file is that hook.

How it works:
- the key is a hash of the repository path, the arguments (less ``--progress``, which only
  changes stderr) and stdin, so a push invalidates naturally (new refs → new wants), and
  entries also end after ``--max-age`` seconds;
- one producer per key (an flock on ``KEY.lock``) runs pack-objects and tees its output to
  its own client and to ``KEY.part``; when pack-objects succeeded it appends a footer (length,
  CRC-32, the pack's SHA-1 trailer) and renames the file to ``KEY.pack``;
- a concurrent requester of the same key does not wait for the end: it streams ``KEY.part``
  as it grows (holding back the footer's size until the producer's lock is released and the
  footer is there), so 20 parallel clones run pack-objects once and all start at once;
- a finished entry is served only after its length, pack header, trailer and CRC-32 check
  out (a truncated or corrupted file is deleted and the pack computed again), by sendfile;
- a size budget (``--max-bytes``) is kept by deleting entries least recently used first
  (last use = the file's atime, set on every hit; creation = mtime);
- at most ``--concurrency`` pack-objects run per repository at once (flocks on slot files),
  so one huge repository cannot take every core.

git runs this file as a script (``python -I -S pack_cache.py …``; see :func:`git_options`)
for every fetch, so its start-up is part of every clone: it imports a few C modules of the
standard library only (no nbopen, no Django, not even argparse, json, pathlib or subprocess,
whose imports cost more than a hit), and a hit costs a Python start-up, one read of the entry
for the CRC and a sendfile. Progress lines go only to the
client whose request ran pack-objects; anything else written to stderr would reach clients
as progress, so the hook is silent and counts outcomes in ``stats.json`` instead.
"""

from __future__ import annotations

import errno
import fcntl
import mmap
import os
import struct
import sys
import time
import zlib

try:  # the built-in hash, without loading OpenSSL as hashlib does (Python 3.11; 3.12: _sha2)
    from _sha256 import sha256
except ImportError:  # pragma: no cover - other Python builds
    from hashlib import sha256

# magic, format version, pack length, CRC-32 of the pack, the pack's own SHA-1 trailer,
# creation time. Appended after the pack; the whole file is renamed into place at once.
FOOTER = struct.Struct(">4sIQI20sd")
MAGIC = b"NBPC"
VERSION = 1
CHUNK = 1 << 20
POLL = 0.005  # seconds between looks at a growing entry
STALE_PART = 60.0  # seconds after which an unlocked .part is a dead producer's leftover


class Settings:
    """What the operator configured (NBOPEN_PACK_CACHE_MB, _MAX_AGE, NBOPEN_PACK_CONCURRENCY)."""

    __slots__ = ("concurrency", "directory", "max_age", "max_bytes")

    def __init__(
        self, directory: str | os.PathLike[str], max_bytes: int, max_age: float, concurrency: int
    ) -> None:
        self.directory = os.fspath(directory)
        self.max_bytes = max_bytes  # 0: no cache (the concurrency limit may still apply)
        self.max_age = max_age  # seconds an entry is served after it was made
        self.concurrency = concurrency  # pack-objects at once per repository; 0: unlimited


def git_options(settings: Settings, python: str = sys.executable) -> list[str]:
    """git's global options (before ``upload-pack``) that route pack-objects through the
    cache; empty when neither the cache nor the concurrency limit is on.

    Every transport that runs upload-pack (smart HTTP, SSH) puts these first, e.g.
    ``["git", *git_options(s), "upload-pack", "--stateless-rpc", path]``. The hook must be
    given on the command line: git ignores it in a repository's own configuration.
    """
    import shlex  # here, not at the top: the hook itself never needs it

    if settings.max_bytes <= 0 and settings.concurrency <= 0:
        return []
    command = [
        python,
        "-I",  # no PYTHON* variables, no script directory on sys.path
        "-S",  # no site import: a cheaper start-up; the hook needs the standard library only
        os.path.realpath(__file__),
        "--dir",
        settings.directory,
        "--max-bytes",
        str(settings.max_bytes),
        "--max-age",
        str(settings.max_age),
        "--concurrency",
        str(settings.concurrency),
    ]
    # git runs the value with the shell and appends "git pack-objects …" as arguments.
    return ["-c", "uploadpack.packObjectsHook=" + shlex.join(command)]


def cache_key(repository: str, args: list[str], stdin: bytes) -> str:
    """The request's identity: same repository, same pack-objects arguments and input."""
    digest = sha256()
    for part in [repository, *(a for a in args if a != "--progress")]:
        digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
    digest.update(b"\0")
    digest.update(stdin)
    return str(digest.hexdigest())


# Outcome counters --------------------------------------------------------------------------


def count(directory: str, outcome: str) -> None:
    """Add one to ``outcome`` in ``stats`` (hit, tail, miss, corrupt, expired, evicted,
    oversize, failed, bypass): what operators and tests read to see the cache work.
    Lines of "name number"; never fails the request."""
    try:
        fd = os.open(os.path.join(directory, "stats"), os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        stats = _parse_stats(os.pread(fd, 65536, 0))
        stats[outcome] = stats.get(outcome, 0) + 1
        text = "".join(f"{name} {n}\n" for name, n in sorted(stats.items()))
        os.ftruncate(fd, 0)
        os.pwrite(fd, text.encode(), 0)
    except (OSError, ValueError):
        pass
    finally:
        os.close(fd)


def _parse_stats(raw: bytes) -> dict[str, int]:
    stats: dict[str, int] = {}
    for line in raw.decode().splitlines():
        name, _, number = line.partition(" ")
        stats[name] = int(number)
    return stats


def read_stats(directory: str | os.PathLike[str]) -> dict[str, int]:
    try:
        with open(os.path.join(directory, "stats"), "rb") as fh:
            return _parse_stats(fh.read())
    except FileNotFoundError:
        return {}


# Output ------------------------------------------------------------------------------------


class ClientGone(Exception):
    """upload-pack stopped reading (its client went away)."""


class Output:
    """The hook's stdout (a pipe to upload-pack), counting what was written: once anything
    was, a failure can no longer fall back to another source."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.sent = 0

    def write(self, data: bytes | memoryview) -> None:
        view = memoryview(data)
        while view:
            try:
                n = os.write(self.fd, view)
            except BrokenPipeError as exc:
                raise ClientGone from exc
            view = view[n:]
            self.sent += n

    def copy_from(self, fd: int, offset: int, length: int) -> None:
        """``length`` bytes of file ``fd`` from ``offset``: sendfile, the kernel copies."""
        end = offset + length
        while offset < end:
            try:
                n = os.sendfile(self.fd, fd, offset, min(end - offset, 1 << 30))
                self.sent += n
            except BrokenPipeError as exc:
                raise ClientGone from exc
            except OSError as exc:
                if exc.errno not in (errno.EINVAL, errno.ENOSYS):
                    raise
                data = os.pread(fd, min(end - offset, CHUNK), offset)
                self.write(data)
                n = len(data)
            if n == 0:
                raise OSError(errno.EIO, "cache entry shorter than its footer says")
            offset += n


# Entries -----------------------------------------------------------------------------------


class Entry:
    """The files of one key: ``.pack`` (finished), ``.part`` (being written), ``.lock``."""

    __slots__ = ("key", "lock", "pack", "part")

    def __init__(self, directory: str | os.PathLike[str], key: str) -> None:
        base = os.path.join(directory, key)
        self.key = key
        self.pack = base + ".pack"
        self.part = base + ".part"
        self.lock = base + ".lock"


def read_footer(fd: int, size: int) -> tuple[int, int, bytes, float] | None:
    """(pack length, CRC-32, SHA-1 trailer, created) when the file ends with a footer that
    matches its size; None for a truncated or foreign file."""
    if size < FOOTER.size + 32:
        return None
    raw = os.pread(fd, FOOTER.size, size - FOOTER.size)
    if len(raw) != FOOTER.size:
        return None
    magic, version, length, crc, trailer, created = FOOTER.unpack(raw)
    if magic != MAGIC or version != VERSION or length + FOOTER.size != size:
        return None
    return length, crc, trailer, created


def verified(fd: int, size: int) -> tuple[int, float] | None:
    """(pack length, created) if the whole entry checks out: footer, ``PACK`` header, the
    trailer where the footer says, and the CRC-32 of every byte."""
    footer = read_footer(fd, size)
    if footer is None:
        return None
    length, crc, trailer, created = footer
    with mmap.mmap(fd, length, prot=mmap.PROT_READ) as view:
        if view[:4] != b"PACK" or view[length - 20 : length] != trailer:
            return None
        if zlib.crc32(view) != crc:
            return None
    return length, created


def _unlink(path: str) -> bool:
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    return True


def _unlink_if_same(path: str, fd: int) -> None:
    """Remove ``path`` if it still names the open file ``fd`` (not a newer entry)."""
    try:
        if os.stat(path).st_ino == os.fstat(fd).st_ino:
            os.unlink(path)
    except FileNotFoundError:
        pass


def serve_hit(settings: Settings, entry: Entry, out: Output) -> bool:
    """Stream a finished, valid entry; False (nothing written) when there is none."""
    try:
        fd = os.open(entry.pack, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        st = os.fstat(fd)
        checked = verified(fd, st.st_size)
        if checked is None:
            _unlink_if_same(entry.pack, fd)
            count(settings.directory, "corrupt")
            return False
        length, created = checked
        if time.time() - created > settings.max_age:
            _unlink_if_same(entry.pack, fd)
            count(settings.directory, "expired")
            return False
        # Last use, for LRU eviction; mtime stays the creation time. (No contextlib: start-up.)
        try:  # noqa: SIM105
            os.utime(entry.pack, ns=(time.time_ns(), st.st_mtime_ns))
        except OSError:
            pass
        out.copy_from(fd, 0, length)
        count(settings.directory, "hit")
        return True
    finally:
        os.close(fd)


def _lock_is_free(lock_fd: int) -> bool:
    try:
        fcntl.flock(lock_fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    fcntl.flock(lock_fd, fcntl.LOCK_UN)
    return True


# What serve_tail found
SERVED = "served"
RETRY = "retry"  # the producer ended without a complete entry, nothing was written yet
FAILED = "failed"  # ... after part of it was written: this request fails too


def serve_tail(settings: Settings, entry: Entry, lock_fd: int, out: Output) -> str:
    """Stream the entry another process is producing while it grows.

    Done is judged in this order: first whether the producer's lock is free, then the
    file's size, so a size read after "free" is final. Until then the last footer-size
    bytes are held back, as they may be the footer rather than pack.
    """
    while True:
        try:
            fd = os.open(entry.part, os.O_RDONLY)
            break
        except FileNotFoundError:
            if _lock_is_free(lock_fd):
                return RETRY  # finished (a hit now) or failed before writing
            time.sleep(POLL)  # the producer waits for a slot or has not created it yet
    try:
        sent = 0
        while True:
            done = _lock_is_free(lock_fd)
            size = os.fstat(fd).st_size
            if done:
                footer = read_footer(fd, size)
                if footer is None:
                    return RETRY if out.sent == 0 else FAILED
                out.copy_from(fd, sent, footer[0] - sent)
                count(settings.directory, "tail")
                return SERVED
            limit = size - FOOTER.size
            if limit > sent:
                out.copy_from(fd, sent, limit - sent)
                sent = limit
            else:
                time.sleep(POLL)
    finally:
        os.close(fd)


def _open_lock(path: str) -> int:
    return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)


def _try_exclusive(path: str, fd: int) -> bool:
    """Take the key's lock; False if another process holds it. A lock file deleted by
    eviction between open and flock is detected by its inode: FileNotFoundError, and the
    caller opens it again."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    try:
        same = os.stat(path).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        same = False
    if not same:
        fcntl.flock(fd, fcntl.LOCK_UN)
        raise FileNotFoundError(path)
    return True


class RepositorySlot:
    """One of ``concurrency`` pack-objects places of a repository, waited for on entry and
    given back on exit (the flocks of slot files; a killed process gives its place back)."""

    def __init__(self, settings: Settings, repository: str) -> None:
        self.settings = settings
        self.repository = repository
        self.fds: list[int] = []

    def __enter__(self) -> None:
        if self.settings.concurrency <= 0:
            return
        slots = os.path.join(self.settings.directory, "slots")
        os.makedirs(slots, exist_ok=True)
        name = sha256(self.repository.encode("utf-8", "surrogateescape")).hexdigest()[:24]
        for i in range(self.settings.concurrency):
            self.fds.append(_open_lock(os.path.join(slots, f"{name}.{i}")))
        while True:
            for fd in self.fds:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return
                except BlockingIOError:
                    continue
            time.sleep(0.02)

    def __exit__(self, *exc: object) -> None:
        for fd in self.fds:
            os.close(fd)  # closing releases the slot's lock
        self.fds = []


def _spawn(argv: list[str], stdout: int) -> tuple[int, int]:
    """Start ``argv`` (git pack-objects …) with a pipe as stdin; (pid, stdin write end)."""
    read_end, write_end = os.pipe()
    actions = [
        (os.POSIX_SPAWN_DUP2, read_end, 0),
        (os.POSIX_SPAWN_DUP2, stdout, 1),
        (os.POSIX_SPAWN_CLOSE, write_end),
    ]
    pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=actions)
    os.close(read_end)
    return pid, write_end


def _feed_and_close(fd: int, data: bytes) -> None:
    """pack-objects reads all of stdin (wants, haves) before it writes anything."""
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    except BrokenPipeError:
        pass  # it failed early; its exit status says so
    finally:
        os.close(fd)


def _wait(pid: int) -> int:
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def run_pack_objects(
    settings: Settings, repository: str, argv: list[str], stdin: bytes, out: Output
) -> int:
    """pack-objects straight to the client (no cache), within the repository's slots."""
    with RepositorySlot(settings, repository):
        pid, stdin_fd = _spawn(argv, out.fd)
        _feed_and_close(stdin_fd, stdin)
        return _wait(pid)


def produce(
    settings: Settings, entry: Entry, repository: str, argv: list[str], stdin: bytes, out: Output
) -> int:
    """Run pack-objects (the lock is held), tee to the client and ``KEY.part``, publish.

    A client that goes away does not stop the pack: others may be tailing it, and later
    requests will find it. A pack larger than the whole budget is still written for them,
    then deleted rather than published.
    """
    with RepositorySlot(settings, repository):
        _unlink(entry.part)  # a producer killed mid-way left it
        part = os.open(entry.part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        published = False
        try:
            pack_r, pack_w = os.pipe()
            pid, stdin_fd = _spawn(argv, pack_w)
            os.close(pack_w)
            _feed_and_close(stdin_fd, stdin)
            crc, length, tail, client = 0, 0, b"", True
            try:
                while chunk := os.read(pack_r, CHUNK):
                    crc = zlib.crc32(chunk, crc)
                    length += len(chunk)
                    tail = (tail + chunk)[-20:]
                    view = memoryview(chunk)
                    while view:
                        view = view[os.write(part, view) :]
                    if client:
                        try:
                            out.write(chunk)
                        except ClientGone:
                            client = False
            finally:
                os.close(pack_r)
                returncode = _wait(pid)
            if returncode != 0 or length < 32:
                count(settings.directory, "failed")
                return returncode or 1
            footer = FOOTER.pack(MAGIC, VERSION, length, crc, tail, time.time())
            os.write(part, footer)
            if length + len(footer) > settings.max_bytes:
                count(settings.directory, "oversize")
            else:
                os.rename(entry.part, entry.pack)
                published = True
            count(settings.directory, "miss")
            return 0 if client else 1
        finally:
            os.close(part)
            if not published:
                _unlink(entry.part)


def _entries(directory: str) -> list[tuple[str, os.stat_result]]:
    found = []
    for name in os.listdir(directory):
        path = os.path.join(directory, name)
        try:
            found.append((path, os.stat(path)))
        except FileNotFoundError:
            continue
    return found


def evict(settings: Settings, now: float | None = None) -> None:
    """Delete expired entries, then the least recently used until the budget holds; also
    leftovers of killed producers and lock files of keys that have no entry any more."""
    now = time.time() if now is None else now
    finished: list[tuple[float, int, str]] = []
    others: list[tuple[str, os.stat_result]] = []
    for path, st in _entries(settings.directory):
        if path.endswith(".pack"):
            if now - st.st_mtime > settings.max_age:
                if _unlink(path):
                    count(settings.directory, "expired")
            else:
                finished.append((st.st_atime, st.st_size, path))
        elif path.endswith((".part", ".lock")):
            others.append((path, st))
    total = sum(size for _, size, _ in finished)
    for _, size, path in sorted(finished):
        if total <= settings.max_bytes:
            break
        if _unlink(path):
            count(settings.directory, "evicted")
        total -= size
    for path, st in others:
        base = path[: -len(".lock")]  # ".part" and ".lock" have the same length
        if path.endswith(".part") and now - st.st_mtime < STALE_PART:
            continue
        if path.endswith(".lock") and (
            now - st.st_mtime < settings.max_age or os.path.exists(base + ".pack")
        ):
            continue
        lock = base + ".lock"
        fd = _open_lock(lock)
        try:
            if _try_exclusive(lock, fd):  # nobody is producing this key
                _unlink(path)
        except FileNotFoundError:
            pass
        finally:
            os.close(fd)


def serve(settings: Settings, repository: str, argv: list[str], stdin: bytes, out: Output) -> int:
    """Answer one pack-objects request: a hit, a tail of a pack in progress, or a miss that
    produces the entry. Falls back to plain pack-objects when the cache itself fails before
    anything was written (a full disk must not break clones)."""
    if settings.max_bytes <= 0:
        return run_pack_objects(settings, repository, argv, stdin, out)
    try:
        os.makedirs(settings.directory, exist_ok=True)
        entry = Entry(settings.directory, cache_key(repository, argv, stdin))
        for _ in range(5):
            if serve_hit(settings, entry, out):
                return 0
            lock_fd = _open_lock(entry.lock)
            try:
                try:
                    mine = _try_exclusive(entry.lock, lock_fd)
                except FileNotFoundError:
                    continue  # evicted under us: open it again
                if mine:
                    if serve_hit(settings, entry, out):  # finished while we looked
                        return 0
                    returncode = produce(settings, entry, repository, argv, stdin, out)
                    fcntl.flock(lock_fd, fcntl.LOCK_UN)
                    if returncode == 0:
                        evict(settings)
                    return returncode
                tailed = serve_tail(settings, entry, lock_fd, out)
                if tailed == SERVED:
                    return 0
                if tailed == FAILED:
                    return 1
            finally:
                os.close(lock_fd)
    except ClientGone:
        return 1
    except OSError:
        if out.sent:
            return 1
    count(settings.directory, "bypass")
    return run_pack_objects(settings, repository, argv, stdin, out)


USAGE = "usage: pack_cache.py --dir D --max-bytes N --max-age S --concurrency C git pack-objects …"


def main(argv: list[str]) -> int:
    """The hook's command line: our four options (see :func:`git_options`), then what git
    appends. Parsed by hand: argparse costs more to import than a cache hit takes."""
    options: dict[str, str] = {}
    while argv and argv[0].startswith("--") and len(argv) >= 2:
        options[argv[0]] = argv[1]
        argv = argv[2:]
    try:
        settings = Settings(
            options["--dir"],
            int(options["--max-bytes"]),
            float(options["--max-age"]),
            int(options["--concurrency"]),
        )
    except (KeyError, ValueError):
        print(USAGE, file=sys.stderr)
        return 2
    if not argv or argv[0] != "git":
        print(USAGE, file=sys.stderr)
        return 2
    # upload-pack runs the hook inside the repository (GIT_DIR=.): its path is the identity.
    repository = os.path.realpath(os.getcwd())
    stdin = sys.stdin.buffer.read()
    return serve(settings, repository, argv, stdin, Output(sys.stdout.fileno()))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
