"""The monthly computation: events of one month → ``metrics/month=M/metrics.parquet``.

Everything event-shaped runs in SQL over the month's Parquet files; only the OpenRank
iteration (numpy, on dense arrays) and the OSS Compass score (per repository) run in Python.
The event-sized aggregations (``engines.AGGREGATES``: per repository × actor counts,
activity counts, the OpenRank collaboration pairs, contributor sets) run on the configured
engine — DuckDB embedded, or Apache Spark (``NBOPEN_ANALYTICS_ENGINE=spark``) — and the
entity-sized rest runs in DuckDB either way, so both engines give the same metrics.

Memory stays bounded: DuckDB works in a scratch database file with a memory limit and a
spill directory, metric rows are built by SQL (``UNPIVOT``) into a table that DuckDB copies to
Parquet, and no per-event or per-developer Python object is created. Output is a long table of
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
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from nbopen.analytics import engines, store
from nbopen.analytics import formulas as f
from nbopen.analytics.openrank import ATTENUATION, DEFAULT_TOLERANCE, global_openrank_arrays
from nbopen.config.env import CONFIG

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
    con.execute("CREATE TABLE reg AS SELECT * FROM reg_arrow")
    con.execute("CREATE TABLE orgs AS SELECT * FROM orgs_arrow")
    con.execute("CREATE TABLE aff_ids AS SELECT * FROM aff_arrow")
    for name in ("reg_arrow", "orgs_arrow", "aff_arrow"):
        con.unregister(name)


_MERGED = engines.MERGED

_ACTIVITY = (
    f"sqrt({f.ISSUE_COMMENT_WEIGHT} * ic + {f.OPEN_ISSUE_WEIGHT} * oi + {f.OPEN_PULL_WEIGHT} * op"
    f" + {f.REVIEW_COMMENT_WEIGHT} * rc + {f.PULL_MERGED_WEIGHT} * mp)"
)

_METRICS_TABLE = """
CREATE TABLE metrics (entity_type VARCHAR, platform VARCHAR, entity_id VARCHAR,
  entity_name VARCHAR, metric VARCHAR, value DOUBLE, private BOOLEAN, scope VARCHAR)
"""


def compute_month(
    month: str,
    ctx: Affiliations,
    *,
    base: Path | None = None,
    memory_limit: str = "4GB",
    tolerance: float = DEFAULT_TOLERANCE,
    engine: str | None = None,
) -> int:
    """Compute and write one month's metrics; returns the number of metric rows written.

    ``engine`` (default ``NBOPEN_ANALYTICS_ENGINE``) runs the event-sized aggregations:
    ``duckdb`` or ``spark``; ``memory_limit`` caps DuckDB, which spills beyond it."""
    store.check_month(month)
    engine = engine or CONFIG.analytics_engine
    if engine not in engines.ENGINES:
        raise ValueError(f"analytics engine must be one of {', '.join(engines.ENGINES)}")
    files = store.month_event_files(month, base)
    out = store.metrics_file(month, base)
    scratch = store.root(base) / "tmp" / f"compute-{month}-{os.getpid()}"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    con = store.connect(memory_limit, scratch=scratch)
    try:
        con.execute(_METRICS_TABLE)
        _load_last_openrank(con, month, base)
        if files:
            _compute(con, month, files, ctx, base, tolerance, engine, scratch)
        else:
            # A quiet month: only the attenuated OpenRank of last month's nodes carries over.
            _legacy_openrank(con)
        count = _fetch_int(con, "SELECT count(*) FROM metrics")
        if count:
            store.copy_atomic(con, "SELECT * FROM metrics", out)
        else:
            out.unlink(missing_ok=True)
        return count
    finally:
        con.close()
        shutil.rmtree(scratch, ignore_errors=True)


def _write(out: Path, rows: list[tuple[object, ...]]) -> None:
    """Write Python-made metric rows as a month's metrics file (tests and repairs)."""
    columns: list[object] = list(zip(*rows, strict=True)) if rows else [() for _ in METRIC_SCHEMA]
    table = pa.table(
        {
            name: pa.array(col, type=METRIC_SCHEMA.field(name).type)
            for name, col in zip(METRIC_SCHEMA.names, columns, strict=True)
        },
        schema=METRIC_SCHEMA,
    )
    store.write_atomic(out, table)


