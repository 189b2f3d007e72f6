"""DuckDB connections over a split's Parquet files, locked down for user-driven queries.

The view ``t`` is created first; afterwards the connection may read only the split's own
directory (``allowed_directories``) and nothing else from the file system or network, so
even a query we failed to validate could not reach other data.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

import duckdb

from nbopen.config.env import CONFIG

# Conversion must stay under 1 GB resident: DuckDB spills to the data dir beyond this.
MEMORY_LIMIT = "512MB"


def quote_ident(name: str) -> str:
    """A column name as a DuckDB identifier. Names come from the schema, never raw input."""
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def connect(files: list[Path], *, with_row_idx: bool = False) -> duckdb.DuckDBPyConnection:
    """An in-memory connection with view ``t`` over ``files`` (optionally with ``__row_idx``).

    ``__row_idx`` is the row's position in the split (file offset + row number in file), the
    index the viewer's ``row_idx`` refers to.
    """
    spill = CONFIG.tmp_dir / "duckdb"
    spill.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(
        config={"memory_limit": MEMORY_LIMIT, "threads": 2, "temp_directory": str(spill)}
    )
    if not files:
        raise ValueError("no parquet files")
    files = [p.resolve() for p in files]
    if with_row_idx:
        import pyarrow.parquet as pq

        parts = []
        offset = 0
        for path in files:
            parts.append(
                f"SELECT * EXCLUDE (file_row_number), file_row_number + {offset} AS __row_idx "  # noqa: S608 - identifiers quoted from the schema, values bound
                f"FROM read_parquet({_literal(str(path))}, file_row_number = true)"
            )
            offset += pq.ParquetFile(path).metadata.num_rows
        sql = " UNION ALL ".join(parts)
    else:
        sql = "SELECT * FROM read_parquet([" + ", ".join(_literal(str(p)) for p in files) + "])"  # noqa: S608 - identifiers quoted from the schema, values bound
    con.execute(f"CREATE VIEW t AS {sql}")
    con.execute("SET parquet_metadata_cache = true")
    dirs = sorted({str(p.parent) for p in files})
    con.execute("SET allowed_directories = [" + ", ".join(_literal(d) for d in dirs) + "]")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    return con


_CACHE_SIZE = 4  # each connection is its own DuckDB instance with its own memory limit
_cache: OrderedDict[tuple[object, ...], duckdb.DuckDBPyConnection] = OrderedDict()
_cache_lock = threading.Lock()


def cursor(files: list[Path], *, with_row_idx: bool = False) -> duckdb.DuckDBPyConnection:
    """A fresh cursor on a cached, locked-down connection for ``files``.

    Creating the view and reading Parquet footers costs more than a small filter query, so
    the connection per split is kept (LRU); each request gets its own cursor, which is how
    DuckDB connections are shared between threads. Outputs never change in place; a rerun
    rewrites files, which changes their mtimes and so the cache key.
    """
    key = (with_row_idx, *((str(p), p.stat().st_mtime_ns) for p in files))
    with _cache_lock:
        con = _cache.get(key)
        if con is None:
            con = connect(files, with_row_idx=with_row_idx)
            _cache[key] = con
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)[1].close()
        else:
            _cache.move_to_end(key)
        return con.cursor()
