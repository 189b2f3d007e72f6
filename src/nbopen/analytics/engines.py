"""The event-sized aggregations of the monthly job, on DuckDB (embedded) or Apache Spark.

These three queries are the only ones whose input grows with the number of events *and* that
the rest of the job reads over and over; everything after them is entity-sized (repositories,
developers, organizations) and runs in DuckDB (``compute.py``). They are written once, in the
SQL both engines accept (``max_by``, ``count(DISTINCT CASE …)``, no ``FILTER``/``GROUP BY
ALL``), and read two views:

* ``ev``   — the month's events (columns of ``store.EVENT_SCHEMA`` plus ``platform``);
* ``hist`` — every month's events up to the computed one (plus ``month``).

Each result lands in the DuckDB session as a table of the same name, so what follows cannot
tell which engine made it: DuckDB creates the tables directly; Spark (``NBOPEN_ANALYTICS_ENGINE
=spark``, master ``NBOPEN_SPARK_MASTER``) writes them as Parquet into the job's scratch
directory, which DuckDB loads. Weights are decimal literals in both engines, so the OpenRank
pair weights are exact decimals rounded the same way before becoming doubles.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from nbopen.analytics import formulas as f
from nbopen.analytics import store

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)

ENGINES = ("duckdb", "spark")

MERGED = "type = 'PullRequestEvent' AND action = 'closed' AND pull_merged"


def _count_if(condition: str) -> str:
    return f"count(CASE WHEN {condition} THEN 1 END)"


# Which events count towards OpenRank's collaboration pairs, and with what weight.
_PAIR_EVENT = (
    "NOT private AND type IN ('IssuesEvent', 'IssueCommentEvent', 'PullRequestEvent',"
    " 'PullRequestReviewCommentEvent', 'PushEvent')"
)


def _pair_count(condition: str) -> str:
    return _count_if(f"NOT private AND ({condition})")


# Per (repository, actor), in one scan of the month: the plain event counts (the base of most
# repository/org/city counts) and OpenRank's collaboration weight over public events. Both
# used to be separate GROUP BYs over the same key, i.e. two scans of the Parquet; ``per_actor``
# and ``pairs`` are now cut from this table (``DERIVED``). The pair login is the latest login
# among the pair's own events, as before: ``max_by`` skips rows whose ordering value is NULL
# (DuckDB and Spark alike), so events outside the pair's filter cannot choose it.
REPO_ACTOR = f"""
SELECT platform, repo_id, actor_id, bool_or(private) AS private,
  {_count_if("type = 'PushEvent'")} AS pushes,
  sum(CASE WHEN type = 'PushEvent' THEN CAST(coalesce(commits, 1) AS BIGINT) END) AS commits,
  {_count_if("type = 'WatchEvent'")} AS stars,
  {_count_if("type = 'ForkEvent'")} AS forks,
  {_count_if("type = 'DownloadEvent'")} AS downloads,
  {_count_if("type = 'ReleaseEvent'")} AS releases,
  {_count_if("type <> 'WatchEvent'")} AS events,
  count(*) AS all_events,
  max_by(CASE WHEN {_PAIR_EVENT} THEN actor_login END,
         CASE WHEN {_PAIR_EVENT} THEN created_at END) AS pair_login,
  CAST(round(
    {f.OR_OPEN_ISSUE} * {_pair_count("type = 'IssuesEvent' AND action = 'opened'")}
  + {f.OR_ISSUE_COMMENT} * {_pair_count("type = 'IssueCommentEvent'")}
  + {f.OR_CLOSE_ISSUE} * {_pair_count("type = 'IssuesEvent' AND action = 'closed'")}
  + {f.OR_REVIEW_COMMENT} * {_pair_count("type = 'PullRequestReviewCommentEvent'")}
  + {f.OR_OPEN_PULL} * {_pair_count("type = 'PullRequestEvent' AND action = 'opened'")}
  + {f.OR_PUSH} * {_pair_count("type = 'PushEvent'")}, 3) AS DOUBLE) AS pair_a,
  {
    _pair_count(
        "(type = 'IssuesEvent' AND action IN ('opened', 'closed'))"
        " OR type IN ('IssueCommentEvent', 'PullRequestReviewCommentEvent')"
        " OR (type = 'PullRequestEvent' AND action = 'opened')"
    )
} AS pair_valid
FROM ev GROUP BY platform, repo_id, actor_id
"""  # noqa: S608

# Per (repository, developer): OpenDigger's activity counts (distinct ids). A merged PR is
# credited to the PR's author, not to whoever pressed the button. Distinct ids are counted
# in two steps — one row per (developer, kind, id), then rows per kind — which gives the
# same counts as five ``count(DISTINCT …)`` aggregates at 57 % of the time (50 M events).
# Events of none of the five kinds (or without an id) still make their row, as before.
DEV_REPO = f"""
SELECT platform, repo_id, private, dev_id, max_by(dev_login, created_at) AS dev_login,
  {_count_if("kind = 'ic' AND item IS NOT NULL")} AS ic,
  {_count_if("kind = 'oi' AND item IS NOT NULL")} AS oi,
  {_count_if("kind = 'op' AND item IS NOT NULL")} AS op,
  {_count_if("kind = 'rc' AND item IS NOT NULL")} AS rc,
  {_count_if("kind = 'mp' AND item IS NOT NULL")} AS mp
