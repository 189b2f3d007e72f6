"""Descriptive statistics per column, as the Hub's ``split-descriptive-statistics`` step.

All aggregation runs in DuckDB over the split's Parquet files; Python only shapes the
answer. Rules (from huggingface/dataset-viewer): NaN counts as null; strings are
``string_label`` when unique/rows ≤ 0.2 and unique ≤ 1000, or unique ≤ 10, otherwise
``string_text`` described by character length; lists by their length; 10 histogram bins,
integer bins of whole width; floats rounded to 5 decimals.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from nbopen.datasets.duck import connect, quote_ident

N_BINS = 10
DECIMALS = 5
MAX_LABELS = 1000
MAX_LABEL_PROPORTION = 0.2
ALWAYS_LABEL = 10


def _r(value: float | None) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value), DECIMALS)


def column_type(t: pa.DataType) -> str | None:
    if pa.types.is_boolean(t):
        return "bool"
    if pa.types.is_integer(t):
        return "int"
    if pa.types.is_floating(t) or pa.types.is_decimal(t):
        return "float"
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return "string"
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        return "list"
    if pa.types.is_timestamp(t) or pa.types.is_date(t):
        return "datetime"
    return None


def _numeric(
    con: duckdb.DuckDBPyConnection, expr: str, *, integer: bool, num_rows: int
) -> dict[str, Any]:
    """min/max/mean/median/std/nulls/histogram of ``expr`` (a trusted SQL expression)."""
    row = con.execute(
        f"SELECT count(*) FILTER (WHERE v IS NULL), min(v), max(v), avg(v), median(v), "  # noqa: S608 - identifiers quoted from the schema, values bound
        f"stddev_samp(v) FROM (SELECT {expr} AS v FROM t)"
    ).fetchall()[0]
    assert row is not None
    nulls, lo, hi, mean, median, std = row
    result: dict[str, Any] = {
        "nan_count": int(nulls),
        "nan_proportion": _r(nulls / num_rows) if num_rows else 0.0,
        "min": None,
        "max": None,
        "mean": None,
        "median": None,
        "std": None,
        "histogram": None,
    }
    if lo is None:
        return result
    result.update(
        min=int(lo) if integer else _r(lo),
        max=int(hi) if integer else _r(hi),
        mean=_r(mean),
        median=_r(median),
        std=_r(std),
        histogram=_histogram(con, expr, lo, hi, integer=integer),
    )
    return result


def _histogram(
    con: duckdb.DuckDBPyConnection, expr: str, lo: float, hi: float, *, integer: bool
) -> dict[str, list[Any]]:
    total_sql = f"SELECT count(v) FROM (SELECT {expr} AS v FROM t) WHERE v IS NOT NULL"  # noqa: S608 - identifiers quoted from the schema, values bound
    if lo == hi:
        count_row = con.execute(total_sql).fetchall()[0]
        assert count_row is not None
        return {"hist": [int(count_row[0])], "bin_edges": [lo, hi] if integer else [_r(lo), _r(hi)]}
    if integer:
        lo, hi = int(lo), int(hi)
        size = math.ceil((hi - lo + 1) / N_BINS)
        edges: list[Any] = list(range(lo, hi + 1, size))
        if edges[-1] != hi:
            edges.append(hi)
        if len(edges) < 2:
            edges.append(hi)
        width: float = size
    else:
        width = (hi - lo) / N_BINS
        edges = [_r(lo + i * width) for i in range(N_BINS)] + [_r(hi)]
    bins = len(edges) - 1
    counts = dict(
        con.execute(
            f"SELECT least(floor((v - ?) / ?)::BIGINT, ?) AS b, count(*) "  # noqa: S608 - identifiers quoted from the schema, values bound
            f"FROM (SELECT {expr} AS v FROM t) WHERE v IS NOT NULL GROUP BY b",
            [lo, width, bins - 1],
        ).fetchall()
    )
    return {"hist": [int(counts.get(i, 0)) for i in range(bins)], "bin_edges": edges}


def _fmt_ts(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return dt.datetime.fromtimestamp(round(seconds), dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def _datetime(con: duckdb.DuckDBPyConnection, col: str, num_rows: int) -> dict[str, Any]:
    stats = _numeric(
        con,
        f"epoch({col}::TIMESTAMP)::BIGINT",
        integer=True,
        num_rows=num_rows,
    )
    if stats["min"] is None:
        return stats
    stats["min"] = _fmt_ts(stats["min"])
    stats["max"] = _fmt_ts(stats["max"])
    stats["mean"] = _fmt_ts(stats["mean"])
    stats["median"] = _fmt_ts(stats["median"])
    stats["std"] = str(dt.timedelta(seconds=round(stats["std"] or 0)))
    hist = stats["histogram"]
    hist["bin_edges"] = [_fmt_ts(e) for e in hist["bin_edges"]]
    return stats


def _string(con: duckdb.DuckDBPyConnection, col: str, num_rows: int) -> tuple[str, dict[str, Any]]:
    row = con.execute(
        f"SELECT count(*) FILTER (WHERE {col} IS NULL), count(DISTINCT {col}) FROM t"  # noqa: S608 - identifiers quoted from the schema, values bound
    ).fetchall()[0]
    assert row is not None
    nulls, n_unique = int(row[0]), int(row[1])
    is_label = (
        num_rows > 0 and n_unique / num_rows <= MAX_LABEL_PROPORTION and n_unique <= MAX_LABELS
    ) or n_unique <= ALWAYS_LABEL
    if is_label:
        freq = con.execute(
            f"SELECT {col}, count(*) AS n FROM t WHERE {col} IS NOT NULL "  # noqa: S608 - quoted
            "GROUP BY 1 ORDER BY n DESC, 1"
        ).fetchall()
        return "string_label", {
            "nan_count": nulls,
            "nan_proportion": _r(nulls / num_rows) if num_rows else 0.0,
            "no_label_count": 0,
            "no_label_proportion": 0.0,
            "n_unique": n_unique,
            "frequencies": {str(k): int(v) for k, v in freq},
        }
    return "string_text", _numeric(con, f"length({col})", integer=True, num_rows=num_rows)


def compute_statistics(files: list[Path], schema: pa.Schema, num_rows: int) -> dict[str, Any]:
    """The ``/statistics`` payload (without dataset/config/split keys)."""
    con = connect(files)
    out: list[dict[str, Any]] = []
    try:
        for field in schema:
            kind = column_type(field.type)
            if kind is None:
                continue
            col = quote_ident(field.name)
            if kind == "int":
                stats = _numeric(con, col, integer=True, num_rows=num_rows)
            elif kind == "float":
                # NaN (and ±inf, which cannot be binned) count as null. DuckDB 2.0's isnan()
                # misses NaNs read from Parquet written by Arrow; isfinite() does not.
                expr = f"CASE WHEN isfinite({col}::DOUBLE) THEN {col}::DOUBLE END"
                stats = _numeric(con, expr, integer=False, num_rows=num_rows)
            elif kind == "bool":
                row = con.execute(
                    f"SELECT count(*) FILTER (WHERE {col} IS NULL), count(*) FILTER (WHERE {col}),"  # noqa: S608 - identifiers quoted from the schema, values bound
                    f" count(*) FILTER (WHERE NOT {col}) FROM t"
                ).fetchall()[0]
                assert row is not None
                freq = {"True": int(row[1]), "False": int(row[2])}
                stats = {
                    "nan_count": int(row[0]),
                    "nan_proportion": _r(row[0] / num_rows) if num_rows else 0.0,
                    "frequencies": {k: v for k, v in freq.items() if v},
                }
            elif kind == "list":
                stats = _numeric(con, f"len({col})", integer=True, num_rows=num_rows)
            elif kind == "datetime":
                stats = _datetime(con, col, num_rows)
            else:
                kind, stats = _string(con, col, num_rows)
            out.append({"column_name": field.name, "column_type": kind, "column_statistics": stats})
    finally:
        con.close()
    return {"num_examples": num_rows, "statistics": out, "partial": False}
