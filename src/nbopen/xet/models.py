"""What the CAS knows: xorbs, the chunks they hold, file reconstructions, and who references them.

Hashes are stored in the spec's 64-character string form. Per-xorb chunk tables are kept as
one packed binary column (40 bytes per chunk: raw hash, stored byte offset, length) instead
of ~1000 rows per xorb; only chunks a client may ask the dedup API about get index rows.
References (``XorbRef``, ``XetFileRef``) are the access-control and accounting truth: bytes
are reachable only through a repository that references them. ``XorbPossession`` records which
user proved they hold a xorb's content, so they may build files from it again for a bounded
time after every repository that referenced it is gone (docs/xet-protocol.md §6).
"""

from __future__ import annotations

import struct

from django.conf import settings
from django.db import models

from nbopen.repos.models import Repository

CHUNK_ROW = struct.Struct("<32sII")


class Xorb(models.Model):
    hash = models.CharField(max_length=64, primary_key=True)
    storage_key = models.CharField(max_length=64)  # sha256 of the stored bytes
    stored_bytes = models.BigIntegerField()
    unpacked_bytes = models.BigIntegerField()
    num_chunks = models.IntegerField()
    chunk_table = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.hash

    def chunks(self) -> list[tuple[bytes, int, int]]:
        """(raw chunk hash, byte offset of its header in the stored xorb, unpacked length)."""
        table = bytes(self.chunk_table)
        return [CHUNK_ROW.unpack_from(table, i) for i in range(0, len(table), CHUNK_ROW.size)]


class XorbRef(models.Model):
    """That a repository's uploads contain (or proved possession of) this xorb."""

    xorb = models.ForeignKey(Xorb, on_delete=models.PROTECT, related_name="refs")
    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["xorb", "repository"], name="xet_xorbref_unique")
        ]

    def __str__(self) -> str:
        return f"{self.repository_id}:{self.xorb_id}"


class XorbPossession(models.Model):
    """That a user proved they hold a xorb's content, and when they last did.

    ``uploaded``: they sent the xorb's bytes and the server verified them. ``readable``: a shard
    of theirs built a file from it while a repository they could read referenced it. ``kind``
    is the strongest proof they gave, ``proved_at`` the time of the latest. Either
    lets them reference the xorb in later shards until ``proved_at`` is older than
    ``services.POSSESSION_TTL``, and keeps the xorb from GC for as long: hf_xet's local shard
    cache makes the client reference xorbs it uploaded for three weeks without re-sending them.
    """

    class Kind(models.TextChoices):
        UPLOADED = "uploaded"
        READABLE = "readable"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    xorb = models.ForeignKey(Xorb, on_delete=models.CASCADE, related_name="possessions")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    proved_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "xorb"], name="xet_xorbpossession_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.xorb_id} ({self.kind})"


class DedupChunk(models.Model):
    """A chunk the global-dedup API can be asked about (eligible hash or a file's first chunk)."""

    chunk_hash = models.CharField(max_length=64, db_index=True)
    xorb = models.ForeignKey(Xorb, on_delete=models.CASCADE, related_name="+")
    index = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["chunk_hash", "xorb"], name="xet_dedupchunk_unique")
        ]

    def __str__(self) -> str:
        return self.chunk_hash


class XetFile(models.Model):
    """A file reconstruction: terms ``[xorb hash, chunk start, chunk end, unpacked bytes]``."""

    file_hash = models.CharField(max_length=64, primary_key=True)
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    # True once the server recomputed ``sha256`` from the reconstructed bytes (at the first
    # commit that names the file as an LFS object); until then it is only the client's claim.
    sha256_verified = models.BooleanField(default=False)
    terms = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.file_hash


class XetFileRef(models.Model):
    file = models.ForeignKey(XetFile, on_delete=models.PROTECT, related_name="refs")
    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["file", "repository"], name="xet_fileref_unique")
        ]

    def __str__(self) -> str:
        return f"{self.repository_id}:{self.file_id}"


class XetUpload(models.Model):
    """One CAS upload request as received: the server-side transfer ledger (bytes on the wire)."""

    class Kind(models.TextChoices):
        XORB = "xorb"
        SHARD = "shard"

    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    object_hash = models.CharField(max_length=64, blank=True)
    received_bytes = models.BigIntegerField()
    inserted = models.BooleanField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["repository", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_hash} ({self.received_bytes} bytes)"
