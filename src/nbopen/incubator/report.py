"""The incubation section of the operators' city report (:mod:`nbopen.programs.report`):
every project with its state, mentors and how many maturity items are met, measured the same
way as its page (over what the reader — an operator — may read)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.utils.translation import gettext_noop

from nbopen.access.policy import Principal
from nbopen.incubator import selectors

SECTION = gettext_noop("incubation")


def section(principal: Principal) -> dict[str, Any]:
    rows = []
    for project in selectors.visible_projects(principal).prefetch_related("mentors"):
        _evidence, items = selectors.maturity_of(principal, project)
        marks = Counter(item.status for item in items)
        rows.append(
            {
                "project": project.slug,
                "name": project.name,
                "state": project.state,
                "mentors": project.mentors.count(),
                "met": marks.get("met", 0),
                "not_met": marks.get("not_met", 0),
                "unknown": marks.get("unknown", 0),
            }
        )
    states = Counter(row["state"] for row in rows)
    return {
        "projects": rows,
        "by_state": [{"state": s, "projects": n} for s, n in sorted(states.items())],
    }
