"""Committing files sent through the browser (or loaded by the demo) into a repository.

Large files become Git LFS objects exactly as ``git lfs push`` would leave them: the bytes go
to blob storage under their sha256, the repository is linked to the object, and the commit
holds the pointer text plus a ``.gitattributes`` rule so a ``git clone`` smudges it back.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from nbopen.access.policy import Level, Principal
from nbopen.config.env import CONFIG
from nbopen.core.errors import InvalidInput
from nbopen.core.storage import get_storage
from nbopen.repos import lfs
from nbopen.repos.git import read
from nbopen.repos.git.index_commit import (
    Identity,
    InvalidPath,
    NewFile,
    StaleBranch,
    clean_path,
    commit_files,
)
from nbopen.repos.models import Repository
from nbopen.repos.services import RefUpdate, record_push, require

# Files above this size are stored through LFS (the Hub uses 10 MB for the same decision).
LFS_THRESHOLD = 10 * 1024 * 1024
ZERO = "0" * 40


@dataclass(frozen=True)
class Upload:
    """One file to add: its repository path and either a local file or the bytes themselves."""

    path: str
    source: Path | None = None
    data: bytes | None = None

    @property
    def size(self) -> int:
        if self.source is not None:
            return self.source.stat().st_size
        return len(self.data or b"")


def lfs_pointer(oid: str, size: int) -> bytes:
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {size}\n".encode()


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _store_lfs(repo: Repository, upload: Upload) -> bytes:
    """Put the bytes into LFS storage (a copy: the caller's file stays) and return a pointer."""
    CONFIG.tmp_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=CONFIG.tmp_dir, delete=False) as tmp:
        staged = Path(tmp.name)
        if upload.data is not None:
            tmp.write(upload.data)
    if upload.source is not None:
        shutil.copyfile(upload.source, staged)
    size = staged.stat().st_size
    oid = _sha256_file(staged)
    storage = get_storage()
    if storage.size(oid) != size:
        storage.put_verified(oid, staged)
    else:
        staged.unlink(missing_ok=True)
    lfs.link(repo.pk, oid, size)
    return lfs_pointer(oid, size)


def _gitattributes_with(repo: Repository, sha: str | None, paths: list[str]) -> bytes | None:
    """The current .gitattributes plus an LFS rule for each of ``paths`` not yet listed."""
    existing = b""
    if sha is not None:
        entry = read.entry_at(repo.git_path, sha, ".gitattributes")
        if entry is not None and entry.type == "blob":
            existing = read.read_blob(repo.git_path, entry.oid, limit=1 << 20)
    lines = existing.decode("utf-8", "replace").splitlines()
    known = {line.split()[0] for line in lines if line.strip() and not line.startswith("#")}
    added = [
        f"{p.replace(' ', '[[:space:]]')} filter=lfs diff=lfs merge=lfs -text"
        for p in paths
        if p.replace(" ", "[[:space:]]") not in known
    ]
    if not added:
        return None
    return ("\n".join([*lines, *added]) + "\n").encode()


def upload_files(
    *,
    actor: Principal,
    repo: Repository,
    branch: str,
    uploads: list[Upload],
    message: str,
    expected_head: str | bool | None = True,
    when: datetime | None = None,
) -> str:
    """Commit ``uploads`` to ``branch`` as ``actor`` and return the new commit sha.

    Needs write access. Records a ``repo.push`` event like a git push would. ``when`` back-dates
    the commit (imports and the demo loader); it defaults to now.
    """
    require(actor, repo, Level.WRITE)
    assert actor.user is not None
    if not uploads:
        raise InvalidInput("Choose at least one file to upload")
    head = read.resolve(repo.git_path, f"refs/heads/{branch}")
    if head is None and branch != repo.default_branch:
        raise InvalidInput(f"No branch named {branch!r}")
    files: list[NewFile] = []
    lfs_paths: list[str] = []
    try:
        for upload in uploads:
            path = clean_path(upload.path)
            if upload.size > LFS_THRESHOLD:
                files.append(NewFile(path=path, data=_store_lfs(repo, upload)))
                lfs_paths.append(path)
            else:
                files.append(NewFile(path=path, source=upload.source, data=upload.data))
        if lfs_paths:
            attrs = _gitattributes_with(repo, head, lfs_paths)
            if attrs is not None:
                files.append(NewFile(path=".gitattributes", data=attrs))
        user = actor.user
        old, new = commit_files(
            repo.git_path,
            branch=branch,
            files=files,
            message=message.strip() or "Upload files",
            author=Identity(
                user.display_name or user.username,
                user.email or f"{user.username}@nbopen",
                f"@{int(when.timestamp())} +0800" if when is not None else None,
            ),
            expected_head=expected_head,
        )
    except StaleBranch as exc:
        raise InvalidInput("The branch changed while uploading; please try again") from exc
    except InvalidPath as exc:
        raise InvalidInput(str(exc)) from exc
    record_push(
        repo_id=repo.pk,
        actor=actor.user,
        updates=[RefUpdate(old or ZERO, new, f"refs/heads/{branch}")],
    )
    if branch == repo.default_branch and any(f.path.lower() == "readme.md" for f in files):
        sync_card(repo, new)
    return new


def sync_card(repo: Repository, sha: str) -> None:
    """Copy README.md's YAML front matter (licence, tags) to the repository row.

    Lists and headers then show them without reading git; the README stays the source of truth.
    """
    entry = read.entry_at(repo.git_path, sha, "README.md")
    if entry is None or entry.type != "blob":
        return
    text = read.read_blob(repo.git_path, entry.oid, limit=256 * 1024).decode("utf-8", "replace")
    # JSON round trip: YAML dates and other scalars become strings the JSON column accepts.
    card = json.loads(json.dumps(front_matter(text), default=str))
    tags = card.get("tags")
    license_ = card.get("license")
    Repository.objects.filter(pk=repo.pk).update(
        card_data=card,
        license=str(license_)[:64] if isinstance(license_, str | int) else "",
        tags=[str(t)[:64] for t in tags][:50] if isinstance(tags, list) else [],
    )


def front_matter(text: str) -> dict[str, Any]:
    """The YAML mapping between leading ``---`` lines, or {} (malformed metadata is ignored)."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return {}
    for i in range(1, len(lines)):
        if lines[i].strip() == "---":
            try:
                data = yaml.safe_load("\n".join(lines[1:i]))
            except yaml.YAMLError:
                return {}
            return data if isinstance(data, dict) else {}
    return {}
