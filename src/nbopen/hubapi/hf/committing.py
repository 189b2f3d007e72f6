"""Turning a Hub commit request (header + operations) into one git commit.

Parses the NDJSON operations into the write service's operations
(:mod:`nbopen.repos.writes.commits`), which stores inline content (as git blobs, or as LFS
objects when large or binary), links Xet uploads whose sha256 the server verifies, and
commits atomically with compare-and-swap on the branch. Here: only what is particular to
the Hub's request (its paths, its ``lfsFile`` check, its error statuses).
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field

from nbopen.access.policy import Level, Principal, repo_level
from nbopen.accounts.models import User
from nbopen.collab import pulls
from nbopen.collab.models import Thread
from nbopen.core.errors import DomainError, NotFound, PermissionDenied
from nbopen.core.storage import get_storage
from nbopen.core.storage.base import OID_RE
from nbopen.repos import lfs
from nbopen.repos.models import Repository, RepositoryLFSObject
from nbopen.repos.writes import commits, lfs_rule, objects

from .ndjson import BadPayload, Line

_git_sha1_cache: dict[str, str] = {}
_git_sha1_lock = threading.Lock()


class CommitRejected(ValueError):
    """The request is well-formed but cannot be applied (HTTP status attached)."""

    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


@dataclass
class PendingCommit:
    summary: str = ""
    description: str = ""
    parent: str | None = None
    operations: list[commits.Prepared] = field(default_factory=list)
    # The LFS rule at the branch's head (its .gitattributes), set before the first line.
    rule: lfs_rule.Rule = lfs_rule.CONTENT_ONLY


def _clean_path(raw: object) -> str:
    if not isinstance(raw, str) or not raw.strip("/"):
        raise BadPayload("each operation needs a non-empty 'path'")
    try:
        return commits.clean_path(raw)
    except commits.InvalidPath as exc:
        # The Hub's answer to a path that escapes or hides (``..\\ddd``, ``a/../b``): 422.
        reason = str(exc).rsplit(": ", 1)[-1]
        raise CommitRejected(422, f"Invalid path in repository: {raw!r} ({reason})") from None


def _store_lfs(repo: Repository, line: Line) -> tuple[str, int]:
    """Publish inline content as an LFS object; (oid, size). A big line's temporary file was
    hashed by the NDJSON reader while it was decoded, so it is published without a re-read."""
    path = line.content_path
    if path is None:
        return objects.publish_bytes(repo_id=repo.pk, data=line.content or b"")
    objects.publish_verified(repo_id=repo.pk, oid=line.sha256, size=line.size, staged=path)
    line.content_path = None
    return line.sha256, line.size


def add_line(repo: Repository, pending: PendingCommit, line: Line) -> None:
    """Validate one NDJSON line and add its operation (storing any content it carries)."""
    value = line.value
    if line.key == "header":
        summary = value.get("summary") or ""
        description = value.get("description") or ""
        parent = value.get("parentCommit")
        if not isinstance(summary, str) or not isinstance(description, str):
            raise BadPayload("summary and description must be strings")
        if parent is not None and not isinstance(parent, str):
            raise BadPayload("parentCommit must be a string")
        pending.summary, pending.description, pending.parent = summary, description, parent
        return
    path = _clean_path(value.get("path"))
    if line.key == "file":
        op: commits.Operation
        if pending.rule.stored_as_lfs(path, line.size, line.sample):
            op = commits.AddLfs(path, *_store_lfs(repo, line))
        elif line.content_path is not None:
            op = commits.AddFile(path, line.content_path)
        else:
            op = commits.AddBytes(path, line.content or b"")
        try:
            pending.operations.append(commits.prepare(repo=repo, operation=op))
        finally:
            if line.content_path is not None:
                line.content_path.unlink(missing_ok=True)
        return
    if line.key == "lfsFile":
        lfs_oid, size = value.get("oid"), value.get("size")
        if value.get("algo", "sha256") != "sha256" or not isinstance(lfs_oid, str):
            raise BadPayload("lfsFile needs algo 'sha256' and an 'oid'")
        known = lfs.linked_sizes(repo, [lfs_oid])
        if lfs_oid not in known and OID_RE.match(lfs_oid):
            # Uploaded through the Xet CAS (hf_xet): link it once its sha256 is verified.
            adopted = objects.adopt_xet(repo=repo, oid=lfs_oid, size=size)
            if adopted is not None:
                known[lfs_oid] = adopted
        if lfs_oid not in known or (size is not None and known[lfs_oid] != size):
            raise CommitRejected(
                422, f"LFS object {lfs_oid} for {path} was not uploaded to this repository"
            )
        op = commits.AddLfs(path, lfs_oid, known[lfs_oid])
        pending.operations.append(commits.prepare(repo=repo, operation=op))
        return
    if line.key == "deletedFile":
        pending.operations.append(commits.prepare(repo=repo, operation=commits.DeleteFile(path)))
        return
    if line.key == "deletedFolder":
        op = commits.DeleteFolder(path)
        pending.operations.append(commits.prepare(repo=repo, operation=op))
        return
    raise BadPayload(f"unknown operation {line.key!r}")


def apply(
    *, repo: Repository, user: User, branch: str, pending: PendingCommit
) -> tuple[str, str | None]:
    """Commit on ``branch``; returns (sha, previous head). Raises CommitRejected."""
    if not pending.operations:
        raise CommitRejected(400, "A commit needs at least one operation")
    message = pending.summary.strip() or "Upload files with huggingface_hub"
    if pending.description.strip():
        message += "\n\n" + pending.description.strip()
    try:
        return commits.commit(
            repo=repo,
            actor=user,
            branch=branch,
            operations=pending.operations,
            message=message,
            parent=pending.parent if pending.parent is not None else commits.ANY_PARENT,
        )
    except commits.PathNotFound as exc:
        raise CommitRejected(404, str(exc), "EntryNotFound") from exc
    except commits.SecretsRefused as exc:
        raise CommitRejected(400, str(exc), exc.code) from exc
    except commits.BranchProtected as exc:
        raise CommitRejected(403, str(exc), exc.code) from exc
    except commits.RefConflict as exc:
        if pending.parent is not None:
            # The Hub's wording, which clients and huggingface_hub's tests match on.
            raise CommitRejected(
                412,
                "The branch was updated since you opened this page. Please refresh and try again.",
            ) from exc
        raise CommitRejected(409, "Too many concurrent commits on this branch; retry") from exc


def pull_request_of(
    *, principal: Principal, repo: Repository, rev: str, create_pr: bool, pending: PendingCommit
) -> Thread | None:
    """The pull request this commit opens (``create_pr``) or goes to (``refs/pr/N``), or None
    for a commit to a branch, which needs write access. Raises CommitRejected."""
    try:
        pull = pulls.hub_commit_target(
            actor=principal,
            repo=repo,
            revision=rev,
            create_pr=create_pr,
            title=pending.summary.strip(),
            description=pending.description.strip(),
        )
    except NotFound as exc:
        raise CommitRejected(404, str(exc), "RevisionNotFound") from exc
    except PermissionDenied as exc:
        raise CommitRejected(403, str(exc)) from exc
    except DomainError as exc:
        raise CommitRejected(400, str(exc)) from exc
    if pull is None and repo_level(principal, repo) < Level.WRITE:
        raise CommitRejected(403, f"You need write access to {repo.full_name} to commit to {rev}")
    if pull is not None:
        # The pull request's ref starts at the base's head: a parentCommit names the base.
        pending.parent = None
    return pull


def follow(pull: Thread, user: User) -> None:
    """The pull request's timeline and ``refs/pull/N/head`` follow the commit at once."""
    pulls.sync_head(pull, user)


def git_sha1_of_lfs(oid: str) -> str | None:
    """The git blob id the LFS object's bytes would have as a regular file.

    Clients told ``regular`` compare a file's git blob id with preupload's ``oid`` to skip
    unchanged files; NBopen may hold that file as LFS, so the id is computed (and cached).
    """
    with _git_sha1_lock:
        if oid in _git_sha1_cache:
            return _git_sha1_cache[oid]
    storage = get_storage()
    size = storage.size(oid)
    if size is None:
        return None
    digest = hashlib.sha1(f"blob {size}\0".encode(), usedforsecurity=False)
    with storage.open(oid) as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    value = digest.hexdigest()
    with _git_sha1_lock:
        _git_sha1_cache[oid] = value
    return value


def uploaded_lfs(repo: Repository, oid: str) -> bool:
    return RepositoryLFSObject.objects.filter(repository=repo, lfs_object_id=oid).exists()
