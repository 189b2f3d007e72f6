"""Offline bundles: ``nbopen bundle export REPO… FILE`` and ``nbopen bundle import FILE``.

For air-gapped sites a set of repositories travels as one file: an uncompressed tar (written
and read as a stream, so a 100 GB bundle never sits in memory) whose first member is
``manifest.json``::

    manifest.json            format, id, the repositories' metadata (type, visibility, gating,
                             description, license, tags, card data, default branch, refs,
                             LFS oids) and every other member with its sha256 and size
    repos/N/git.bundle       ``git bundle create --all`` of repository N (every ref, including
                             ``refs/convert/parquet``: the dataset's Parquet travels as git)
    lfs/OID                  an LFS object's bytes, stored once per bundle; Xet-backed files
                             are reconstructed and travel as plain bytes under their sha256

The manifest comes first so an import knows every member's hash before it reads the member:
the git bundles are written to temporary files and hashed before the tar is started, LFS
objects are named by their sha256 (and re-hashed while they are written; a storage object
that does not match its oid stops the export).

Import runs in two phases:

1. **Verify**: every member is copied into a staging directory ``DATA/tmp/bundle-ID/`` while
   it is hashed; a member whose bytes do not match the manifest refuses the bundle, naming
   the member, and the staging directory is removed: nothing was created yet. Each verified
   member is appended to ``journal.log`` there, so a re-run after an interruption skips it
   (the tar is seekable: skipped members are not even read).
2. **Restore** (only once every member is verified): each repository is created through the
   repository service (empty, with its default branch and visibility), its history enters by
   ``git fetch`` from the bundle and its refs are moved by the write service
   (:func:`nbopen.repos.writes.refs.adopt_bundle`), which announces them like a push, so the
   event, search index, card and dataset conversion follow. LFS objects are published into
   storage and linked to the repository (:mod:`nbopen.repos.writes.objects`). The journal
   records each created repository, so a re-run continues it instead of refusing "exists".

Dataset conversions have database rows (``datasets.Conversion``) that are not carried: the
imported default branch is announced like a push, which recomputes them on the target.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import sys
import tarfile
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from nbopen.ops.manifest import BLOCK, BackupError, sha256_file

FORMAT = "nbopen-bundle"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
JOURNAL = "journal.log"
MEMBER_RE = re.compile(r"(repos/[0-9]+/git\.bundle|lfs/[0-9a-f]{64})\Z")
OID_RE = re.compile(r"[0-9a-f]{64}\Z")


class BundleError(BackupError):
    """An export or import that cannot proceed; the message says why."""


class BundleTruncated(BundleError):
    """The bundle ends early (a copy still running or cut short): what was verified so far
    stays staged, so an import of the complete file resumes from there."""


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- export


@dataclass
class _Source:
    """One member to write: its name, expected sha256 and size, and how to open it."""

    name: str
    sha256: str
    size: int
    path: Path | None = None  # a git bundle in the temporary directory
    repo_id: int = 0  # an LFS object: read from storage or reconstructed from Xet


def _parse_id(text: str) -> tuple[str, str, str | None]:
    """``OWNER/NAME`` (a model or code repository) or ``datasets/OWNER/NAME``."""
    parts = text.strip("/").split("/")
    if len(parts) == 3 and parts[0] in {"datasets", "models"}:
        return parts[1], parts[2], "dataset" if parts[0] == "datasets" else "model"
    if len(parts) == 2:
        return parts[0], parts[1], None
    raise BundleError(f"{text!r} is not OWNER/NAME or datasets/OWNER/NAME")


def _metadata(repo: Any) -> dict[str, Any]:
    return {
        "type": repo.type,
        "owner": repo.owner.name,
        "name": repo.name,
        "private": repo.private,
        "gated": repo.gated,
        "description": repo.description,
        "license": repo.license,
        "tags": repo.tags,
        "card_data": repo.card_data,
        "default_branch": repo.default_branch,
    }


def export(repo_ids: list[str], target: Path) -> dict[str, Any]:
    """Write the bundle of ``repo_ids`` to ``target``; returns a summary."""
    from nbopen.config.env import CONFIG
    from nbopen.repos.git import bare
    from nbopen.repos.models import RepositoryLFSObject
    from nbopen.repos.services import repo_find

    repos = []
    for text in repo_ids:
        owner, name, repo_type = _parse_id(text)
        repo = repo_find(owner, name, repo_type)
        if repo is None:
            raise BundleError(f"no repository {text}")
        repos.append(repo)
    CONFIG.tmp_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="bundle-export-", dir=CONFIG.tmp_dir))
    partial = target.with_name(target.name + ".partial")
    try:
        entries: list[dict[str, Any]] = []
        sources: list[_Source] = []
        seen: set[str] = set()
        for index, repo in enumerate(repos):
            meta = _metadata(repo)
            meta["refs"] = bare.all_refs(repo.git_path)
            meta["git"] = None
            if meta["refs"]:
                path = work / f"{index}.bundle"
                bare.create_bundle(repo.git_path, path)
                meta["git"] = f"repos/{index}/git.bundle"
                sources.append(
                    _Source(meta["git"], sha256_file(path), path.stat().st_size, path=path)
                )
            links = RepositoryLFSObject.objects.filter(repository=repo).values_list(
                "lfs_object_id", "lfs_object__size"
            )
            meta["lfs"] = sorted(oid for oid, _ in links)
            for oid, size in sorted(links):
                if oid not in seen:
                    seen.add(oid)
                    sources.append(_Source(f"lfs/{oid}", oid, size, repo_id=repo.pk))
            entries.append(meta)
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "id": uuid.uuid4().hex,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "repositories": entries,
            "members": [{"name": s.name, "sha256": s.sha256, "size": s.size} for s in sources],
        }
        with open(partial, "wb") as out, tarfile.open(fileobj=out, mode="w|") as tar:
            data = json.dumps(manifest, indent=2, sort_keys=True).encode()
            _add(tar, MANIFEST, io.BytesIO(data), len(data))
            for source in sources:
                with _open_source(source) as stream:
                    hashing = _HashingReader(stream)
                    _add(tar, source.name, hashing, source.size)
                if hashing.size != source.size or hashing.sha256.hexdigest() != source.sha256:
                    raise BundleError(
                        f"{source.name} changed or is corrupt in this server's storage "
                        "(its bytes do not match its sha256): the bundle was not written"
                    )
        os.replace(partial, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        partial.unlink(missing_ok=True)
    return {
        "file": str(target),
        "id": manifest["id"],
        "repositories": [f"{m['owner']}/{m['name']}" for m in entries],
        "members": len(sources),
        "bytes": target.stat().st_size,
    }


def _add(tar: tarfile.TarFile, name: str, stream: IO[bytes] | _HashingReader, size: int) -> None:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o600
    info.mtime = int(datetime.now(UTC).timestamp())
    tar.addfile(info, stream)


class _HashingReader:
    """A reader that hashes what ``tarfile`` reads through it (one pass over the bytes)."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.sha256 = hashlib.sha256()
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        chunk = self.stream.read(n)
        self.sha256.update(chunk)
        self.size += len(chunk)
        return chunk


