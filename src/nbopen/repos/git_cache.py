"""Git reads for the repository pages, cached per (repository id, commit).

A commit id names immutable content: the tree listing of ``{sha}:{dir}``, the commit itself,
how many commits it reaches and any page of its history never change. So the pages read them
once and keep the answer in the Django cache instead of running git on every request. Only
the refs (which commit a branch names) are read fresh each time, by the caller.

Keys always start with the repository's primary key and carry the full commit id: an answer
computed for one repository is never served for another, even one holding the same commits
(a fork of a private repository, say). The caller has already checked that the visitor may
read the repository; this module never decides visibility.

The tree's "last commit" column comes from one history walk per (commit, directory)
(:func:`last_commits`), which the commit-graph written after every update
(:func:`nbopen.repos.git.maintenance.write_commit_graph`) keeps short.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from django.core.cache import cache

from nbopen.core import tasks
from nbopen.repos.git import maintenance, read
from nbopen.repos.git.read import Commit, Ref, TreeEntry
from nbopen.repos.models import Repository

_PREFIX = "gitc1"
_MISSING = "missing"
TIMEOUT = 7 * 24 * 3600  # immutable content: kept until evicted or a week passes
_graph_checked: set[str] = set()
_graph_lock = threading.Lock()
_REFS_MEMO_SIZE = 512
_refs_memo: OrderedDict[tuple[int, str], tuple[object, tuple[list[Ref], list[Ref]]]] = OrderedDict()
_refs_lock = threading.Lock()


def _key(repo: Repository, kind: str, sha: str, *parts: object) -> str:
    # Paths can hold any character: hash them so every cache backend accepts the key.
    tail = hashlib.sha256(repr(parts).encode("utf-8", "surrogateescape")).hexdigest()[:32]
    return f"{_PREFIX}:{repo.pk}:{kind}:{sha}:{tail}"


def _cacheable(sha: str) -> bool:
    return read.is_full_sha(sha)


def ensure_commit_graph(repo: Repository) -> None:
    """Repositories created before commit-graphs were written after updates get one on first
    read, in the background (checked once per process and repository)."""
    path = str(repo.git_path)
    with _graph_lock:
        if path in _graph_checked:
            return
        _graph_checked.add(path)
    if not maintenance.has_commit_graph(repo.git_path):
        tasks.defer(write_commit_graph, repo.pk)


def write_commit_graph(repo_id: int) -> None:
    """Background job: write or extend the commit-graph of repository ``repo_id``."""
    repo = Repository.objects.filter(pk=repo_id).first()
    if repo is not None and repo.git_path.is_dir():
        maintenance.write_commit_graph(repo.git_path)


def _refs_fingerprint(git_dir: Path) -> object | None:
    """What changes whenever a branch or tag moves, read with a few ``stat`` calls.

    git updates a loose ref by writing ``<ref>.lock`` and renaming it over the ref, and
    rewrites ``packed-refs`` the same way: the file that replaces a ref is created while the
    old one still exists, so it always has another inode. (inode, mtime, size) of every file
    under ``refs/heads`` and ``refs/tags`` plus ``packed-refs`` therefore differs after any
    update. None (do not memoise) for a reftable repository, whose tables this does not read.
    """
    if (git_dir / "reftable").exists():
        return None
    parts: list[tuple[str, int, int, int]] = []
    for top in ("refs/heads", "refs/tags"):
        for folder, _dirs, files in os.walk(git_dir / top):
            for name in files:
                try:
                    st = os.stat(os.path.join(folder, name))
                except FileNotFoundError:
                    return None  # changing under us: read it fresh
                parts.append((os.path.join(folder, name), st.st_ino, st.st_mtime_ns, st.st_size))
    try:
        st = os.stat(git_dir / "packed-refs")
        parts.append(("packed-refs", st.st_ino, st.st_mtime_ns, st.st_size))
    except FileNotFoundError:
        pass
    return tuple(sorted(parts))


def list_refs(repo: Repository) -> tuple[list[Ref], list[Ref]]:
    """:func:`read.list_refs`, answered from memory while the ref files are unchanged (a git
    call costs more than the rest of a cached page)."""
    git_dir = repo.git_path
    fingerprint = _refs_fingerprint(git_dir)
    memo_key = (repo.pk, str(git_dir))
    if fingerprint is not None:
        with _refs_lock:
            held = _refs_memo.get(memo_key)
            if held is not None and held[0] == fingerprint:
                _refs_memo.move_to_end(memo_key)
                branches, tags = held[1]
                return list(branches), list(tags)
    refs = read.list_refs(git_dir)
    if fingerprint is not None and fingerprint == _refs_fingerprint(git_dir):
        with _refs_lock:
            _refs_memo[memo_key] = (fingerprint, refs)
            while len(_refs_memo) > _REFS_MEMO_SIZE:
                _refs_memo.popitem(last=False)
    return list(refs[0]), list(refs[1])


def _cached(repo: Repository, kind: str, sha: str, parts: tuple[object, ...], compute: Any) -> Any:
    """``compute()``'s answer for content named by ``sha`` in ``repo``, from the cache when
    present. Answers are never None (None means a miss)."""
    if not _cacheable(sha):
        return compute()
    key = _key(repo, kind, sha, *parts)
    found = cache.get(key)
    if found is None:
        found = compute()
        cache.set(key, found, TIMEOUT)
    return found


def ls_tree(repo: Repository, sha: str, path: str = "") -> list[TreeEntry]:
    """:func:`read.ls_tree` of ``path`` at ``sha``; FileNotFoundError when it is no directory."""

    def compute() -> list[TreeEntry] | str:
        try:
            return read.ls_tree(repo.git_path, sha, path)
        except FileNotFoundError:
            return _MISSING

    found = _cached(repo, "tree", sha, (path.strip("/"),), compute)
    if found == _MISSING:
        raise FileNotFoundError(path)
    return list(found)


def entry_at(repo: Repository, sha: str, path: str) -> TreeEntry | None:
    """The tree entry for ``path`` at ``sha`` (from the cached listing of its directory)."""
    path = path.strip("/")
    if not path or not _cacheable(sha):
        return read.entry_at(repo.git_path, sha, path)
    try:
        siblings = ls_tree(repo, sha, path.rpartition("/")[0])
    except FileNotFoundError:
        return None
    return next((entry for entry in siblings if entry.path == path), None)


MAX_WALK_COMMITS = 50_000  # the last-commit walk stops here (about a second of git)
SMALL_BLOB_BYTES = 256 * 1024  # blobs up to this size are kept in the cache


def blob_bytes(repo: Repository, oid: str, size: int) -> bytes:
    """The bytes of blob ``oid`` (``size`` from its tree entry); small blobs are cached per
    (repository, blob id), which names their content."""
    if size > SMALL_BLOB_BYTES:
        return read.read_blob(repo.git_path, oid)
    return bytes(_cached(repo, "blob", oid, (), lambda: read.read_blob(repo.git_path, oid)))


def commit(repo: Repository, sha: str) -> Commit | None:
    found = _cached(repo, "commit", sha, (), lambda: read.commit(repo.git_path, sha) or _MISSING)
    return None if found == _MISSING else found


def count_commits(repo: Repository, sha: str) -> int:
    return int(_cached(repo, "count", sha, (), lambda: read.count_commits(repo.git_path, sha)))


def log(
    repo: Repository, sha: str, *, path: str = "", skip: int = 0, limit: int = 30
) -> list[Commit]:
    """:func:`read.log`, cached: a page of a commit's history never changes."""
    return list(
        _cached(
            repo,
            "log",
            sha,
            (path, skip, limit),
            lambda: read.log(repo.git_path, sha, path=path, skip=skip, limit=limit),
        )
    )


