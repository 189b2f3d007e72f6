"""What each dashboard shows, as plain data: the web pages chart it, and the same dict is
the JSON/CSV export, so a downloaded figure is exactly the one on screen.

Privacy (issue 7 item 7) is decided here, once, for every dashboard:

* the city overview and the collaboration network use public aggregates only (``city``,
  ``kind``, ``user``, public ``repo``/``org`` rows, public repositories from
  :func:`nbopen.access.policy.visible_repositories` of an anonymous principal) — the same
  page for everyone;
* an organization's dashboard uses its ``members`` figures (private repositories included)
  only for its members and site admins (:func:`org_scope`), and lists a private repository
  only if the policy lets the principal read it;
* a repository's dashboard is reached through ``decide_repo`` by the caller (the web view
  uses ``repo_access``), so its private numbers reach only its readers.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from nbopen.access.policy import Principal, public_repositories, visible_repositories
from nbopen.analytics import cocomo, queries
from nbopen.orgs.models import Organization
from nbopen.repos.models import Repository

CITY_TREND = ("activity", "openrank", "active_developers", "participants", "active_organizations")
ORG_TREND = (
    "openrank",
    "activity",
    "participants",
    "bus_factor",
    "contributors",
    "active_developers",
    "active_repositories",
    "affiliated_developers",
    "pushes",
    "downloads",
)
ORG_REPO_COLUMNS = (
    "activity",
    "openrank",
    "bus_factor",
    "elephant_factor",
    "issue_response_time.avg",
    "change_request_response_time.avg",
    "new_contributors",
)
TALENT = ("new_contributors", "inactive_contributors")
REPO_TREND = (
    "activity",
    "openrank",
    "participants",
    "contributors",
    "new_contributors",
    "inactive_contributors",
    "downloads",
    "stars",
    "pushes",
    "commits",
    "bus_factor",
)
ACADEMIC = frozenset({"university", "institute"})


def latest(series: queries.Series, month: str | None) -> dict[str, float]:
    """Each metric's value in ``month`` (none when no month is computed yet)."""
    if month is None:
        return {}
    return {metric: values[month] for metric, values in series.items() if month in values}


def pick_month(requested: str | None) -> str | None:
    """The requested month (validated by the caller) or the latest computed one."""
    if requested:
        return requested
    months = queries.months()
    return months[-1] if months else None


def domains_of(repo: Repository) -> list[str]:
    """A repository's domains: the card's ``domain`` (string or list) and ``domain:<slug>``
    tags — the same rule as the search facet."""
    card = repo.card_data if isinstance(repo.card_data, dict) else {}
    raw = card.get("domain")
    found = [raw] if isinstance(raw, str) else [d for d in raw or [] if isinstance(d, str)]
    tags = repo.tags if isinstance(repo.tags, list) else []
    found += [
        t.split(":", 1)[1] for t in tags if isinstance(t, str) and t.lower().startswith("domain:")
    ]
    return sorted({d.strip().lower() for d in found if d.strip()})


def collaboration_edges(month: str | None) -> list[dict[str, Any]]:
    """Public organization ↔ organization edges, 产学研 (enterprise ↔ university/institute)
    flagged, exactly as the JSON API returns them."""
    if month is None:
        return []
    edges = queries.collaboration(month=month)
    kinds = dict(Organization.objects.values_list("name", "kind"))
    for edge in edges:
        a, b = kinds.get(edge["source"]), kinds.get(edge["target"])
        edge["source_kind"], edge["target_kind"] = a, b
        edge["industry_academia"] = (a == "enterprise" and b in ACADEMIC) or (
            b == "enterprise" and a in ACADEMIC
        )
    return edges


def organization_kinds(month: str | None) -> dict[str, Any]:
    """Per organization kind: its label, how many organizations, its metrics in ``month``."""
    return {
        kind.value: {
            "label": str(kind.label),
            "organizations": Organization.objects.filter(kind=kind.value).count(),
            "metrics": latest(queries.series(entity_type="kind", entity_id=kind.value), month),
        }
        for kind in Organization.Kind
    }