def _open_source(source: _Source) -> IO[bytes]:
    from nbopen.core.storage import get_storage
    from nbopen.xet import lfs_bridge

    if source.path is not None:
        return open(source.path, "rb")
    oid = source.sha256
    storage = get_storage()
    if storage.size(oid) == source.size:
        return storage.open(oid)
    reader = lfs_bridge.open_object(source.repo_id, oid)  # Xet-backed: plain bytes
    if reader is None:
        raise BundleError(f"LFS object {oid} is missing from this server's storage")
    return reader


# ----------------------------------------------------------------------------- import


@dataclass
class _Journal:
    """What an import already did, one line per step, appended (survives a kill)."""

    path: Path
    verified: dict[str, str]
    created: dict[int, int]  # repository index in the manifest → its id here
    done: set[int]

    @classmethod
    def load(cls, path: Path) -> _Journal:
        journal = cls(path, {}, {}, set())
        if path.is_file():
            for line in path.read_text().splitlines():
                parts = line.split()
                if len(parts) == 3 and parts[0] == "verified":
                    journal.verified[parts[1]] = parts[2]
                elif len(parts) == 3 and parts[0] == "created":
                    journal.created[int(parts[1])] = int(parts[2])
                elif len(parts) == 2 and parts[0] == "done":
                    journal.done.add(int(parts[1]))
        return journal

    def note(self, *words: object) -> None:
        with open(self.path, "a") as fh:
            fh.write(" ".join(str(w) for w in words) + "\n")
            fh.flush()
            os.fsync(fh.fileno())


