"""The Xet CAS as services: tokens, xorb and shard uploads, dedup queries, reconstructions.

Access rules (see docs/xet-protocol.md §Access):

* Every call carries a CAS token bound to one repository; the permission policy is re-checked
  on every request (a token is a ceiling, not a grant).
* Bytes are reachable only through a repository that references them: a reconstruction is
  answered only for files the token's repository references, and fetch URLs are signed for
  exactly the byte range of each term.
* A shard may build files from xorbs this repository references, that a repository the caller
  may read references, or that the calling user proved they hold within ``POSSESSION_TTL``
  (they uploaded the verified bytes, or built a file from them while they could read them).
  The dedup API answers only from those same xorbs, so it can never reveal that a repository
  the caller cannot read holds some content; any other xorb gets the same "never uploaded"
  answer whether it exists or not.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum

from nbopen.access.policy import (
    Decision,
    Level,
    Principal,
    decide_content,
    decide_repo,
    visible_repositories,
)
from nbopen.accounts.models import Namespace, User
from nbopen.config.env import CONFIG
from nbopen.core import signing
from nbopen.repos.models import Repository
from nbopen.xet import hashing, shardfmt, storage, tokens, xorbfmt
from nbopen.xet.models import (
    CHUNK_ROW,
    DedupChunk,
    XetFile,
    XetFileRef,
    XetUpload,
    Xorb,
    XorbPossession,
    XorbRef,
)

CAS_PATH = "/xet-cas"
TOKEN_TTL = 3600
FETCH_URL_TTL = 3600
DEDUP_SHARD_TTL = 7 * 24 * 3600
DEDUP_MAX_XORBS = 4
# How long a user's proof of holding a xorb's content lets them reference it (and keeps it from
# GC) after every repository referencing it is gone. hf_xet keeps the shards it uploaded in
# its local cache for 3 weeks and references their xorbs without re-sending them; one more
# week covers long upload sessions and the client's clock.
POSSESSION_TTL = 28 * 24 * 3600
NEVER_UPLOADED = "Shard references xorbs that were never uploaded to this repository"


class CasError(Exception):
    """An error the CAS answers with ``status`` (401 → the client refreshes its token)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class CasToken:
    token: str
    expires: int
    cas_url: str

    def as_json(self) -> dict[str, Any]:
        """The body of the Hub's xet-read-token / xet-write-token routes (what hf_xet parses)."""
        return {"accessToken": self.token, "exp": self.expires, "casUrl": self.cas_url}

    def as_headers(self) -> dict[str, str]:
        """The same as response headers (what huggingface_hub reads on the token routes)."""
        return {
            "X-Xet-Access-Token": self.token,
            "X-Xet-Token-Expiration": str(self.expires),
            "X-Xet-Cas-Url": self.cas_url,
        }


@dataclass(frozen=True)
class Grant:
    """An authorized CAS request: the repository, who acts, and whether writing is allowed."""

    repo: Repository
    principal: Principal
    write: bool


def cas_url() -> str:
    return CONFIG.public_url + CAS_PATH


# --- tokens -----------------------------------------------------------------------------


def issue_cas_token(
    *,
    repo: Repository,
    principal: Principal,
    write: bool,
    ttl: int = TOKEN_TTL,
    pull_request: bool = False,
) -> CasToken:
    """A CAS token for ``repo`` if the policy allows read (or write); what the Hub routes hand out.

    ``pull_request``: a write token for the files of a pull request (``create_pr``), which any
    signed-in reader with a token that may write can open (:func:`_may_contribute`).
    Raises :class:`CasError` with the status the Hub route should answer (401/403/404).
    """
    # A read token reads file contents: a gated repository's gate applies.
    if write and pull_request:
        decision = decide_content(principal, repo)
        if decision is Decision.ALLOW and not _may_contribute(principal):
            decision = (
                Decision.UNAUTHENTICATED if not principal.is_authenticated else Decision.FORBIDDEN
            )
    elif write:
        decision = decide_repo(principal, repo, Level.WRITE)
    else:
        decision = decide_content(principal, repo)
    if decision is not Decision.ALLOW:
        raise CasError(
            decision.http_status,
            "Repository not found" if decision is Decision.NOT_FOUND else "Access denied",
        )
    expires = int(time.time()) + ttl
    claims = tokens.CasClaims(
        repo_id=repo.pk,
        user_id=principal.user.pk if principal.user is not None else None,
        scope=principal.scope,
        write=write,
        expires=expires,
        access_token_id=principal.token.pk if principal.token is not None else None,
        pull_request=write and pull_request,
    )
    return CasToken(token=tokens.encode(claims), expires=expires, cas_url=cas_url())


