"""Visitor queries stop at their time budget (``nbopen.datasets.deadline``)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from nbopen.datasets import deadline
from nbopen.datasets.deadline import QueryTimeout, sqlite_deadline
from nbopen.datasets.query import filter_rows

ROWS = 3_000_000


@pytest.fixture(scope="module")
def big_split(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Three million short strings: filtering and sorting them takes DuckDB about half a second."""
    path = tmp_path_factory.mktemp("deadline") / "0000.parquet"
    ids = pa.array(range(ROWS), pa.int64())
    text = pa.compute.binary_join_element_wise(
        pa.array([f"港口{i * 7919 % ROWS:07d}" for i in range(ROWS)]), "", "x"
    )
    pq.write_table(pa.table({"id": ids, "text": text}), path, row_group_size=500_000)
    return [path]


def test_a_slow_filter_is_stopped_and_a_fast_budget_is_not_an_error(
    big_split: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    query = {"where": "\"text\" LIKE '%9%'", "orderby": '"text" DESC', "offset": 0, "length": 5}
    rows, total = filter_rows(big_split, ["id", "text"], **query)  # the default 10 s budget
    assert total == sum(1 for i in range(ROWS) if "9" in f"{i * 7919 % ROWS:07d}")
    assert len(rows) == 5
    monkeypatch.setattr(deadline, "budget", lambda: 0.01)
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match=r"longer than 0\.01 s"):
        filter_rows(big_split, ["id", "text"], **query)
    assert time.monotonic() - started < 5  # stopped, not run to the end
    monkeypatch.undo()
    assert filter_rows(big_split, ["id", "text"], **query)[1] == total  # the cursor still works


def test_sqlite_statement_is_stopped_at_the_deadline() -> None:
    con = sqlite3.connect(":memory:")
    endless = (
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000000)"
        " SELECT count(*) FROM n"
    )
    started = time.monotonic()
    with pytest.raises(QueryTimeout), sqlite_deadline(con, 0.05):
        con.execute(endless).fetchone()
    assert time.monotonic() - started < 5
    with sqlite_deadline(con, 5):  # the handler is removed: later statements run normally
        assert con.execute("SELECT 1").fetchone() == (1,)