def _read_manifest(tar: tarfile.TarFile, file: Path) -> dict[str, Any]:
    first = tar.next()
    if first is None or first.name != MANIFEST or not first.isfile():
        raise BundleError(f"{file} is not an NBopen bundle: its first member is not {MANIFEST}")
    stream = tar.extractfile(first)
    assert stream is not None
    try:
        manifest: dict[str, Any] = json.loads(stream.read())
    except (ValueError, UnicodeDecodeError) as exc:
        raise BundleError(f"{MANIFEST} of {file} is corrupt: {exc}") from exc
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise BundleError(f"{file} is not an NBopen bundle of format {FORMAT_VERSION}")
    if not re.fullmatch(r"[0-9a-f]{32}", str(manifest.get("id", ""))):
        raise BundleError(f"{MANIFEST} of {file} has no valid id")
    for member in manifest["members"]:
        if not MEMBER_RE.match(member["name"]):
            raise BundleError(f"{MANIFEST} names an unexpected member {member['name']!r}")
    return manifest


def _targets(manifest: dict[str, Any], owner: str | None) -> list[tuple[str, str, str]]:
    return [(m["type"], owner or m["owner"], m["name"]) for m in manifest["repositories"]]


def _check_targets(targets: list[tuple[str, str, str]], journal: _Journal) -> None:
    """Every namespace exists and every name is free (or was created by this import)."""
    from nbopen.repos.models import Repository
    from nbopen.repos.services import namespace_get, repo_find

    for index, (repo_type, owner, name) in enumerate(targets):
        namespace_get(owner)
        existing = repo_find(owner, name, repo_type)
        if existing is None:
            continue
        if journal.created.get(index) == existing.pk and existing.type == repo_type:
            continue
        kind = "dataset" if existing.type == Repository.Type.DATASET else "repository"
        raise BundleError(
            f"{kind} {owner}/{name} already exists here: nothing was imported "
            "(import under another owner with --owner NAME)"
        )


def _verify_members(
    tar: tarfile.TarFile, manifest: dict[str, Any], staging: Path, journal: _Journal
) -> int:
    """Phase 1: copy every member into ``staging`` while hashing it; returns how many were
    skipped because an earlier run already verified them."""
    from nbopen.repos.lfs import HashingWriter, InvalidObject

    expected = {m["name"]: m for m in manifest["members"]}
    seen: set[str] = set()
    skipped = 0
    for info in _members(tar):
        member = expected.get(info.name)
        if member is None or not info.isfile():
            raise BundleError(f"the bundle holds {info.name!r}, which its manifest does not list")
        seen.add(info.name)
        staged = staging / info.name
        if journal.verified.get(info.name) == member["sha256"] and _present(staged, member):
            skipped += 1
            continue
        staged.parent.mkdir(parents=True, exist_ok=True)
        stream = tar.extractfile(info)
        assert stream is not None
        partial = staged.with_name(staged.name + ".partial")
        try:
            with open(partial, "wb") as out:
                writer = HashingWriter(out, member["size"])
                while chunk := stream.read(BLOCK):
                    writer.write(chunk)
                writer.check(member["sha256"])
        except tarfile.ReadError as exc:
            partial.unlink(missing_ok=True)
            raise BundleTruncated(
                f"bundle member {info.name} ends early: the bundle is truncated; nothing was "
                "imported (the members verified so far are kept: import the complete file)"
            ) from exc
        except InvalidObject as exc:
            raise BundleError(
                f"bundle member {info.name} does not match its sha256 and size in the "
                f"manifest ({exc}): the bundle is corrupt; nothing was imported"
            ) from exc
        os.replace(partial, staged)
        journal.note("verified", info.name, member["sha256"])
    missing = sorted(set(expected) - seen)
    if missing:
        raise BundleTruncated(
            f"bundle member {missing[0]} is missing ({len(missing)} in all): the bundle is "
            "truncated; nothing was imported"
        )
    return skipped


