"""Signals between people and things: likes and watches of repositories, follows of owners."""

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


class Follow(models.Model):
    """A user follows an owner: another user or an organization (one namespace holds both).

    Following is public, as on GitHub: who follows whom is shown on profile pages.
    """

    follower = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows"
    )
    target = models.ForeignKey(
        "accounts.Namespace", on_delete=models.CASCADE, related_name="followers"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["follower", "target"], name="one_follow_per_pair")
        ]
        indexes = [models.Index(fields=["target", "-created_at"], name="collab_follow_target")]

    def __str__(self) -> str:
        return f"{self.follower_id}→{self.target_id}"


class Watch(models.Model):
    """A user watches a repository: its activity appears in the user's dashboard feed."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="watching"
    )
    repository = models.ForeignKey(
        "repos.Repository", on_delete=models.CASCADE, related_name="watches"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["repository", "user"], name="one_watch_per_user")
        ]
        indexes = [models.Index(fields=["user", "-created_at"], name="collab_watch_user_recent")]

    def __str__(self) -> str:
        return f"{self.user_id}👁{self.repository_id}"
