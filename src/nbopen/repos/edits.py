"""Editing a repository in the browser: new file, edit, rename, delete, one commit each.

A thin front door to the write service (:mod:`nbopen.repos.writes.commits`), like
:mod:`nbopen.repos.uploads`: it checks write access, validates paths with the one rule
(:mod:`nbopen.repos.git.names`) and turns an edit into operations. Every edit names the
commit it was based on (``Target.base``): the commit is a compare-and-swap on that parent, so
a change to the branch since the editor opened is reported as :class:`EditConflict` instead
of being silently overwritten. A file stored through LFS stays in LFS when edited (the
pointer is replaced by a new pointer, whatever the size rule says), and a renamed file keeps
its blob, pointer or not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

from nbopen.access.policy import Level, Principal, require_repo
from nbopen.core.errors import AlreadyExists, DomainError, InvalidInput, NotFound
from nbopen.core.storage import get_storage
from nbopen.repos.git import names, read
from nbopen.repos.git.read import TreeEntry
from nbopen.repos.lfs import is_linked
from nbopen.repos.models import Repository
from nbopen.repos.writes import commits, objects

# Files above this are offered for download, not for editing in a textarea.
MAX_EDIT_BYTES = 1024 * 1024
_POINTER_PREFIX = b"version https://git-lfs.github.com/spec/v1"


class EditConflict(DomainError):
    """The branch moved since the editor was opened; nothing was written."""

    code = "Conflict"

    def __init__(self, branch: str, head: str | None) -> None:
        super().__init__(f"branch {branch!r} changed since the edit began (now at {head})")
        self.branch = branch
        self.head = head


class PathTaken(AlreadyExists):
    """A file or folder already exists where the new file would go."""


class BadPath(InvalidInput):
    """The path breaks the repository path rule (the reason is the rule's own)."""


class BadBranch(InvalidInput):
    """The new branch name is not a valid git branch name."""


class NoChange(InvalidInput):
    """The commit would not change any file."""


@dataclass(frozen=True)
class Target:
    """Where an edit goes: ``branch`` as it was at ``base`` (the commit the form showed), or a
    new branch grown from ``base`` when ``new_branch`` is set."""

    branch: str
    base: str
    new_branch: str = ""

    @property
    def destination(self) -> str:
        return self.new_branch or self.branch


@dataclass(frozen=True)
class Editable:
    """A file's text as the editor shows it, or why it cannot be edited (``reason``)."""

    entry: TreeEntry
    text: str = ""
    lfs: bool = False
    reason: str = ""  # "", "binary", "large", "lfs-missing", "submodule"


def pointer_fields(data: bytes) -> tuple[str, int] | None:
    """(oid, size) of an LFS pointer blob, or None."""
    if not data.startswith(_POINTER_PREFIX) or len(data) > 1024:
        return None
    fields = dict(
        line.split(" ", 1) for line in data.decode("ascii", "replace").splitlines() if " " in line
    )
    oid = fields.get("oid", "").removeprefix("sha256:")
    size = fields.get("size", "")
    if len(oid) != 64 or not size.isdigit():
        return None
    return oid, int(size)


def open_lfs(repo: Repository, oid: str) -> BinaryIO | None:
    """The bytes of LFS object ``oid`` linked to ``repo`` (from storage, or reconstructed
    when it came through Xet), or None if this server does not hold it."""
    storage = get_storage()
    if storage.size(oid) is None:
        from nbopen.xet.lfs_bridge import open_object

        return open_object(repo.pk, oid)
    return storage.open(oid)


def pointer_of(repo: Repository, entry: TreeEntry) -> tuple[str, int] | None:
    """(oid, size) when ``entry`` is an LFS pointer file."""
    if entry.type != "blob" or (entry.size or 0) > 1024:
        return None
    return pointer_fields(read.read_blob(repo.git_path, entry.oid, limit=1024))


def editable(repo: Repository, sha: str, path: str) -> Editable | None:
    """The text of ``path`` at commit ``sha`` for the editor (None: no such file).

    Only UTF-8 text up to :data:`MAX_EDIT_BYTES` is editable; an LFS file is, when it is
    small text and its object is on this server."""
    entry = read.entry_at(repo.git_path, sha, path)
    if entry is None or entry.type == "tree":
        return None
    if entry.type != "blob":
        return Editable(entry, reason="submodule")
    pointer = pointer_of(repo, entry)
    lfs = pointer is not None
    if pointer is not None:
        oid, size = pointer
        if size > MAX_EDIT_BYTES:
            return Editable(entry, lfs=True, reason="large")
        reader = open_lfs(repo, oid) if is_linked(repo, oid, size) else None
        if reader is None:
            return Editable(entry, lfs=True, reason="lfs-missing")
        with reader:
            data = reader.read(MAX_EDIT_BYTES + 1)
    elif (entry.size or 0) > MAX_EDIT_BYTES:
        return Editable(entry, reason="large")
    else:
        data = read.read_blob(repo.git_path, entry.oid)
    if b"\0" in data[:8000]:
        return Editable(entry, lfs=lfs, reason="binary")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return Editable(entry, lfs=lfs, reason="binary")
    return Editable(entry, text=text, lfs=lfs)


def _clean(path: str) -> str:
    try:
        return names.check_path(path)
    except names.PathRefused as exc:
        raise BadPath(str(exc)) from None


def _check_free(repo: Repository, sha: str, path: str) -> None:
    """Nothing at ``path``, and no file where one of its folders would go."""
    parts = path.split("/")
    for cut in range(1, len(parts) + 1):
        entry = read.entry_at(repo.git_path, sha, "/".join(parts[:cut]))
        if entry is None:
            return
        if cut == len(parts) or entry.type != "tree":
            raise PathTaken(f"{'/'.join(parts[:cut])} already exists")


def _existing(repo: Repository, sha: str, path: str) -> TreeEntry:
    entry = read.entry_at(repo.git_path, sha, path)
    if entry is None:
        raise NotFound(f"no file {path!r} at {sha[:12]}")
    return entry


def _with_line_endings(text: str, like: str) -> bytes:
    """Browsers send a textarea's lines with CRLF: keep LF unless the file used CRLF."""
    text = text.replace("\r\n", "\n")
    if "\r\n" in like:
        text = text.replace("\n", "\r\n")
    return text.encode("utf-8")


def _content(repo: Repository, path: str, data: bytes, lfs: bool) -> commits.Operation:
    """The operation that writes ``data``; ``lfs`` keeps a pointer-tracked file in LFS."""
    if lfs:
        oid, size = objects.publish_bytes(repo_id=repo.pk, data=data)
        return commits.AddLfs(path, oid, size)
    return commits.AddBytes(path, data)


def _commit(
    actor: Principal,
    repo: Repository,
    target: Target,
    operations: list[commits.Operation | commits.Prepared],
    message: str,
) -> str:
    assert actor.user is not None
    new = target.new_branch
    if new:
        problem = names.ref_name_problem(new)
        if problem is not None:
            raise BadBranch(problem)
        if read.resolve(repo.git_path, f"refs/heads/{new}") is not None:
            raise AlreadyExists(f"a branch named {new!r} already exists")
    try:
        sha, _old = commits.commit(
            repo=repo,
            actor=actor.user,
            branch=target.destination,
            operations=operations,
            message=message.strip() or "Update files",
            parent=None if new else target.base,
            start=target.base if new else None,
            skip_unchanged=True,
        )
    except commits.RefConflict as exc:
        if new:
            raise AlreadyExists(f"a branch named {new!r} already exists") from exc
        head = read.resolve(repo.git_path, f"refs/heads/{target.branch}")
        raise EditConflict(target.branch, head) from exc
    except commits.NothingChanged as exc:
        raise NoChange("the commit does not change any file") from exc
    except commits.InvalidPath as exc:
        raise BadPath(str(exc)) from exc
    except commits.PathNotFound as exc:
        raise NotFound(str(exc)) from exc
    return sha


def _start(actor: Principal, repo: Repository, target: Target) -> None:
    require_repo(actor, repo, Level.WRITE)
    if read.resolve(repo.git_path, f"refs/heads/{target.branch}") is None:
        raise NotFound(f"no branch named {target.branch!r}")
    if not read.is_full_sha(target.base) or read.resolve(repo.git_path, target.base) is None:
        raise InvalidInput("the edit names no commit it was based on")


def create_file(
    *, actor: Principal, repo: Repository, target: Target, path: str, text: str, message: str
) -> str:
    """Add a new file (its folders appear with it); :class:`PathTaken` if something is there
    already. Returns the new commit's sha."""
    _start(actor, repo, target)
    path = _clean(path)
    _check_free(repo, target.base, path)
    data = _with_line_endings(text, "")
    return _commit(actor, repo, target, [commits.AddBytes(path, data)], message)


def edit_file(
    *,
    actor: Principal,
    repo: Repository,
    target: Target,
    path: str,
    text: str,
    message: str,
    new_path: str = "",
) -> str:
    """Replace the text of ``path`` (and move it to ``new_path`` if given and different)."""
    _start(actor, repo, target)
    path = _clean(path)
    current = editable(repo, target.base, path)
    if current is None:
        raise NotFound(f"no file {path!r}")
    if current.reason:
        raise InvalidInput(f"{path} cannot be edited in the browser ({current.reason})")
    destination = _clean(new_path) if new_path else path
    operations: list[commits.Operation | commits.Prepared] = []
    if destination != path:
        _check_free(repo, target.base, destination)
        operations.append(commits.DeleteFile(path))
    data = _with_line_endings(text, current.text)
    operations.append(_content(repo, destination, data, current.lfs))
    return _commit(actor, repo, target, operations, message)


def rename_file(
    *,
    actor: Principal,
    repo: Repository,
    target: Target,
    path: str,
    new_path: str,
    message: str,
) -> str:
    """Move a file (any file: text, binary or LFS) to ``new_path``, content untouched."""
    _start(actor, repo, target)
    path, destination = _clean(path), _clean(new_path)
    entry = _existing(repo, target.base, path)
    if entry.type != "blob":
        raise InvalidInput(f"{path} is not a file")
    if destination == path:
        raise NoChange("the new path is the same as the old one")
    _check_free(repo, target.base, destination)
    put = commits.Put(destination, entry.oid, entry.mode, lfs=pointer_of(repo, entry) is not None)
    return _commit(actor, repo, target, [commits.DeleteFile(path), put], message)


def delete_path(
    *, actor: Principal, repo: Repository, target: Target, path: str, message: str
) -> str:
    """Delete a file, or a folder with everything below it."""
    _start(actor, repo, target)
    path = _clean(path)
    entry = _existing(repo, target.base, path)
    operation: commits.Operation = (
        commits.DeleteFolder(path) if entry.type == "tree" else commits.DeleteFile(path)
    )
    return _commit(actor, repo, target, [operation], message)
