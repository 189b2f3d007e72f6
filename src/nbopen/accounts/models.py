"""Accounts: users, the owner namespace they share with organizations, and access tokens."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A person. ``username`` is also their owner name in the namespace."""

    display_name = models.CharField(max_length=128, blank=True)
    bio = models.TextField(blank=True)
    # Profile fields shown on /{username}; all optional, all set in /settings/profile.
    affiliation = models.CharField(max_length=128, blank=True)
    location = models.CharField(max_length=128, blank=True)
    website = models.URLField(max_length=300, blank=True)
    public_email = models.EmailField(blank=True)
    # The avatar is an object in the blob storage (content-addressed, so it is backed up with
    # LFS objects) and its checked media type; "" means the letter avatar.
    avatar_oid = models.CharField(max_length=64, blank=True)
    avatar_type = models.CharField(max_length=32, blank=True)
    # Preferences: "" follows the browser (language) or the site default (time zone).
    language = models.CharField(max_length=16, blank=True)
    time_zone = models.CharField(max_length=64, blank=True)
    # Up to six repository ids in the order the user chose; the profile shows the ones the
    # viewer may read, so a deleted or hidden repository simply drops out.
    pinned_repository_ids = models.JSONField(default=list, blank=True)

    def __str__(self) -> str:
        return self.username


class Namespace(models.Model):
    """An owner name: exactly one user or one organization.

    Users and organizations share one namespace so ``/{owner}`` always means one account; the
    unique ``name_lower`` makes that hold in the database, case-insensitively as on GitHub.
    """

    class Kind(models.TextChoices):
        USER = "user"
        ORGANIZATION = "org"

    name = models.CharField(max_length=96)
    name_lower = models.CharField(max_length=96, unique=True)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    user = models.OneToOneField(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="namespace"
    )
    organization = models.OneToOneField(
        "orgs.Organization",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="namespace",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind="user", user__isnull=False, organization__isnull=True)
                    | models.Q(kind="org", user__isnull=True, organization__isnull=False)
                ),
                name="namespace_exactly_one_owner",
            )
        ]

    def __str__(self) -> str:
        return self.name


class AccessToken(models.Model):
    """A personal access token. Only a sha256 digest of the secret is stored."""

    class Scope(models.TextChoices):
        READ = "read"
        WRITE = "write"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="tokens")
    name = models.CharField(max_length=100)
    scope = models.CharField(max_length=8, choices=Scope.choices, default=Scope.WRITE)
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class SSHKey(models.Model):
    """A user's SSH public key: git over SSH acts as this user (``nbopen serve --ssh-port``).

    The fingerprint (``SHA256:…``, as ``ssh-keygen -l`` prints it) is unique across users and
    deploy keys, so a key presented at sign-in names exactly one identity."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="ssh_keys")
    title = models.CharField(max_length=100)
    key = models.TextField()  # "ssh-ed25519 AAAA…" (the comment is not kept)
    key_type = models.CharField(max_length=40)
    fingerprint = models.CharField(max_length=80, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.title} ({self.fingerprint})"
