"""The monthly computation: events of one month → ``metrics/month=M/metrics.parquet``.

Everything event-shaped runs in DuckDB over the month's Parquet files; only the OpenRank
iteration (numpy) and the OSS Compass score run in Python. Output is a long table of
``(entity_type, platform, entity_id, entity_name, metric, value, private, scope)`` rows:

* ``repo`` rows cover every repository, private ones flagged ``private`` (shown only to those
  who may read the repository);
* ``user``, ``kind`` and ``city`` rows and OpenRank use public events only, so public
  aggregates never contain a private repository's numbers;
* ``org`` rows exist twice: ``scope='public'`` (public events) and ``scope='members'`` (all
  events of the organization's repositories, for the organization's own members).

Re-running a month rewrites its one file. Months depend on the previous month's OpenRank,
so ``compute_all`` runs oldest first.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from nbopen.analytics import formulas as f
from nbopen.analytics import store
from nbopen.analytics.openrank import (
    ATTENUATION,
    DEFAULT_TOLERANCE,
    MonthGraph,
    global_openrank,
)

log = logging.getLogger(__name__)

LEGACY_MIN_OPENRANK = 1.0  # globalOpenrank.ts: inactive nodes keep 0.85× while above this
INACTIVE_MONTHS = 6

METRIC_SCHEMA = pa.schema(
    [
        ("entity_type", pa.string()),
        ("platform", pa.string()),
        ("entity_id", pa.string()),
        ("entity_name", pa.string()),
        ("metric", pa.string()),
        ("value", pa.float64()),
        ("private", pa.bool_()),
        ("scope", pa.string()),
    ]
)


@dataclass(frozen=True)
class Affiliations:
    """Context from the database: registry, organizations, memberships."""

    # (platform, lower login or owner/name) → NBopen organization name
    registry: dict[tuple[str, str], str] = field(default_factory=dict)
    # NBopen organization name → kind
    org_kinds: dict[str, str] = field(default_factory=dict)
    # (platform, developer id) → organization name (a developer counts for one organization)
    developers: dict[tuple[str, int], str] = field(default_factory=dict)


def shift_month(month: str, delta: int) -> str:
    year, mon = int(month[:4]), int(month[5:7])
    index = year * 12 + (mon - 1) + delta
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _months_between(first: str, last: str) -> int:
    return (int(last[:4]) * 12 + int(last[5:7])) - (int(first[:4]) * 12 + int(first[5:7]))


def _register(con: duckdb.DuckDBPyConnection, ctx: Affiliations) -> None:
    reg = pa.table(
        {
            "platform": [p for p, _ in ctx.registry],
            "login_lower": [login for _, login in ctx.registry],
            "org_name": list(ctx.registry.values()),
        },
        schema=pa.schema(
            [("platform", pa.string()), ("login_lower", pa.string()), ("org_name", pa.string())]
        ),
    )
    orgs = pa.table(
        {"org_name": list(ctx.org_kinds), "kind": list(ctx.org_kinds.values())},
        schema=pa.schema([("org_name", pa.string()), ("kind", pa.string())]),
    )
    aff = pa.table(
        {
            "platform": [p for p, _ in ctx.developers],
            "dev_id": [d for _, d in ctx.developers],
            "org_name": list(ctx.developers.values()),
        },
        schema=pa.schema(
            [("platform", pa.string()), ("dev_id", pa.int64()), ("org_name", pa.string())]
        ),
    )
    con.register("reg_arrow", reg)
    con.register("orgs_arrow", orgs)
    con.register("aff_arrow", aff)
    con.execute("CREATE TEMP TABLE reg AS SELECT * FROM reg_arrow")
    con.execute("CREATE TEMP TABLE orgs AS SELECT * FROM orgs_arrow")
    con.execute("CREATE TEMP TABLE aff_ids AS SELECT * FROM aff_arrow")


_MERGED = "type = 'PullRequestEvent' AND action = 'closed' AND pull_merged"

# Per (repository, developer): OpenDigger's activity counts. A merged PR is credited to the
# PR's author, not to whoever pressed the button.
_DEV_REPO = f"""
CREATE TEMP TABLE dev_repo AS
SELECT platform, repo_id, private, dev_id,
  arg_max(dev_login, created_at) AS dev_login,
  count(DISTINCT comment_id) FILTER (WHERE type = 'IssueCommentEvent' AND action = 'created')
    AS ic,
  count(DISTINCT issue_id) FILTER (WHERE type = 'IssuesEvent' AND action = 'opened') AS oi,
  count(DISTINCT issue_id) FILTER (WHERE type = 'PullRequestEvent' AND action = 'opened') AS op,
  count(DISTINCT comment_id) FILTER (
    WHERE type = 'PullRequestReviewCommentEvent' AND action IN ('created', 'added')) AS rc,
  count(DISTINCT issue_id) FILTER (WHERE {_MERGED}) AS mp
