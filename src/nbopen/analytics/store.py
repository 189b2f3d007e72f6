"""The analytics event store: Parquet files partitioned by platform and month, read by DuckDB.

Layout under ``<data dir>/analytics`` (or ``root`` given explicitly)::

    events/platform=github/month=2024-01/<source>.parquet   one file per import source
    events/platform=nbopen/month=2024-01/platform.parquet   the platform's own log, per month
    metrics/month=2024-01/metrics.parquet                    everything ``compute`` produced

Idempotency is by file name: a source (a GH Archive hour file, the platform log of a month,
a month's computation) always writes the same file, atomically (write to a temporary name,
then rename), so re-running never double counts and a crash never leaves half a file.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from nbopen.config.env import CONFIG

MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")

# One normalised event row; GitHub-style type names, whatever the platform.
EVENT_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("type", pa.string()),
        ("action", pa.string()),
        ("actor_id", pa.int64()),
        ("actor_login", pa.string()),
        ("repo_id", pa.int64()),
        ("repo_name", pa.string()),
        ("org_id", pa.int64()),
        ("org_login", pa.string()),
        ("issue_id", pa.int64()),
        ("issue_number", pa.int64()),
        ("issue_author_id", pa.int64()),
        ("issue_author_login", pa.string()),
        ("issue_created_at", pa.timestamp("us")),
        ("is_pull", pa.bool_()),
        ("comment_id", pa.int64()),
        ("pull_merged", pa.bool_()),
        ("commits", pa.int32()),
        ("private", pa.bool_()),
        ("created_at", pa.timestamp("us")),
    ]
)
EVENT_FIELDS = [f.name for f in EVENT_SCHEMA]


def root(base: Path | None = None) -> Path:
    return base if base is not None else CONFIG.data_dir / "analytics"


def events_dir(base: Path | None = None) -> Path:
    return root(base) / "events"


def metrics_dir(base: Path | None = None) -> Path:
    return root(base) / "metrics"


def check_month(month: str) -> str:
    if not MONTH_RE.match(month):
        raise ValueError(f"month must be YYYY-MM, not {month!r}")
    return month


def event_file(platform: str, month: str, source: str, base: Path | None = None) -> Path:
    return events_dir(base) / f"platform={platform}" / f"month={month}" / f"{source}.parquet"


def metrics_file(month: str, base: Path | None = None) -> Path:
    return metrics_dir(base) / f"month={month}" / "metrics.parquet"


def write_atomic(path: Path, table: pa.Table) -> None:
    """Write ``table`` to ``path`` so readers see either the old file or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path)


def event_months(base: Path | None = None) -> list[str]:
    """Months that have any event file, oldest first."""
    months = {
        p.name.removeprefix("month=")
        for p in events_dir(base).glob("platform=*/month=*")
        if any(p.glob("*.parquet"))
    }
    return sorted(m for m in months if MONTH_RE.match(m))


def metric_months(base: Path | None = None) -> list[str]:
    return sorted(
        p.parent.name.removeprefix("month=")
        for p in metrics_dir(base).glob("month=*/metrics.parquet")
    )


def month_event_files(month: str, base: Path | None = None) -> list[Path]:
    return sorted(events_dir(base).glob(f"platform=*/month={check_month(month)}/*.parquet"))


def connect(memory_limit: str = "4GB", scratch: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB session whose memory is capped, so big months spill instead of failing.

    With ``scratch`` (a private directory the caller removes afterwards) the session works in
    a database file there and spills there: tables are compressed on disk and only the buffer
    pool (≤ ``memory_limit``) stays in memory, which keeps the monthly job's peak memory flat
    as the number of events grows. Without it, an in-memory session (small reads)."""
    if not re.fullmatch(r"\d+(?:\.\d+)?\s*[KMGT]i?B", memory_limit):
        raise ValueError(f"bad memory limit {memory_limit!r}")
    if scratch is None:
        con = duckdb.connect(":memory:")
    else:
        con = duckdb.connect(str(scratch / "work.duckdb"))
        con.execute(f"SET temp_directory = '{_quote(str(scratch / 'spill'))}'")
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")
    return con


def _quote(text: str) -> str:
    return text.replace("'", "''")


def copy_atomic(con: duckdb.DuckDBPyConnection, sql: str, path: Path) -> None:
    """DuckDB writes the result of ``sql`` to ``path`` as zstd Parquet, atomically (streamed
    by DuckDB: the rows never become Python objects)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    con.execute(f"COPY ({sql}) TO '{_quote(str(tmp))}' (FORMAT parquet, COMPRESSION zstd)")
    os.replace(tmp, path)


def parquet_list(paths: list[Path]) -> str:
    """A DuckDB list literal of file paths (quoted; paths come from our own globbing)."""
    return "[" + ", ".join("'" + _quote(str(p)) + "'" for p in paths) + "]"
