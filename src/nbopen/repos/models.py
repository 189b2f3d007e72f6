"""Repositories and the LFS objects they reference."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import models

from nbopen.accounts.models import Namespace
from nbopen.config.env import CONFIG


class Repository(models.Model):
    class Type(models.TextChoices):
        CODE = "code"
        MODEL = "model"
        DATASET = "dataset"

    owner = models.ForeignKey(Namespace, on_delete=models.CASCADE, related_name="repositories")
    name = models.CharField(max_length=96)
    name_lower = models.CharField(max_length=96)
    type = models.CharField(max_length=8, choices=Type.choices)
    private = models.BooleanField(default=False)
    # Gating (the Hub's ``gated``): "" (open), "auto" or "manual". A public gated repository
    # shows its metadata to everyone and its file contents to those with an accepted
    # AccessRequest or a role on it (``access.policy.decide_content``).
    gated = models.CharField(max_length=8, blank=True, default="")
    description = models.TextField(blank=True)
    license = models.CharField(max_length=64, blank=True)
    tags = models.JSONField(default=list, blank=True)
    card_data = models.JSONField(default=dict, blank=True)
    default_branch = models.CharField(max_length=255, default="main")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    pushed_at = models.DateTimeField(null=True, blank=True)
    forked_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="forks"
    )

    class Meta:
        constraints = [
            # Two URL spaces per owner, as on the Hub: models and code repositories share
            # /{owner}/{name}; datasets live under /datasets/{owner}/{name}, so a dataset may
            # have the name of a model (an organization's model and its training data).
            models.UniqueConstraint(
                fields=["owner", "name_lower"],
                condition=~models.Q(type="dataset"),
                name="repo_unique_per_owner",
            ),
            models.UniqueConstraint(
                fields=["owner", "name_lower"],
                condition=models.Q(type="dataset"),
                name="dataset_unique_per_owner",
            ),
        ]
        indexes = [models.Index(fields=["type", "private"])]

    def __str__(self) -> str:
        return self.full_name

    @staticmethod
    def space_of(repo_type: str) -> tuple[str, ...]:
        """The types that share ``repo_type``'s URL space (and so its names)."""
        if repo_type == Repository.Type.DATASET:
            return (Repository.Type.DATASET,)
        return (Repository.Type.MODEL, Repository.Type.CODE)

    @property
    def web_path(self) -> str:
        """``/datasets/{owner}/{name}`` for a dataset, ``/{owner}/{name}`` otherwise."""
        prefix = "/datasets" if self.type == Repository.Type.DATASET else ""
        return f"{prefix}/{self.full_name}"

    @property
    def full_name(self) -> str:
        return f"{self.owner.name}/{self.name}"

    @property
    def git_path(self) -> Path:
        """The bare repository on disk, addressed by id so renames never move files."""
        return git_path_for(self.pk)


def git_path_for(repo_id: int) -> Path:
    return CONFIG.git_root / f"{repo_id % 256:02x}" / f"{repo_id}.git"


class RepositoryRedirect(models.Model):
    """An old name of a moved repository, answering with a redirect to where it lives now.

    Keyed by the old owner's *name* (a string), not the namespace row: the old owner may be
    renamed or deleted and links to the old URL must still arrive. The row points at the
    repository by id, so a repository moved twice redirects from both old names to the
    current one. A new repository (or a move) that takes the old name deletes the row
    (:func:`nbopen.repos.moves.release_name`): from then on the name is that repository's.
    """

    owner_lower = models.CharField(max_length=96)
    name_lower = models.CharField(max_length=96)
    # The URL space of the old name (``Repository.space_of``): datasets have their own.
    dataset = models.BooleanField(default=False)
    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="redirects")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner_lower", "name_lower", "dataset"], name="repo_redirect_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.owner_lower}/{self.name_lower} -> {self.repository_id}"


class Collaborator(models.Model):
    """A user given a role on one repository, beside the owner's own people (as on GitHub)."""

    class Role(models.TextChoices):
        READ = "read"
        WRITE = "write"
        ADMIN = "admin"

    repository = models.ForeignKey(
        Repository, on_delete=models.CASCADE, related_name="collaborators"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="collaborations"
    )
    role = models.CharField(max_length=8, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["repository", "user"], name="collaborator_unique")
        ]

    def __str__(self) -> str:
        return f"{self.repository_id}:{self.user_id}:{self.role}"


class AccessRequest(models.Model):
    """A user's request to read a gated repository's files (one per user and repository)."""

    class Status(models.TextChoices):
        PENDING = "pending"
        ACCEPTED = "accepted"
        REJECTED = "rejected"

    repository = models.ForeignKey(
        Repository, on_delete=models.CASCADE, related_name="access_requests"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_requests"
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    fields = models.JSONField(default=dict, blank=True)
    rejection_reason = models.TextField(blank=True)
    # Given by the repository's people without the user asking (``grant_access``). The user
    # agreed to share nothing, so the requests list shows no email for them (as on the Hub).
    granted = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["repository", "user"], name="access_request_unique")
        ]

    def __str__(self) -> str:
        return f"{self.repository_id}:{self.user_id}:{self.status}"


class LFSObject(models.Model):
    """A content-addressed large file; the bytes live in the configured blob storage."""

    oid = models.CharField(max_length=64, primary_key=True)
    size = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.oid


class RepositoryLFSObject(models.Model):
    """That a repository references an LFS object: the only way to be allowed to fetch it."""

    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="lfs_links")
    lfs_object = models.ForeignKey(LFSObject, on_delete=models.PROTECT, related_name="links")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["repository", "lfs_object"], name="lfs_link_unique")
        ]

    def __str__(self) -> str:
        return f"{self.repository_id}:{self.lfs_object_id}"


class RepositoryDownloadDay(models.Model):
    """Downloads of a repository on one UTC day, counted the way the Hub counts them.

    One row per (repository, day) keeps "downloads in the last 30 days" a cheap sum.
    """

    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["repository", "day"], name="repo_download_day_unique")
        ]

    def __str__(self) -> str:
        return f"{self.repository_id}@{self.day}: {self.count}"


class DeployKey(models.Model):
    """An SSH key bound to one repository, read-only or read-write (a CI machine's key):
    it acts as no user and reaches nothing else (``access.policy``)."""

    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="deploy_keys")
    title = models.CharField(max_length=100)
    key = models.TextField()
    key_type = models.CharField(max_length=40)
    fingerprint = models.CharField(max_length=80)
    read_only = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["repository", "fingerprint"], name="deploy_key_unique_per_repository"
            )
        ]

    def __str__(self) -> str:
        return f"{self.repository_id}:{self.title} ({self.fingerprint})"
