"""The pack cache with real git: ``git clone`` over file:// runs upload-pack, which runs our
hook in place of pack-objects (``--upload-pack "git -c uploadpack.packObjectsHook=… upload-pack"``).
The HTTP wiring is checked in tests/e2e/test_pack_cache_http.py."""

from __future__ import annotations

import fcntl
import os
import shlex
import subprocess
import threading
import time
from pathlib import Path

import pytest

from nbopen.repos.git import pack_cache
from nbopen.repos.git.pack_cache import FOOTER, RETRY, SERVED, Entry, Output, Settings
from tests.support.client import git


def _commit(work: Path, name: str, content: str) -> None:
    (work / name).write_text(content)
    git("add", name, cwd=work)
    git("commit", "-q", "-m", f"add {name}", cwd=work)


@pytest.fixture
def origin(tmp_path: Path) -> tuple[Path, Path]:
    """(bare repository, work tree that pushes to it) with some history."""
    bare = tmp_path / "origin.git"
    work = tmp_path / "work"
    git("init", "-q", "--bare", "-b", "main", str(bare))
    git("init", "-q", "-b", "main", str(work))
    for i in range(20):
        _commit(work, f"file{i}.txt", f"content {i}\n" * (50 + i))
    git("push", "-q", str(bare), "main", cwd=work)
    return bare, work


def _settings(tmp_path: Path, **kw: float) -> Settings:
    values: dict[str, float] = {"max_bytes": 100 << 20, "max_age": 300, "concurrency": 2, **kw}
    return Settings(
        tmp_path / "cache",
        int(values["max_bytes"]),
        float(values["max_age"]),
        int(values["concurrency"]),
    )


def _upload_pack(settings: Settings) -> str:
    return shlex.join(["git", *pack_cache.git_options(settings), "upload-pack"])


def _clone(bare: Path, dest: Path, settings: Settings | None, *extra: str) -> Path:
    upload = ["-u", _upload_pack(settings)] if settings is not None else []
    git("clone", "-q", "--bare", *upload, *extra, f"file://{bare}", str(dest))
    return dest


def _objects(repo: Path) -> list[str]:
    listing = git("rev-list", "--objects", "--all", cwd=repo).stdout.splitlines()
    return sorted(listing)


def _entries(settings: Settings) -> list[Path]:
    return sorted(Path(settings.directory).glob("*.pack"))


def test_clones_through_the_cache_equal_plain_clones(tmp_path: Path, origin: tuple[Path, Path]):
    bare, _ = origin
    settings = _settings(tmp_path)
    plain = _clone(bare, tmp_path / "plain.git", None)
    first = _clone(bare, tmp_path / "first.git", settings)
    second = _clone(bare, tmp_path / "second.git", settings)
    shallow = _clone(bare, tmp_path / "shallow.git", settings, "--depth", "1")
    assert pack_cache.read_stats(settings.directory) == {"miss": 2, "hit": 1}
    for clone in (first, second):
        assert _objects(clone) == _objects(plain)
        git("fsck", "--full", "--strict", cwd=clone)
    head = git("rev-parse", "main", cwd=plain).stdout
    assert git("rev-parse", "main", cwd=shallow).stdout == head
    assert len(git("rev-list", "main", cwd=shallow).stdout.split()) == 1


