"""Analytics state kept in the database: the city registry and the import ledger.

Events and computed metrics live in Parquet files under ``<data dir>/analytics`` (see
:mod:`nbopen.analytics.store`); only small, operator-edited or bookkeeping rows live here.
"""

from __future__ import annotations

from django.db import models


class RegistryEntry(models.Model):
    """A GitHub/Gitee account or repository that belongs to the city, optionally → an NBopen
    organization. Accounts are ``login``; repositories are ``owner/name``.

    GH Archive keeps only events whose repository owner, repository, organization or actor is
    registered. Org vs. user accounts are not told apart (that needs the platform's API).
    """

    class Platform(models.TextChoices):
        GITHUB = "github", "GitHub"
        GITEE = "gitee", "Gitee"

    platform = models.CharField(max_length=16, choices=Platform.choices)
    login = models.CharField(max_length=200)
    login_lower = models.CharField(max_length=200)
    organization = models.ForeignKey(
        "orgs.Organization",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="registry_entries",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "login_lower"], name="registry_unique_login"
            )
        ]

    def __str__(self) -> str:
        return f"{self.platform}:{self.login}"

    @property
    def is_repository(self) -> bool:
        return "/" in self.login


class ImportedFile(models.Model):
    """One GH Archive hour file: done files are skipped, so an interrupted import resumes."""

    class Status(models.TextChoices):
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    name = models.CharField(max_length=255, unique=True)
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices)
    lines = models.BigIntegerField(default=0)
    kept = models.BigIntegerField(default=0)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.status})"
