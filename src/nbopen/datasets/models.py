"""Conversion jobs and their per-split results.

One :class:`Conversion` per (repository, commit): what the viewer serves for that revision.
The Parquet files, search index and statistics live under the data dir (see
:mod:`nbopen.datasets.storage`); the rows here say what exists and how it went.
"""

from __future__ import annotations

from django.db import models

from nbopen.repos.models import Repository


class Conversion(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    repository = models.ForeignKey(
        Repository, on_delete=models.CASCADE, related_name="dataset_conversions"
    )
    revision = models.CharField(max_length=40)
    ref = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    # 0..1, updated while the job runs (bytes read / bytes to read).
    progress = models.FloatField(default=0.0)
    error = models.TextField(blank=True)
    # Dataset-level facts: source files with sha256, README card data, semantic version.
    manifest = models.JSONField(default=dict, blank=True)
    version = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    # Touched while the job works; a running job whose heartbeat stopped died with its process.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["repository", "revision"], name="dataset_conversion_unique"
            )
        ]
        indexes = [models.Index(fields=["repository", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.repository_id}@{self.revision[:12]}:{self.status}"


class SplitResult(models.Model):
    """One config/split of a conversion: its Parquet files, schema, statistics, index."""

    class Status(models.TextChoices):
        PENDING = "pending"
        DONE = "done"
        FAILED = "failed"

    conversion = models.ForeignKey(Conversion, on_delete=models.CASCADE, related_name="splits")
    config = models.CharField(max_length=255)
    split = models.CharField(max_length=255)
    position = models.IntegerField(default=0)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    error = models.TextField(blank=True)
    num_rows = models.BigIntegerField(default=0)
    num_columns = models.IntegerField(default=0)
    bytes_original = models.BigIntegerField(default=0)
    bytes_parquet = models.BigIntegerField(default=0)
    bytes_memory = models.BigIntegerField(default=0)
    # [{"filename", "size", "sha256", "num_rows"}] relative to the split's directory.
    files = models.JSONField(default=list, blank=True)
    sources = models.JSONField(default=list, blank=True)
    features = models.JSONField(default=list, blank=True)
    first_rows = models.JSONField(default=dict, blank=True)
    statistics = models.JSONField(null=True, blank=True)
    search_ready = models.BooleanField(default=False)
    partial = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["conversion", "config", "split"], name="dataset_split_unique"
            )
        ]
        ordering = ["position"]

    def __str__(self) -> str:
        return f"{self.conversion_id}:{self.config}/{self.split}"
