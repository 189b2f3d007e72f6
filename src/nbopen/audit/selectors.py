"""Reading the audit log: who may read which entries, the filters, and CSV export.

Operators read every entry; an organization's owners read their organization's (the
decision is :func:`nbopen.access.policy.may_read_audit`). Filters are the same for the web
page, the CSV export and the API.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.timezone import get_current_timezone, is_naive, make_aware

from nbopen.access.policy import Principal, may_read_audit
from nbopen.audit.models import AuditEntry
from nbopen.core.errors import InvalidInput, NotFound, PermissionDenied
from nbopen.orgs.models import Organization

MAX_PAGE = 500
CSV_COLUMNS = ("created_at", "action", "actor", "repository", "ip", "detail")


@dataclass(frozen=True)
class Filters:
    actor: str = ""
    action: str = ""  # an exact action, or a prefix ending in "." ("repo.")
    repository: str = ""
    since: datetime | None = None
    until: datetime | None = None

    @classmethod
    def parse(cls, query: Mapping[str, str]) -> Filters:
        """From query parameters ``actor``, ``action``, ``repo``, ``since``, ``until`` (ISO
        dates or date-times). Raises :class:`InvalidInput` for an unreadable time."""
        return cls(
            actor=(query.get("actor") or "").strip(),
            action=(query.get("action") or "").strip(),
            repository=(query.get("repo") or "").strip(),
            since=_when(query.get("since"), "since"),
            until=_when(query.get("until"), "until", end_of_day=True),
        )

    def as_query(self) -> dict[str, str]:
        found = {"actor": self.actor, "action": self.action, "repo": self.repository}
        if self.since:
            found["since"] = self.since.isoformat()
        if self.until:
            found["until"] = self.until.isoformat()
        return {k: v for k, v in found.items() if v}


def _when(value: str | None, name: str, *, end_of_day: bool = False) -> datetime | None:
    if not value:
        return None
    value = value.strip()
    try:
        day = parse_date(value) if len(value) == 10 else None
        parsed = None if day is not None else parse_datetime(value)
    except ValueError:  # well-formed but impossible, e.g. month 13
        day = parsed = None
    if day is not None:  # a whole day: from its start, or until its end
        moment = datetime(day.year, day.month, day.day, *((23, 59, 59) if end_of_day else ()))
    elif parsed is not None:
        moment = parsed
    else:
        raise InvalidInput(f"{name} must be an ISO date or date-time, not {value!r}")
    if is_naive(moment):
        moment = make_aware(moment, get_current_timezone())
    return moment


def entries(
    principal: Principal, *, organization: str | None, filters: Filters
) -> QuerySet[AuditEntry]:
    """The entries ``principal`` may read, of ``organization`` (None: all, operators only),
    newest first. Raises :class:`NotFound` for an organization the principal may not audit
    (as for a private repository, its existence is not confirmed to outsiders)."""
    org = None
    if organization is not None:
        org = Organization.objects.filter(name=organization).first()
        if org is None or not may_read_audit(principal, org):
            raise NotFound(f"Organization {organization} not found")
    elif not may_read_audit(principal, None):
        raise PermissionDenied("Only operators may read the whole audit log")
    found = AuditEntry.objects.all()
    if org is not None:
        found = found.filter(organization_id=org.pk)
    if filters.actor:
        found = found.filter(actor_name__iexact=filters.actor)
    if filters.action.endswith("."):
        found = found.filter(action__startswith=filters.action)
    elif filters.action:
        found = found.filter(action=filters.action)
    if filters.repository:
        found = found.filter(repository_name__iexact=filters.repository)
    if filters.since:
        found = found.filter(created_at__gte=filters.since)
    if filters.until:
        found = found.filter(created_at__lte=filters.until)
    return found.order_by("-id")


def as_json(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "created_at": entry.created_at.isoformat(),
        "action": entry.action,
        "actor": entry.actor_name or None,
        "repository": entry.repository_name or None,
        "ip": entry.ip,
        "detail": entry.detail,
    }


def to_csv(rows: Iterable[AuditEntry]) -> str:
    """CSV with a header row; ``detail`` as JSON. Cells that a spreadsheet would run as a
    formula (``=``, ``+``, ``-``, ``@``) are quoted with a leading apostrophe."""
    import json

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for entry in rows:
        cells = [
            entry.created_at.isoformat(),
            entry.action,
            entry.actor_name,
            entry.repository_name,
            entry.ip or "",
            json.dumps(entry.detail, ensure_ascii=False, sort_keys=True),
        ]
        writer.writerow(["'" + c if c[:1] in ("=", "+", "-", "@") else c for c in cells])
    return out.getvalue()
