"""Turning a Hub commit request (header + operations) into one git commit.

Service layer for the commit endpoint: stores inline content (as git blobs, or as LFS
objects plus pointer blobs when large or binary), checks that referenced LFS objects were
uploaded to this repository (through the LFS API, or as Xet files whose sha256 the server
verifies, see :mod:`nbopen.xet.lfs_bridge`), then commits atomically with compare-and-swap
on the branch.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from django.utils import timezone

from nbopen.accounts.models import User
from nbopen.config.env import CONFIG
from nbopen.core.storage import get_storage
from nbopen.core.storage.base import OID_RE
from nbopen.repos import lfs
from nbopen.repos.git import commit as gitcommit
from nbopen.repos.models import Repository, RepositoryLFSObject
from nbopen.repos.services import RefUpdate, record_push
from nbopen.xet import lfs_bridge

from . import content
from .ndjson import BadPayload, Line
from .pointers import pointer_text
from .upload_mode import stored_as_lfs

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
    operations: list[gitcommit.Operation] = field(default_factory=list)
    readme_touched: bool = False


def _clean_path(raw: object) -> str:
    if not isinstance(raw, str) or not raw.strip("/"):
        raise BadPayload("each operation needs a non-empty 'path'")
    path = raw.strip("/")
    parts = path.split("/")
    if any(p in {"", ".", ".."} for p in parts) or ".git" in {p.lower() for p in parts}:
        raise BadPayload(f"invalid path {raw!r}")
    if "\0" in path or len(path.encode()) > 4096:
        raise BadPayload(f"invalid path {raw!r}")
    return path


def _store_lfs(repo: Repository, line: Line) -> str:
    """Publish inline content as an LFS object linked to ``repo``; returns the pointer blob."""
    storage = get_storage()
    if storage.size(line.sha256) != line.size:
        source = line.content_path
        if source is None:
            CONFIG.tmp_dir.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix="inline-", dir=CONFIG.tmp_dir)
            with os.fdopen(fd, "wb") as fh:
                fh.write(line.content or b"")
            source = Path(name)
        storage.put_verified(line.sha256, source)
        line.content_path = None
    lfs.link(repo.pk, line.sha256, line.size)
    return gitcommit.write_blob(repo.git_path, pointer_text(line.sha256, line.size))


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
    if path == "README.md":
        pending.readme_touched = True
    if line.key == "file":
        if stored_as_lfs(line.size, line.sample):
            oid = _store_lfs(repo, line)
            pending.operations.append(gitcommit.Put(path, oid, lfs=True))
        elif line.content_path is not None:
            oid = gitcommit.write_blob_file(repo.git_path, line.content_path)
            pending.operations.append(gitcommit.Put(path, oid))
        else:
            oid = gitcommit.write_blob(repo.git_path, line.content or b"")
            pending.operations.append(gitcommit.Put(path, oid))
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
            adopted = lfs_bridge.adopt_for_commit(repo, lfs_oid, size)
            if adopted is not None:
                known[lfs_oid] = adopted
        if lfs_oid not in known or (size is not None and known[lfs_oid] != size):
            raise CommitRejected(
                422, f"LFS object {lfs_oid} for {path} was not uploaded to this repository"
            )
        blob = gitcommit.write_blob(repo.git_path, pointer_text(lfs_oid, known[lfs_oid]))
        pending.operations.append(gitcommit.Put(path, blob, lfs=True))
        return
    if line.key == "deletedFile":
        pending.operations.append(gitcommit.Delete(path))
        return
    if line.key == "deletedFolder":
        pending.operations.append(gitcommit.Delete(path, folder=True))
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
    author = gitcommit.Author(user.username, user.email or f"{user.username}@users.nbopen")
    try:
        sha, old = gitcommit.create_commit(
            repo.git_path,
            branch=branch,
            operations=pending.operations,
            message=message + "\n",
            author=author,
            expected_parent=pending.parent,
            require_parent=pending.parent is not None,
        )
    except gitcommit.PathNotFound as exc:
        raise CommitRejected(404, str(exc), "EntryNotFound") from exc
    except gitcommit.RefConflict as exc:
        if pending.parent is not None:
            raise CommitRejected(
                412, "A commit has happened since. Please refresh and try again."
            ) from exc
        raise CommitRejected(409, "Too many concurrent commits on this branch; retry") from exc
    record_push(
        repo_id=repo.pk,
        actor=user,
        updates=[RefUpdate(old or gitcommit.ZERO_SHA, sha, f"refs/heads/{branch}")],
    )
    Repository.objects.filter(pk=repo.pk).update(updated_at=timezone.now())
    if branch == repo.default_branch and pending.readme_touched:
        content.sync_card(repo, content.card_at(repo, sha))
    return sha, old


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