def authorize(*, authorization: str | None, write: bool) -> Grant:
    """Turn an ``Authorization: Bearer`` CAS token into a :class:`Grant`, re-checking policy."""
    if not authorization or not authorization.lower().startswith("bearer "):
        raise CasError(401, "A Xet CAS token is required")
    try:
        claims = tokens.decode(authorization[7:].strip())
    except tokens.InvalidToken as exc:
        raise CasError(401, f"Invalid CAS token: {exc}") from exc
    repo = Repository.objects.select_related("owner").filter(pk=claims.repo_id).first()
    user = None
    if claims.user_id is not None:
        user = User.objects.filter(pk=claims.user_id, is_active=True).first()
        if user is None:
            raise CasError(401, "Invalid CAS token: user is gone")
    if claims.access_token_id is not None and not _hub_token_live(claims.access_token_id):
        raise CasError(401, "Invalid CAS token: the Hub token it was issued for is revoked")
    principal = Principal(user=user, scope=claims.scope)
    if repo is None or decide_content(principal, repo) is not Decision.ALLOW:
        raise CasError(401, "The CAS token no longer grants access to its repository")
    if write:
        if not claims.write:
            raise CasError(403, "This CAS token is read-only")
        if claims.pull_request:
            if not _may_contribute(principal):
                raise CasError(403, "This CAS token may not write")
        elif decide_repo(principal, repo, Level.WRITE) is not Decision.ALLOW:
            raise CasError(403, "Write access to the repository was revoked")
    return Grant(repo=repo, principal=principal, write=claims.write)


def _may_contribute(principal: Principal) -> bool:
    """A pull request's author: signed in, with a token (or session) that may write."""
    return principal.is_authenticated and principal.user is not None and principal.scope != "read"


