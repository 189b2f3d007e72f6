"""Commits from a list of operations: the only way the server writes new content into a
branch (Hub commits, browser uploads, the demo loader).

Operations are plain data. Large or binary file content becomes an LFS object of the
repository by the one rule in :mod:`.lfs_rule`, so a file ends up the same in git whatever
channel sent it. The branch moves by compare-and-swap (:mod:`nbopen.repos.git.commit`);
then :func:`.after_update.after_update` records the push and syncs the card.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

from nbopen.accounts.models import User
from nbopen.audit import services as audit
from nbopen.collab import protection
from nbopen.repos.git import attributes, read
from nbopen.repos.git import commit as gitcommit
from nbopen.repos.git.attributes import ATTRIBUTES
from nbopen.repos.models import Repository
from nbopen.repos.writes import lfs_rule, objects
from nbopen.repos.writes.after_update import PUSH, RefUpdate, after_update
from nbopen.scanning import gate

# Errors callers map to their channel's answer (one hierarchy, rooted at GitError).
RefConflict = gitcommit.RefConflict
PathNotFound = gitcommit.PathNotFound
InvalidPath = gitcommit.InvalidPath
NothingChanged = gitcommit.NothingChanged
SecretsRefused = gate.SecretsRefused
BranchProtected = protection.BranchProtected
ZERO_SHA = gitcommit.ZERO_SHA
Author = gitcommit.Author
# A blob already in the object database placed at a path (a rename keeps its blob).
Put = gitcommit.Put
clean_path = gitcommit.clean_path


@dataclass(frozen=True)
class AddBytes:
    """Set ``path`` to ``data``."""

    path: str
    data: bytes
    executable: bool = False


@dataclass(frozen=True)
class AddFile:
    """Set ``path`` to the content of the local file ``source`` (left in place)."""

    path: str
    source: Path
    executable: bool = False


@dataclass(frozen=True)
class AddLfs:
    """Set ``path`` to the pointer of an LFS object already linked to the repository."""

    path: str
    oid: str
    size: int


@dataclass(frozen=True)
class AddBlob:
    """Set ``path`` to ``data`` as a plain git blob whatever the LFS rule says, checked
    against ``expected_oid`` (the blob id git computes). A mirror reproduces an upstream's
    tree exactly, so its files must land where the upstream put them."""

    path: str
    data: bytes
    expected_oid: str


class BlobMismatch(gitcommit.GitError):
    """An :class:`AddBlob`'s bytes do not hash to the blob id they claim."""


@dataclass(frozen=True)
class DeleteFile:
    path: str


@dataclass(frozen=True)
class DeleteFolder:
    path: str


Operation = AddBytes | AddFile | AddLfs | AddBlob | DeleteFile | DeleteFolder
# An operation whose content is already in the object database (see :func:`prepare`).
Prepared = gitcommit.Operation


class _Parent(enum.Enum):
    ANY = "any"


# ``parent=ANY_PARENT``: commit on whatever the branch holds (path operations make sense on
# any parent), as opposed to a sha or None, which make the commit conditional.
ANY_PARENT: Final = _Parent.ANY