def _fetch_int(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _compute(
    con: duckdb.DuckDBPyConnection,
    month: str,
    files: list[Path],
    ctx: Affiliations,
    base: Path | None,
    tolerance: float,
    engine: str,
    scratch: Path,
) -> None:
    _register(con, ctx)
    # Sources never overlap (one file per GH Archive hour, per platform month), so events
    # are not de-duplicated here; that would cost a third of the run.
    history = [
        p for m in store.event_months(base) if m <= month for p in store.month_event_files(m, base)
    ]
    if engine == "spark":
        engines.spark_aggregates(con, files, history, store.events_dir(base), scratch)
    else:
        engines.duckdb_aggregates(con, files, history)
    # Developers' organizations: platform memberships by id, registry accounts by login
    # (GH Archive gives ids; the registry holds logins). One organization per developer.
    con.execute(
        """
        CREATE TABLE aff AS
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
    con.execute("ALTER TABLE dev_repo ADD COLUMN activity DOUBLE DEFAULT 0")
    con.execute(f"UPDATE dev_repo SET activity = {_ACTIVITY}")  # noqa: S608
    # Repositories seen this month, their latest name, and the NBopen organization they count for.
    con.execute(
        """
        CREATE TABLE repos AS
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
    _repo_metrics(con, month, base)
    _derived(con)
    _openrank(con, tolerance)
    _user_metrics(con)
    for scope in ("public", "members"):
        _org_metrics(con, scope)
    _kind_and_city(con)


def _insert(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    entity_type: str,
    metrics: list[str],
    scope: str = "public",
    params: list[object] | None = None,
) -> None:
    """Rows ``(platform, id, name, private, m1, m2, …)`` of ``sql`` → long metric rows in the
    ``metrics`` table (nulls dropped), without passing through Python."""
    inner = ", ".join(f"c{i}" for i in range(len(metrics)))
    casts = ", ".join(f'CAST(c{i} AS DOUBLE) AS "{m}"' for i, m in enumerate(metrics))
    on = ", ".join(f'"{m}"' for m in metrics)
    con.execute(
        f"""
        INSERT INTO metrics
        SELECT '{entity_type}', platform, CAST(ident AS VARCHAR), name, metric, value,
          coalesce(private, false), '{scope}'
        FROM (UNPIVOT (
            SELECT platform, ident, name, private, {casts}
            FROM ({sql}) q(platform, ident, name, private, {inner}))
          ON {on} INTO NAME metric VALUE value)
        """,  # noqa: S608
        params or [],
    )


def _bus_factor_cut(partition: str, source: str) -> str:
    """CTEs ``ranked``/``cut``: per ``partition``, the smallest activity still inside the set
    holding ≥ 50 % of the activity (ties at the cut included by the caller's ``>=``)."""
    return f"""
    ranked AS (
      SELECT {partition}, activity,
        sum(activity) OVER (PARTITION BY {partition} ORDER BY activity DESC
          ROWS UNBOUNDED PRECEDING) AS running,
        sum(activity) OVER (PARTITION BY {partition}) AS total
      FROM {source}),
    cut AS (SELECT {partition}, max(activity) FILTER (WHERE running * 2 >= total) AS v
            FROM ranked GROUP BY ALL)"""  # noqa: S608


def _repo_metrics(con: duckdb.DuckDBPyConnection, month: str, base: Path | None) -> None:
    _insert(
        con,
        f"""
        WITH d AS (SELECT * FROM dev_repo WHERE activity > 0),
        {_bus_factor_cut("platform, repo_id", "d")}
        SELECT r.platform, r.repo_id, r.repo_name, r.private,
          round(sum(d.activity), 2), count(*), sum(ic), sum(oi), sum(op), sum(rc), sum(mp),
          count(*) FILTER (WHERE d.activity >= c.v)
        FROM d JOIN repos r USING (platform, repo_id) JOIN cut c USING (platform, repo_id)
        GROUP BY ALL
        """,  # noqa: S608
        "repo",
        [
            "activity",
            "participants",
            "issue_comments",
            "open_issues",
            "open_pulls",
            "review_comments",
            "merged_pulls",
            "bus_factor",
        ],
    )
    _insert(
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
    _contributor_history(con, month)
    _durations(con, month, base)
    _elephant(con)


WEEKS_PER_MONTH = 4.345

# Repository metrics the derived figures read.
_DERIVED_INPUTS = [
    "change_requests_closed",
    "change_requests_accepted",
    "issues_new",
    "issues_closed",
    "change_requests",
    "active_developers",
    "commits",
    "pushes",
    "organizations",
    "issue_comments",
    "review_comments",
    "releases",
]


def _derived(con: duckdb.DuckDBPyConnection) -> None:
    """Per-repository ratios and the OSS Compass–style activity score, from this month only.

    Compass uses 90-day windows and GitHub API fields; here each input is taken from the one
    month: contributor_count = active developers, commit_frequency = commits per week,
    updated_since = 0 if pushed this month else 1 (months), org_count = affiliated
    organizations, comment_frequency = issue comments per updated issue, code_review_count =
    review comments per change request, updated_issues_count = issues opened or closed,
    recent_releases = releases.

    One row per repository (entity-sized), read in Arrow batches; the score stays in Python
    (``formulas.compass_score``) so the formula has one implementation.
    """
    pivot = ", ".join(
        f"max(value) FILTER (WHERE metric = '{m}') AS \"{m}\"" for m in _DERIVED_INPUTS
    )
    relation = con.sql(
        f"""
        SELECT platform, entity_id, any_value(entity_name) AS name,
          bool_or(private) AS private, {pivot}
        FROM metrics WHERE entity_type = 'repo' GROUP BY platform, entity_id
        """  # noqa: S608
    )
    # DuckDB ≥ 1.4 names it to_arrow_reader; older releases fetch_arrow_reader.
    open_reader = getattr(relation, "to_arrow_reader", None) or relation.fetch_arrow_reader
    reader = open_reader(50_000)
    derived = con.cursor()
    try:
        for batch in reader:
            rows: list[tuple[str, str, str, str, str, float, bool, str]] = []
            for m in batch.to_pylist():
                head = ("repo", m["platform"], m["entity_id"], m["name"])
                tail = (bool(m["private"]), "public")

                def get(metric: str, row: dict[str, float | None] = m) -> float:
                    value = row.get(metric)
                    return 0.0 if value is None else value

                closed = get("change_requests_closed")
                if closed:
                    ratio = get("change_requests_accepted") / closed
                    rows.append((*head, "change_request_acceptance_ratio", ratio, *tail))
                issues = get("issues_new") + get("issues_closed")
                prs = get("change_requests")
                inputs = {
                    "contributor_count": get("active_developers"),
                    "commit_frequency": get("commits") / WEEKS_PER_MONTH,
                    "updated_since": 0.0 if get("pushes") else 1.0,
                    "org_count": get("organizations"),
                    "comment_frequency": get("issue_comments") / issues if issues else 0.0,
                    "code_review_count": get("review_comments") / prs if prs else 0.0,
                    "updated_issues_count": issues,
                    "recent_releases": get("releases"),
                }
                rows.append((*head, "compass_activity", f.compass_score(inputs), *tail))
            _append(derived, rows)
    finally:
        derived.close()


def _append(con: duckdb.DuckDBPyConnection, rows: Sequence[tuple[object, ...]]) -> None:
    """Append Python-made metric rows (a batch at a time) to ``metrics``."""
    if not rows:
        return
    columns = list(zip(*rows, strict=True))
    table = pa.table(
        {
            name: pa.array(col, type=METRIC_SCHEMA.field(name).type)
            for name, col in zip(METRIC_SCHEMA.names, columns, strict=True)
        },
        schema=METRIC_SCHEMA,
    )
    con.register("metric_batch", table)
    con.execute("INSERT INTO metrics SELECT * FROM metric_batch")
    con.unregister("metric_batch")


def _contributor_history(con: duckdb.DuckDBPyConnection, month: str) -> None:
    """New contributors (first merged PR ever, this month) and those who went inactive (last
    merged PR exactly ``INACTIVE_MONTHS`` months ago, none since)."""
    _insert(
        con,
        """
        SELECT r.platform, r.repo_id, r.repo_name, r.private,
          count(*) FILTER (WHERE first_month = ?), count(*) FILTER (WHERE last_month = ?)
        FROM contrib JOIN repos r USING (platform, repo_id) GROUP BY ALL
        """,
        "repo",
        ["new_contributors", "inactive_contributors"],
        params=[month, shift_month(month, -INACTIVE_MONTHS)],
    )


def _durations(con: duckdb.DuckDBPyConnection, month: str, base: Path | None) -> None:
    """Issue and change-request response times (opened this month; responses looked for in
    this and the next month; none → 15 days) and resolution durations (closed this month)."""
    later = store.month_event_files(shift_month(month, 1), base)
    columns = ", ".join(engines.EV_COLUMNS)
    if later:
        con.execute(
            f"CREATE VIEW ev_next AS SELECT {columns} FROM read_parquet("  # noqa: S608
            f"{store.parquet_list(later)}, hive_partitioning = true, union_by_name = true) "
            "WHERE issue_id IS NOT NULL"
        )
    else:
        con.execute("CREATE VIEW ev_next AS SELECT * FROM ev WHERE false")
    con.execute(
        f"""
        CREATE TABLE durations AS
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
    suffixes = ["avg"] + [f"quantile_{i}" for i in range(5)] + [f"levels_{i}" for i in range(4)]
    bounds = f.LEVEL_BOUNDS
    con.execute(
        f"""
        INSERT INTO metrics
        SELECT 'repo', platform, CAST(repo_id AS VARCHAR), repo_name, metric || '.' || suffix,
          value, coalesce(private, false), 'public'
        FROM (UNPIVOT (
          SELECT platform, repo_id, repo_name, private, metric, avg,
            qs[1] AS quantile_0, qs[2] AS quantile_1, qs[3] AS quantile_2, qs[4] AS quantile_3,
            qs[5] AS quantile_4, levels_0, levels_1, levels_2, levels_3
          FROM (
            SELECT r.platform, r.repo_id, r.repo_name, r.private, d.metric,
              CAST(avg(days) AS DOUBLE) AS avg,
              quantile_cont(days, [0, 0.25, 0.5, 0.75, 1]) AS qs,
              CAST(count(*) FILTER (WHERE days <= {bounds[0]}) AS DOUBLE) AS levels_0,
              CAST(count(*) FILTER (WHERE days > {bounds[0]} AND days <= {bounds[1]}) AS DOUBLE)
                AS levels_1,
              CAST(count(*) FILTER (WHERE days > {bounds[1]} AND days <= {bounds[2]}) AS DOUBLE)
                AS levels_2,
              CAST(count(*) FILTER (WHERE days > {bounds[2]}) AS DOUBLE) AS levels_3
            FROM durations d JOIN repos r USING (platform, repo_id) GROUP BY ALL))
          ON {", ".join(suffixes)} INTO NAME suffix VALUE value)
        """  # noqa: S608
    )


def _elephant(con: duckdb.DuckDBPyConnection) -> None:
    """Elephant factor: bus factor over the organizations developers are affiliated with
    (activity of unaffiliated developers is left out: their employer is unknown)."""
    _insert(
        con,
        f"""
        WITH per_org AS (
          SELECT d.platform, d.repo_id, a.org_name, sum(d.activity) AS activity
          FROM dev_repo d JOIN aff a ON a.platform = d.platform AND a.dev_id = d.dev_id
          WHERE d.activity > 0 GROUP BY ALL),
        {_bus_factor_cut("platform, repo_id", "per_org")}
        SELECT r.platform, r.repo_id, r.repo_name, r.private,
          count(*) FILTER (WHERE p.activity >= c.v), count(*)
        FROM per_org p JOIN cut c USING (platform, repo_id)
          JOIN repos r USING (platform, repo_id)
        GROUP BY ALL
        """,  # noqa: S608
        "repo",
        ["elephant_factor", "organizations"],
    )


def _load_last_openrank(con: duckdb.DuckDBPyConnection, month: str, base: Path | None) -> None:
    """Table ``last_or``: last month's OpenRank of repositories and users (unattenuated)."""
    con.execute(
        "CREATE TABLE last_or (entity_type VARCHAR, platform VARCHAR, entity_id VARCHAR, "
        "entity_name VARCHAR, value DOUBLE)"
    )
    path = store.metrics_file(shift_month(month, -1), base)
    if path.exists():
        con.execute(
            "INSERT INTO last_or SELECT entity_type, platform, entity_id, entity_name, value "
            "FROM read_parquet(?) WHERE metric = 'openrank' AND entity_type IN ('repo', 'user')",
            [str(path)],
        )


def _legacy_openrank(con: duckdb.DuckDBPyConnection) -> None:
    """Nodes inactive this month keep 0.85× their last value while it is above 1
    (``globalOpenrank.ts`` "legacy" rows)."""
    con.execute(
        """
        INSERT INTO metrics
        SELECT l.entity_type, l.platform, l.entity_id, l.entity_name, 'openrank', l.value * ?,
          false, 'public'
        FROM last_or l
        WHERE l.value > ? AND NOT EXISTS (
          SELECT 1 FROM metrics m WHERE m.metric = 'openrank' AND m.entity_type = l.entity_type
            AND m.platform = l.platform AND m.entity_id = l.entity_id)
        """,
        [ATTENUATION, LEGACY_MIN_OPENRANK],
    )


def _openrank(con: duckdb.DuckDBPyConnection, tolerance: float) -> None:
    """Global OpenRank over public events, carrying last month's values (0.85×).

    Nodes are numbered in SQL, the graph reaches numpy as three arrays (pairs sorted by key,
    so every engine feeds the kernel the same edge order), and values go back as Arrow."""
    con.execute(
        f"""
        CREATE TABLE graph AS
        SELECT p.* FROM pairs p JOIN (
          SELECT platform, actor_id FROM pairs GROUP BY platform, actor_id
          HAVING count(*) <= {f.MAX_USER_REPOS}) u USING (platform, actor_id)
        """  # noqa: S608
    )
    con.execute(
        "CREATE TABLE or_repos AS SELECT platform, repo_id, "
        "row_number() OVER (ORDER BY platform, repo_id) - 1 AS idx "
        "FROM (SELECT DISTINCT platform, repo_id FROM graph)"
    )
    con.execute(
        "CREATE TABLE or_users AS SELECT platform, actor_id, login, "
        "row_number() OVER (ORDER BY platform, actor_id) - 1 AS idx "
        "FROM (SELECT platform, actor_id, min(login) AS login FROM graph GROUP BY ALL)"
    )
    edges = con.execute(
        """
        SELECT r.idx AS r, u.idx AS u, g.a FROM graph g
        JOIN or_repos r USING (platform, repo_id) JOIN or_users u USING (platform, actor_id)
        ORDER BY g.platform, g.repo_id, g.actor_id
        """
    ).fetchnumpy()
    last = {}
    for kind, table, column in (("repo", "or_repos", "repo_id"), ("user", "or_users", "actor_id")):
        last[kind] = con.execute(
            f"""
            SELECT coalesce(l.value * ?, 0.0) AS v FROM {table} n LEFT JOIN last_or l
              ON l.entity_type = '{kind}' AND l.platform = n.platform
              AND l.entity_id = CAST(n.{column} AS VARCHAR)
            ORDER BY n.idx
            """,  # noqa: S608
            [ATTENUATION],
        ).fetchnumpy()["v"]
    n_repos = len(last["repo"])
    values = global_openrank_arrays(
        np.asarray(edges["r"], dtype=np.int64),
        np.asarray(edges["u"], dtype=np.int64),
        np.asarray(edges["a"], dtype=np.float64),
        np.asarray(last["repo"], dtype=np.float64),
        np.asarray(last["user"], dtype=np.float64),
        tolerance=tolerance,
    )
    del edges
    for kind, part in (("repo", values[:n_repos]), ("user", values[n_repos:])):
        con.register(
            "or_values",
            pa.table({"idx": np.arange(len(part), dtype=np.int64), "value": part}),
        )
        if kind == "repo":
            con.execute(
                """
                INSERT INTO metrics
                SELECT 'repo', n.platform, CAST(n.repo_id AS VARCHAR),
                  CASE WHEN r.private THEN NULL ELSE r.repo_name END, 'openrank', v.value,
                  false, 'public'
                FROM or_values v JOIN or_repos n USING (idx)
                  LEFT JOIN repos r USING (platform, repo_id)
                """
            )
        else:
            con.execute(
                """
                INSERT INTO metrics
                SELECT 'user', n.platform, CAST(n.actor_id AS VARCHAR), n.login, 'openrank',
                  v.value, false, 'public'
                FROM or_values v JOIN or_users n USING (idx)
                """
            )
        con.unregister("or_values")
    _legacy_openrank(con)
    con.execute(
        "CREATE TABLE or_vals AS SELECT entity_type, platform, entity_id, value FROM metrics "
        "WHERE metric = 'openrank'"
    )


def _user_metrics(con: duckdb.DuckDBPyConnection) -> None:
    """Developers over public repositories: activity is the sum of per-repository terms."""
    _insert(
        con,
        """
        SELECT platform, dev_id, arg_max(dev_login, activity), false,
          round(sum(activity), 2), sum(ic), sum(oi), sum(op), sum(rc), sum(mp),
          count(*) FILTER (WHERE activity > 0)
        FROM dev_repo WHERE NOT private GROUP BY platform, dev_id
        HAVING sum(activity) > 0
        """,
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
    _insert(
        con,
        """
        SELECT platform, actor_id, arg_max(actor_login, created_at), false,
          count(*), sum(coalesce(commits, 1))
        FROM ev WHERE NOT private AND type = 'PushEvent' AND actor_id IS NOT NULL
        GROUP BY platform, actor_id
        """,
        "user",
        ["pushes", "commits"],
    )


def _org_metrics(con: duckdb.DuckDBPyConnection, scope: str) -> None:
    """Per NBopen organization, over the repositories attributed to it."""
    visible = "true" if scope == "members" else "NOT r.private"
    _insert(
        con,
        f"""
        WITH d AS (
          SELECT r.org_name, d.dev_id, d.platform, sum(d.activity) AS activity
          FROM dev_repo d JOIN repos r USING (platform, repo_id)
          WHERE r.org_name IS NOT NULL AND {visible} AND d.activity > 0 GROUP BY ALL),
        {_bus_factor_cut("org_name", "d")}
        SELECT 'all', org_name, org_name, false, round(sum(activity), 2), count(*),
          count(*) FILTER (WHERE activity >= c.v)
        FROM d JOIN cut c USING (org_name) GROUP BY ALL
        """,  # noqa: S608
        "org",
        ["activity", "participants", "bus_factor"],
        scope,
    )
    _insert(
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
    _insert(
        con,
        """
        SELECT 'all', r.org_name, r.org_name, false, sum(o.value)
        FROM or_vals o JOIN repos r ON o.entity_type = 'repo' AND o.platform = r.platform
          AND o.entity_id = CAST(r.repo_id AS VARCHAR)
        WHERE r.org_name IS NOT NULL GROUP BY ALL
        """,
        "org",
        ["openrank"],
        scope,
    )
    # Affiliated developers active anywhere (public events, or all for members).
    ev_visible = "true" if scope == "members" else "NOT p.private"
    _insert(
        con,
        f"""
        SELECT 'all', a.org_name, a.org_name, false, count(DISTINCT (p.platform, p.actor_id))
        FROM per_actor p JOIN aff a ON a.platform = p.platform AND a.dev_id = p.actor_id
        WHERE {ev_visible} GROUP BY ALL
        """,  # noqa: S608
        "org",
        ["affiliated_developers"],
        scope,
    )
    if scope == "public":
        _collaboration(con)


def _collaboration(con: duckdb.DuckDBPyConnection) -> None:
    """Edges between organizations: developers of one active in another's public
    repositories (pushes, issues, PRs, comments — any event but stars)."""
    _insert(
        con,
        """
        SELECT 'all', source || '|' || target, source || '|' || target, false, developers, events
        FROM (
          SELECT a.org_name AS source, r.org_name AS target,
            count(DISTINCT (p.platform, p.actor_id)) AS developers, sum(p.events) AS events
          FROM per_actor p JOIN repos r USING (platform, repo_id)
            JOIN aff a ON a.platform = p.platform AND a.dev_id = p.actor_id
          WHERE NOT p.private AND r.org_name IS NOT NULL AND a.org_name <> r.org_name
            AND p.events > 0
          GROUP BY ALL)
        """,
        "collaboration",
        ["developers", "events"],
    )


def _kind_and_city(con: duckdb.DuckDBPyConnection) -> None:
    """Organization kinds and the whole city, from public events only."""
    _insert(
        con,
        """
        WITH d AS (SELECT r.org_kind, d.* FROM dev_repo d JOIN repos r USING (platform, repo_id)
                   WHERE NOT r.private AND r.org_kind IS NOT NULL)
        SELECT 'all', org_kind, org_kind, false, round(sum(activity), 2),
          count(DISTINCT (platform, dev_id)) FILTER (WHERE activity > 0)
        FROM d GROUP BY ALL
        """,
        "kind",
        ["activity", "participants"],
    )
    _insert(
        con,
        """
        SELECT 'all', r.org_kind, r.org_kind, false, count(DISTINCT r.org_name),
          count(DISTINCT (r.platform, r.repo_id)), sum(o.value)
        FROM repos r LEFT JOIN or_vals o ON o.entity_type = 'repo'
          AND o.platform = r.platform AND o.entity_id = CAST(r.repo_id AS VARCHAR)
        WHERE NOT r.private AND r.org_kind IS NOT NULL GROUP BY ALL
        """,
        "kind",
        ["active_organizations", "active_repositories", "openrank"],
    )
    _insert(
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
