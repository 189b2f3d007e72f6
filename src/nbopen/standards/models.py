"""Open standards (团体标准): a ``code`` repository with a standard's metadata, its status
history, and the repositories that declare they implement one of its published versions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Standard(models.Model):
    """A standard. Its text lives in the repository (``document`` at a tag = a version)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLIC_COMMENT = "public_comment", _("Public comment")
        APPROVED = "approved", _("Approved")
        PUBLISHED = "published", _("Published")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    repository = models.OneToOneField(
        "repos.Repository", on_delete=models.CASCADE, related_name="standard"
    )
    number = models.CharField(max_length=64, unique=True)  # "T/NBOS 001-2026"
    slug = models.SlugField(max_length=80, unique=True)  # "t-nbos-001-2026"
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    committee = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="standards"
    )
    industries = models.JSONField(default=list, blank=True)
    document = models.CharField(max_length=255, default="README.md")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return self.number


class StandardTransition(models.Model):
    standard = models.ForeignKey(Standard, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    version = models.CharField(max_length=255, blank=True)  # the tag published
    actor_name = models.CharField(max_length=150, blank=True)
    note = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.standard_id}:{self.from_status}->{self.to_status}"


class Implementation(models.Model):
    """A repository's declaration that it implements a version (tag) of a standard."""

    standard = models.ForeignKey(Standard, on_delete=models.CASCADE, related_name="implementations")
    version = models.CharField(max_length=255)
    repository = models.ForeignKey(
        "repos.Repository", on_delete=models.CASCADE, related_name="implements"
    )
    note = models.TextField(blank=True)
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["standard", "version", "repository"], name="standards_one_declaration"
            )
        ]

    def __str__(self) -> str:
        return f"{self.standard_id}:{self.version}:{self.repository_id}"
