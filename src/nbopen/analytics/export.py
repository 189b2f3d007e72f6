"""OpenDigger-compatible export: ``{platform}/{owner}/{repo}/{metric}.json`` and, for
developers, ``{platform}/{login}/{metric}.json``.

Each file is a flat object whose keys are ``"YYYY"``, ``"YYYYQn"`` and ``"YYYY-MM"``. Quarter
and year values are sums of the monthly values — what OpenDigger's own queries produce, since
they group per month first — for the additive metrics; the others (bus factor, contributor
counts, durations) are monthly only. Values are rounded to 2 decimals; zeros are omitted.
Duration metrics use OpenDigger's nested shape: ``{"avg": {...}, "levels": {...},
"quantile_0": {...}, … "quantile_4": {...}}``. Private repositories are never exported.
"""

from __future__ import annotations

import json
import os
import re
from collections import defaultdict
from pathlib import Path

from nbopen.analytics import store

ADDITIVE = {
    "activity",
    "openrank",
    "participants",
    "issue_comments",
    "open_issues",
    "open_pulls",
    "review_comments",
    "merged_pulls",
    "pushes",
    "commits",
    "stars",
    "forks",
    "attention",
    "downloads",
    "issues_new",
    "issues_closed",
    "change_requests",
    "change_requests_accepted",
    "releases",
    "new_contributors",
    "inactive_contributors",
}
MONTHLY_ONLY = {
    "bus_factor",
    "elephant_factor",
    "contributors",
    "pushers",
    "active_developers",
    "change_request_acceptance_ratio",
    "compass_activity",
}
FILE_NAMES = {"forks": "technical_fork"}
DURATIONS = (
    "issue_response_time",
    "change_request_response_time",
    "issue_resolution_duration",
    "change_request_resolution_duration",
)
_SAFE = re.compile(r"^[A-Za-z0-9_.-]+$")


def period_keys(month: str) -> tuple[str, str, str]:
    """``2024-05`` → (``2024``, ``2024Q2``, ``2024-05``)."""
    year, mon = month[:4], int(month[5:7])
    return year, f"{year}Q{(mon - 1) // 3 + 1}", month


def _round(value: float) -> float | int:
    rounded = round(value, 2)
    return int(rounded) if rounded == int(rounded) else rounded


def series(monthly: dict[str, float], *, additive: bool) -> dict[str, float | int]:
    """Monthly values → the flat OpenDigger object (roll-ups for additive metrics)."""
    totals: dict[str, float] = defaultdict(float)
    for month, value in monthly.items():
        year, quarter, _ = period_keys(month)
        totals[month] += value
        if additive:
            totals[year] += value
            totals[quarter] += value
    out: dict[str, float | int] = {}
    for key in sorted(totals):
        value = _round(totals[key])
        if value != 0:
            out[key] = value
    return out


def _write(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, sort_keys=True))
    os.replace(tmp, path)


def export(target: Path, *, base: Path | None = None) -> int:
    """Write every public repository's and developer's metrics; returns files written."""
    months = store.metric_months(base)
    if not months:
        return 0
    con = store.connect()
    try:
        files = store.parquet_list([store.metrics_file(m, base) for m in months])
        rows = con.execute(
            f"""
            SELECT regexp_extract(filename, 'month=([0-9]{{4}}-[0-9]{{2}})', 1) AS month,
              entity_type, platform, entity_id, entity_name, metric, value
            FROM read_parquet({files}, filename = true)
            WHERE entity_type IN ('repo', 'user') AND NOT private ORDER BY month
            """  # noqa: S608 (the file list comes from our own directory listing)
        ).fetchall()
    finally:
        con.close()
    # (type, platform, id) → latest name; → metric → month → value
    names: dict[tuple[str, str, str], str] = {}
    values: dict[tuple[str, str, str], dict[str, dict[str, float]]] = defaultdict(
        lambda: defaultdict(dict)
    )
    for month, etype, platform, ident, name, metric, value in rows:
        key = (etype, platform, ident)
        names[key] = name
        values[key][metric][month] = value
    written = 0
    for key, metrics in values.items():
        etype, platform, _ = key
        parts = names[key].split("/")
        if not all(_SAFE.match(p) and p not in {".", ".."} for p in [platform, *parts]):
            continue
        if (etype == "repo") != (len(parts) == 2):
            continue
        folder = target.joinpath(platform, *parts)
        for metric, monthly in metrics.items():
            if metric in ADDITIVE or metric in MONTHLY_ONLY:
                data = series(monthly, additive=metric in ADDITIVE)
                if data:
                    _write(folder / f"{FILE_NAMES.get(metric, metric)}.json", data)
                    written += 1
        for duration in DURATIONS:
            nested = _duration_file(metrics, duration)
            if nested:
                _write(folder / f"{duration}.json", nested)
                written += 1
    return written


def _duration_file(metrics: dict[str, dict[str, float]], name: str) -> dict[str, object]:
    out: dict[str, object] = {}
    avg = series(metrics.get(f"{name}.avg", {}), additive=False)
    if not avg and not metrics.get(f"{name}.levels_0"):
        return {}
    out["avg"] = avg
    for i in range(5):
        out[f"quantile_{i}"] = series(metrics.get(f"{name}.quantile_{i}", {}), additive=False)
    months = sorted({m for i in range(4) for m in metrics.get(f"{name}.levels_{i}", {})})
    out["levels"] = {
        m: [int(metrics.get(f"{name}.levels_{i}", {}).get(m, 0)) for i in range(4)] for m in months
    }
    return out