def city_overview(month: str | None, *, value: dict[str, Any] | None = None) -> dict[str, Any]:
    """The city: totals, trends, organizations by kind, repositories by domain, the top
    entities, collaboration and cost saved. Public data only."""
    trend = queries.series(entity_type="city", entity_id="city")
    kinds = organization_kinds(month)
    repos = list(public_repositories())
    by_domain: dict[str, list[str]] = defaultdict(list)
    for repo in repos:
        for domain in domains_of(repo) or [""]:
            by_domain[domain].append(str(repo.pk))
    domains = []
    for domain, ids in sorted(by_domain.items(), key=lambda item: (-len(item[1]), item[0])):
        activity = queries.sums(entity_type="repo", entity_ids=ids, metrics=["activity"])
        domains.append(
            {
                "domain": domain,
                "repositories": len(ids),
                "activity": round(activity.get("activity", {}).get(month or "", 0.0), 2),
            }
        )
    top = {
        key: queries.top(entity_type=etype, metric="openrank", month=month, limit=10)
        if month
        else []
        for key, etype in (
            ("top_organizations", "org"),
            ("top_repositories", "repo"),
            ("top_developers", "user"),
        )
    }
    return {
        "dashboard": "city",
        "month": month,
        "months": queries.months(),
        "metrics": latest(trend, month),
        "trend": {k: trend[k] for k in CITY_TREND if k in trend},
        "kinds": kinds,
        "domains": domains,
        **top,
        "collaboration": collaboration_edges(month),
        "value": value_summary(value) if value is not None else None,
    }


_VALUE_CACHE: dict[tuple[int, int, float | None], dict[str, Any]] = {}


def city_value_cached(monthly_cost: float | None = None) -> dict[str, Any]:
    """:func:`nbopen.analytics.value.city_value` (counts lines in every public repository),
    remembered until the event log or the repository list changes."""
    from django.db.models import Count, Max

    from nbopen.analytics.value import city_value
    from nbopen.core.models import Event

    last = Event.objects.aggregate(n=Max("id"))["n"] or 0
    repos = Repository.objects.aggregate(n=Count("id"))["n"] or 0
    key = (int(last), int(repos), monthly_cost)
    if key not in _VALUE_CACHE:
        _VALUE_CACHE.clear()
        _VALUE_CACHE[key] = city_value(monthly_cost=monthly_cost)
    return _VALUE_CACHE[key]


def value_summary(report: dict[str, Any], limit: int = 10) -> dict[str, Any]:
    """The headline of :func:`nbopen.analytics.value.city_value` for the overview."""
    rows = sorted(report["repositories"], key=lambda r: -r["cost_saved_cny"])
    return {
        "rebuild_cost_cny": report["rebuild_cost_cny"],
        "cost_saved_cny": report["cost_saved_cny"],
        "assumptions": report["assumptions"],
        "repositories": [
            {
                "repository": r["repository"],
                "sloc": r["sloc"],
                "rebuild_cost_cny": r["rebuild_cost_cny"],
                "reusing_organizations": len(r["reused_by"]),
                "cost_saved_cny": r["cost_saved_cny"],
            }
            for r in rows[:limit]
        ],
    }


def org_scope(principal: Principal, org: Organization) -> str:
    """``members`` (private repositories included) for the organization's own members and
    site admins, ``public`` for everyone else."""
    member = principal.is_site_admin or org.pk in principal.org_roles()
    return "members" if member else "public"


def org_insights(principal: Principal, org: Organization, month: str | None) -> dict[str, Any]:
    """Influence, health, talent and partners of one organization."""
    scope = org_scope(principal, org)
    trend = queries.series(entity_type="org", entity_id=org.name, scope=scope)
    readable = visible_repositories(principal) if scope == "members" else public_repositories()
    repos = readable.filter(owner__organization=org).select_related("owner")
    listed = list(repos.order_by("name"))
    # platform → [(entity id, name, private)]: hosted repositories the principal may see,
    # then the organization's public GitHub/Gitee repositories from its registry entries.
    entities: dict[str, list[tuple[str, str, bool]]] = {
        "nbopen": [(str(r.pk), r.full_name, r.private) for r in listed]
    }
    for platform, (accounts, full_names) in _registered(org).items():
        found = queries.external_repositories(
            platform=platform, accounts=accounts, repos=full_names
        )
        entities[platform] = [(ident, name, False) for ident, name in found]
    talent: queries.Series = {}
    rows = []
    for platform, items in entities.items():
        ids = [i for i, _, _ in items]
        private_ids = [i for i, _, private in items if private]
        part = queries.sums(
            entity_type="repo",
            entity_ids=ids,
            metrics=list(TALENT),
            platform=platform,
            private_ids=private_ids,
        )
        for metric, values in part.items():
            for m, v in values.items():
                talent.setdefault(metric, {})[m] = talent.get(metric, {}).get(m, 0.0) + v
        table = (
            queries.latest_values(
                entity_type="repo",
                entity_ids=ids,
                month=month,
                metrics=list(ORG_REPO_COLUMNS),
                platform=platform,
                private_ids=private_ids,
            )
            if month
            else {}
        )
        rows += [
            {
                "repository": name,
                "platform": platform,
                "private": private,
                **{m: round(table.get(ident, {}).get(m, 0.0), 2) for m in ORG_REPO_COLUMNS},
            }
            for ident, name, private in items
        ]
    edges = [e for e in collaboration_edges(month) if org.name in (e["source"], e["target"])]
    return {
        "dashboard": "organization",
        "organization": org.name,
        "kind": org.kind,
        "scope": scope,
        "month": month,
        "months": queries.months(),
        "metrics": latest(trend, month),
        "trend": {k: trend[k] for k in ORG_TREND if k in trend},
        "talent": {k: talent.get(k, {}) for k in TALENT},
        "repositories": rows,
        "partners": edges,
    }


