"""One audit entry per security-relevant action; rows are never changed or deleted except by
the retention prune (:func:`nbopen.audit.services.prune`)."""

from __future__ import annotations

from typing import Any

from django.db import models

from nbopen.core.models import AppendOnly, AppendOnlyQuerySet


class AuditQuerySet(AppendOnlyQuerySet):
    def prune_older_than(self, when: Any) -> int:
        """The one way rows leave the log: retention. A raw delete of old rows (no model
        ``delete`` runs, and nothing refers to an entry)."""
        old: models.QuerySet[AuditEntry] = models.QuerySet(self.model, using=self.db).filter(
            created_at__lt=when
        )
        return int(old._raw_delete(old.db))


class AuditEntry(AppendOnly):
    """Like :class:`~nbopen.core.models.Event`, ids plus name snapshots instead of foreign
    keys: the record must outlive the user, repository or organization it names."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    action = models.CharField(max_length=64, db_index=True)
    actor_id = models.BigIntegerField(null=True, db_index=True)
    actor_name = models.CharField(max_length=128, blank=True, db_index=True)
    organization_id = models.BigIntegerField(null=True, db_index=True)
    repository_name = models.CharField(max_length=256, blank=True, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    detail = models.JSONField(default=dict)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor_name or '-'} on {self.repository_name or '-'}"