def prepare(
    *, repo: Repository, operation: Operation, rule: lfs_rule.Rule | None = None
) -> Prepared:
    """Store an operation's content now (git blob, or LFS object plus pointer blob).

    ``rule``: the LFS rule at the revision the commit goes on (:func:`lfs_rule.at`; None:
    size and content only). Streaming channels call this as each file arrives, so its
    temporary copy can go at once; :func:`commit` prepares whatever it is given unprepared,
    with the rule at the branch's head.
    """
    rule = rule or lfs_rule.CONTENT_ONLY
    git = repo.git_path
    if isinstance(operation, DeleteFile | DeleteFolder):
        return gitcommit.Delete(
            gitcommit.clean_path(operation.path), folder=isinstance(operation, DeleteFolder)
        )
    path = gitcommit.clean_path(operation.path)
    if isinstance(operation, AddLfs):
        pointer = gitcommit.write_blob(git, objects.pointer_text(operation.oid, operation.size))
        return gitcommit.Put(path, pointer, lfs=True)
    if isinstance(operation, AddBlob):
        oid = gitcommit.write_blob(git, operation.data)
        if oid != operation.expected_oid:
            raise BlobMismatch(f"{path}: content hashes to {oid}, not {operation.expected_oid}")
        return gitcommit.Put(path, oid, gitcommit.FILE_MODE)
    mode = "100755" if operation.executable else gitcommit.FILE_MODE
    if isinstance(operation, AddBytes):
        if rule.stored_as_lfs(path, len(operation.data), operation.data[: lfs_rule.SNIFF_BYTES]):
            oid, size = objects.publish_bytes(repo_id=repo.pk, data=operation.data)
            return prepare(repo=repo, operation=AddLfs(path, oid, size))
        return gitcommit.Put(path, gitcommit.write_blob(git, operation.data), mode)
    size = operation.source.stat().st_size
    if rule.stored_as_lfs(path, size, lfs_rule.sample_of(operation.source)):
        oid, size = objects.publish_file(repo_id=repo.pk, source=operation.source)
        return prepare(repo=repo, operation=AddLfs(path, oid, size))
    return gitcommit.Put(path, gitcommit.write_blob_file(git, operation.source), mode)


def author_of(user: User | None, when: datetime | None = None) -> gitcommit.Author:
    """The commit identity of a user (or the server itself). ``when`` back-dates the commit
    (the demo loader); such commits carry the platform's time zone, +0800."""
    name = (user.username if user is not None else "") or "nbopen"
    email = (user.email if user is not None else "") or f"{name}@users.nbopen"
    if when is None:
        return gitcommit.Author(name, email)
    return gitcommit.Author(name, email, when=when, offset="+0800")


def commit(
    *,
    repo: Repository,
    actor: User | None,
    branch: str,
    operations: Sequence[Operation | Prepared],
    message: str,
    parent: str | _Parent | None = ANY_PARENT,
    author: gitcommit.Author | None = None,
    skip_unchanged: bool = False,
    kind: str | None = PUSH,
    start: str | None = None,
    verbatim: bool = False,
) -> tuple[str, str | None]:
    """Commit ``operations`` on ``branch`` as ``actor``; returns (new sha, previous head).

    ``parent``: :data:`ANY_PARENT` (default) commits on whatever the branch points at
    (server-side commits on a branch are serialized by a per-branch lock; a race lost to a
    git push is retried); a sha (or None: the branch must not exist) makes the commit a
    compare-and-swap that raises :class:`RefConflict` if the branch is elsewhere. Raises
    :class:`PathNotFound` for a delete of a missing path, :class:`InvalidPath`,
    :class:`SecretsRefused` when the owner blocks secrets and a file has one,
    :class:`BranchProtected` when a protected branch refuses direct pushes, and with
    ``skip_unchanged`` :class:`NothingChanged`. Runs :func:`after_update` on success, which
    records ``kind`` (None: no event, for the commit that initializes a repository).
    ``start``: with ``parent=None``, the commit a new branch grows from (the browser's
    "commit to a new branch"); the branch and its commit appear in one ref update.
    ``verbatim``: a committed ``.gitattributes`` does not re-route the commit's regular files
    through LFS (a mirror copies a tree as it is).
    """
    if not message.endswith("\n"):
        message += "\n"
    # One server-side writer per branch at a time (see gitcommit.branch_lock): a commit
    # without a parent is applied on the head it finds, a commit with one is compare-and-swap.
    with gitcommit.branch_lock(repo.git_path, branch):
        head = gitcommit.branch_head(repo.git_path, branch)
        if kind is not None:  # a person's commit (not a repository's first): protected?
            protection.check_update(
                repo=repo, actor=actor, ref=gitcommit.qualify(branch), old=None, new=head or ""
            )
        rule = None
        base = head if head is not None else start
        if any(isinstance(op, AddBytes | AddFile) for op in operations):
            rule = lfs_rule.at(repo.git_path, base)
        prepared = _prepare_all(repo, operations, rule)
        if not verbatim:
            prepared = _route_by_committed_attributes(repo, base, prepared)
        # The owner may refuse secrets: checked before the branch moves, on every channel.
        gate.check_commit(
            repo=repo,
            blobs=[
                (op.path, op.oid) for op in prepared if isinstance(op, gitcommit.Put) and not op.lfs
            ],
        )
        sha, old = gitcommit.create_commit(
            repo.git_path,
            branch=branch,
            operations=prepared,
            message=message,
            author=author or author_of(actor),
            expected_parent=None if isinstance(parent, _Parent) else parent,
            require_parent=not isinstance(parent, _Parent),
            skip_unchanged=skip_unchanged,
            start=start,
        )
    after_update(
        repo_id=repo.pk,
        actor=actor,
        updates=[RefUpdate(old or ZERO_SHA, sha, gitcommit.qualify(branch))],
        kind=kind,
    )
    deleted = [op for op in prepared if isinstance(op, gitcommit.Delete)]
    if deleted:
        audit.record(
            "repo.file.delete",
            actor=actor,
            repository=repo,
            detail={
                "branch": branch,
                "commit": sha,
                "paths": [op.path + ("/" if op.folder else "") for op in deleted[:100]],
                "count": len(deleted),
            },
        )
    return sha, old