def _hub_token_live(token_id: int) -> bool:
    from django.utils import timezone

    from nbopen.accounts.models import AccessToken

    return (
        AccessToken.objects.filter(pk=token_id, revoked_at__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
        .exists()
    )


# --- uploads ----------------------------------------------------------------------------


def _record(grant: Grant, kind: str, object_hash: str, received: int, inserted: bool) -> None:
    XetUpload.objects.create(
        repository=grant.repo,
        kind=kind,
        object_hash=object_hash,
        received_bytes=received,
        inserted=inserted,
    )


def _link_xorbs(repo: Repository, xorb_hashes: set[str]) -> None:
    existing = set(
        XorbRef.objects.filter(repository=repo, xorb_id__in=xorb_hashes).values_list(
            "xorb_id", flat=True
        )
    )
    XorbRef.objects.bulk_create(
        [XorbRef(repository=repo, xorb_id=h) for h in xorb_hashes - existing],
        ignore_conflicts=True,
    )


def upload_xorb(*, grant: Grant, claimed_hash: str, body: bytes) -> bool:
    """Verify and store one serialized xorb; True if it was new to the CAS.

    The body is fully parsed: every chunk decompressed and hashed, the Merkle root compared
    with the hash in the URL. A xorb that already exists is still verified (the client proves
    it holds the bytes) and then only linked to this repository.
    """
    if not hashing.HEX_RE.match(claimed_hash):
        raise CasError(400, "Malformed xorb hash")
    try:
        parsed = xorbfmt.parse(body)
    except xorbfmt.InvalidXorb as exc:
        raise CasError(400, f"Invalid xorb: {exc}") from exc
    actual = hashing.to_hex(parsed.hash)
    if actual != claimed_hash:
        raise CasError(400, f"Xorb hash mismatch: body hashes to {actual}")
    inserted = False
    if not _link_existing_xorb(grant.repo, actual):
        inserted = _store_new_xorb(actual, parsed, body)
        _link_xorbs(grant.repo, {actual})
    # The bytes were just verified: this user holds the content (new to the CAS or not).
    _prove_possession(grant, {actual}, XorbPossession.Kind.UPLOADED)
    _record(grant, XetUpload.Kind.XORB, actual, len(body), inserted)
    return inserted


def _link_existing_xorb(repo: Repository, xorb_hex: str) -> bool:
    """Link an already stored xorb to ``repo`` under its row lock; False if there is none.

    The lock orders this against :func:`collect_garbage`: either GC sees the new reference
    and keeps the xorb, or it finished deleting it and the caller stores the bytes afresh.
    """
    with transaction.atomic():
        if not Xorb.objects.select_for_update().filter(pk=xorb_hex).exists():
            return False
        XorbRef.objects.get_or_create(repository=repo, xorb_id=xorb_hex)
    return True


def _store_new_xorb(xorb_hex: str, parsed: xorbfmt.ParsedXorb, body: bytes) -> bool:
    data = body[: parsed.data_length]
    # Keyed by the sha256 of the stored bytes, not the xorb hash: two clients may serialize
    # the same chunks with different compression, and one must never overwrite the other's
    # file under a chunk table that describes different offsets.
    storage_key = hashlib.sha256(data).hexdigest()
    CONFIG.tmp_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="xorb-", dir=CONFIG.tmp_dir)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        storage.put(storage_key, Path(tmp))
    finally:
        Path(tmp).unlink(missing_ok=True)
    table = b"".join(CHUNK_ROW.pack(c.hash, c.offset, c.length) for c in parsed.chunks)
    try:
        with transaction.atomic():
            xorb = Xorb.objects.create(
                hash=xorb_hex,
                storage_key=storage_key,
                stored_bytes=parsed.data_length,
                unpacked_bytes=parsed.unpacked_length,
                num_chunks=len(parsed.chunks),
                chunk_table=table,
            )
            DedupChunk.objects.bulk_create(
                [
                    DedupChunk(chunk_hash=hashing.to_hex(c.hash), xorb=xorb, index=i)
                    for i, c in enumerate(parsed.chunks)
                    if i == 0 or hashing.is_global_dedup_eligible(c.hash)
                ],
                ignore_conflicts=True,
            )
    except IntegrityError:
        # A concurrent upload of the same xorb won; keep its copy, drop ours if different.
        winner = Xorb.objects.get(pk=xorb_hex)
        if winner.storage_key != storage_key:
            storage.delete(storage_key)
        return False
    return True


def _prove_possession(grant: Grant, hashes: set[str], kind: str) -> None:
    """Record (or refresh) that the calling user holds the content of xorbs ``hashes``."""
    from django.utils import timezone

    user = grant.principal.user
    if user is None or not hashes:
        return
    now = timezone.now()
    # ``kind`` keeps the strongest proof given (a byte upload is never downgraded to
    # "readable"); ``proved_at`` is always the latest.
    uploaded = kind == XorbPossession.Kind.UPLOADED
    XorbPossession.objects.bulk_create(
        [XorbPossession(user=user, xorb_id=h, kind=kind, proved_at=now) for h in sorted(hashes)],
        update_conflicts=True,
        unique_fields=["user", "xorb"],
        update_fields=["kind", "proved_at"] if uploaded else ["proved_at"],
    )


def _xorbs_via_repositories(grant: Grant, hashes: set[str]) -> set[str]:
    """Of ``hashes``, the xorbs this repository or any repository the caller can read references."""
    if not hashes:
        return set()
    readable = visible_repositories(grant.principal).values("pk")
    return set(
        XorbRef.objects.filter(xorb_id__in=hashes)
        .filter(Q(repository=grant.repo) | Q(repository__in=readable))
        .values_list("xorb_id", flat=True)
        .distinct()
    )


def _xorbs_via_possession(grant: Grant, hashes: set[str], *, valid_for: int = 0) -> set[str]:
    """Of ``hashes``, the xorbs the calling user proved they hold, with a proof still valid
    ``valid_for`` seconds from now."""
    from datetime import timedelta

    from django.utils import timezone

    user = grant.principal.user
    if user is None or not hashes:
        return set()
    since = timezone.now() - timedelta(seconds=POSSESSION_TTL - valid_for)
    return set(
        XorbPossession.objects.filter(user=user, xorb_id__in=hashes, proved_at__gte=since)
        .values_list("xorb_id", flat=True)
        .distinct()
    )


