"""The operators' dashboard and city report of the city programs (issue 16, item 7).

Plain data, computed from the calls, their timelines and their accepted applications, so the
page, its CSV zip, JSON and printable/PDF exports (the insights exporters) are the same dict.
Operators only: it names every organization's money and every winner, drafts included.

Sections other apps contribute (incubation and maturity, standards and implementers) plug in
through :func:`register_section`: this module does not import them, so the report works on a
deployment without them, and an app adds its section from its ``AppConfig.ready``.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_noop

from nbopen.access.policy import Principal, is_operator
from nbopen.core.errors import PermissionDenied
from nbopen.programs.models import Application, Call, CallTransition

S = Call.State
# A call is "taken" once contracted: its budget is then committed to the winner.
TAKEN = (S.CONTRACTED, S.IN_PROGRESS, S.ACCEPTANCE, S.CLOSED)
# Organization.region is free text; these substrings (case-insensitive) mean "our city".
DEFAULT_LOCAL_REGIONS = ("宁波", "ningbo")

CORE_KEYS = frozenset(
    {"summary", "by_state", "by_industry", "money", "days_to_contract", "takers", "local_regions"}
)
Section = Callable[[Principal], dict[str, Any]]
_SECTIONS: dict[str, Section] = {}


def register_section(name: str, build: Section) -> None:
    """Add a section (``name`` → ``build(principal)``, a dict of tables) to the report.

    The extension point for the incubator (projects and their maturity) and the standards
    registry (standards and their implementers): each registers its own section."""
    _SECTIONS[name] = build


def local_regions() -> tuple[str, ...]:
    return tuple(
        r.lower() for r in getattr(settings, "NBOPEN_LOCAL_REGIONS", DEFAULT_LOCAL_REGIONS)
    )


def is_local(region: str) -> bool:
    text = (region or "").lower()
    return bool(text) and any(r in text for r in local_regions())


def _paid(call: Call) -> int:
    return sum(int(m.get("amount", 0)) for m in call.milestones if m.get("paid"))


def city_report(principal: Principal) -> dict[str, Any]:
    """Calls by state and industry, money committed and paid, days from publication to
    contract, and who took the calls (local universities, local companies, others)."""
    if not is_operator(principal):
        raise PermissionDenied(gettext_noop("The programs report is for operators"))
    calls = list(Call.objects.select_related("organization").order_by("pk"))
    by_state = Counter(c.state for c in calls)
    industries: Counter[str] = Counter()
    for c in calls:
        for tag in c.organization.industry_tags or ["-"]:
            industries[str(tag)] += 1
    taken = [c for c in calls if c.state in TAKEN]
    committed = sum(c.budget for c in taken)
    paid = sum(_paid(c) for c in taken)

    stamps: dict[tuple[int, str], Any] = {}
    for t in CallTransition.objects.filter(to_state__in=[S.PUBLISHED, S.CONTRACTED]).order_by(
        "at", "id"
    ):
        stamps.setdefault((t.call_id, t.to_state), t.at)
    durations = []
    for c in calls:
        start, end = stamps.get((c.pk, S.PUBLISHED)), stamps.get((c.pk, S.CONTRACTED))
        if start is not None and end is not None:
            durations.append(
                {
                    "call": c.pk,
                    "title": c.title,
                    "days": round((end - start).total_seconds() / 86400, 2),
                }
            )
    days = [d["days"] for d in durations]

    winners = Application.objects.filter(
        call_id__in=[c.pk for c in taken], status=Application.Status.ACCEPTED
    ).select_related("applicant_org")
    takers: Counter[str] = Counter()
    for a in winners:
        org = a.applicant_org
        if org is None:
            takers["individual"] += 1
        elif not is_local(org.region):
            takers["non_local"] += 1
        elif org.kind == "university":
            takers["local_university"] += 1
        elif org.kind == "enterprise":
            takers["local_enterprise"] += 1
        else:
            takers["local_other"] += 1
    total_takers = sum(takers.values())
    kinds = ("local_university", "local_enterprise", "local_other", "non_local", "individual")

    report: dict[str, Any] = {
        "summary": {
            "calls": len(calls),
            "taken": len(taken),
            "money_committed": committed,
            "money_paid": paid,
            "median_days_to_contract": statistics.median(days) if days else None,
            "mean_days_to_contract": round(statistics.mean(days), 2) if days else None,
            "local_share": round(
                (takers["local_university"] + takers["local_enterprise"] + takers["local_other"])
                / total_takers,
                3,
            )
            if total_takers
            else None,
        },
        "by_state": [{"state": s, "calls": by_state.get(s, 0)} for s in S.values],
        "by_industry": [
            {"industry": k, "calls": n}
            for k, n in sorted(industries.items(), key=lambda x: (-x[1], x[0]))
        ],
        "money": [
            {
                "call": c.pk,
                "title": c.title,
                "organization": c.organization.name,
                "state": c.state,
                "committed": c.budget,
                "paid": _paid(c),
            }
            for c in taken
        ],
        "days_to_contract": durations,
        "takers": [
            {
                "kind": k,
                "calls": takers.get(k, 0),
                "share": round(takers.get(k, 0) / total_takers, 3) if total_takers else None,
            }
            for k in kinds
        ],
        "local_regions": list(local_regions()),
    }
    for name, build in sorted(_SECTIONS.items()):
        report[name] = build(principal)
    return report
