"""Download a revision as ``.zip`` or ``.tar.gz`` (``/{owner}/{name}/archive/{rev}.zip``).

The bytes come from the real ``git archive`` (:mod:`nbopen.repos.git.archive`); files that
``.gitattributes`` routes through LFS are replaced by their content through
:mod:`nbopen.repos.lfs_filter`, so the archive holds what a ``git clone`` with git-lfs checks
out. An LFS pointer whose object this server does not hold stays a pointer file, and a
pointer committed without a ``filter=lfs`` attribute stays one too (git-lfs would not smudge
it either). Callers check read access (and the gate) first.
"""

from __future__ import annotations

import itertools
import os
import re
import shlex
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nbopen
from nbopen.repos.git import archive
from nbopen.repos.models import Repository

EXTENSIONS = ("tar.gz", "zip")
CONTENT_TYPES = {"zip": "application/zip", "tar.gz": "application/gzip"}


@dataclass(frozen=True)
class Archive:
    filename: str
    content_type: str
    chunks: Iterator[bytes]


def split_name(rest: str) -> tuple[str, str] | None:
    """``main.zip`` → (``main``, ``zip``); None for another extension."""
    for ext in EXTENSIONS:
        if rest.endswith("." + ext) and len(rest) > len(ext) + 1:
            return rest[: -len(ext) - 1], ext
    return None


def _label(rev: str) -> str:
    """A file-name-safe form of a revision (``feature/x`` → ``feature-x``)."""
    return re.sub(r"[^\w.\-]+", "-", rev).strip("-.") or "archive"


def open_archive(repo: Repository, *, sha: str, rev: str, fmt: str) -> Archive:
    """The archive of commit ``sha`` (named after ``rev``, GitHub's ``{name}-{rev}/``)."""
    base = f"{repo.name}-{_label(rev)}"
    filter_process = shlex.join([sys.executable, "-m", "nbopen.repos.lfs_filter", str(repo.pk)])
    env = archive.archive_env()
    # The filter runs in the repository's directory: it must find this very package there.
    package_root = str(Path(nbopen.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    chunks = archive.stream(
        repo.git_path, sha, fmt=fmt, prefix=f"{base}/", lfs_process=filter_process, env=env
    )
    first = next(chunks)  # git's refusal surfaces here, before any byte is sent
    return Archive(f"{base}.{fmt}", CONTENT_TYPES[fmt], itertools.chain([first], chunks))