def _usable_xorbs(grant: Grant, hashes: set[str], *, valid_for: int = 0) -> set[str]:
    """Of ``hashes``, the xorbs the caller may build files from (and hear about in dedup):
    referenced by this repository or one the caller can read, or proved held by the user."""
    via_repos = _xorbs_via_repositories(grant, hashes)
    return via_repos | _xorbs_via_possession(grant, hashes - via_repos, valid_for=valid_for)


def upload_shard(*, grant: Grant, body: bytes) -> bool:
    """Register the files of an uploaded shard after verifying every term against stored xorbs.

    Checked: each CAS-info block matches the stored xorb's chunk list; each file has a
    verification hash per term equal to the one recomputed from stored chunk hashes; each term's
    length matches; and the file hash recomputed from all chunk hashes equals the claimed one.
    Returns True when at least one file was new to this repository.
    """
    try:
        shard = shardfmt.parse(body)
    except shardfmt.InvalidShard as exc:
        raise CasError(400, f"Invalid shard: {exc}") from exc
    referenced = {hashing.to_hex(x.xorb) for x in shard.xorbs}
    for f in shard.files:
        referenced |= {hashing.to_hex(t.xorb) for t in f.terms}
    via_repos = _xorbs_via_repositories(grant, referenced)
    via_proof = _xorbs_via_possession(grant, referenced - via_repos)
    _require_usable(referenced, via_repos | via_proof)
    xorbs = {x.hash: x for x in Xorb.objects.filter(pk__in=referenced)}
    _require_usable(referenced, set(xorbs))  # GC may have removed one since
    tables = {h: x.chunks() for h, x in xorbs.items()}
    for info in shard.xorbs:
        table = tables[hashing.to_hex(info.xorb)]
        if [(c.hash, c.length) for c in info.chunks] != [(h, n) for h, _, n in table]:
            raise CasError(400, "Shard xorb listing does not match the stored xorb")
    records = [_verified_file(f, tables) for f in shard.files]  # all checked before any write
    used = {t[0] for record in records for t in record["terms"]}
    with transaction.atomic():
        # Under the xorb rows' locks, as collect_garbage takes them: either GC already deleted
        # a xorb (then this shard is refused like one never uploaded) or it sees our reference.
        locked = set(  # in hash order, so two shard uploads never wait on each other crosswise
            Xorb.objects.select_for_update()
            .filter(pk__in=used)
            .order_by("hash")
            .values_list("hash", flat=True)
        )
        _require_usable(used, locked)
        _link_xorbs(grant.repo, used)
        # Building a file from content the user could read is a fresh proof that they hold it
        # (the client caches these xorbs too); a proof alone does not renew itself.
        _prove_possession(grant, used & via_repos, XorbPossession.Kind.READABLE)
    new_files = 0
    for record in records:
        with transaction.atomic():
            # Locked so a concurrent GC cannot delete the row between here and the reference.
            xet_file = XetFile.objects.select_for_update().filter(pk=record["file_hash"]).first()
            if xet_file is None:
                xet_file = XetFile.objects.create(**record)
            elif not xet_file.sha256_verified and record["sha256"] != xet_file.sha256:
                # Only a claim so far: the newest one is checked at its commit (lfs_bridge).
                xet_file.sha256 = record["sha256"]
                xet_file.save(update_fields=["sha256"])
            _, created = XetFileRef.objects.get_or_create(file=xet_file, repository=grant.repo)
            new_files += int(created)
            if record["terms"]:  # a file's first chunk is always a dedup query target
                first = record["terms"][0]
                DedupChunk.objects.get_or_create(
                    chunk_hash=hashing.to_hex(tables[first[0]][first[1]][0]),
                    xorb_id=first[0],
                    defaults={"index": first[1]},
                )
    _record(grant, XetUpload.Kind.SHARD, "", len(body), new_files > 0)
    return new_files > 0


def _require_usable(wanted: set[str], usable: set[str]) -> None:
    """The one answer for a xorb the caller may not use, whether it exists or not: telling the
    two apart would reveal that someone else's repository holds some content."""
    if wanted - usable:
        raise CasError(400, f"{NEVER_UPLOADED}: {sorted(wanted - usable)[:3]}")


