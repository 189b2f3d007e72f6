"""The append-only event log: everything that happens on the platform, never rewritten."""

from __future__ import annotations

from typing import Any

from django.db import models


class AppendOnlyQuerySet(models.QuerySet[Any]):
    """Bulk writes would bypass :meth:`AppendOnly.save` / :meth:`AppendOnly.delete`; refuse
    them too."""

    def update(self, **kwargs: Any) -> int:
        raise RuntimeError(f"{self.model._meta.verbose_name_plural} are append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise RuntimeError(f"{self.model._meta.verbose_name_plural} are append-only")


class AppendOnly(models.Model):
    """A log: rows are added, never changed or deleted through the ORM (the event log; the
    audit log, whose retention prune is its only delete)."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise RuntimeError(f"{self._meta.verbose_name_plural} are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise RuntimeError(f"{self._meta.verbose_name_plural} are append-only")


class Event(AppendOnly):
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

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.kind} by {self.actor_name or '-'} on {self.repository_name or '-'}"