def last_commits(repo: Repository, sha: str, directory: str, names: list[str]) -> dict[str, Commit]:
    """For each entry name of ``directory`` at ``sha``, the newest commit that changed it.

    One ``git log --name-only`` walk per (commit, directory), stopped as soon as every name
    is found, then one ``git log --no-walk`` for the commits' details: never one walk per
    entry. Entries the walk does not reach (history simplified past a merge) are left out.
    """
    if not _cacheable(sha) or not names:
        return {}
    directory = directory.strip("/")
    # The names are those of the directory at sha, so (sha, directory) determines the answer.
    return dict(
        _cached(
            repo,
            "last",
            sha,
            (directory,),
            lambda: _walk_last_commits(repo, sha, directory, set(names)),
        )
    )


def _walk_last_commits(
    repo: Repository, sha: str, directory: str, names: set[str]
) -> dict[str, Commit]:
    prefix = f"{directory}/" if directory else ""
    args = ["git", "-c", "core.quotePath=false", "log", "--format=%x1e%H", "--name-only"]
    args += ["--no-renames", sha, "--"]
    if directory:
        args.append(directory)
    owner: dict[str, str] = {}
    walked = 0
    with subprocess.Popen(
        args, cwd=repo.git_path, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    ) as proc:
        assert proc.stdout is not None
        current = ""
        for raw in proc.stdout:
            line = raw.decode("utf-8", "surrogateescape").rstrip("\n")
            if line.startswith("\x1e"):
                current = line[1:]
                walked += 1
                if walked > MAX_WALK_COMMITS:
                    break  # a first visit must stay short: older entries show no commit
                continue
            if not line.startswith(prefix) or not current:
                continue
            name = line[len(prefix) :].split("/", 1)[0]
            if name in names and name not in owner:
                owner[name] = current
                if len(owner) == len(names):
                    break
        proc.kill()
    shas = list(dict.fromkeys(owner.values()))
    if not shas:
        return {}
    details = read.commits(repo.git_path, shas)
    return {name: details[c] for name, c in owner.items() if c in details}


def warm(repo: Repository, sha: str) -> None:
    """Fill the caches the repository page at ``sha`` reads (run after an update, in the
    background, so the first visitor after a push is served from what the push computed)."""
    try:
        entries = ls_tree(repo, sha, "")
    except FileNotFoundError:
        return
    commit(repo, sha)
    count_commits(repo, sha)
    log(repo, sha, skip=0, limit=31)
    last_commits(repo, sha, "", [e.path for e in entries])