def _verified_file(
    f: shardfmt.FileInfo, tables: dict[str, list[tuple[bytes, int, int]]]
) -> dict[str, Any]:
    if len(f.verification) != len(f.terms):
        raise CasError(400, "Shard file entries must carry verification hashes")
    leaves: list[tuple[bytes, int]] = []
    terms = []
    for term, proof in zip(f.terms, f.verification, strict=True):
        xhex = hashing.to_hex(term.xorb)
        table = tables[xhex]
        if term.chunk_end > len(table):
            raise CasError(400, "Term chunk range is outside its xorb")
        rows = table[term.chunk_start : term.chunk_end]
        if sum(n for _, _, n in rows) != term.unpacked_length:
            raise CasError(400, "Term length does not match its chunks")
        if hashing.verification_hash([h for h, _, _ in rows]) != proof:
            raise CasError(400, "Term verification hash does not match")
        leaves.extend((h, n) for h, _, n in rows)
        terms.append([xhex, term.chunk_start, term.chunk_end, term.unpacked_length])
    if hashing.file_hash(leaves) != f.file_hash:
        raise CasError(400, "File hash does not match its chunks")
    return {
        "file_hash": hashing.to_hex(f.file_hash),
        "size": f.size,
        "sha256": f.sha256.hex() if f.sha256 else "",
        "terms": terms,
    }


# --- dedup ------------------------------------------------------------------------------


def dedup_query(*, grant: Grant, chunk_hash: str) -> bytes | None:
    """A dedup shard for ``chunk_hash`` drawn only from xorbs the caller could read anyway."""
    if not hashing.HEX_RE.match(chunk_hash):
        raise CasError(400, "Malformed chunk hash")
    candidates = set(
        DedupChunk.objects.filter(chunk_hash=chunk_hash).values_list("xorb_id", flat=True)[:64]
    )
    # A client caches this answer for DEDUP_SHARD_TTL and may reference its xorbs until then,
    # so a proof of possession counts only if it stays valid that long.
    usable = sorted(_usable_xorbs(grant, candidates, valid_for=DEDUP_SHARD_TTL))[:DEDUP_MAX_XORBS]
    if not usable:
        return None
    key = secrets.token_bytes(32)
    infos = []
    for x in Xorb.objects.filter(pk__in=usable):
        chunks = []
        unpacked = 0
        for h, _, n in x.chunks():
            chunks.append(shardfmt.CasChunk(hashing.hmac_hash(h, key), unpacked, n))
            unpacked += n
        infos.append(
            shardfmt.CasInfo(hashing.from_hex(x.hash), x.unpacked_bytes, x.stored_bytes, chunks)
        )
    return shardfmt.write_dedup_shard(infos, hmac_key=key, ttl=DEDUP_SHARD_TTL)


# --- downloads --------------------------------------------------------------------------


def file_for(*, grant: Grant, file_hash: str) -> XetFile:
    if not hashing.HEX_RE.match(file_hash):
        raise CasError(400, "Malformed file hash")
    xet_file = XetFile.objects.filter(pk=file_hash, refs__repository=grant.repo).first()
    if xet_file is None:
        raise CasError(404, "File not found")
    return xet_file


def _slice_terms(
    xet_file: XetFile, byte_range: tuple[int, int] | None
) -> tuple[list[list[Any]], int, int]:
    """Terms covering ``byte_range`` (inclusive), the offset into the first, and the end byte."""
    terms: list[list[Any]] = xet_file.terms
    if byte_range is None:
        return terms, 0, xet_file.size
    start, last = byte_range
    if start >= xet_file.size or last < start:
        raise CasError(416, "Range not satisfiable")
    end = min(last + 1, xet_file.size)
    out: list[list[Any]] = []
    pos = 0
    offset = 0
    for term in terms:
        t_end = pos + term[3]
        if t_end > start and pos < end:
            if not out:
                offset = start - pos
            out.append(term)
        pos = t_end
    return out, offset, end - start + offset


def fetch_url(*, storage_key: str, start: int, end: int) -> str:
    """A signed URL serving exactly stored bytes ``[start, end]`` of one xorb."""
    query = signing.sign(
        {"op": "xet-xorb", "k": storage_key, "r": f"{start}-{end}"}, ttl=FETCH_URL_TTL
    )
    return f"{cas_url()}/fetch/{storage_key}?{query}"


