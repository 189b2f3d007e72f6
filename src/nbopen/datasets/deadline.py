"""A time budget for the queries visitors start (viewer search and filter).

A filter over ten million rows with a leading-wildcard ``LIKE`` and a sort can keep a worker
busy for many seconds; a visitor repeating it would take the viewer down for everyone. Each
query therefore runs under a deadline (``NBOPEN_DATASET_QUERY_SECONDS``, 10 s by default)
and is stopped when it passes, with :class:`QueryTimeout` for the caller to report ("narrow
the filter"). DuckDB queries are interrupted from a timer thread; SQLite (row search)
checks the clock from its progress handler.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from nbopen.config.env import CONFIG

# SQLite calls the progress handler every this many virtual-machine instructions.
_SQLITE_STEPS = 10_000


class QueryTimeout(Exception):
    """A visitor's query ran past its time budget and was stopped."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"the query took longer than {seconds:g} s and was stopped")
        self.seconds = seconds


def budget() -> float:
    return CONFIG.dataset_query_seconds


@contextmanager
def duckdb_deadline(con: duckdb.DuckDBPyConnection, seconds: float | None = None) -> Iterator[None]:
    """Interrupt ``con``'s running query once ``seconds`` have passed."""
    limit = budget() if seconds is None else seconds
    timer = threading.Timer(limit, con.interrupt)
    timer.daemon = True
    timer.start()
    try:
        yield
    except duckdb.InterruptException:
        raise QueryTimeout(limit) from None
    finally:
        timer.cancel()


@contextmanager
def sqlite_deadline(con: sqlite3.Connection, seconds: float | None = None) -> Iterator[None]:
    """Abort ``con``'s statements once ``seconds`` have passed."""
    limit = budget() if seconds is None else seconds
    ends = time.monotonic() + limit
    con.set_progress_handler(lambda: 1 if time.monotonic() > ends else 0, _SQLITE_STEPS)
    try:
        yield
    except sqlite3.OperationalError as exc:
        if "interrupted" in str(exc):
            raise QueryTimeout(limit) from None
        raise
    finally:
        con.set_progress_handler(None, 0)