def _members(tar: tarfile.TarFile) -> Iterator[tarfile.TarInfo]:
    while True:
        try:
            info = tar.next()
        except tarfile.TarError as exc:
            raise BundleTruncated(f"the bundle is truncated: {exc}") from exc
        if info is None:
            return
        yield info


def _present(staged: Path, member: dict[str, Any]) -> bool:
    """A staged member an earlier run verified, or an LFS object it already published."""
    try:
        if staged.stat().st_size == member["size"]:
            return True
    except FileNotFoundError:
        pass
    if member["name"].startswith("lfs/"):
        from nbopen.core.storage import get_storage

        return get_storage().size(member["name"][4:]) == member["size"]
    return False


def import_bundle(file: Path, *, owner: str | None = None) -> dict[str, Any]:
    """Verify the bundle ``file`` completely, then create its repositories here."""
    from nbopen.config.env import CONFIG

    file = file.resolve()
    try:
        tar = tarfile.open(file, mode="r:")  # noqa: SIM115 - closed by the with below
    except (OSError, tarfile.TarError) as exc:
        raise BundleError(f"cannot read {file}: {exc}") from exc
    with tar:
        manifest = _read_manifest(tar, file)
        staging = CONFIG.tmp_dir / f"bundle-{manifest['id']}"
        staging.mkdir(parents=True, exist_ok=True)
        journal = _Journal.load(staging / JOURNAL)
        targets = _targets(manifest, owner)
        _check_targets(targets, journal)
        _say(f"verifying {len(manifest['members'])} members of {file}")
        try:
            skipped = _verify_members(tar, manifest, staging, journal)
        except BundleTruncated:
            raise
        except BundleError:
            shutil.rmtree(staging, ignore_errors=True)  # corrupt: nothing of it is kept
            raise
    created = _restore(manifest, targets, staging, journal)
    shutil.rmtree(staging, ignore_errors=True)
    return {
        "id": manifest["id"],
        "repositories": created,
        "members": len(manifest["members"]),
        "members_skipped": skipped,
    }


def _restore(
    manifest: dict[str, Any],
    targets: list[tuple[str, str, str]],
    staging: Path,
    journal: _Journal,
) -> list[str]:
    """Phase 2: create each repository, its refs and its LFS links (see the module doc)."""
    from django.db import transaction

    from nbopen.core.storage import get_storage
    from nbopen.repos.models import Repository
    from nbopen.repos.services import namespace_get, repo_create_in
    from nbopen.repos.writes import objects, refs

    sizes = {m["name"]: m["size"] for m in manifest["members"]}
    names = []
    for index, (meta, (repo_type, owner, name)) in enumerate(
        zip(manifest["repositories"], targets, strict=True)
    ):
        names.append(f"{owner}/{name}")
        if index in journal.done:
            continue
        repo = Repository.objects.filter(pk=journal.created.get(index, 0)).first()
        if repo is None:
            with transaction.atomic():
                repo = repo_create_in(
                    namespace=namespace_get(owner),
                    name=name,
                    type=repo_type,
                    created_by=None,
                    private=bool(meta["private"]),
                    description=meta["description"],
                    empty=True,
                    default_branch=meta["default_branch"],
                )
                Repository.objects.filter(pk=repo.pk).update(
                    gated=meta["gated"],
                    license=meta["license"],
                    tags=meta["tags"],
                    card_data=meta["card_data"],
                )
            journal.note("created", index, repo.pk)
        if meta["git"]:
            refs.adopt_bundle(repo=repo, bundle=staging / meta["git"])
        storage = get_storage()
        for oid in meta["lfs"]:
            if not OID_RE.match(oid):
                raise BundleError(f"{MANIFEST} names an invalid LFS oid {oid!r}")
            size = sizes[f"lfs/{oid}"]
            staged = staging / "lfs" / oid
            if storage.size(oid) == size:  # there already, or published by an earlier run
                objects.link(repo_id=repo.pk, oid=oid, size=size)
            elif staged.is_file():
                objects.publish_verified(repo_id=repo.pk, oid=oid, size=size, staged=staged)
            else:
                raise BundleError(f"LFS object {oid} vanished from the staging directory")
        journal.note("done", index)
        _say(f"imported {owner}/{name}")
    return names