def reconstruction(
    *, grant: Grant, file_hash: str, byte_range: tuple[int, int] | None
) -> dict[str, Any]:
    """The V1 ``QueryReconstructionResponse`` for a file this repository references."""
    xet_file = file_for(grant=grant, file_hash=file_hash)
    terms, offset, _ = _slice_terms(xet_file, byte_range)
    xorbs = {x.hash: x for x in Xorb.objects.filter(pk__in={t[0] for t in terms})}
    out_terms = []
    wanted: dict[str, list[tuple[int, int]]] = {}
    for xhex, c_start, c_end, length in terms:
        out_terms.append(
            {"hash": xhex, "unpacked_length": length, "range": {"start": c_start, "end": c_end}}
        )
        wanted.setdefault(xhex, []).append((c_start, c_end))
    # One entry per disjoint run of chunks: hf_xet picks *the* entry holding a term, and with
    # overlapping entries ([0,1) and [0,2), as a file of repeated chunks has) it takes the
    # wrong one and panics. Overlapping and adjacent term ranges are merged.
    fetch_info: dict[str, list[dict[str, Any]]] = {}
    for xhex, ranges in wanted.items():
        x = xorbs[xhex]
        table = x.chunks()
        merged: list[list[int]] = []
        for c_start, c_end in sorted(ranges):
            if merged and c_start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], c_end)
            else:
                merged.append([c_start, c_end])
        entries = fetch_info[xhex] = []
        for c_start, c_end in merged:
            b_start = table[c_start][1]
            b_end = table[c_end][1] if c_end < len(table) else x.stored_bytes
            entries.append(
                {
                    "range": {"start": c_start, "end": c_end},
                    "url": fetch_url(storage_key=x.storage_key, start=b_start, end=b_end - 1),
                    "url_range": {"start": b_start, "end": b_end - 1},
                }
            )
    return {"offset_into_first_range": offset, "terms": out_terms, "fetch_info": fetch_info}


def verify_fetch(
    *, storage_key: str, query: dict[str, str], range_header: str | None
) -> tuple[int, int]:
    """The inclusive byte range a signed fetch URL grants; the Range header must match it."""
    signed = query.get("r", "")
    if not signing.verify(query, {"op": "xet-xorb", "k": storage_key, "r": signed}):
        raise CasError(403, "Invalid or expired fetch URL; request a new reconstruction")
    if range_header is not None and range_header.strip() != f"bytes={signed}":
        raise CasError(416, "Range must equal the signed range of this URL")
    first, _, last = signed.partition("-")
    return int(first), int(last)


def iter_file_bytes(*, xet_file: XetFile, byte_range: tuple[int, int] | None) -> Iterator[bytes]:
    """Yield the file's bytes (or the inclusive ``byte_range``), reconstructed from xorbs.

    For clients without hf_xet: the server decodes chunks itself and streams plain bytes.
    """
    terms, skip, end_in_terms = _slice_terms(xet_file, byte_range)
    remaining = end_in_terms - skip
    xorbs = {x.hash: x for x in Xorb.objects.filter(pk__in={t[0] for t in terms})}
    for xhex, c_start, c_end, _ in terms:
        if remaining <= 0:
            break
        x = xorbs[xhex]
        table = x.chunks()
        b_start = table[c_start][1]
        b_end = table[c_end][1] if c_end < len(table) else x.stored_bytes
        for chunk in xorbfmt.decode_range(storage.read_range(x.storage_key, b_start, b_end)):
            if skip >= len(chunk):
                skip -= len(chunk)
                continue
            piece = chunk[skip : skip + remaining]
            skip = 0
            remaining -= len(piece)
            yield piece
            if remaining <= 0:
                break


# --- accounting -------------------------------------------------------------------------


def repo_usage(*, repo: Repository) -> dict[str, int]:
    """Bytes before dedup (files), after dedup (xorbs), and received over the wire."""
    files = XetFile.objects.filter(refs__repository=repo)
    xorbs = Xorb.objects.filter(refs__repository=repo)
    ledger = XetUpload.objects.filter(repository=repo)
    return {
        "files": files.count(),
        "logical_bytes": files.aggregate(s=Sum("size"))["s"] or 0,
        "xorbs": xorbs.count(),
        "stored_bytes": xorbs.aggregate(s=Sum("stored_bytes"))["s"] or 0,
        "received_xorb_bytes": ledger.filter(kind=XetUpload.Kind.XORB).aggregate(
            s=Sum("received_bytes")
        )["s"]
        or 0,
        "received_shard_bytes": ledger.filter(kind=XetUpload.Kind.SHARD).aggregate(
            s=Sum("received_bytes")
        )["s"]
        or 0,
        "xorb_uploads": ledger.filter(kind=XetUpload.Kind.XORB).count(),
    }


