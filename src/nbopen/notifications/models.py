"""One row per (user, thread): the inbox entry, updated in place by later activity (as on
GitHub and Gitea, where a notification thread is per subject, not per event)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from nbopen.collab.models import Thread
from nbopen.repos.models import Repository


class Notification(models.Model):
    class Status(models.TextChoices):
        UNREAD = "unread"
        READ = "read"
        PINNED = "pinned"
        DONE = "done"

    class Reason(models.TextChoices):
        MENTION = "mention"
        ASSIGN = "assign"
        REVIEW_REQUESTED = "review_requested"
        AUTHOR = "author"
        PARTICIPATING = "participating"
        WATCHING = "watching"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="+")
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.UNREAD)
    last_kind = models.CharField(max_length=32, blank=True)
    last_actor = models.CharField(max_length=150, blank=True)
    comment_id = models.BigIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "thread"], name="one_notification_per_thread")
        ]
        indexes = [
            models.Index(fields=["user", "status", "-updated_at"], name="notif_inbox"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.thread_id}:{self.status}"
