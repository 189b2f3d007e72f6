"""Zip and tar.gz snapshots of a revision, streamed from ``git archive``.

``git archive`` runs every file through the filter its ``.gitattributes`` name, as a checkout
would; the caller passes the command of a long-running filter process for ``filter=lfs``
(:mod:`nbopen.repos.lfs_filter`), so LFS files come out as their content, not as pointers.
Setting ``filter.lfs.process`` also keeps a system-wide ``git lfs install`` from running
``git-lfs filter-process`` inside a bare repository, where it would look for objects that
live in NBopen's storage and fail the whole archive. The archive's bytes are read from
git's stdout in chunks: nothing is built on disk or held whole in memory (git itself holds
one filtered file at a time).

The smudge filter protocol: https://git-scm.com/docs/gitattributes#_long_running_filter_process
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

from nbopen.repos.git.bare import GitError

FORMATS = {"zip": "zip", "tar.gz": "tar.gz"}
CHUNK = 1 << 16


def archive_env() -> dict[str, str]:
    """The server's environment without ``GIT_*`` (a hook's ``GIT_DIR`` must not leak in)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env["LC_ALL"] = "C"
    return env


def stream(
    repo: Path,
    sha: str,
    *,
    fmt: str,
    prefix: str,
    lfs_process: str,
    env: dict[str, str] | None = None,
) -> Iterator[bytes]:
    """The archive of commit ``sha`` in ``fmt`` (``zip`` or ``tar.gz``), every path under
    ``prefix``. Raises :class:`GitError` before the first chunk if git refuses; a failure
    later ends the stream early (the download is then visibly truncated)."""
    if fmt not in FORMATS:
        raise GitError(f"unknown archive format {fmt!r}")
    command = [
        "git",
        "-c",
        f"filter.lfs.process={lfs_process}",
        "-c",
        "filter.lfs.required=true",
        "-c",
        "tar.tar.gz.command=gzip -cn",
        "archive",
        f"--format={FORMATS[fmt]}",
        f"--prefix={prefix}",
        sha,
    ]
    proc = subprocess.Popen(
        command,
        cwd=repo,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env or archive_env(),
    )
    assert proc.stdout is not None and proc.stderr is not None
    try:
        first = proc.stdout.read(CHUNK)
        if not first:
            proc.wait()
            raise GitError(f"git archive: {proc.stderr.read().decode(errors='replace').strip()}")
        yield first
        while chunk := proc.stdout.read(CHUNK):
            yield chunk
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