def _registered(org: Organization) -> dict[str, tuple[list[str], list[str]]]:
    """platform → (accounts, owner/name repositories) registered to the organization."""
    from nbopen.analytics.models import RegistryEntry

    out: dict[str, tuple[list[str], list[str]]] = {}
    for entry in RegistryEntry.objects.filter(organization=org):
        accounts, repos = out.setdefault(entry.platform, ([], []))
        (repos if entry.is_repository else accounts).append(entry.login_lower)
    return out


def repo_insights(
    repo: Repository, month: str | None, *, monthly_cost: float | None = None
) -> dict[str, Any]:
    """One repository. The caller has checked READ access (private figures included)."""
    from nbopen.collab.models import Like

    trend = queries.series(
        entity_type="repo", entity_id=str(repo.pk), platform="nbopen", include_private=True
    )
    cost = monthly_cost if monthly_cost is not None else cocomo.DEFAULT_MONTHLY_COST_CNY
    count = _line_count(repo)
    sloc = count.total if count else 0
    estimate = cocomo.basic_cocomo(sloc, monthly_cost=cost)
    return {
        "dashboard": "repository",
        "repository": repo.full_name,
        "private": repo.private,
        "month": month,
        "months": queries.months(),
        "metrics": latest(trend, month),
        "trend": {k: trend[k] for k in REPO_TREND if k in trend},
        "likes": Like.objects.filter(repository=repo).count(),
        "downloads_30_days": _downloads_30_days(repo),
        "value": {
            "sloc": sloc,
            "sloc_by_language": count.by_language if count else {},
            "person_months": round(estimate.person_months, 2),
            "schedule_months": round(estimate.schedule_months, 2),
            "monthly_labour_cost_cny": cost,
            "overhead": cocomo.OVERHEAD,
            "rebuild_cost_cny": round(estimate.cost, 2),
        },
    }


_LINES_CACHE: dict[tuple[int, str], cocomo.LineCount] = {}


def _line_count(repo: Repository) -> cocomo.LineCount | None:
    """Source lines of the default branch, remembered per commit (counting reads every blob)."""
    from nbopen.repos.git.read import resolve

    if not repo.git_path.exists():
        return None
    sha = resolve(repo.git_path, repo.default_branch)
    if sha is None:
        return None
    key = (repo.pk, sha)
    if key not in _LINES_CACHE:
        if len(_LINES_CACHE) > 512:
            _LINES_CACHE.clear()
        _LINES_CACHE[key] = cocomo.count_repository(repo.git_path, sha)
    return _LINES_CACHE[key]


def _downloads_30_days(repo: Repository) -> int:
    """Downloads counted by the Hub API in the last 30 days (``RepositoryDownloadDay``)."""
    from datetime import timedelta

    from django.db.models import Sum
    from django.utils import timezone

    from nbopen.repos.models import RepositoryDownloadDay

    since = timezone.now().date() - timedelta(days=29)
    total = RepositoryDownloadDay.objects.filter(repository=repo, day__gte=since).aggregate(
        n=Sum("count")
    )["n"]
    return int(total or 0)


def network(month: str | None) -> dict[str, Any]:
    """Nodes (organizations with a public collaboration edge) and edges for the graph."""
    edges = collaboration_edges(month)
    names = sorted({e["source"] for e in edges} | {e["target"] for e in edges})
    orgs = {o.name: o for o in Organization.objects.filter(name__in=names)}
    nodes = [
        {
            "name": n,
            "kind": orgs[n].kind if n in orgs else "",
            "label": (orgs[n].display_name or n) if n in orgs else n,
        }
        for n in names
    ]
    return {"dashboard": "network", "month": month, "nodes": nodes, "edges": edges}


def flatten(data: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted path, scalar) pairs of a JSON document: the CSV export's rows."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from flatten(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from flatten(value, f"{prefix}.{index}" if prefix else str(index))
    else:
        yield prefix, data


def to_csv(data: dict[str, Any]) -> str:
    """A two-column ``path,value`` table: lossless, and every value keeps the name it has in
    the JSON export (``trend.activity.2024-05``)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["path", "value"])
    for path, value in flatten(data):
        text = "" if value is None else str(value).lower() if isinstance(value, bool) else value
        if isinstance(text, str) and text[:1] in {"=", "+", "-", "@"}:
            text = "'" + text  # no formulas when opened in a spreadsheet
        writer.writerow([path, text])
    return out.getvalue()