FROM (
  SELECT *,
    CASE WHEN {_MERGED} THEN issue_author_id ELSE actor_id END AS dev_id,
    CASE WHEN {_MERGED} THEN issue_author_login ELSE actor_login END AS dev_login
  FROM ev
  WHERE type IN ('IssuesEvent', 'IssueCommentEvent', 'PullRequestEvent',
                 'PullRequestReviewCommentEvent')
)
WHERE dev_id IS NOT NULL
GROUP BY ALL
"""  # noqa: S608

_ACTIVITY = (
    f"sqrt({f.ISSUE_COMMENT_WEIGHT} * ic + {f.OPEN_ISSUE_WEIGHT} * oi + {f.OPEN_PULL_WEIGHT} * op"
    f" + {f.REVIEW_COMMENT_WEIGHT} * rc + {f.PULL_MERGED_WEIGHT} * mp)"
)

# Per (repository, actor): OpenRank's collaboration weight (public events).
_PAIRS = f"""
SELECT platform, repo_id, actor_id, arg_max(actor_login, created_at) AS login,
  round(
    {f.OR_OPEN_ISSUE} * count(*) FILTER (
        WHERE type = 'IssuesEvent' AND action = 'opened')
  + {f.OR_ISSUE_COMMENT} * count(*) FILTER (WHERE type = 'IssueCommentEvent')
  + {f.OR_CLOSE_ISSUE} * count(*) FILTER (
        WHERE type = 'IssuesEvent' AND action = 'closed')
  + {f.OR_REVIEW_COMMENT} * count(*) FILTER (
        WHERE type = 'PullRequestReviewCommentEvent')
  + {f.OR_OPEN_PULL} * count(*) FILTER (
        WHERE type = 'PullRequestEvent' AND action = 'opened')
  + {f.OR_PUSH} * count(*) FILTER (WHERE type = 'PushEvent'), 3) AS a,
  count(*) FILTER (WHERE (type = 'IssuesEvent' AND action IN ('opened', 'closed'))
    OR type IN ('IssueCommentEvent', 'PullRequestReviewCommentEvent')
    OR (type = 'PullRequestEvent' AND action = 'opened')) AS valid
FROM ev
WHERE NOT private AND actor_id IS NOT NULL AND type IN ('IssuesEvent', 'IssueCommentEvent',
  'PullRequestEvent', 'PullRequestReviewCommentEvent', 'PushEvent')
GROUP BY platform, repo_id, actor_id
HAVING a > 0 AND valid > 0 AND login NOT LIKE '%[bot]'
"""  # noqa: S608


# Per (repository, actor): plain event counts, the base of most repository/org/city counts.
_PER_ACTOR = """
CREATE TEMP TABLE per_actor AS
SELECT platform, repo_id, actor_id, bool_or(private) AS private,
  count(*) FILTER (WHERE type = 'PushEvent') AS pushes,
  sum(coalesce(commits, 1)) FILTER (WHERE type = 'PushEvent') AS commits,
  count(*) FILTER (WHERE type = 'WatchEvent') AS stars,
  count(*) FILTER (WHERE type = 'ForkEvent') AS forks,
  count(*) FILTER (WHERE type = 'DownloadEvent') AS downloads,
  count(*) FILTER (WHERE type = 'ReleaseEvent') AS releases,
  count(*) FILTER (WHERE type <> 'WatchEvent') AS events,
  count(*) AS all_events
FROM ev WHERE repo_id IS NOT NULL GROUP BY platform, repo_id, actor_id
"""


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[Any]:
    return con.execute(sql, params or []).fetchall()


def compute_month(
    month: str,
    ctx: Affiliations,
    *,
    base: Path | None = None,
    memory_limit: str = "4GB",
    tolerance: float = DEFAULT_TOLERANCE,
) -> int:
    """Compute and write one month's metrics; returns the number of metric rows written."""
    store.check_month(month)
    files = store.month_event_files(month, base)
    out = store.metrics_file(month, base)
    if not files:
        # A quiet month: only the attenuated OpenRank of last month's nodes carries over.
        legacy = [
            (
                "repo" if key[0] == "r" else "user",
                p,
                i,
                n,
                "openrank",
                v * ATTENUATION,
                False,
                "public",
            )
            for key, (v, (p, i, n)) in _last_openrank(month, base).items()
            if v > LEGACY_MIN_OPENRANK
        ]
        if not legacy:
            out.unlink(missing_ok=True)
            return 0
        _write(out, legacy)
        return len(legacy)
    con = store.connect(memory_limit)
    try:
        return _compute(con, month, files, ctx, base, out, tolerance)
    finally:
        con.close()


