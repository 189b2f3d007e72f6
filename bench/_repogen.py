"""A deterministic, realistic-looking git history made with ``git fast-import``.

Why generate instead of bundling a real project: a 20k-commit history is tens of megabytes, and
the transport benchmark needs one of a known shape (commits, files, branches, tags) at any size
for smoke runs. The shape imitates an ordinary source tree: ~5k text files of log-normal size
in nested directories, commits that touch a few files close to each other, feature branches
merged back, a maintenance branch, annotated release tags. ``git repack -adf`` afterwards gives
the deltas a real server would hold, so clone and push move a realistically compressed pack.
"""

from __future__ import annotations

import math
import random
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

FORMAT_VERSION = 1
WORDS = [
    "self",
    "value",
    "result",
    "index",
    "count",
    "buffer",
    "stream",
    "reader",
    "writer",
    "parser",
    "token",
    "node",
    "tree",
    "commit",
    "object",
    "request",
    "response",
    "client",
    "server",
    "handler",
    "config",
    "option",
    "error",
    "status",
    "message",
    "user",
    "repo",
    "branch",
    "tag",
    "path",
    "name",
    "size",
    "offset",
    "length",
    "data",
    "item",
    "items",
    "entry",
    "entries",
    "cache",
    "key",
    "lock",
    "state",
    "event",
    "queue",
    "task",
    "worker",
    "pool",
    "limit",
    "timeout",
    "retry",
    "close",
    "open",
    "read",
    "write",
    "flush",
    "update",
    "create",
    "delete",
    "remove",
    "insert",
    "append",
    "extend",
    "format",
    "encode",
    "decode",
    "hash",
    "digest",
    "check",
    "verify",
    "parse",
    "render",
    "build",
    "load",
    "save",
    "store",
    "fetch",
    "push",
    "pull",
    "merge",
    "diff",
    "patch",
    "apply",
    "return",
]
KEYWORDS = ["if", "for", "while", "return", "def", "class", "with", "try", "elif", "else"]
AUTHORS = [
    ("Li Wei", "li.wei"),
    ("Wang Fang", "wang.fang"),
    ("Zhang Min", "zhang.min"),
    ("Chen Jie", "chen.jie"),
    ("Liu Yang", "liu.yang"),
    ("Yang Jing", "yang.jing"),
    ("Huang Lei", "huang.lei"),
    ("Zhao Qiang", "zhao.qiang"),
    ("Anna Schmidt", "anna.schmidt"),
    ("John Miller", "john.miller"),
    ("Maria Garcia", "maria.garcia"),
    ("Kenji Sato", "kenji.sato"),
]
SUFFIXES = [".py", ".py", ".py", ".c", ".h", ".js", ".ts", ".md", ".rst", ".toml", ".json"]


@dataclass(frozen=True)
class RepoStats:
    path: Path
    commits: int
    files: int
    objects: int
    pack_bytes: int
    refs: int


def _line(rng: random.Random) -> str:
    indent = "    " * rng.choice((0, 1, 1, 2, 2, 2, 3))
    if rng.random() < 0.08:
        return ""
    if rng.random() < 0.12:
        return f"{indent}# {' '.join(rng.choices(WORDS, k=rng.randint(3, 10)))}"
    head = rng.choice(KEYWORDS) if rng.random() < 0.3 else ""
    body = " ".join(
        f"{rng.choice(WORDS)}_{rng.choice(WORDS)}" if rng.random() < 0.4 else rng.choice(WORDS)
        for _ in range(rng.randint(2, 9))
    )
    return f"{indent}{head} {body}".rstrip() if head else f"{indent}{body}"


def _file_lines(rng: random.Random) -> list[str]:
    # Log-normal sizes: median ~3 KB, a long tail up to ~150 KB, like a real source tree.
    size = min(150_000, max(80, int(rng.lognormvariate(math.log(3000), 1.0))))
    lines: list[str] = []
    total = 0
    while total < size:
        text = _line(rng)
        lines.append(text)
        total += len(text) + 1
    return lines


