"""The standards section of the operators' city report (:mod:`nbopen.programs.report`):
each standard with its status, committee and how many repositories implement it."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db.models import Count
from django.utils.translation import gettext_noop

from nbopen.access.policy import Principal
from nbopen.standards import selectors

SECTION = gettext_noop("standards")


def section(principal: Principal) -> dict[str, Any]:
    standards = (
        selectors.visible_standards(principal)
        .select_related("committee")
        .annotate(implementers=Count("implementations__repository", distinct=True))
    )
    rows = [
        {
            "number": s.number,
            "title": s.title,
            "status": s.status,
            "committee": s.committee.name,
            "implementers": s.implementers,
        }
        for s in standards
    ]
    statuses = Counter(row["status"] for row in rows)
    return {
        "standards": rows,
        "by_status": [{"status": s, "standards": n} for s, n in sorted(statuses.items())],
    }
