"""The append-only event log: everything that happens on the platform, never rewritten."""

from __future__ import annotations

from typing import Any

from django.db import models


class EventQuerySet(models.QuerySet["Event"]):
    """Bulk writes would bypass :meth:`Event.save` / :meth:`Event.delete`; refuse them too."""

    def update(self, **kwargs: Any) -> int:
        raise RuntimeError("events are append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise RuntimeError("events are append-only")


class Event(models.Model):
    """One thing that happened. Feeds activity pages, search indexing and analytics.

    Repository and organization are kept as plain ids plus a name snapshot rather than
    foreign keys: the log outlives the rows it talks about.
    """

    kind = models.CharField(max_length=64, db_index=True)
    actor_id = models.BigIntegerField(null=True, db_index=True)
    actor_name = models.CharField(max_length=128, blank=True)
    repository_id = models.BigIntegerField(null=True, db_index=True)
    repository_name = models.CharField(max_length=256, blank=True)
    organization_id = models.BigIntegerField(null=True, db_index=True)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.kind} by {self.actor_name or '-'} on {self.repository_name or '-'}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise RuntimeError("events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise RuntimeError("events are append-only")
