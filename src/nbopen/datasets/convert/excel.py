"""Excel workbooks (.xlsx): each sheet is a table whose first row is the header.

openpyxl's read-only mode streams rows from the zip, so memory stays flat. Cell types in a
sheet are often mixed (numbers typed as text in some rows), so a first pass decides each
column's type over the whole sheet and a second pass writes batches of that type.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

from nbopen.datasets.convert.tabular import ConversionError, Progress, ReadPlan, _unique_names

BATCH_ROWS = 20_000


@contextlib.contextmanager
def _open(path: Path, origin: str) -> Iterator[Any]:
    """Open by file object: LFS objects are stored without the .xlsx suffix openpyxl wants."""
    import openpyxl

    with open(path, "rb") as fh:
        try:
            workbook = openpyxl.load_workbook(fh, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises zip, XML and key errors alike on bad files
            raise ConversionError(f"{origin}: not a readable .xlsx workbook ({exc})") from None
        try:
            yield workbook
        finally:
            workbook.close()


def sheet_names(path: Path, origin: str) -> list[str]:
    with _open(path, origin) as workbook:
        return list(workbook.sheetnames)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, dt.datetime):
        return "datetime"
    if isinstance(value, dt.date):
        return "date"
    return "str"


def _arrow_type(kinds: set[str]) -> pa.DataType:
    if not kinds:
        return pa.string()
    if kinds == {"bool"}:
        return pa.bool_()
    if kinds == {"int"}:
        return pa.int64()
    if kinds <= {"int", "float"}:
        return pa.float64()
    if kinds <= {"datetime", "date"}:
        return pa.timestamp("us")
    return pa.string()


def _cell(value: Any, target: pa.DataType) -> Any:
    if value is None:
        return None
    if pa.types.is_string(target):
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return value.isoformat() if isinstance(value, dt.date | dt.time) else str(value)
    if pa.types.is_timestamp(target) and not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day)
    return value


def read_sheet(
    path: Path, origin: str, sheet: str, plan: ReadPlan, progress: Progress
) -> Iterator[pa.RecordBatch]:
    with _open(path, origin) as workbook:
        if sheet not in workbook.sheetnames:
            raise ConversionError(f"{origin}: no sheet named {sheet!r}")
        ws = workbook[sheet]
        rows = ws.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise ConversionError(f"{origin} [{sheet}]: the sheet is empty")
        width = len(header)
        while width and header[width - 1] is None:
            width -= 1
        names = _unique_names(["" if h is None else str(h) for h in header[:width]])
        kinds: list[set[str]] = [set() for _ in names]
        for row in rows:
            for i, value in enumerate(row[:width]):
                if value is not None:
                    kinds[i].add(_kind(value))
        types = [plan.overrides.get(n) or _arrow_type(k) for n, k in zip(names, kinds, strict=True)]
        schema = pa.schema(list(zip(names, types, strict=True)))
        yield pa.RecordBatch.from_arrays([pa.array([], type=t) for t in types], schema=schema)
        columns: list[list[Any]] = [[] for _ in names]
        count = 0
        for row_number, row in enumerate(ws.iter_rows(min_row=2, values_only=True), 2):
            if all(v is None for v in row[:width]):
                continue
            padded = list(row[:width]) + [None] * (width - len(row))
            for i, value in enumerate(padded):
                columns[i].append(_cell(value, types[i]))
            count += 1
            if count >= BATCH_ROWS:
                yield _batch(columns, schema, origin, sheet, row_number)
                columns = [[] for _ in names]
                count = 0
        yield _batch(columns, schema, origin, sheet, ws.max_row or 0)
        progress(path.stat().st_size)


def _batch(
    columns: list[list[Any]], schema: pa.Schema, origin: str, sheet: str, row: int
) -> pa.RecordBatch:
    try:
        return pa.RecordBatch.from_arrays(
            [pa.array(col, type=f.type) for col, f in zip(columns, schema, strict=True)],
            schema=schema,
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as exc:
        raise ConversionError(f"{origin} [{sheet}] near row {row}: {exc}") from None
