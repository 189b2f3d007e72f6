"""A webhook (of a repository or of an organization) and the log of its delivery attempts."""

from __future__ import annotations

from django.db import models

from nbopen.orgs.models import Organization
from nbopen.repos.models import Repository

#: Gitea's event names a hook can subscribe to (``events`` in its API).
EVENTS = (
    "push",
    "create",
    "delete",
    "issues",
    "issue_comment",
    "pull_request",
    "pull_request_review",
    "repository",
)


class Webhook(models.Model):
    """Exactly one of ``repository`` / ``organization`` is set: an organization's hook hears
    the events of all its repositories, private ones included (they are the org's own)."""

    class ContentType(models.TextChoices):
        JSON = "json"
        FORM = "form"

    repository = models.ForeignKey(
        Repository, null=True, blank=True, on_delete=models.CASCADE, related_name="webhooks"
    )
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="webhooks"
    )
    url = models.CharField(max_length=2048)
    secret = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(
        max_length=8, choices=ContentType.choices, default=ContentType.JSON
    )
    events = models.JSONField(default=list)
    branch_filter = models.CharField(max_length=255, blank=True, default="*")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(repository__isnull=False, organization__isnull=True)
                | models.Q(repository__isnull=True, organization__isnull=False),
                name="webhook_one_owner",
            )
        ]

    def __str__(self) -> str:
        return self.url


class Delivery(models.Model):
    """One attempt to deliver one event. Retries of an event share its ``guid`` (the
    ``X-Gitea-Delivery`` header), so a receiver can recognise a repeat."""

    hook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    guid = models.CharField(max_length=36, db_index=True)
    event = models.CharField(max_length=48)
    attempt = models.PositiveSmallIntegerField(default=1)
    request_url = models.CharField(max_length=2048)
    request_headers = models.JSONField(default=dict)
    request_body = models.TextField(blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_headers = models.JSONField(default=dict)
    response_body = models.TextField(blank=True)
    duration_ms = models.FloatField(default=0.0)
    error = models.TextField(blank=True)
    succeeded = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-pk"]

    def __str__(self) -> str:
        return f"{self.event} #{self.attempt} {self.guid}"