def _compute(
    con: duckdb.DuckDBPyConnection,
    month: str,
    files: list[Path],
    ctx: Affiliations,
    base: Path | None,
    out: Path,
    tolerance: float,
) -> int:
    _register(con, ctx)
    con.execute(
        # Sources never overlap (one file per GH Archive hour, per platform month), so
        # events are not de-duplicated here; that would cost a third of the run.
        "CREATE TEMP TABLE ev AS SELECT * EXCLUDE (month) FROM read_parquet("  # noqa: S608
        f"{store.parquet_list(files)}, hive_partitioning = true, union_by_name = true)"
    )
    con.execute(_PER_ACTOR)
    # Developers' organizations: platform memberships by id, registry accounts by login
    # (GH Archive gives ids; the registry holds logins). One organization per developer.
    con.execute(
        """
        CREATE TEMP TABLE aff AS
        SELECT platform, dev_id, min(org_name) AS org_name FROM (
          SELECT platform, dev_id, org_name FROM aff_ids
          UNION ALL
          SELECT e.platform, e.actor_id, r.org_name
          FROM (SELECT DISTINCT platform, actor_id, lower(actor_login) AS login FROM ev
                WHERE actor_id IS NOT NULL
                UNION SELECT DISTINCT platform, issue_author_id, lower(issue_author_login) FROM ev
                WHERE issue_author_id IS NOT NULL) e
          JOIN reg r ON r.platform = e.platform AND r.login_lower = e.login
        ) GROUP BY ALL
        """
    )
    con.execute(_DEV_REPO)
    con.execute("ALTER TABLE dev_repo ADD COLUMN activity DOUBLE DEFAULT 0")
    con.execute(f"UPDATE dev_repo SET activity = {_ACTIVITY}")  # noqa: S608
    # Repositories seen this month, their latest name, and the NBopen organization they count for.
    con.execute(
        """
        CREATE TEMP TABLE repos AS
        SELECT r.*, o.kind AS org_kind FROM (
          SELECT r.platform, r.repo_id, r.repo_name, r.private,
            coalesce(CASE WHEN r.platform = 'nbopen' AND r.org_login <> '' THEN r.org_login END,
                     rr.org_name, ro.org_name, rg.org_name) AS org_name
          FROM (
            SELECT platform, repo_id, arg_max(repo_name, created_at) AS repo_name,
              bool_or(private) AS private, arg_max(org_login, created_at) AS org_login
            FROM ev WHERE repo_id IS NOT NULL GROUP BY platform, repo_id
          ) r
          LEFT JOIN reg rr ON rr.platform = r.platform AND rr.login_lower = lower(r.repo_name)
          LEFT JOIN reg ro ON ro.platform = r.platform
            AND ro.login_lower = lower(split_part(r.repo_name, '/', 1))
          LEFT JOIN reg rg ON rg.platform = r.platform AND rg.login_lower = lower(r.org_login)
        ) r LEFT JOIN orgs o USING (org_name)
        """
    )
    rows: list[tuple[Any, ...]] = []
    rows += _repo_metrics(con, month, base)
    rows += _derived(rows)
    rows += _openrank(con, month, base, tolerance)
    rows += _user_metrics(con)
    for scope in ("public", "members"):
        rows += _org_metrics(con, scope)
    rows += _kind_and_city(con, rows)
    _write(out, rows)
    return len(rows)


def _write(out: Path, rows: list[tuple[Any, ...]]) -> None:
    columns: list[Any] = list(zip(*rows, strict=True)) if rows else [() for _ in METRIC_SCHEMA]
    table = pa.table(
        {
            name: pa.array(col, type=METRIC_SCHEMA.field(name).type)
            for name, col in zip(METRIC_SCHEMA.names, columns, strict=True)
        },
        schema=METRIC_SCHEMA,
    )
    store.write_atomic(out, table)


def _emit(
    result: Iterable[tuple[Any, ...]],
    entity_type: str,
    metrics: list[str],
    scope: str = "public",
) -> list[tuple[Any, ...]]:
    """Rows ``(platform, id, name, private, m1, m2, …)`` → long metric rows (nulls dropped)."""
    out = []
    for platform, ident, name, private, *values in result:
        for metric, value in zip(metrics, values, strict=True):
            if value is None:
                continue
            out.append(
                (
                    entity_type,
                    platform,
                    str(ident),
                    name,
                    metric,
                    float(value),
                    bool(private),
                    scope,
                )
            )
    return out