def test_parallel_clones_run_pack_objects_once(tmp_path: Path, origin: tuple[Path, Path]):
    bare, _ = origin
    settings = _settings(tmp_path)
    upload = _upload_pack(settings)
    procs = [
        subprocess.Popen(
            [
                "git",
                "clone",
                "-q",
                "--bare",
                "-u",
                upload,
                f"file://{bare}",
                str(tmp_path / f"c{i}"),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for i in range(10)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    stats = pack_cache.read_stats(settings.directory)
    assert stats["miss"] == 1, stats
    assert stats.get("hit", 0) + stats.get("tail", 0) == 9, stats
    want = _objects(tmp_path / "c0")
    assert all(_objects(tmp_path / f"c{i}") == want for i in range(1, 10))


def test_a_push_changes_the_key(tmp_path: Path, origin: tuple[Path, Path]):
    bare, work = origin
    settings = _settings(tmp_path)
    _clone(bare, tmp_path / "before.git", settings)
    _commit(work, "new.txt", "after the first clone\n")
    git("push", "-q", str(bare), "main", cwd=work)
    after = _clone(bare, tmp_path / "after.git", settings)
    assert git("rev-parse", "main", cwd=after).stdout == git("rev-parse", "main", cwd=work).stdout
    assert pack_cache.read_stats(settings.directory) == {"miss": 2}


def test_entries_expire(tmp_path: Path, origin: tuple[Path, Path]):
    bare, _ = origin
    settings = _settings(tmp_path, max_age=1)
    _clone(bare, tmp_path / "a.git", settings)
    time.sleep(1.2)
    _clone(bare, tmp_path / "b.git", settings)
    stats = pack_cache.read_stats(settings.directory)
    assert stats["miss"] == 2 and stats["expired"] >= 1, stats


def test_the_size_budget_evicts_least_recently_used(tmp_path: Path, origin: tuple[Path, Path]):
    bare, _ = origin
    kinds = {"a": ["--depth", "1"], "b": [], "c": ["--depth", "2"]}  # three keys
    sizes = {}
    for kind, extra in kinds.items():
        probe = _settings(tmp_path / f"probe-{kind}")
        _clone(bare, tmp_path / f"probe-{kind}.git", probe, *extra)
        sizes[kind] = _entries(probe)[0].stat().st_size
    assert sizes["c"] <= sizes["b"]
    settings = _settings(tmp_path, max_bytes=sum(sizes.values()) - 1)  # two fit, not three
    _clone(bare, tmp_path / "a.git", settings, *kinds["a"])
    _clone(bare, tmp_path / "b.git", settings, *kinds["b"])
    _clone(bare, tmp_path / "a2.git", settings, *kinds["a"])  # A used again: B is older
    _clone(bare, tmp_path / "c.git", settings, *kinds["c"])  # over budget: B goes
    entries = _entries(settings)
    assert sum(p.stat().st_size for p in entries) <= settings.max_bytes
    assert sorted(p.stat().st_size for p in entries) == sorted([sizes["a"], sizes["c"]])
    _clone(bare, tmp_path / "a3.git", settings, *kinds["a"])
    assert pack_cache.read_stats(settings.directory) == {"miss": 3, "hit": 2, "evicted": 1}


def test_a_pack_larger_than_the_budget_is_served_not_kept(
    tmp_path: Path, origin: tuple[Path, Path]
):
    bare, _ = origin
    settings = _settings(tmp_path, max_bytes=100)
    clone = _clone(bare, tmp_path / "a.git", settings)
    git("fsck", "--full", cwd=clone)
    assert _entries(settings) == []
    assert pack_cache.read_stats(settings.directory) == {"oversize": 1, "miss": 1}


@pytest.mark.parametrize("damage", ["flip", "truncate", "no-footer"])
def test_a_damaged_entry_is_never_served(tmp_path: Path, origin: tuple[Path, Path], damage: str):
    bare, _ = origin
    settings = _settings(tmp_path)
    plain = _clone(bare, tmp_path / "plain.git", None)
    _clone(bare, tmp_path / "first.git", settings)
    (entry,) = _entries(settings)
    data = bytearray(entry.read_bytes())
    if damage == "flip":
        data[len(data) // 2] ^= 0xFF
    elif damage == "truncate":
        data = data[: len(data) // 2]
    else:
        data = data[: -FOOTER.size]
    entry.write_bytes(bytes(data))
    again = _clone(bare, tmp_path / "again.git", settings)
    git("fsck", "--full", "--strict", cwd=again)
    assert _objects(again) == _objects(plain)
    assert pack_cache.read_stats(settings.directory) == {"miss": 2, "corrupt": 1}
    assert _entries(settings) == [entry]  # computed again and replaced


def _real_entry(tmp_path: Path, bare: Path) -> bytes:
    """A finished entry's bytes (pack + footer), made by a clone through the cache."""
    settings = _settings(tmp_path / "maker")
    _clone(bare, tmp_path / "maker.git", settings)
    return _entries(settings)[0].read_bytes()


def _reader(fd: int, into: bytearray, done: threading.Event) -> None:
    with os.fdopen(fd, "rb", buffering=0) as pipe:
        while chunk := pipe.read(65536):
            into.extend(chunk)
    done.set()


class Producing:
    """A producer in progress, played by the test: it holds the key's lock and has written
    ``first`` into ``KEY.part``; a tailer runs ``serve_tail`` on a thread into a pipe."""

    def __init__(self, tmp_path: Path, first: bytes) -> None:
        self.settings = _settings(tmp_path)
        os.makedirs(self.settings.directory)
        self.entry = Entry(self.settings.directory, "k" * 64)
        self.lock = os.open(self.entry.lock, os.O_RDWR | os.O_CREAT)
        fcntl.flock(self.lock, fcntl.LOCK_EX)
        self.part = os.open(self.entry.part, os.O_WRONLY | os.O_CREAT)
        os.write(self.part, first)
        read_fd, self.write_fd = os.pipe()
        self.received, self.finished = bytearray(), threading.Event()
        threading.Thread(target=_reader, args=(read_fd, self.received, self.finished)).start()
        self.tailer_lock = os.open(self.entry.lock, os.O_RDWR)
        self.out = Output(self.write_fd)
        self.result: list[str] = []
        self.tail = threading.Thread(target=self._tail)
        self.tail.start()

    def _tail(self) -> None:
        tailed = pack_cache.serve_tail(self.settings, self.entry, self.tailer_lock, self.out)
        self.result.append(tailed)

    def end(self, *, publish: bool) -> str:
        """Rename (publish) or delete the part, release the lock; the tailer's answer."""
        if publish:
            os.rename(self.entry.part, self.entry.pack)
        else:
            os.unlink(self.entry.part)
        fcntl.flock(self.lock, fcntl.LOCK_UN)
        self.tail.join(timeout=10)
        for fd in (self.part, self.lock, self.tailer_lock, self.write_fd):
            os.close(fd)
        assert self.finished.wait(10)
        return self.result[0]


def test_a_concurrent_request_streams_the_entry_while_it_grows(
    tmp_path: Path, origin: tuple[Path, Path]
):
    """The tailer sends the first half before the producer has written the rest: the
    producer waits for those bytes to come out of the pipe before it finishes."""
    bare, _ = origin
    whole = _real_entry(tmp_path, bare)
    pack = whole[: -FOOTER.size]
    half = len(pack) // 2
    producing = Producing(tmp_path, whole[:half])
    deadline = time.monotonic() + 10
    while len(producing.received) < half - FOOTER.size and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(producing.received) == half - FOOTER.size  # streamed, footer-size held back
    os.write(producing.part, whole[half:])
    assert producing.end(publish=True) == SERVED
    assert bytes(producing.received) == pack


def test_a_failed_producer_makes_waiters_retry(tmp_path: Path):
    producing = Producing(tmp_path, b"PACK" + b"\0" * 10)  # under a footer: nothing is sent
    time.sleep(0.1)
    assert producing.end(publish=False) == RETRY
    assert producing.out.sent == 0 and producing.received == b""


def test_pack_objects_per_repository_is_limited(tmp_path: Path):
    settings = _settings(tmp_path, concurrency=1)
    entered: list[str] = []

    def second() -> None:
        with pack_cache.RepositorySlot(settings, "/repo"):
            entered.append("second")

    with pack_cache.RepositorySlot(settings, "/repo"):
        thread = threading.Thread(target=second)
        thread.start()
        with pack_cache.RepositorySlot(settings, "/other-repo"):
            entered.append("other")  # another repository is not held up
        time.sleep(0.2)
        assert entered == ["other"]
    thread.join(timeout=5)
    assert entered == ["other", "second"]
