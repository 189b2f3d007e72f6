"""Upstream hubs and the local repositories mirrored from them."""

from __future__ import annotations

from django.db import models

from nbopen.orgs.models import Organization
from nbopen.repos.models import Repository


class Upstream(models.Model):
    """A hub the operator lets this server fetch from, looked up in ``position`` order.

    ``name`` is also the organization that holds its mirrors (the mirror namespace), so a
    mirrored ``owner/name`` lives at ``{upstream}/{owner}__{name}``. The token is kept only
    encrypted (:mod:`nbopen.mirrors.secrets`) and never shown again.
    """

    class Kind(models.TextChoices):
        HF = "hf", "Hugging Face API"
        MODELSCOPE = "modelscope", "ModelScope"

    name = models.CharField(max_length=64, unique=True)
    url = models.CharField(max_length=500)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.HF)
    token_encrypted = models.TextField(blank=True, default="")
    position = models.PositiveIntegerField(default=0)
    # fnmatch patterns of ``owner`` or ``owner/name``; an empty allow list admits every id.
    allow = models.JSONField(default=list, blank=True)
    deny = models.JSONField(default=list, blank=True)
    # The organization that configured the token: a private or gated upstream repository is
    # mirrored only into a private repository of this organization (none: never mirrored).
    organization = models.ForeignKey(
        Organization, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.name


class MirroredRepository(models.Model):
    """A local, read-only repository that is a copy of ``source_id`` on ``upstream``.

    The original id stays an alias: a Hub request for ``source_id`` that names no local
    repository is answered by this one, so scripts written against the upstream work unchanged.
    """

    repository = models.OneToOneField(Repository, on_delete=models.CASCADE, related_name="mirror")
    upstream = models.ForeignKey(Upstream, on_delete=models.SET_NULL, null=True)
    source_url = models.CharField(max_length=500)
    source_id = models.CharField(max_length=200)
    source_id_lower = models.CharField(max_length=200)
    source_type = models.CharField(max_length=16, choices=Repository.Type.choices)
    upstream_revision = models.CharField(max_length=64)
    last_sync = models.DateTimeField()
    last_checked = models.DateTimeField()
    last_error = models.TextField(blank=True, default="")
    # Prefetched by an operator (``nbopen mirror add``): its LFS files matching ``include``
    # (fnmatch patterns; empty: every file) are fetched ahead of time at each sync, and a
    # pinned mirror's objects are never evicted. On-demand mirrors are evicted LRU first.
    pinned = models.BooleanField(default=False)
    include = models.JSONField(default=list, blank=True)
    sync_interval = models.PositiveIntegerField(default=0)  # seconds; 0: no scheduled re-sync
    last_used = models.DateTimeField(null=True, blank=True)  # last download served locally

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source_type", "source_id_lower"], name="mirror_source_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source_id} ({self.source_type})"


class GitMirror(models.Model):
    """A code repository kept equal to a remote git repository (a pull mirror): fetched with
    the real git every ``interval_seconds``, read-only to pushes while it is a mirror."""

    repository = models.OneToOneField(
        Repository, on_delete=models.CASCADE, related_name="pull_mirror"
    )
    url = models.CharField(max_length=1000)
    interval_seconds = models.PositiveIntegerField(default=3600)
    last_attempt = models.DateTimeField(null=True, blank=True)
    last_sync = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.url


class MirrorTrafficDay(models.Model):
    """Bytes of a mirror's LFS objects per day: fetched from the upstream (a cold object,
    stored once) and served from local storage (every later download). What the mirror
    saved the city's uplink is the second against the first."""

    mirror = models.ForeignKey(MirroredRepository, on_delete=models.CASCADE, related_name="traffic")
    day = models.DateField()
    bytes_upstream = models.BigIntegerField(default=0)
    files_upstream = models.PositiveIntegerField(default=0)
    bytes_local = models.BigIntegerField(default=0)
    files_local = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["mirror", "day"], name="mirror_traffic_day_unique")
        ]

    def __str__(self) -> str:
        return f"{self.mirror_id} {self.day}"
