"""A commit's changes as structured file diffs, bounded so a huge commit cannot stall a page."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from nbopen.repos.git.read import EMPTY_TREE

MAX_DIFF_BYTES = 2 * 1024 * 1024
MAX_FILE_LINES = 2000


@dataclass
class DiffLine:
    kind: str  # "add", "del", "ctx", "hunk"
    text: str
    old_no: int | None = None
    new_no: int | None = None


@dataclass
class FileDiff:
    old_path: str
    new_path: str
    status: str = "modified"  # added, deleted, modified, renamed
    binary: bool = False
    additions: int = 0
    deletions: int = 0
    lines: list[DiffLine] = field(default_factory=list)
    truncated: bool = False

    @property
    def path(self) -> str:
        return self.new_path if self.status != "deleted" else self.old_path


@dataclass
class CommitDiff:
    files: list[FileDiff]
    truncated: bool  # the whole diff was larger than we render


def _unquote(path: str) -> str:
    return path[2:] if path.startswith(("a/", "b/")) else path


def commit_diff(repo: Path, sha: str, parent: str | None) -> CommitDiff:
    """Diff of ``sha`` against its first parent (or the empty tree for a root commit)."""
    base = parent or EMPTY_TREE
    with subprocess.Popen(
        [
            "git",
            "-c",
            "core.quotePath=false",
            "diff",
            "--no-color",
            "--no-ext-diff",
            "-M",
            base,
            sha,
            "--",
        ],
        cwd=repo,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    ) as proc:
        assert proc.stdout is not None
        raw = proc.stdout.read(MAX_DIFF_BYTES + 1)
        proc.kill()
    truncated = len(raw) > MAX_DIFF_BYTES
    return CommitDiff(parse(raw[:MAX_DIFF_BYTES].decode("utf-8", "replace")), truncated)


def parse(text: str) -> list[FileDiff]:
    files: list[FileDiff] = []
    current: FileDiff | None = None
    old_no = new_no = 0
    for line in text.split("\n"):
        if line.startswith("diff --git "):
            rest = line[len("diff --git ") :]
            a, _, b = rest.partition(" b/")
            current = FileDiff(_unquote(a), b)
            files.append(current)
            continue
        if current is None:
            continue
        if line.startswith("new file mode"):
            current.status = "added"
        elif line.startswith("deleted file mode"):
            current.status = "deleted"
        elif line.startswith("rename from "):
            current.status = "renamed"
            current.old_path = line[len("rename from ") :]
        elif line.startswith("rename to "):
            current.new_path = line[len("rename to ") :]
        elif line.startswith("Binary files "):
            current.binary = True
        elif line.startswith(
            ("--- ", "+++ ", "index ", "similarity index", "old mode", "new mode")
        ):
            continue
        elif line.startswith("@@"):
            try:
                spec = line.split("@@")[1].split()
                old_no = int(spec[0][1:].split(",")[0])
                new_no = int(spec[1][1:].split(",")[0])
            except (IndexError, ValueError):
                old_no = new_no = 0
            _append(current, DiffLine("hunk", line))
        elif line.startswith("+"):
            current.additions += 1
            _append(current, DiffLine("add", line[1:], None, new_no))
            new_no += 1
        elif line.startswith("-"):
            current.deletions += 1
            _append(current, DiffLine("del", line[1:], old_no, None))
            old_no += 1
        elif line.startswith(" "):
            _append(current, DiffLine("ctx", line[1:], old_no, new_no))
            old_no += 1
            new_no += 1
    return files


def _append(diff: FileDiff, line: DiffLine) -> None:
    if len(diff.lines) >= MAX_FILE_LINES:
        diff.truncated = True
        return
    diff.lines.append(line)
