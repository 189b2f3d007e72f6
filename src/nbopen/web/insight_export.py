"""Dashboard exports as spreadsheets: one proper CSV per table, zipped.

Why not the flat ``path,value`` dump: people open exports in Excel or WPS to sort and chart a
table, which a list of dotted paths does not allow. The dashboard dict is cut into tables by
its shape (a list of records, a metric → month series, a mapping of scalars), every table gets
a header row, and each file starts with a UTF-8 BOM so Excel reads Chinese names correctly
instead of guessing a legacy code page.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from typing import Any

Table = tuple[list[str], list[list[Any]]]
BOM = "\ufeff"
_MONTH = re.compile(r"^\d{4}-\d{2}$")
# A cell starting with one of these is a formula in a spreadsheet (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list) and all(_scalar(v) for v in value):
        value = "; ".join("" if v is None else str(v) for v in value)
    elif not _scalar(value):
        value = str(value)
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        # A negative number stays a number; anything else gets a quote to stay text.
        try:
            float(value)
        except ValueError:
            return "'" + value
    return value


def _records(items: list[dict[str, Any]]) -> Table:
    header: list[str] = []
    for item in items:
        header += [k for k in item if k not in header]
    return header, [[_cell(item.get(k)) for k in header] for item in items]


def _flat(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested mappings as dotted columns (``metrics.activity``)."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            out.update(_flat(value, name))
        else:
            out[name] = value
    return out


def _grid(name: str, data: dict[str, dict[str, Any]]) -> Table:
    """A mapping of mappings: a metric → month series becomes one row per month (the form a
    spreadsheet charts), anything else one row per outer key."""
    inner: list[str] = []
    for values in data.values():
        inner += [k for k in values if k not in inner]
    if inner and all(_MONTH.match(k) for k in inner):
        months = sorted(inner)
        return ["month", *data], [[m, *(_cell(data[k].get(m)) for k in data)] for m in months]
    return [name, *inner], [[key, *(_cell(v.get(k)) for k in inner)] for key, v in data.items()]


def tables(data: dict[str, Any], prefix: str = "") -> dict[str, Table]:
    """The tables of one dashboard dict, by name (``summary``, ``trend``, ``domains``, …)."""
    out: dict[str, Table] = {}
    summary: list[list[Any]] = []
    for key, value in data.items():
        name = f"{prefix}_{key}" if prefix else key
        if _scalar(value) or (isinstance(value, list) and all(_scalar(v) for v in value)):
            summary.append([key, _cell(value)])
        elif isinstance(value, list) and all(isinstance(v, dict) for v in value):
            out[name] = _records(value)
        elif isinstance(value, dict) and value and all(isinstance(v, dict) for v in value.values()):
            if all(_scalar(x) for v in value.values() for x in v.values()):
                out[name] = _grid(key, value)
            else:
                out[name] = _grid(key, {k: _flat(v) for k, v in value.items()})
        elif isinstance(value, dict):
            out.update(tables(value, name))
        else:
            summary.append([key, _cell(value)])
    if summary:
        out = {prefix or "summary": (["field", "value"], summary), **out}
    return out


def to_csv(table: Table) -> bytes:
    header, rows = table
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def to_zip(data: dict[str, Any], folder: str) -> bytes:
    """Every table as ``{folder}/{table}.csv`` in one zip."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, table in tables(data).items():
            archive.writestr(f"{folder}/{name}.csv", to_csv(table))
    return buffer.getvalue()
