"""Organizations and their memberships."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Organization(models.Model):
    class Kind(models.TextChoices):
        ENTERPRISE = "enterprise", _("Enterprise")
        UNIVERSITY = "university", _("University")
        INSTITUTE = "institute", _("Research institute")
        GOVERNMENT = "government", _("Government")
        COMMUNITY = "community", _("Community")

    name = models.CharField(max_length=96, unique=True)
    display_name = models.CharField(max_length=128, blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    region = models.CharField(max_length=64, blank=True)
    description = models.TextField(blank=True)
    industry_tags = models.JSONField(default=list, blank=True)
    verified = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner"
        ADMIN = "admin"
        WRITE = "write"
        READ = "read"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=8, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="one_membership")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}@{self.organization_id}:{self.role}"


class Team(models.Model):
    """A group of an organization's members given roles on some of its repositories.

    Teams let a large organization (an enterprise with many departments, a university with
    many labs) grant access per project instead of per person or to everyone at once.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="teams")
    # ``name`` is the slug in URLs and in the Gitea-shaped API; ``display_name`` is what
    # people read, in any language ("数据标注组"), and falls back to the slug.
    name = models.CharField(max_length=96)
    name_lower = models.CharField(max_length=96)
    display_name = models.CharField(max_length=96, blank=True)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "name_lower"], name="team_unique")
        ]

    def __str__(self) -> str:
        return f"{self.organization_id}/{self.name}"


class TeamMember(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_memberships"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="team_member_unique")]

    def __str__(self) -> str:
        return f"{self.team_id}:{self.user_id}"


class TeamRepository(models.Model):
    """A team's role (read/write/admin) on one of its organization's repositories."""

    class Role(models.TextChoices):
        READ = "read"
        WRITE = "write"
        ADMIN = "admin"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="grants")
    repository = models.ForeignKey(
        "repos.Repository", on_delete=models.CASCADE, related_name="team_grants"
    )
    role = models.CharField(max_length=8, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "repository"], name="team_repo_unique")
        ]

    def __str__(self) -> str:
        return f"{self.team_id}:{self.repository_id}:{self.role}"