def _mutate(rng: random.Random, lines: list[str]) -> list[str]:
    """A plausible edit: replace, insert or delete a small hunk or two."""
    out = list(lines)
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        at = rng.randint(0, len(out))
        kind = rng.random()
        if kind < 0.45 and out:
            span = rng.randint(1, 6)
            out[at : at + span] = [_line(rng) for _ in range(rng.randint(1, 8))]
        elif kind < 0.85:
            out[at:at] = [_line(rng) for _ in range(rng.randint(1, 25))]
        elif len(out) > 20:
            del out[at : at + rng.randint(1, 10)]
    return out or [_line(rng)]


def _paths(rng: random.Random, count: int) -> list[str]:
    """Nested directories of ~25 files, ~10 subdirectories per top-level package."""
    paths: list[str] = []
    top = 0
    while len(paths) < count:
        for sub in range(10):
            for leaf in range(rng.randint(15, 35)):
                if len(paths) >= count:
                    break
                name = f"{rng.choice(WORDS)}_{leaf}{rng.choice(SUFFIXES)}"
                paths.append(f"pkg{top:02d}/{rng.choice(WORDS)}{sub}/{name}")
        top += 1
    return sorted(set(paths))


def _data(payload: bytes) -> bytes:
    return b"data %d\n" % len(payload) + payload + b"\n"


def _tag(name: str, target: int, when: int) -> bytes:
    head = f"tag {name}\nfrom :{target}\ntagger Release Bot <release@example.org> {when} +0800\n"
    return head.encode() + _data(f"Release {name}\n".encode())