def owner_usage(*, owner: Namespace) -> dict[str, int]:
    """An organization's (or user's) Xet storage over all its repositories.

    ``logical_bytes`` counts every file once per repository that references it (what plain LFS
    would store: bytes before dedup); ``stored_bytes`` counts each distinct xorb once (bytes
    after dedup across the owner's files, revisions and repositories). A xorb shared with
    another owner's repository counts for both: each would keep it alive on its own.
    """
    refs = XetFileRef.objects.filter(repository__owner=owner)
    xorb_ids = XorbRef.objects.filter(repository__owner=owner).values("xorb_id")
    stored = Xorb.objects.filter(pk__in=xorb_ids)
    ledger = XetUpload.objects.filter(repository__owner=owner)
    return {
        "repositories": Repository.objects.filter(owner=owner).count(),
        "files": refs.count(),
        "logical_bytes": refs.aggregate(s=Sum("file__size"))["s"] or 0,
        "xorbs": stored.count(),
        "stored_bytes": stored.aggregate(s=Sum("stored_bytes"))["s"] or 0,
        "received_bytes": ledger.aggregate(s=Sum("received_bytes"))["s"] or 0,
    }


# --- garbage collection -----------------------------------------------------------------


def collect_garbage(
    *, grace_seconds: int = 24 * 3600, possession_seconds: int = POSSESSION_TTL
) -> dict[str, int]:
    """Delete files and xorbs no repository references any more, once older than the grace.

    References disappear with their repository (cascade). The grace period protects uploads in
    flight: a xorb is stored and its row created a moment before the uploading repository's
    reference, and a shard may follow its xorbs by minutes. Each xorb row is re-checked under a
    row lock inside its own transaction, so a concurrent re-upload that links it wins.

    A xorb some user proved they hold within ``possession_seconds`` is kept (``retained``):
    their client may still reference it from its local cache. Older proofs are dropped first.
    """
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    cutoff = now - timedelta(seconds=grace_seconds)
    proven_since = now - timedelta(seconds=possession_seconds)
    expired = XorbPossession.objects.filter(proved_at__lt=proven_since).delete()[0]
    files = 0
    for fhex in list(
        XetFile.objects.filter(refs__isnull=True, created_at__lt=cutoff).values_list(
            "file_hash", flat=True
        )
    ):
        with transaction.atomic():  # re-checked under the row lock a shard upload also takes
            if not XetFile.objects.select_for_update().filter(pk=fhex).exists():
                continue
            if XetFileRef.objects.filter(file_id=fhex).exists():
                continue
            XetFile.objects.filter(pk=fhex).delete()
            files += 1
    unreferenced = Xorb.objects.filter(refs__isnull=True, created_at__lt=cutoff)
    retained = unreferenced.filter(possessions__isnull=False).distinct().count()
    doomed = list(unreferenced.filter(possessions__isnull=True).values_list("hash", flat=True))
    xorbs = 0
    freed = 0
    for xhex in doomed:
        with transaction.atomic():
            # Lock the row alone (PostgreSQL refuses FOR UPDATE across an outer join), then
            # re-check references and proofs: one inserted meanwhile waits on this lock.
            x = Xorb.objects.select_for_update().filter(pk=xhex).first()
            if (
                x is None
                or XorbRef.objects.filter(xorb_id=xhex).exists()
                or XorbPossession.objects.filter(xorb_id=xhex, proved_at__gte=proven_since).exists()
            ):
                continue
            key, size = x.storage_key, x.stored_bytes
            DedupChunk.objects.filter(xorb=x).delete()
            XorbPossession.objects.filter(xorb=x).delete()
            x.delete()
            # Still inside the lock: an upload of the same xorb waiting on it finds no row
            # afterwards and stores the bytes again instead of linking to deleted ones.
            if not Xorb.objects.filter(storage_key=key).exists():
                storage.delete(key)
        xorbs += 1
        freed += size
    return {
        "files": files,
        "xorbs": xorbs,
        "freed_bytes": freed,
        "retained_xorbs": retained,
        "expired_proofs": expired,
    }