FROM (
  SELECT platform, repo_id, private, dev_id, kind, item,
    max_by(dev_login, created_at) AS dev_login, max(created_at) AS created_at
  FROM (
    SELECT platform, repo_id, private, created_at, kind, dev_id, dev_login,
      CASE WHEN kind IN ('ic', 'rc') THEN comment_id WHEN kind <> '' THEN issue_id END AS item
    FROM (
      SELECT platform, repo_id, private, created_at, comment_id, issue_id,
        CASE WHEN type = 'IssueCommentEvent' AND action = 'created' THEN 'ic'
             WHEN type = 'IssuesEvent' AND action = 'opened' THEN 'oi'
             WHEN type = 'PullRequestEvent' AND action = 'opened' THEN 'op'
             WHEN type = 'PullRequestReviewCommentEvent' AND action IN ('created', 'added')
               THEN 'rc'
             WHEN {MERGED} THEN 'mp'
             ELSE '' END AS kind,
        CASE WHEN {MERGED} THEN issue_author_id ELSE actor_id END AS dev_id,
        CASE WHEN {MERGED} THEN issue_author_login ELSE actor_login END AS dev_login
      FROM ev
      WHERE type IN ('IssuesEvent', 'IssueCommentEvent', 'PullRequestEvent',
                     'PullRequestReviewCommentEvent')
    ) k
  ) x
  WHERE dev_id IS NOT NULL
  GROUP BY platform, repo_id, private, dev_id, kind, item
) d
GROUP BY platform, repo_id, private, dev_id
"""  # noqa: S608

# Cut from ``repo_actor`` in DuckDB, whichever engine made it. Pairs need a > 0 and at least
# one issue/PR/comment event; bots by login are left out here, users in too many repositories
# by the caller (it needs all pairs of a user).
PER_ACTOR = """
SELECT platform, repo_id, actor_id, private, pushes, commits, stars, forks, downloads,
  releases, events, all_events
FROM repo_actor WHERE repo_id IS NOT NULL
"""
PAIRS = """
SELECT platform, repo_id, actor_id, pair_login AS login, pair_a AS a FROM repo_actor
WHERE actor_id IS NOT NULL AND pair_a > 0 AND pair_valid > 0 AND pair_login NOT LIKE '%[bot]'
"""

# Per (repository, PR author): first and last month with a merged PR, over all history.
CONTRIB = f"""
SELECT platform, repo_id, issue_author_id AS dev_id,
  min(month) AS first_month, max(month) AS last_month
