"""Indexing the default branch's text files of every repository (code search).

What is indexed: blobs at the head of the default branch, in path order, each at most
``MAX_FILE_BYTES``, until the repository's ``REPO_BUDGET_BYTES`` (or ``MAX_FILES``) is spent;
binary files (a NUL byte in the first 8 KiB, or text that does not decode), Git LFS pointers
and vendored or generated directories are skipped. Terms are the repository search's
(``analysis.terms``: jieba for Chinese, Snowball for English), plus the pinyin of the Chinese
words of paths and text (``analysis.pinyin_terms``).

Incremental: :func:`sync` lists the tree at the new head (one ``ls-tree``) and compares each
path's blob id with what is stored, so only added, changed and removed paths are touched,
whatever the push did (force-push, several commits, a branch rename of the default).
It is idempotent: running it twice, late or for an event that did not move the default
branch costs one ``rev-parse``. ``tasks.on_code_event`` defers it after every push and
removes a deleted repository's files; privacy is never stored (queries ask the policy), so
a visibility change needs nothing here.
"""

from __future__ import annotations

import logging
import posixpath
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from django.db import transaction

from nbopen.repos.git import read
from nbopen.repos.git.bare import GitError
from nbopen.repos.models import Repository
from nbopen.search import code_backend
from nbopen.search.analysis import MAX_TERM, is_cjk, name_terms, pinyin_terms, terms
from nbopen.search.models import CodeFile, CodeRepoState

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 512 * 1024
REPO_BUDGET_BYTES = 16 * 1024 * 1024
MAX_FILES = 5_000
READ_BATCH = 200
LFS_POINTER = b"version https://git-lfs"
SKIPPED_DIRS = frozenset(
    {".git", "node_modules", "vendor", "third_party", "dist", "build", "__pycache__", ".venv"}
)

# File extension (or whole name) → language facet value. Display names: ``LANGUAGE_NAMES``.
LANGUAGES: dict[str, str] = {
    ".py": "python",
    ".pyi": "python",
    ".ipynb": "jupyter",
    ".js": "javascript",
    ".mjs": "javascript",
    ".jsx": "javascript",
    ".ts": "typescript",
    ".tsx": "typescript",
    ".go": "go",
    ".rs": "rust",
    ".java": "java",
    ".kt": "kotlin",
    ".scala": "scala",
    ".c": "c",
    ".h": "c",
    ".cc": "cpp",
    ".cpp": "cpp",
    ".cxx": "cpp",
    ".hpp": "cpp",
    ".cu": "cuda",
    ".cs": "csharp",
    ".rb": "ruby",
    ".php": "php",
    ".swift": "swift",
    ".m": "matlab",
    ".r": "r",
    ".jl": "julia",
    ".lua": "lua",
    ".sh": "shell",
    ".bash": "shell",
    ".sql": "sql",
    ".html": "html",
    ".htm": "html",
    ".css": "css",
    ".vue": "vue",
    ".md": "markdown",
    ".markdown": "markdown",
    ".rst": "restructuredtext",
    ".txt": "text",
    ".json": "json",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".toml": "toml",
    ".ini": "ini",
    ".cfg": "ini",
    ".xml": "xml",
    ".csv": "csv",
    ".proto": "protobuf",
    "dockerfile": "dockerfile",
    "makefile": "makefile",
}
LANGUAGE_NAMES: dict[str, str] = {
    "cpp": "C++",
    "csharp": "C#",
    "javascript": "JavaScript",
    "typescript": "TypeScript",
    "php": "PHP",
    "sql": "SQL",
    "html": "HTML",
    "css": "CSS",
    "json": "JSON",
    "yaml": "YAML",
    "toml": "TOML",
    "ini": "INI",
    "xml": "XML",
    "csv": "CSV",
    "cuda": "CUDA",
    "matlab": "MATLAB",
    "restructuredtext": "reStructuredText",
}


def language_of(path: str) -> str:
    """The language facet value of a path, from its extension ("" when unknown)."""
    name = posixpath.basename(path).lower()
    if name in LANGUAGES:
        return LANGUAGES[name]
    return LANGUAGES.get(posixpath.splitext(name)[1], "")


def language_name(value: str) -> str:
    return LANGUAGE_NAMES.get(value, value.capitalize())


