"""Scanning pushed content after commit, storing the results and reading them back.

:func:`connect` (from ``ScanningConfig.ready``) listens to ``repo.push``, the event the
write service records after every channel's content change (git push, Hub commit, browser
upload, LFS and Xet files committed by pointer), and defers :func:`scan_commit` for each new
commit: the push never waits for a scan. A file is scanned once per content hash (the LFS
sha256, else the git blob id); parsing runs in a limited child (:mod:`.child`); ClamAV, when
configured, reads the bytes in its own daemon (:mod:`.clamav`).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.core.cache import cache
from django.db import IntegrityError, transaction

from nbopen.access.policy import Level, Principal, org_level
from nbopen.accounts.models import Namespace
from nbopen.config.env import CONFIG
from nbopen.core import events, tasks
from nbopen.core.errors import PermissionDenied
from nbopen.core.models import Event
from nbopen.datasets.sources import Materialized, RepoFile, parse_pointer
from nbopen.repos.git import read
from nbopen.repos.models import Repository
from nbopen.scanning import child, clamav, scanners
from nbopen.scanning.models import ScanResult, SecretPolicy

log = logging.getLogger(__name__)

ZERO = "0" * 40
BATCH = 32
POINTER_MAX = 1024
AV_MAX_BYTES = 1 << 30  # clamd's own StreamMaxLength is usually far lower; beyond it: not sent
QUEUED = "queued"
KEYS_PER_QUERY = 5000
COVERED_SECONDS = 30 * 86400


def connect() -> None:
    events.listen("scanning.push", ("repo.push",), on_event)


def on_event(event: Event) -> None:
    if event.kind != "repo.push" or event.repository_id is None:
        return
    for update in event.payload.get("refs", []):
        if not isinstance(update, dict):
            continue
        new, old = update.get("new"), update.get("old")
        if isinstance(new, str) and new.strip("0"):
            since = old if isinstance(old, str) and old.strip("0") else None
            tasks.defer(scan_commit, event.repository_id, new, since)


def key_of(file: RepoFile) -> str:
    """The content hash a result is stored under."""
    return file.lfs_oid or file.git_oid


def files_at(repo: Repository, sha: str, since: str | None = None) -> list[RepoFile]:
    """Every file at ``sha`` with its real size and LFS oid (pointers read in one batch);
    with ``since`` (the ref's previous commit), only the files changed since then — a push
    of one file to a repository of 100 000 does not list and look up the other 99 999."""
    changed = read.changed_blobs(repo.git_path, since, sha) if since else None
    if changed is not None:
        entries = changed
    else:
        tree = read.ls_tree(repo.git_path, sha, recursive=True)
        entries = [e for e in tree if e.type == "blob"]
    small = [e.oid for e in entries if (e.size or 0) <= POINTER_MAX]
    blobs = read.read_small_blobs(repo.git_path, small, max_size=POINTER_MAX)
    files = []
    for entry in entries:
        pointer = parse_pointer(blobs.get(entry.oid, b""))
        if pointer is not None:
            files.append(RepoFile(entry.path, entry.oid, pointer[1], pointer[0]))
        else:
            files.append(RepoFile(entry.path, entry.oid, entry.size or 0, None))
    return files


def _reads_secrets(file: RepoFile) -> bool:
    return file.lfs_oid is None and file.size <= scanners.SECRET_MAX_BYTES


def scan_commit(repo_id: int, sha: str, since: str | None = None) -> int:
    """Background job: scan the files at ``sha`` (changed since ``since``, when given) whose
    content has no result yet; how many were scanned. Idempotent (a second run finds every
    result stored)."""
    repo = Repository.objects.filter(pk=repo_id).first()
    if repo is None or not repo.git_path.is_dir():
        return 0
    if since is not None and not cache.get(_covered_key(repo, since)):
        since = None  # the previous tip was never fully scanned (or the note expired): all
    pending: dict[str, RepoFile] = {}
    for file in files_at(repo, sha, since):
        pending.setdefault(key_of(file), file)
    known = results(pending)
    todo = [f for k, f in pending.items() if k not in known]
    for start in range(0, len(todo), BATCH):
        _scan_batch(repo, todo[start : start + BATCH])
    cache.set(_covered_key(repo, sha), True, COVERED_SECONDS)
    return len(todo)


def _covered_key(repo: Repository, sha: str) -> str:
    """The cache note "every file at ``sha`` has a result": a push on top of such a commit
    needs only its changed files scanned. The creation time keeps a re-created repository
    of the same id (a restored database, a test run) from inheriting notes."""
    return f"scan-covered:{repo.pk}:{repo.created_at.timestamp():.6f}:{sha}"


def scan_repository(repo: Repository) -> int:
    """Scan every branch and tag head now (``nbopen scan``); contents scanned."""
    if not repo.git_path.is_dir():
        return 0
    branches, tags = read.list_refs(repo.git_path)
    heads = dict.fromkeys(ref.target for ref in [*branches, *tags])
    return sum(scan_commit(repo.pk, sha) for sha in heads)


def _scan_batch(repo: Repository, files: list[RepoFile]) -> None:
    """Secrets are looked for here, in small text blobs read in one batch (line regexes, no
    parser: as cheap and safe as the commit gate, which runs them inside the request);
    pickles go to the limited child; every file goes to ClamAV when one is configured."""
    texts = read.read_small_blobs(
        repo.git_path,
        [f.git_oid for f in files if _reads_secrets(f)],
        max_size=scanners.SECRET_MAX_BYTES,
    )
    answers: dict[str, dict[str, Any]] = {}
    for file in files:
        hits = scanners.scan_secrets(texts.get(file.git_oid, b""))
        answers[key_of(file)] = {"pickle": None, "secrets": [h.as_dict() for h in hits]}
    pickles = [f for f in files if scanners.is_pickle_name(f.path)]
    read_all = bool(CONFIG.clamav_socket)
    # Formats that cannot carry code (safetensors, parquet, images) are not read at all
    # unless ClamAV looks at every file: their result is "safe" by what the scanners cover.
    to_read = files if read_all else pickles
    tmp_dir = CONFIG.tmp_dir / "scan"
    with contextlib.ExitStack() as stack:
        local: dict[str, Path] = {}
        for file in to_read:
            try:
                local[key_of(file)] = stack.enter_context(
                    Materialized(repo.git_path, file, tmp_dir)
                )
            except OSError:
                # A pointer pushed without its LFS object: left unscanned ("queued") until
                # the object arrives and a later push or `nbopen scan` reads it.
                log.warning("content of %s in %s is not stored yet", file.path, repo.full_name)
        unread = {key_of(f) for f in to_read} - set(local)
        pickles = [f for f in pickles if key_of(f) not in unread]
        for file, answer in zip(pickles, _scan_pickles(pickles, local), strict=True):
            answers[key_of(file)].update(answer)
        for file in files:
            if key_of(file) not in unread:
                av = _av_scan(local[key_of(file)], file) if read_all else None
                _store(key_of(file), answers[key_of(file)], av)


def _scan_pickles(files: list[RepoFile], local: dict[str, Path]) -> list[dict[str, Any]]:
    if not files:
        return []
    requests = [{"path": str(local[key_of(f)]), "name": f.path} for f in files]
    try:
        return child.run(requests)
    except child.ChildFailed:
        answers: list[dict[str, Any]] = []
        for request in requests:  # one bomb must not leave its neighbours unscanned
            try:
                answers.extend(child.run([request]))
            except child.ChildFailed as exc:
                answers.append({"error": str(exc)})
        return answers


def _av_scan(local: Path, file: RepoFile) -> dict[str, Any] | None:
    if not CONFIG.clamav_socket or file.size > AV_MAX_BYTES:
        return None
    try:
        with open(local, "rb") as fh:
            return clamav.scan_stream(CONFIG.clamav_socket, fh).as_hub()
    except clamav.ClamavError:
        log.exception("ClamAV scan of %s failed", file.path)
        return None


def status_of(answer: dict[str, Any], av: dict[str, Any] | None) -> str:
    pickle = answer.get("pickle") or {}
    if (av and av.get("virusFound")) or pickle.get("highestSafetyLevel") == "dangerous":
        return ScanResult.Status.UNSAFE
    if "error" in answer:
        return ScanResult.Status.ERROR
    if pickle.get("highestSafetyLevel") == "suspicious" or answer.get("secrets"):
        return ScanResult.Status.CAUTION
    return ScanResult.Status.SAFE


def _store(key: str, answer: dict[str, Any], av: dict[str, Any] | None) -> None:
    values = {
        "status": status_of(answer, av),
        "pickle_scan": answer.get("pickle"),
        "av_scan": av,
        "secrets": answer.get("secrets") or [],
        "error": str(answer.get("error") or ""),
    }
    try:
        with transaction.atomic():
            ScanResult.objects.update_or_create(key=key, defaults=values)
    except IntegrityError:
        pass  # the same content scanned by a concurrent job: its result stands


# Reading results ----------------------------------------------------------------------------


def results(keys: Iterable[str]) -> dict[str, ScanResult]:
    """Stored results by key. Callers pass keys of files in a repository their reader may
    read (the tree and file views, after the policy): a result has no repository of its own."""
    wanted = sorted(set(keys))
    found: dict[str, ScanResult] = {}
    for start in range(0, len(wanted), KEYS_PER_QUERY):  # SQLite caps bound parameters
        chunk = wanted[start : start + KEYS_PER_QUERY]
        found.update((r.key, r) for r in ScanResult.objects.filter(key__in=chunk))
    return found


def hub_status(result: ScanResult | None) -> dict[str, Any]:
    """``securityFileStatus`` as the Hub sends it (huggingface_hub reads ``status``,
    ``avScan`` and ``pickleImportScan``); ``secretScan`` is NBopen's own addition."""
    if result is None:
        return {"status": QUEUED, "avScan": None, "pickleImportScan": None}
    return {
        "status": result.status,
        "avScan": result.av_scan,
        "pickleImportScan": result.pickle_scan,
        "secretScan": {"secretsFound": bool(result.secrets), "secrets": result.secrets},
    }


def repo_status(repo: Repository, sha: str) -> dict[str, Any]:
    """``securityRepoStatus`` (``model_info(securityStatus=True)``): whether every file at
    ``sha`` was scanned, and the files with findings."""
    files = files_at(repo, sha)
    found = results(key_of(f) for f in files)
    issues = []
    for file in files:
        result = found.get(key_of(file))
        if result is not None and result.status != ScanResult.Status.SAFE:
            issues.append({"path": file.path, "level": result.status, **hub_status(result)})
    return {"scansDone": all(key_of(f) in found for f in files), "filesWithIssues": issues}


# The owner setting --------------------------------------------------------------------------


def blocks_secrets(namespace: Namespace) -> bool:
    return SecretPolicy.objects.filter(namespace=namespace, block_secrets=True).exists()


def set_block_secrets(*, principal: Principal, namespace: Namespace, block: bool) -> None:
    """Turn "block pushes that contain secrets" on or off for a user (themselves) or an
    organization (its admins)."""
    user = principal.user
    if namespace.organization is not None:
        allowed = org_level(principal, namespace.organization) >= Level.ADMIN
    else:
        allowed = user is not None and (user.pk == namespace.user_id or principal.is_site_admin)
    if not allowed or principal.cap(Level.ADMIN) < Level.ADMIN:
        raise PermissionDenied("Only the account itself or an organization admin may do that")
    SecretPolicy.objects.update_or_create(namespace=namespace, defaults={"block_secrets": block})
    events.record(
        "settings.block_secrets",
        actor=user,
        organization_id=namespace.organization_id,
        payload={"owner": namespace.name, "block": block},
    )
