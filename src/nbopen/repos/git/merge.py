"""Merging without a work tree: what a pull request needs from git.

Why plumbing: the server holds bare repositories and must never check anything out. ``git
merge-tree --write-tree`` (git ≥ 2.38) computes the merged tree in the object database and
lists the conflicting files; ``commit-tree`` and a compare-and-swap ``update-ref``
(:mod:`.commit`) do the rest. A fork's head is first copied into the base repository
(``git fetch`` into ``refs/pull/N/head``), so every computation runs in one repository.
No Django here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nbopen.repos.git.commit import _git, git_env
from nbopen.repos.git.read import Commit, _parse_commits

_LOG_FORMAT = "%H%x00%P%x00%an%x00%ae%x00%at%x00%cn%x00%ct%x00%B%x1e"
MAX_DIFF_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class MergeResult:
    """The merged tree, or None with the files that conflict."""

    tree: str | None
    conflicts: tuple[str, ...] = ()


def merge_tree(repo: Path, ours: str, theirs: str) -> MergeResult:
    """Merge ``theirs`` into ``ours`` in the object database (nothing checked out)."""
    proc = _git(
        repo,
        "merge-tree",
        "--write-tree",
        "--name-only",
        "--no-messages",
        "-z",
        ours,
        theirs,
        check=False,
    )
    if proc.returncode not in (0, 1):
        from nbopen.repos.git.bare import GitError

        raise GitError(f"git merge-tree: {proc.stderr.decode(errors='replace').strip()}")
    fields = [f for f in proc.stdout.split(b"\0") if f]
    tree = fields[0].decode().strip() if fields else None
    if proc.returncode == 0:
        return MergeResult(tree)
    conflicts = sorted({f.decode("utf-8", "replace") for f in fields[1:]})
    return MergeResult(None, tuple(conflicts))


def merge_base(repo: Path, a: str, b: str) -> str | None:
    proc = _git(repo, "merge-base", a, b, check=False)
    return proc.stdout.decode().strip() or None if proc.returncode == 0 else None


def is_ancestor(repo: Path, ancestor: str, descendant: str) -> bool:
    return (
        _git(repo, "merge-base", "--is-ancestor", ancestor, descendant, check=False).returncode == 0
    )


def commits_between(repo: Path, base: str, head: str, limit: int = 250) -> list[Commit]:
    """Commits of ``head`` not in ``base``, oldest first (at most ``limit``)."""
    out = _git(
        repo,
        "log",
        "--reverse",
        f"--format={_LOG_FORMAT}",
        f"--max-count={limit}",
        f"{base}..{head}",
        "--",
    ).stdout
    return _parse_commits(out)


def diff_text(
    repo: Path, base: str, head: str, max_bytes: int = MAX_DIFF_BYTES
) -> tuple[str, bool]:
    """The unified diff from ``base`` to ``head`` (binary files named, not shown); cut at
    ``max_bytes`` (then the flag is True)."""
    out = _git(repo, "diff", "--no-color", "--no-ext-diff", "-M", base, head, "--").stdout
    truncated = len(out) > max_bytes
    return out[:max_bytes].decode("utf-8", "replace"), truncated


def changed_paths(repo: Path, base: str, head: str) -> list[str]:
    out = _git(repo, "diff", "--name-only", "-z", "--no-renames", base, head, "--").stdout
    return [p.decode("utf-8", "replace") for p in out.split(b"\0") if p]


def fetch_into(repo: Path, source: Path, source_ref: str, dest_ref: str) -> str | None:
    """Copy ``source_ref`` of the repository at ``source`` (a fork) into ``dest_ref`` of
    ``repo``, forced (a pull request follows its head, even a force-pushed one); returns the
    commit, or None if the source ref is gone."""
    proc = _git(
        repo,
        "fetch",
        "--no-tags",
        "--quiet",
        str(source),
        f"+{source_ref}:{dest_ref}",
        env=git_env(),
        check=False,
    )
    if proc.returncode != 0:
        return None
    out = _git(repo, "rev-parse", "--verify", "--quiet", dest_ref, check=False)
    return out.stdout.decode().strip() or None


@dataclass(frozen=True)
class FileChange:
    path: str
    status: str  # added, deleted, modified (git's A, D, M; renames are split)
    additions: int
    deletions: int


def file_changes(repo: Path, base: str, head: str, limit: int = 3000) -> list[FileChange]:
    """Per-file status and line counts from ``base`` to ``head`` (binary files count 0)."""
    names = _git(repo, "diff", "--name-status", "-z", "--no-renames", base, head, "--").stdout
    parts = [p.decode("utf-8", "replace") for p in names.split(b"\0") if p]
    status = {parts[i + 1]: parts[i] for i in range(0, len(parts) - 1, 2)}
    counts = _git(repo, "diff", "--numstat", "-z", "--no-renames", base, head, "--").stdout
    words = {"A": "added", "D": "deleted"}
    found: list[FileChange] = []
    for row in counts.split(b"\0"):
        fields = row.decode("utf-8", "replace").split("\t", 2)
        if len(fields) != 3:
            continue
        added, deleted, path = fields
        found.append(
            FileChange(
                path,
                words.get(status.get(path, "M")[:1], "modified"),
                int(added) if added.isdigit() else 0,
                int(deleted) if deleted.isdigit() else 0,
            )
        )
        if len(found) >= limit:
            break
    return found


def format_patch(repo: Path, base: str, head: str, max_bytes: int = MAX_DIFF_BYTES) -> str:
    """The commits from ``base`` to ``head`` as ``git format-patch`` mails (``.patch``)."""
    out = _git(repo, "format-patch", "--stdout", "--no-color", f"{base}..{head}").stdout
    return out[:max_bytes].decode("utf-8", "replace")