def decode_text(data: bytes) -> str | None:
    """The text of a blob, or None when it is binary or a Git LFS pointer."""
    if data.startswith(LFS_POINTER) or b"\0" in data[:8192]:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return data.decode("gb18030")  # older Chinese sources
        except UnicodeDecodeError:
            return None


# Never text: not even read (a binary blob is otherwise read again after every push).
BINARY_EXTENSIONS = frozenset(
    " ".join(
        [
            ".png .jpg .jpeg .gif .webp .ico .pdf .zip .gz .tgz .bz2 .xz",
            ".7z .tar .whl .so .dll .exe .bin .pt .pth .ckpt .safetensors .onnx",
            ".h5 .pb .npy .npz .pkl .parquet .arrow .mp3 .wav .mp4 .avi .ttf",
            ".woff .woff2 .jar .class .pyc",
        ]
    ).split()
)


def _eligible(path: str) -> bool:
    if posixpath.splitext(path)[1].lower() in BINARY_EXTENSIONS:
        return False
    return not any(part in SKIPPED_DIRS for part in path.split("/")[:-1])


@dataclass(frozen=True)
class SourceFile:
    """A file to index: its path, blob id and decoded text."""

    path: str
    blob_oid: str
    text: str


@dataclass(frozen=True)
class RepoInfo:
    """What every file row of a repository repeats (for display and filters)."""

    repository_id: int
    key: str
    owner: str
    type: str


_IDENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SPLIT_RE = re.compile(r"_|(?<=[a-z0-9])(?=[A-Z])")


def identifier_terms(text: str) -> list[str]:
    """The joined form of compound identifiers: ``from_block`` and ``fromBlock`` → ``fromblock``.

    The analysis splits identifiers into words (and drops stop words such as "from"), which
    is right for prose; in code the identifier itself is what people search for.
    """
    out = []
    for m in _IDENT_RE.finditer(text):
        parts = [p for p in _SPLIT_RE.split(m.group(0)) if p]
        if len(parts) > 1:
            joined = "".join(parts).lower()
            if len(joined) <= MAX_TERM:
                out.append(joined)
    return out


@lru_cache(maxsize=100_000)
def _line_terms(line: str) -> tuple[str, ...]:
    """The terms of one line. Lines repeat across files and repositories (imports, licence
    headers, vendored and forked code), and no analysed run crosses a line break, so a file's
    terms are its lines' terms in order."""
    out = terms(line) + identifier_terms(line)
    if is_cjk(line):  # most code has no Chinese: no pinyin pass
        out += pinyin_terms(line)
    return tuple(out)


def analysed(file: SourceFile) -> tuple[str, str]:
    """(path terms, body terms) of one file, as stored and indexed."""
    path_terms = name_terms(file.path.replace("/", " "))
    if is_cjk(file.path):
        path_terms += pinyin_terms(file.path)
    body_terms = [t for line in file.text.splitlines() for t in _line_terms(line)]
    return " ".join(path_terms), " ".join(body_terms)


def _build(info: RepoInfo, file: SourceFile) -> CodeFile:
    path_text, body_text = analysed(file)
    return CodeFile(
        repository_id=info.repository_id,
        path=file.path[:1024],
        blob_oid=file.blob_oid,
        language=language_of(file.path),
        size=len(file.text.encode("utf-8")),
        repo_key=info.key[:200],
        owner_name=info.owner[:96],
        repo_type=info.type,
        content=file.text,
        path_text=path_text,
        body_text=body_text,
    )


@transaction.atomic
def write_files(info: RepoInfo, files: Sequence[SourceFile], removed: Iterable[str] = ()) -> None:
    """Replace the given paths' rows of one repository and drop ``removed`` paths.

    The one way rows change (the git sync and the benchmark's generator both call it), so the
    full-text structure always receives the terms it must later be given back to forget.
    """
    paths = [f.path for f in files] + list(removed)
    if paths:
        old = list(
            CodeFile.objects.filter(repository_id=info.repository_id, path__in=paths).values_list(
                "id", "path_text", "body_text"
            )
        )
        code_backend.forget(old)
        CodeFile.objects.filter(pk__in=[r[0] for r in old]).delete()
    if not files:
        return
    code_backend.create([_build(info, f) for f in files])