FROM hist WHERE {MERGED} AND issue_author_id IS NOT NULL
GROUP BY platform, repo_id, issue_author_id
"""  # noqa: S608

AGGREGATES: dict[str, str] = {
    "repo_actor": REPO_ACTOR,
    "dev_repo": DEV_REPO,
    "contrib": CONTRIB,
}

# Entity-sized views cut from the aggregates, always in DuckDB.
DERIVED: dict[str, str] = {"per_actor": PER_ACTOR, "pairs": PAIRS}


def _derive(con: duckdb.DuckDBPyConnection) -> None:
    """Views, not tables: copying ``repo_actor`` cost more (about 0.4 s CPU at 10 M events)
    than filtering the in-database table again on each of the few reads."""
    for name, sql in DERIVED.items():
        con.execute(f"CREATE VIEW {name} AS {sql}")


# Columns of ``ev`` the job reads (``id``, ``org_id``, ``issue_number`` are never used).
EV_COLUMNS = [
    "platform",
    "type",
    "action",
    "actor_id",
    "actor_login",
    "repo_id",
    "repo_name",
    "org_login",
    "issue_id",
    "issue_author_id",
    "issue_author_login",
    "issue_created_at",
    "is_pull",
    "comment_id",
    "pull_merged",
    "commits",
    "private",
    "created_at",
]


def _read(files: list[Path], columns: str) -> str:
    return (
        f"SELECT {columns} FROM read_parquet({store.parquet_list(files)}, "  # noqa: S608
        "hive_partitioning = true, union_by_name = true)"
    )


def duckdb_aggregates(
    con: duckdb.DuckDBPyConnection, month_files: list[Path], history_files: list[Path]
) -> None:
    """The embedded engine: the aggregates read the month's Parquet directly, through the
    view ``ev`` (as on Spark). Copying the events into a table first cost more than all the
    scans it saved: at 50 M events the copy alone took longer than every later query, because
    it spills nearly all of it to disk at the memory limit; a scan reads only the columns a
    query needs."""
    con.execute(f"CREATE VIEW ev AS {_read(month_files, ', '.join(EV_COLUMNS))}")
    con.execute(f"CREATE VIEW hist AS {_read(history_files, '*')}")
    for name, sql in AGGREGATES.items():
        con.execute(f"CREATE TABLE {name} AS {sql}")
    _derive(con)


_session_lock = threading.Lock()
_session: SparkSession | None = None


def spark_session(master: str | None = None) -> SparkSession:
    """The process's one Spark session (started on first use, stopped at exit)."""
    global _session
    from pyspark.sql import SparkSession

    from nbopen.config.env import CONFIG

    with _session_lock:
        if _session is None:
            master = master or CONFIG.spark_master
            builder = SparkSession.builder.master(master).appName("nbopen-analytics")
            if master.startswith("local"):
                # In-process Spark talks to itself over loopback, never the machine's address
                # (SPARK_LOCAL_IP is read by the JVM launcher, before any setting applies).
                os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
                builder = builder.config("spark.driver.bindAddress", "127.0.0.1").config(
                    "spark.driver.host", "127.0.0.1"
                )
            _session = (
                builder.config("spark.ui.enabled", "false")
                .config("spark.ui.showConsoleProgress", "false")
                .config("spark.sql.session.timeZone", "UTC")
                # month=2024-05 stays a string, as in DuckDB's hive partitioning
                .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.sql.ansi.enabled", "false")
                .getOrCreate()
            )
            _session.sparkContext.setLogLevel("ERROR")
            atexit.register(stop_spark)
        return _session


def stop_spark() -> None:
    global _session
    with _session_lock:
        if _session is not None:
            _session.stop()
            _session = None


def spark_aggregates(
    con: duckdb.DuckDBPyConnection,
    month_files: list[Path],
    history_files: list[Path],
    events_root: Path,
    scratch: Path,
) -> None:
    """Apache Spark: the same SQL over the same Parquet store; results come back to DuckDB
    through Parquet in ``scratch``. DuckDB keeps ``ev`` as a view (no copy of the events)
    for the entity-sized queries that still look at events."""
    spark = spark_session()

    def frame(files: list[Path]):  # type: ignore[no-untyped-def]
        return (
            spark.read.option("basePath", str(events_root))
            .option("mergeSchema", "true")
            .parquet(*[str(p) for p in files])
        )

    frame(month_files).createOrReplaceTempView("ev")
    frame(history_files).createOrReplaceTempView("hist")
    for name, sql in AGGREGATES.items():
        out = scratch / f"spark-{name}"
        spark.sql(sql).write.mode("overwrite").parquet(str(out))
        con.execute(
            f"CREATE TABLE {name} AS SELECT * FROM "  # noqa: S608
            f"read_parquet({store.parquet_list([out / '*.parquet'])})"
        )
    _derive(con)
    con.execute(f"CREATE VIEW ev AS {_read(month_files, ', '.join(EV_COLUMNS))}")
    con.execute(f"CREATE VIEW hist AS {_read(history_files, '*')}")