def _repo_metrics(
    con: duckdb.DuckDBPyConnection, month: str, base: Path | None
) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    counts = [
        "activity",
        "participants",
        "issue_comments",
        "open_issues",
        "open_pulls",
        "review_comments",
        "merged_pulls",
        "bus_factor",
    ]
    rows += _emit(
        _rows(
            con,
            """
            WITH d AS (SELECT * FROM dev_repo WHERE activity > 0),
            ranked AS (
              SELECT platform, repo_id, activity,
                sum(activity) OVER (PARTITION BY platform, repo_id ORDER BY activity DESC
                  ROWS UNBOUNDED PRECEDING) AS running,
                sum(activity) OVER (PARTITION BY platform, repo_id) AS total
              FROM d),
            cut AS (SELECT platform, repo_id, max(activity) FILTER (WHERE running * 2 >= total)
                    AS v FROM ranked GROUP BY ALL)
            SELECT r.platform, r.repo_id, r.repo_name, r.private,
              round(sum(d.activity), 2), count(*), sum(ic), sum(oi), sum(op), sum(rc), sum(mp),
              count(*) FILTER (WHERE d.activity >= c.v)
            FROM d JOIN repos r USING (platform, repo_id) JOIN cut c USING (platform, repo_id)
            GROUP BY ALL
            """,
        ),
        "repo",
        counts,
    )
    rows += _emit(
        _rows(
            con,
            f"""
            WITH a AS (
              SELECT platform, repo_id, sum(pushes) AS pushes, sum(commits) AS commits,
                count(*) FILTER (WHERE pushes > 0) AS pushers,
                count(*) FILTER (WHERE stars > 0) AS stars,
                count(*) FILTER (WHERE forks > 0) AS forks,
                sum(downloads) AS downloads, sum(releases) AS releases,
                count(actor_id) AS developers
              FROM per_actor GROUP BY ALL),
            items AS (
              SELECT platform, repo_id, issue_id,
                bool_or(type = 'IssuesEvent' AND action = 'opened' AND NOT is_pull) AS i_new,
                bool_or(type = 'IssuesEvent' AND action = 'closed' AND NOT is_pull) AS i_closed,
                bool_or(type = 'PullRequestEvent' AND action = 'opened') AS cr_new,
                bool_or({_MERGED}) AS cr_merged,
                bool_or(type = 'PullRequestEvent' AND action = 'closed') AS cr_closed
              FROM ev WHERE issue_id IS NOT NULL AND type IN ('IssuesEvent', 'PullRequestEvent')
              GROUP BY ALL),
            i AS (
              SELECT platform, repo_id, count(*) FILTER (WHERE i_new) AS i_new,
                count(*) FILTER (WHERE i_closed) AS i_closed,
                count(*) FILTER (WHERE cr_new) AS cr_new,
                count(*) FILTER (WHERE cr_merged) AS cr_merged,
                count(*) FILTER (WHERE cr_closed) AS cr_closed
              FROM items GROUP BY ALL),
            m AS (
              SELECT platform, repo_id, count(DISTINCT issue_author_id) AS contributors
              FROM ev WHERE {_MERGED} GROUP BY ALL)
            SELECT r.platform, r.repo_id, r.repo_name, r.private,
              a.pushes, a.commits, a.pushers, a.stars, a.forks, a.stars + 2 * a.forks,
              a.downloads, i.i_new, i.i_closed, i.cr_new, i.cr_merged, i.cr_closed, a.releases,
              m.contributors, a.developers
            FROM repos r JOIN a USING (platform, repo_id) LEFT JOIN i USING (platform, repo_id)
              LEFT JOIN m USING (platform, repo_id)
            """,  # noqa: S608
        ),
        "repo",
        [
            "pushes",
            "commits",
            "pushers",
            "stars",
            "forks",
            "attention",
            "downloads",
            "issues_new",
            "issues_closed",
            "change_requests",
            "change_requests_accepted",
            "change_requests_closed",
            "releases",
            "contributors",
            "active_developers",
        ],
    )
    rows += _contributor_history(con, month, base)
    rows += _durations(con, month, base)
    rows += _elephant(con)
    return rows


WEEKS_PER_MONTH = 4.345


