"""A revision's ``.gitattributes`` and ``.gitignore``, answered by git itself.

The Hub decides LFS from the repository's ``.gitattributes`` and ``shouldIgnore`` from its
``.gitignore``; git's pattern rules (anchoring, ``**``, directory-only patterns, negation,
nested files, precedence) are subtle, so nothing here re-implements them:

- attributes: the revision's ``.gitattributes`` files (only those) go into a throw-away index
  and ``git check-attr --cached`` reads them there (git 2.39 has no ``--source``);
- ignores: the revision's ``.gitignore`` files are written into an empty temporary work tree
  and ``git check-ignore --no-index`` matches the paths against them.

No configuration of the server's user (``core.attributesFile``, ``core.excludesFile``) takes
part: git runs with ``GIT_CONFIG_GLOBAL=/dev/null`` and without the system config.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path

from nbopen.repos.git.bare import GitError
from nbopen.repos.git.commit import git_env

ATTRIBUTES = ".gitattributes"
IGNORE = ".gitignore"


def _env(index_file: str | None = None) -> dict[str, str]:
    env = git_env(index_file)
    env["GIT_CONFIG_GLOBAL"] = os.devnull
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    return env


def _git(
    cwd: Path, *args: str, input_: bytes | None = None, env: dict[str, str] | None = None
) -> bytes:
    proc = subprocess.run(
        ["git", "-c", "core.quotePath=false", *args],
        cwd=cwd,
        input=input_,
        capture_output=True,
        check=False,
        env=env or _env(),
    )
    # check-ignore exits 1 when nothing is ignored; anything else above 1 is an error.
    if proc.returncode > 1 or (proc.returncode == 1 and args[0] != "check-ignore"):
        raise GitError(f"git {args[0]}: {proc.stderr.decode(errors='replace').strip()}")
    return proc.stdout


def special_files(repo: Path, rev: str | None, name: str) -> list[tuple[str, str, str]]:
    """(mode, blob oid, path) of every file called ``name`` in ``rev``'s tree."""
    if rev is None:
        return []
    out = _git(repo, "ls-tree", "-r", "-z", "--full-tree", rev)
    found = []
    for record in out.split(b"\0"):
        meta, _, raw = record.partition(b"\t")
        if not raw:
            continue
        path = raw.decode("utf-8", "surrogateescape")
        if path == name or path.endswith("/" + name):
            mode, otype, oid = meta.decode().split()
            if otype == "blob":
                found.append((mode, oid, path))
    return found


def _nul_list(paths: Iterable[str]) -> bytes:
    return b"".join(p.encode("utf-8", "surrogateescape") + b"\0" for p in paths)


def lfs_routed(repo: Path, files: list[tuple[str, str, str]], paths: Iterable[str]) -> set[str]:
    """The ``paths`` that the ``.gitattributes`` ``files`` (from :func:`special_files`) send
    through the LFS filter (``filter=lfs``), by git's own attribute matching."""
    wanted = sorted(set(paths))
    if not files or not wanted:
        return set()
    tmp_dir = repo / "nbopen-tmp"
    tmp_dir.mkdir(exist_ok=True)
    fd, index = tempfile.mkstemp(prefix="attr-index-", dir=tmp_dir)
    os.close(fd)
    os.unlink(index)
    env = _env(index)
    try:
        listing = b"".join(
            f"{mode} {oid}\t".encode() + path.encode("utf-8", "surrogateescape") + b"\0"
            for mode, oid, path in files
        )
        _git(repo, "update-index", "-z", "--add", "--index-info", input_=listing, env=env)
        out = _git(
            repo,
            "check-attr",
            "-z",
            "--cached",
            "--stdin",
            "filter",
            input_=_nul_list(wanted),
            env=env,
        )
    finally:
        for leftover in (index, index + ".lock"):
            if os.path.exists(leftover):
                os.unlink(leftover)
    fields = out.split(b"\0")
    return {
        fields[i].decode("utf-8", "surrogateescape")
        for i in range(0, len(fields) - 2, 3)
        if fields[i + 2] == b"lfs"
    }


def ignored(
    repo: Path,
    files: list[tuple[str, str, str]],
    paths: Iterable[str],
    root_override: bytes | None = None,
) -> set[str]:
    """The ``paths`` that the ``.gitignore`` ``files`` (from :func:`special_files`) ignore,
    by git's own matching. ``root_override`` replaces the top-level ``.gitignore`` (the
    Hub's preupload ``gitIgnore``: the one about to be committed)."""
    wanted = sorted({p for p in paths if p})
    if not wanted or (not files and not root_override):
        return set()
    tmp_dir = repo / "nbopen-tmp"
    tmp_dir.mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="ignore-", dir=tmp_dir))
    try:
        _git(work, "init", "-q", "--template=", ".")
        for _mode, oid, path in files:
            if path == IGNORE and root_override is not None:
                continue
            target = work / path
            if ".git" in Path(path).parts[:-1]:
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(_git(repo, "cat-file", "blob", oid))
        if root_override is not None:
            (work / IGNORE).write_bytes(root_override)
        out = _git(work, "check-ignore", "--no-index", "-z", "--stdin", input_=_nul_list(wanted))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {p.decode("utf-8", "surrogateescape") for p in out.split(b"\0") if p}