def commit_ref(
    *,
    repo: Repository,
    ref: str,
    operations: Sequence[Operation | Prepared],
    message: str,
    author: gitcommit.Author,
) -> str:
    """A commit whose tree holds exactly ``operations``' files, on top of whatever ``ref``
    points at, for a server-kept ref that is not a branch (``refs/convert/parquet``).

    Compare-and-swap like a branch (:class:`RefConflict` if two writers race); records no
    event, because no person changed the repository's content.
    """
    git = repo.git_path
    parent = gitcommit.ref_target(git, ref)
    rule = None
    if parent is not None and any(isinstance(op, AddBytes | AddFile) for op in operations):
        rule = lfs_rule.at(git, parent)
    tree = gitcommit.build_tree(git, None, _prepare_all(repo, operations, rule))
    sha = gitcommit.commit_tree(git, tree, parent, message.rstrip("\n") + "\n", author)
    gitcommit.update_ref(git, ref, sha, parent)
    after_update(
        repo_id=repo.pk, actor=None, updates=[RefUpdate(parent or ZERO_SHA, sha, ref)], kind=None
    )
    return sha


def _is_attributes(path: str) -> bool:
    return path == ATTRIBUTES or path.endswith("/" + ATTRIBUTES)


def _route_by_committed_attributes(
    repo: Repository, head: str | None, prepared: list[Prepared]
) -> list[Prepared]:
    """A commit that writes a ``.gitattributes`` also decides LFS for the files it carries:
    regular files that the resulting attributes route through LFS become LFS objects, so the
    commit is consistent for ``git clone`` + git-lfs (the rule at the head could not know)."""
    if not any(isinstance(op, gitcommit.Put) and _is_attributes(op.path) for op in prepared):
        return prepared
    git = repo.git_path
    files = {
        path: (mode, oid) for mode, oid, path in attributes.special_files(git, head, ATTRIBUTES)
    }
    for op in prepared:
        if isinstance(op, gitcommit.Delete):
            gone = [p for p in files if p == op.path or p.startswith(op.path + "/")]
            for path in gone:
                del files[path]
        elif _is_attributes(op.path):
            files[op.path] = (op.mode, op.oid)
    regular = [
        op.path
        for op in prepared
        if isinstance(op, gitcommit.Put) and not op.lfs and not _is_attributes(op.path)
    ]
    routed = attributes.lfs_routed(git, [(m, o, p) for p, (m, o) in files.items()], regular)
    if not routed:
        return prepared
    result: list[Prepared] = []
    for op in prepared:
        if isinstance(op, gitcommit.Put) and op.path in routed and not op.lfs:
            data = read.read_blob(git, op.oid)
            oid, size = objects.publish_bytes(repo_id=repo.pk, data=data)
            result.append(prepare(repo=repo, operation=AddLfs(op.path, oid, size)))
        else:
            result.append(op)
    return result


def _prepare_all(
    repo: Repository, operations: Sequence[Operation | Prepared], rule: lfs_rule.Rule | None
) -> list[Prepared]:
    return [
        op
        if isinstance(op, gitcommit.Put | gitcommit.Delete)
        else prepare(repo=repo, operation=op, rule=rule)
        for op in operations
    ]