def _derived(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Per-repository ratios and the OSS Compass–style activity score, from this month only.

    Compass uses 90-day windows and GitHub API fields; here each input is taken from the one
    month: contributor_count = active developers, commit_frequency = commits per week,
    updated_since = 0 if pushed this month else 1 (months), org_count = affiliated
    organizations, comment_frequency = issue comments per updated issue, code_review_count =
    review comments per change request, updated_issues_count = issues opened or closed,
    recent_releases = releases.
    """
    by_repo: dict[tuple[str, str], dict[str, Any]] = {}
    for etype, platform, ident, name, metric, value, private, _ in rows:
        if etype == "repo":
            entry = by_repo.setdefault((platform, ident), {"name": name, "private": private})
            entry[metric] = value
    out: list[tuple[Any, ...]] = []
    for (platform, ident), m in by_repo.items():
        head = ("repo", platform, ident, m["name"])
        tail = (bool(m["private"]), "public")
        closed = m.get("change_requests_closed", 0.0)
        if closed:
            ratio = m.get("change_requests_accepted", 0.0) / closed
            out.append((*head, "change_request_acceptance_ratio", ratio, *tail))
        issues = m.get("issues_new", 0.0) + m.get("issues_closed", 0.0)
        prs = m.get("change_requests", 0.0)
        inputs = {
            "contributor_count": m.get("active_developers", 0.0),
            "commit_frequency": m.get("commits", 0.0) / WEEKS_PER_MONTH,
            "updated_since": 0.0 if m.get("pushes") else 1.0,
            "org_count": m.get("organizations", 0.0),
            "comment_frequency": m.get("issue_comments", 0.0) / issues if issues else 0.0,
            "code_review_count": m.get("review_comments", 0.0) / prs if prs else 0.0,
            "updated_issues_count": issues,
            "recent_releases": m.get("releases", 0.0),
        }
        out.append((*head, "compass_activity", f.compass_score(inputs), *tail))
    return out


def _contributor_history(
    con: duckdb.DuckDBPyConnection, month: str, base: Path | None
) -> list[tuple[Any, ...]]:
    """New contributors (first merged PR ever, this month) and those who went inactive (last
    merged PR exactly ``INACTIVE_MONTHS`` months ago, none since)."""
    months = [m for m in store.event_months(base) if m <= month]
    files = [p for m in months for p in store.month_event_files(m, base)]
    con.execute(
        "CREATE TEMP TABLE contrib AS SELECT platform, repo_id, issue_author_id AS dev_id, "  # noqa: S608
        "min(month) AS first_month, max(month) AS last_month FROM read_parquet("
        f"{store.parquet_list(files)}, hive_partitioning = true, union_by_name = true) "
        f"WHERE {_MERGED} AND issue_author_id IS NOT NULL GROUP BY ALL"
    )
    gone = shift_month(month, -INACTIVE_MONTHS)
    return _emit(
        _rows(
            con,
            """
            SELECT r.platform, r.repo_id, r.repo_name, r.private,
              count(*) FILTER (WHERE first_month = ?), count(*) FILTER (WHERE last_month = ?)
            FROM contrib JOIN repos r USING (platform, repo_id) GROUP BY ALL
            """,
            [month, gone],
        ),
        "repo",
        ["new_contributors", "inactive_contributors"],
    )


def _durations(
    con: duckdb.DuckDBPyConnection, month: str, base: Path | None
) -> list[tuple[Any, ...]]:
    """Issue and change-request response times (opened this month; responses looked for in
    this and the next month; none → 15 days) and resolution durations (closed this month)."""
    later = store.month_event_files(shift_month(month, 1), base)
    if later:
        con.execute(
            "CREATE TEMP TABLE ev_next AS SELECT * EXCLUDE (month) FROM read_parquet("  # noqa: S608
            f"{store.parquet_list(later)}, hive_partitioning = true, union_by_name = true) "
            "WHERE issue_id IS NOT NULL"
        )
    else:
        con.execute("CREATE TEMP TABLE ev_next AS SELECT * FROM ev WHERE false")
    con.execute(
        f"""
        CREATE TEMP TABLE durations AS
        WITH opened AS (
          SELECT platform, repo_id, issue_id, bool_or(is_pull) AS is_pull,
            min(created_at) AS t0, arg_min(actor_id, created_at) AS author
          FROM ev WHERE action = 'opened' AND type IN ('IssuesEvent', 'PullRequestEvent')
          GROUP BY ALL),
        reactions AS (
          SELECT platform, repo_id, issue_id, actor_id, created_at FROM (
            SELECT * FROM ev UNION ALL BY NAME SELECT * FROM ev_next)
          WHERE type IN ('IssueCommentEvent', 'PullRequestReviewCommentEvent',
                         'PullRequestReviewEvent')
             OR (type IN ('IssuesEvent', 'PullRequestEvent') AND action = 'closed')),
        response AS (
          SELECT o.platform, o.repo_id, o.is_pull,
            coalesce(min(epoch(x.created_at) - epoch(o.t0)) / 86400.0, {f.NO_RESPONSE_DAYS})
              AS days
          FROM opened o LEFT JOIN reactions x ON x.platform = o.platform
            AND x.repo_id = o.repo_id AND x.issue_id = o.issue_id
            AND x.actor_id IS DISTINCT FROM o.author AND x.created_at >= o.t0
          GROUP BY o.platform, o.repo_id, o.issue_id, o.is_pull),
        resolution AS (
          SELECT platform, repo_id, type = 'PullRequestEvent' AS is_pull,
            (epoch(max(created_at)) - epoch(min(issue_created_at))) / 86400.0 AS days
          FROM ev WHERE action = 'closed' AND issue_created_at IS NOT NULL
            AND ((type = 'IssuesEvent' AND NOT is_pull) OR type = 'PullRequestEvent')
          GROUP BY platform, repo_id, issue_id, type)
        SELECT platform, repo_id,
          CASE WHEN is_pull THEN 'change_request_response_time'
               ELSE 'issue_response_time' END AS metric, days FROM response
        UNION ALL
        SELECT platform, repo_id,
          CASE WHEN is_pull THEN 'change_request_resolution_duration'
               ELSE 'issue_resolution_duration' END, days FROM resolution
        """  # noqa: S608
    )
    result = _rows(
        con,
        f"""
        SELECT r.platform, r.repo_id, r.repo_name, r.private, d.metric, avg(days),
          quantile_cont(days, [0, 0.25, 0.5, 0.75, 1]),
          count(*) FILTER (WHERE days <= {f.LEVEL_BOUNDS[0]}),
          count(*) FILTER (WHERE days > {f.LEVEL_BOUNDS[0]} AND days <= {f.LEVEL_BOUNDS[1]}),
          count(*) FILTER (WHERE days > {f.LEVEL_BOUNDS[1]} AND days <= {f.LEVEL_BOUNDS[2]}),
          count(*) FILTER (WHERE days > {f.LEVEL_BOUNDS[2]})
        FROM durations d JOIN repos r USING (platform, repo_id) GROUP BY ALL
        """,  # noqa: S608
    )
    out = []
    for platform, rid, name, private, metric, avg, qs, *levels in result:
        values = [("avg", avg)] + [(f"quantile_{i}", q) for i, q in enumerate(qs)]
        values += [(f"levels_{i}", n) for i, n in enumerate(levels)]
        for suffix, value in values:
            out.append(
                (
                    "repo",
                    platform,
                    str(rid),
                    name,
                    f"{metric}.{suffix}",
                    float(value),
                    bool(private),
                    "public",
                )
            )
    return out


def _elephant(con: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
    """Elephant factor: bus factor over the organizations developers are affiliated with
    (activity of unaffiliated developers is left out: their employer is unknown)."""
    return _emit(
        _rows(
            con,
            """
            WITH per_org AS (
              SELECT d.platform, d.repo_id, a.org_name, sum(d.activity) AS activity
              FROM dev_repo d JOIN aff a ON a.platform = d.platform AND a.dev_id = d.dev_id
              WHERE d.activity > 0 GROUP BY ALL),
            ranked AS (
              SELECT *, sum(activity) OVER (PARTITION BY platform, repo_id ORDER BY activity DESC
                  ROWS UNBOUNDED PRECEDING) AS running,
                sum(activity) OVER (PARTITION BY platform, repo_id) AS total FROM per_org),
            cut AS (SELECT platform, repo_id, max(activity) FILTER (WHERE running * 2 >= total)
                    AS v FROM ranked GROUP BY ALL)
            SELECT r.platform, r.repo_id, r.repo_name, r.private,
              count(*) FILTER (WHERE p.activity >= c.v), count(*)
            FROM per_org p JOIN cut c USING (platform, repo_id)
              JOIN repos r USING (platform, repo_id)
            GROUP BY ALL
            """,
        ),
        "repo",
        ["elephant_factor", "organizations"],
    )


def _openrank(
    con: duckdb.DuckDBPyConnection, month: str, base: Path | None, tolerance: float
) -> list[tuple[Any, ...]]:
    """Global OpenRank over public events, carrying last month's values (0.85×)."""
    pairs = _rows(con, _PAIRS)
    user_repos: dict[str, int] = {}
    for platform, _rid, uid, _login, _a, _v in pairs:
        key = f"u:{platform}:{uid}"
        user_repos[key] = user_repos.get(key, 0) + 1
    graph_pairs: dict[tuple[str, str], float] = {}
    names: dict[str, tuple[str, str, str]] = {}
    for platform, rid, uid, login, a, _valid in pairs:
        ukey = f"u:{platform}:{uid}"
        if user_repos[ukey] > f.MAX_USER_REPOS:
            continue
        rkey = f"r:{platform}:{rid}"
        graph_pairs[(rkey, ukey)] = float(a)
        names[ukey] = (platform, str(uid), login)
    for platform, rid, name in _rows(
        con, "SELECT platform, repo_id, repo_name FROM repos WHERE NOT private"
    ):
        names[f"r:{platform}:{rid}"] = (platform, str(rid), name)
    last = _last_openrank(month, base)
    values = global_openrank(
        MonthGraph(
            pairs=graph_pairs, last_values={k: v * ATTENUATION for k, (v, _) in last.items()}
        ),
        tolerance=tolerance,
    )
    out = []
    for key, value in values.items():
        platform, ident, name = names[key]
        out.append(
            (
                "repo" if key[0] == "r" else "user",
                platform,
                ident,
                name,
                "openrank",
                value,
                False,
                "public",
            )
        )
    for key, (value, (platform, ident, name)) in last.items():
        if key not in values and value > LEGACY_MIN_OPENRANK:
            out.append(
                (
                    "repo" if key[0] == "r" else "user",
                    platform,
                    ident,
                    name,
                    "openrank",
                    value * ATTENUATION,
                    False,
                    "public",
                )
            )
    con.register(
        "or_arrow",
        pa.table(
            {
                "entity_type": [r[0] for r in out],
                "platform": [r[1] for r in out],
                "entity_id": [r[2] for r in out],
                "value": [r[5] for r in out],
            },
            schema=pa.schema(
                [
                    ("entity_type", pa.string()),
                    ("platform", pa.string()),
                    ("entity_id", pa.string()),
                    ("value", pa.float64()),
                ]
            ),
        ),
    )
    con.execute("CREATE TEMP TABLE or_vals AS SELECT * FROM or_arrow")
    return out


def _last_openrank(month: str, base: Path | None) -> dict[str, tuple[float, tuple[str, str, str]]]:
    path = store.metrics_file(shift_month(month, -1), base)
    if not path.exists():
        return {}
    con = duckdb.connect(":memory:")
    try:
        result = con.execute(
            "SELECT entity_type, platform, entity_id, entity_name, value FROM read_parquet(?) "
            "WHERE metric = 'openrank' AND entity_type IN ('repo', 'user')",
            [str(path)],
        ).fetchall()
    finally:
        con.close()
    return {
        f"{'r' if t == 'repo' else 'u'}:{p}:{i}": (float(v), (p, i, n)) for t, p, i, n, v in result
    }


def _user_metrics(con: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
    """Developers over public repositories: activity is the sum of per-repository terms."""
    rows = _emit(
        _rows(
            con,
            """
            SELECT platform, dev_id, arg_max(dev_login, activity), false,
              round(sum(activity), 2), sum(ic), sum(oi), sum(op), sum(rc), sum(mp),
              count(*) FILTER (WHERE activity > 0)
            FROM dev_repo WHERE NOT private GROUP BY platform, dev_id
            HAVING sum(activity) > 0
            """,
        ),
        "user",
        [
            "activity",
            "issue_comments",
            "open_issues",
            "open_pulls",
            "review_comments",
            "merged_pulls",
            "repositories",
        ],
    )
    rows += _emit(
        _rows(
            con,
            """
            SELECT platform, actor_id, arg_max(actor_login, created_at), false,
              count(*), sum(coalesce(commits, 1))
            FROM ev WHERE NOT private AND type = 'PushEvent' AND actor_id IS NOT NULL
            GROUP BY platform, actor_id
            """,
        ),
        "user",
        ["pushes", "commits"],
    )
    return rows


def _org_metrics(con: duckdb.DuckDBPyConnection, scope: str) -> list[tuple[Any, ...]]:
    """Per NBopen organization, over the repositories attributed to it."""
    visible = "true" if scope == "members" else "NOT r.private"
    rows = _emit(
        _rows(
            con,
            f"""
            WITH d AS (
              SELECT r.org_name, d.dev_id, d.platform, sum(d.activity) AS activity
              FROM dev_repo d JOIN repos r USING (platform, repo_id)
              WHERE r.org_name IS NOT NULL AND {visible} AND d.activity > 0 GROUP BY ALL),
            ranked AS (
              SELECT *, sum(activity) OVER (PARTITION BY org_name ORDER BY activity DESC
                  ROWS UNBOUNDED PRECEDING) AS running,
                sum(activity) OVER (PARTITION BY org_name) AS total FROM d),
            cut AS (SELECT org_name, max(activity) FILTER (WHERE running * 2 >= total) AS v
                    FROM ranked GROUP BY ALL)
            SELECT 'all', org_name, org_name, false, round(sum(activity), 2), count(*),
              count(*) FILTER (WHERE activity >= c.v)
            FROM d JOIN cut c USING (org_name) GROUP BY ALL
            """,  # noqa: S608
        ),
        "org",
        ["activity", "participants", "bus_factor"],
        scope,
    )
    rows += _emit(
        _rows(
            con,
            f"""
            WITH m AS (SELECT DISTINCT platform, repo_id, issue_author_id FROM ev
                       WHERE {_MERGED} AND issue_author_id IS NOT NULL)
            SELECT 'all', r.org_name, r.org_name, false,
              count(DISTINCT (p.platform, p.repo_id)),
              count(DISTINCT (p.platform, p.actor_id)) FILTER (WHERE p.actor_id IS NOT NULL),
              sum(p.pushes), count(*) FILTER (WHERE p.stars > 0),
              count(*) FILTER (WHERE p.forks > 0),
              (SELECT count(DISTINCT (m.platform, m.issue_author_id)) FROM m
                 JOIN repos r2 USING (platform, repo_id)
                 WHERE r2.org_name = r.org_name AND {visible.replace("r.", "r2.")}),
              sum(p.downloads)
            FROM per_actor p JOIN repos r USING (platform, repo_id)
            WHERE r.org_name IS NOT NULL AND {visible} GROUP BY ALL
            """,  # noqa: S608
        ),
        "org",
        [
            "active_repositories",
            "active_developers",
            "pushes",
            "stars",
            "forks",
            "contributors",
            "downloads",
        ],
        scope,
    )
    rows += _emit(
        _rows(
            con,
            """
            SELECT 'all', r.org_name, r.org_name, false, sum(o.value)
            FROM or_vals o JOIN repos r ON o.entity_type = 'repo' AND o.platform = r.platform
              AND o.entity_id = CAST(r.repo_id AS VARCHAR)
            WHERE r.org_name IS NOT NULL GROUP BY ALL
            """,
        ),
        "org",
        ["openrank"],
        scope,
    )
    # Affiliated developers active anywhere (public events, or all for members).
    ev_visible = "true" if scope == "members" else "NOT p.private"
    rows += _emit(
        _rows(
            con,
            f"""
            SELECT 'all', a.org_name, a.org_name, false, count(DISTINCT (p.platform, p.actor_id))
            FROM per_actor p JOIN aff a ON a.platform = p.platform AND a.dev_id = p.actor_id
            WHERE {ev_visible} GROUP BY ALL
            """,  # noqa: S608
        ),
        "org",
        ["affiliated_developers"],
        scope,
    )
    if scope == "public":
        rows += _collaboration(con)
    return rows


def _collaboration(con: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
    """Edges between organizations: developers of one active in another's public
    repositories (pushes, issues, PRs, comments — any event but stars)."""
    result = _rows(
        con,
        """
        SELECT a.org_name AS source, r.org_name AS target,
          count(DISTINCT (p.platform, p.actor_id)) AS developers, sum(p.events) AS events
        FROM per_actor p JOIN repos r USING (platform, repo_id)
          JOIN aff a ON a.platform = p.platform AND a.dev_id = p.actor_id
        WHERE NOT p.private AND r.org_name IS NOT NULL AND a.org_name <> r.org_name
          AND p.events > 0
        GROUP BY ALL
        """,
    )
    out = []
    for source, target, developers, events in result:
        ident = f"{source}|{target}"
        for metric, value in (("developers", developers), ("events", events)):
            out.append(
                ("collaboration", "all", ident, ident, metric, float(value), False, "public")
            )
    return out


def _kind_and_city(
    con: duckdb.DuckDBPyConnection, rows: list[tuple[Any, ...]]
) -> list[tuple[Any, ...]]:
    """Organization kinds and the whole city, from public events only."""
    out = _emit(
        _rows(
            con,
            """
            WITH d AS (SELECT r.org_kind, d.* FROM dev_repo d JOIN repos r USING (platform, repo_id)
                       WHERE NOT r.private AND r.org_kind IS NOT NULL)
            SELECT 'all', org_kind, org_kind, false, round(sum(activity), 2),
              count(DISTINCT (platform, dev_id)) FILTER (WHERE activity > 0)
            FROM d GROUP BY ALL
            """,
        ),
        "kind",
        ["activity", "participants"],
    )
    out += _emit(
        _rows(
            con,
            """
            SELECT 'all', r.org_kind, r.org_kind, false, count(DISTINCT r.org_name),
              count(DISTINCT (r.platform, r.repo_id)), sum(o.value)
            FROM repos r LEFT JOIN or_vals o ON o.entity_type = 'repo'
              AND o.platform = r.platform AND o.entity_id = CAST(r.repo_id AS VARCHAR)
            WHERE NOT r.private AND r.org_kind IS NOT NULL GROUP BY ALL
            """,
        ),
        "kind",
        ["active_organizations", "active_repositories", "openrank"],
    )
    out += _emit(
        _rows(
            con,
            """
            SELECT 'all', 'city', 'city', false,
              (SELECT round(sum(activity), 2) FROM dev_repo WHERE NOT private),
              (SELECT count(DISTINCT (platform, dev_id)) FROM dev_repo
                 WHERE NOT private AND activity > 0),
              count(DISTINCT (platform, actor_id)) FILTER (WHERE actor_id IS NOT NULL),
              count(DISTINCT (platform, repo_id)),
              sum(pushes), count(*) FILTER (WHERE stars > 0), count(*) FILTER (WHERE forks > 0),
              sum(all_events),
              (SELECT sum(value) FROM or_vals WHERE entity_type = 'repo'),
              (SELECT count(DISTINCT org_name) FROM repos WHERE NOT private)
            FROM per_actor WHERE NOT private
            """,
        ),
        "city",
        [
            "activity",
            "participants",
            "active_developers",
            "active_repositories",
            "pushes",
            "stars",
            "forks",
            "events",
            "openrank",
            "active_organizations",
        ],
    )
    return out