@transaction.atomic
def remove_repository(repository_id: int) -> int:
    """Forget every file of a repository (deleted, or its default branch is gone)."""
    old = list(
        CodeFile.objects.filter(repository_id=repository_id).values_list(
            "id", "path_text", "body_text"
        )
    )
    code_backend.forget(old)
    CodeFile.objects.filter(repository_id=repository_id).delete()
    CodeRepoState.objects.filter(repository_id=repository_id).delete()
    return len(old)


def _selection(entries: list[read.TreeEntry]) -> dict[str, read.TreeEntry]:
    """The blobs to index at a head, in path order, within the size caps and budgets."""
    chosen: dict[str, read.TreeEntry] = {}
    spent = 0
    for entry in sorted(entries, key=lambda e: e.path):
        size = entry.size or 0
        if entry.type != "blob" or size > MAX_FILE_BYTES or not _eligible(entry.path):
            continue
        if spent + size > REPO_BUDGET_BYTES or len(chosen) >= MAX_FILES:
            break
        chosen[entry.path] = entry
        spent += size
    return chosen


def sync(repository_id: int) -> dict[str, int]:
    """Bring one repository's code files in line with its default branch (idempotent).

    Returns counts of files written and removed (for tests and the CLI).
    """
    repo = Repository.objects.select_related("owner").filter(pk=repository_id).first()
    if repo is None:
        return {"written": 0, "removed": remove_repository(repository_id)}
    try:
        head = read.resolve(repo.git_path, repo.default_branch) if repo.git_path.exists() else None
    except GitError:
        head = None
    if head is None:
        return {"written": 0, "removed": remove_repository(repository_id)}
    with transaction.atomic():
        # One sync per repository at a time (two quick pushes queue two jobs): the second
        # waits for this row lock and then finds the head already indexed.
        CodeRepoState.objects.get_or_create(repository_id=repo.pk)
        state = CodeRepoState.objects.select_for_update().get(repository_id=repo.pk)
        return _sync_locked(repo, head, state)


def _sync_locked(repo: Repository, head: str, state: CodeRepoState) -> dict[str, int]:
    info = RepoInfo(repo.pk, repo.full_name, repo.owner.name, repo.type)
    stale_key = CodeFile.objects.filter(repository_id=repo.pk).exclude(repo_key=info.key).exists()
    if state.commit == head and not stale_key:
        return {"written": 0, "removed": 0}
    if stale_key:  # renamed or transferred: every row repeats the key, rewrite them all
        remove_repository(repo.pk)
    chosen = _selection(read.ls_tree(repo.git_path, head, recursive=True))
    stored = dict(CodeFile.objects.filter(repository_id=repo.pk).values_list("path", "blob_oid"))
    removed = [p for p in stored if p not in chosen]
    changed = [e for p, e in chosen.items() if stored.get(p) != e.oid]
    written = 0
    for start in range(0, max(len(changed), 1), READ_BATCH):
        batch = changed[start : start + READ_BATCH]
        blobs = read.read_small_blobs(
            repo.git_path, [e.oid for e in batch], max_size=MAX_FILE_BYTES
        )
        files = []
        gone = list(removed) if start == 0 else []
        for entry in batch:
            text = decode_text(blobs.get(entry.oid, b""))
            if text is None:
                gone.append(entry.path)  # became binary or an LFS pointer
            else:
                files.append(SourceFile(entry.path, entry.oid, text))
        write_files(info, files, gone)
        written += len(files)
    total = CodeFile.objects.filter(repository_id=repo.pk)
    CodeRepoState.objects.update_or_create(  # remove_repository may have dropped the row
        repository_id=repo.pk,
        defaults={
            "commit": head,
            "files": total.count(),
            "bytes": sum(total.values_list("size", flat=True)),
        },
    )
    return {"written": written, "removed": len(removed)}


def reindex_all() -> dict[str, int]:
    """Rebuild code search from every repository's default branch
    (``nbopen search reindex-code``)."""
    with transaction.atomic():
        code_backend.clear()
        CodeFile.objects.all().delete()
        CodeRepoState.objects.all().delete()
    repos = files = 0
    for repo_id in Repository.objects.order_by("pk").values_list("pk", flat=True).iterator():
        try:
            files += sync(repo_id)["written"]
            repos += 1
        except (GitError, OSError):
            log.exception("code of repository %s not indexed", repo_id)
    return {"repositories": repos, "files": files}