def _stream(rng: random.Random, commits: int, files: int) -> Iterator[bytes]:
    """fast-import commands for the whole history."""
    paths = _paths(rng, files)
    contents = [_file_lines(rng) for _ in paths]
    when = 1_500_000_000
    mark = 0
    release_at = commits // 2
    release_commits = max(1, commits // 200)
    tag_every = max(1, commits // 20)

    def commit(
        ref: str,
        parent: int | None,
        changes: dict[int, list[str]],
        msg: str,
        merge: int | None = None,
    ) -> int:
        nonlocal mark, when
        mark += 1
        when += rng.randint(60, 20_000)
        name, login = rng.choice(AUTHORS)
        ident = f"{name} <{login}@example.org> {when} +0800".encode()
        out = [b"commit %s\nmark :%d\n" % (ref.encode(), mark)]
        out.append(b"author " + ident + b"\ncommitter " + ident + b"\n")
        out.append(_data(msg.encode()))
        if parent is not None:
            out.append(b"from :%d\n" % parent)
        if merge is not None:
            out.append(b"merge :%d\n" % merge)
        for idx, lines in sorted(changes.items()):
            out.append(b"M 100644 inline " + paths[idx].encode() + b"\n")
            out.append(_data(("\n".join(lines) + "\n").encode()))
        chunks.append(b"".join(out))
        return mark

    def message() -> str:
        subject = " ".join(rng.choices(WORDS, k=rng.randint(3, 8))).capitalize()
        if rng.random() < 0.5:
            return subject + "\n"
        body = "\n".join(
            " ".join(rng.choices(WORDS, k=rng.randint(6, 12))) for _ in range(rng.randint(1, 5))
        )
        return f"{subject}\n\n{body}\n"

    def touched() -> list[int]:
        # Edits cluster: a commit touches a few files near each other in the tree.
        base = rng.randrange(len(paths))
        return sorted({min(len(paths) - 1, base + rng.randint(0, 30)) for _ in range(_nfiles())})

    def _nfiles() -> int:
        return rng.choice((1, 1, 1, 2, 2, 3, 4, 6))

    chunks: list[bytes] = []
    head = commit("refs/heads/main", None, dict(enumerate(contents)), "Initial import\n")
    yield chunks.pop()
    made = 1
    release_tip: int | None = None
    while made < commits:
        if made == release_at and release_tip is None:
            # A maintenance branch with its own fixes and patch releases, never merged back.
            release_tip = head
            state: dict[int, list[str]] = {}
            for n in range(min(release_commits, commits - made)):
                change = {i: _mutate(rng, state.get(i, contents[i])) for i in touched()}
                state.update(change)
                release_tip = commit("refs/heads/release/1.x", release_tip, change, message())
                yield chunks.pop()
                made += 1
                if n % 10 == 9:
                    yield _tag(f"v1.0.{n // 10 + 1}", release_tip, when)
            continue
        if rng.random() < 0.02 and commits - made > 20:
            # A short feature branch merged back with a merge commit.
            fork = head
            feature: dict[int, list[str]] = {}
            tip = fork
            for _ in range(rng.randint(2, 8)):
                change = {i: _mutate(rng, feature.get(i, contents[i])) for i in touched()}
                feature.update(change)
                tip = commit("refs/heads/feature/wip", tip, change, message())
                yield chunks.pop()
                made += 1
            for idx, lines in feature.items():
                contents[idx] = lines
            head = commit("refs/heads/main", head, feature, "Merge feature branch\n", merge=tip)
            yield chunks.pop()
            made += 1
            continue
        change = {i: _mutate(rng, contents[i]) for i in touched()}
        for idx, lines in change.items():
            contents[idx] = lines
        head = commit("refs/heads/main", head, change, message())
        yield chunks.pop()
        made += 1
        if made % tag_every == 0:
            yield _tag(f"v0.{made // tag_every}.0", head, when)
    # Two more ordinary branches pointing into history, as on any busy project.
    yield b"reset refs/heads/develop\nfrom :%d\n\n" % max(1, head - 5)


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout


def stats(repo: Path) -> RepoStats:
    counts = dict(line.split(": ", 1) for line in _git(repo, "count-objects", "-v").splitlines())
    return RepoStats(
        path=repo,
        commits=int(_git(repo, "rev-list", "--all", "--count").strip()),
        files=len(_git(repo, "ls-tree", "-r", "--name-only", "main").splitlines()),
        objects=int(counts["in-pack"]) + int(counts["count"]),
        pack_bytes=int(counts["size-pack"]) * 1024,
        refs=len(_git(repo, "for-each-ref").splitlines()),
    )


def ensure_repo(cache_dir: Path, *, commits: int, files: int, seed: int = 20260101) -> RepoStats:
    """The cached bare repository for these parameters, generating it when absent."""
    repo = cache_dir / f"history-v{FORMAT_VERSION}-c{commits}-f{files}-s{seed}.git"
    if (repo / "nbopen-bench-complete").exists():
        return stats(repo)
    if repo.exists():
        subprocess.run(["rm", "-rf", str(repo)], check=True)
    cache_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    print(f"generating {commits} commits over {files} files in {repo} …", flush=True)
    subprocess.run(["git", "init", "-q", "--bare", "--initial-branch=main", str(repo)], check=True)
    proc = subprocess.Popen(
        ["git", "-C", str(repo), "fast-import", "--quiet", "--depth=50"],
        stdin=subprocess.PIPE,
    )
    stdin: IO[bytes] | None = proc.stdin
    assert stdin is not None
    for chunk in _stream(random.Random(seed), commits, files):
        stdin.write(chunk)
    stdin.close()
    if proc.wait() != 0:
        raise RuntimeError("git fast-import failed")
    print(f"  fast-import done in {time.monotonic() - started:.1f} s; repacking …", flush=True)
    _git(repo, "repack", "-adfq", "--window=50", "--depth=50")
    (repo / "nbopen-bench-complete").write_text("ok\n")
    result = stats(repo)
    print(
        f"  ready in {time.monotonic() - started:.1f} s: {result.commits} commits, "
        f"{result.objects} objects, {result.pack_bytes / 1e6:.1f} MB pack",
        flush=True,
    )
    return result
