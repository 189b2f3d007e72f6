"""Likes: one row per (user, repository)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Like(models.Model):
    """A user likes (stars) a repository. The count is derived, never stored here."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    repository = models.ForeignKey(
        "repos.Repository", on_delete=models.CASCADE, related_name="likes"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["repository", "user"], name="one_like_per_user")
        ]
        indexes = [models.Index(fields=["user", "-created_at"], name="collab_like_user_recent")]

    def __str__(self) -> str:
        return f"{self.user_id}♥{self.repository_id}"
