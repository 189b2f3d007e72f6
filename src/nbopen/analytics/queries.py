"""Reading computed metrics back (for the JSON API and, later, the dashboards).

Callers decide visibility with the permission policy first and pass what the principal may
see: ``include_private`` (a repository the principal can read) and ``scope`` (``members`` for
an organization's own members). Nothing here decides access on its own.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from nbopen.analytics import store

Series = dict[str, dict[str, float]]  # metric → month → value


def _files(base: Path | None) -> str | None:
    months = store.metric_months(base)
    if not months:
        return None
    return store.parquet_list([store.metrics_file(m, base) for m in months])


def _query(sql: str, params: list[Any], base: Path | None) -> list[tuple[Any, ...]]:
    files = _files(base)
    if files is None:
        return []
    con = store.connect("1GB")
    try:
        con.execute(
            "CREATE TEMP VIEW m AS SELECT regexp_extract(filename, "  # noqa: S608
            "'month=([0-9]{4}-[0-9]{2})', 1) AS month, * EXCLUDE (filename) "
            f"FROM read_parquet({files}, filename = true)"
        )
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def months(base: Path | None = None) -> list[str]:
    return store.metric_months(base)


def series(
    *,
    entity_type: str,
    entity_id: str,
    platform: str = "all",
    scope: str = "public",
    include_private: bool = False,
    base: Path | None = None,
) -> Series:
    """Every metric of one entity, month by month."""
    rows = _query(
        "SELECT metric, month, value FROM m WHERE entity_type = ? AND entity_id = ? "
        "AND platform = ? AND scope = ? AND (? OR NOT private) ORDER BY month",
        [entity_type, entity_id, platform, scope, include_private],
        base,
    )
    out: Series = defaultdict(dict)
    for metric, month, value in rows:
        out[metric][month] = value
    return dict(out)


def top(
    *,
    entity_type: str,
    metric: str,
    month: str,
    limit: int = 20,
    names: list[str] | None = None,
    base: Path | None = None,
) -> list[dict[str, Any]]:
    """Public entities ranked by ``metric`` in ``month`` (optionally only ``names``)."""
    extra, params = "", [entity_type, metric, month]
    args: list[Any] = list(params)
    if names is not None:
        if not names:
            return []
        extra = " AND entity_name IN (SELECT unnest(?))"
        args.append(names)
    # Only a fixed clause and an int are interpolated; values go as parameters.
    sql = (
        "SELECT platform, entity_id, entity_name, value FROM m WHERE entity_type = ? "  # noqa: S608
        "AND metric = ? AND month = ? AND scope = 'public' AND NOT private"
        f"{extra} ORDER BY value DESC, entity_name LIMIT {int(limit)}"
    )
    rows = _query(sql, args, base)
    return [{"platform": p, "id": i, "name": n, "value": round(v, 4)} for p, i, n, v in rows]


def collaboration(*, month: str, base: Path | None = None) -> list[dict[str, Any]]:
    rows = _query(
        "SELECT entity_id, metric, value FROM m WHERE entity_type = 'collaboration' "
        "AND month = ? ORDER BY entity_id",
        [month],
        base,
    )
    edges: dict[str, dict[str, Any]] = {}
    for ident, metric, value in rows:
        source, _, target = ident.partition("|")
        edges.setdefault(ident, {"source": source, "target": target})[metric] = value
    return list(edges.values())


def repo_lookup(*, platform: str, name: str, base: Path | None = None) -> tuple[str, bool] | None:
    """(entity id, private) of a repository by its latest name on a platform, if computed."""
    rows = _query(
        "SELECT entity_id, bool_or(private) FROM m WHERE entity_type = 'repo' AND platform = ? "
        "AND lower(entity_name) = lower(?) GROUP BY entity_id ORDER BY max(month) DESC LIMIT 1",
        [platform, name],
        base,
    )
    return (str(rows[0][0]), bool(rows[0][1])) if rows else None


def sums(
    *,
    entity_type: str,
    entity_ids: list[str],
    metrics: list[str],
    platform: str = "nbopen",
    private_ids: list[str] | None = None,
    base: Path | None = None,
) -> Series:
    """Per metric and month, the sum over several entities (e.g. an organization's
    repositories). Private entities count only if listed in ``private_ids`` (the caller
    decided the principal may read them)."""
    if not entity_ids or not metrics:
        return {}
    rows = _query(
        "SELECT metric, month, sum(value) FROM m WHERE entity_type = ? AND platform = ? "
        "AND scope = 'public' AND entity_id IN (SELECT unnest(?)) "
        "AND metric IN (SELECT unnest(?)) "
        "AND (NOT private OR entity_id IN (SELECT unnest(?))) GROUP BY ALL ORDER BY month",
        [entity_type, platform, entity_ids, metrics, private_ids or []],
        base,
    )
    out: Series = defaultdict(dict)
    for metric, month, value in rows:
        out[metric][month] = value
    return dict(out)


def latest_values(
    *,
    entity_type: str,
    entity_ids: list[str],
    month: str,
    metrics: list[str],
    platform: str = "nbopen",
    private_ids: list[str] | None = None,
    base: Path | None = None,
) -> dict[str, dict[str, float]]:
    """entity id → metric → value in ``month``, for a table of several entities. Private
    entities only if listed in ``private_ids``."""
    if not entity_ids or not metrics:
        return {}
    rows = _query(
        "SELECT entity_id, metric, value FROM m WHERE entity_type = ? AND platform = ? "
        "AND month = ? AND scope = 'public' AND entity_id IN (SELECT unnest(?)) "
        "AND metric IN (SELECT unnest(?)) "
        "AND (NOT private OR entity_id IN (SELECT unnest(?)))",
        [entity_type, platform, month, entity_ids, metrics, private_ids or []],
        base,
    )
    out: dict[str, dict[str, float]] = defaultdict(dict)
    for ident, metric, value in rows:
        out[str(ident)][metric] = value
    return dict(out)


def external_repositories(
    *, platform: str, accounts: list[str], repos: list[str], base: Path | None = None
) -> list[tuple[str, str]]:
    """(entity id, latest name) of public repositories imported from ``platform`` whose owner
    is one of ``accounts`` or whose ``owner/name`` is in ``repos`` (case-insensitive): the
    GitHub/Gitee side of an organization, from its registry entries."""
    if not accounts and not repos:
        return []
    rows = _query(
        "SELECT entity_id, arg_max(entity_name, month) FROM m WHERE entity_type = 'repo' "
        "AND platform = ? AND NOT private AND (lower(split_part(entity_name, '/', 1)) IN "
        "(SELECT unnest(?)) OR lower(entity_name) IN (SELECT unnest(?))) "
        "GROUP BY entity_id ORDER BY 2",
        [platform, [a.lower() for a in accounts], [r.lower() for r in repos]],
        base,
    )
    return [(str(i), str(n)) for i, n in rows]
