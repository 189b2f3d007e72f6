"""Arrow schemas as Hugging Face ``datasets`` features, and Arrow values as JSON cells."""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
import math
from typing import Any

import pyarrow as pa

_SIMPLE: list[tuple[Any, str]] = [
    (pa.types.is_boolean, "bool"),
    (pa.types.is_int8, "int8"),
    (pa.types.is_int16, "int16"),
    (pa.types.is_int32, "int32"),
    (pa.types.is_int64, "int64"),
    (pa.types.is_uint8, "uint8"),
    (pa.types.is_uint16, "uint16"),
    (pa.types.is_uint32, "uint32"),
    (pa.types.is_uint64, "uint64"),
    (pa.types.is_float16, "float16"),
    (pa.types.is_float32, "float32"),
    (pa.types.is_float64, "float64"),
    (pa.types.is_date32, "date32"),
    (pa.types.is_date64, "date64"),
    (pa.types.is_null, "null"),
]


def dtype_name(t: pa.DataType) -> str:
    for check, name in _SIMPLE:
        if check(t):
            return name
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return "string"
    if pa.types.is_binary(t) or pa.types.is_large_binary(t):
        return "binary"
    if pa.types.is_timestamp(t):
        return f"timestamp[{t.unit}{', tz=' + t.tz if t.tz else ''}]"
    if pa.types.is_time(t):
        return f"time{t.bit_width}[{t.unit}]"
    if pa.types.is_duration(t):
        return f"duration[{t.unit}]"
    if pa.types.is_decimal(t):
        return f"decimal128({t.precision}, {t.scale})"
    return str(t)


def feature_type(t: pa.DataType) -> dict[str, Any]:
    """One ``datasets`` feature as serialized in dataset_info (``_type`` keys)."""
    if pa.types.is_dictionary(t):
        return feature_type(t.value_type)
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        return {"feature": feature_type(t.value_type), "_type": "List"}
    if pa.types.is_struct(t):
        return {t.field(i).name: feature_type(t.field(i).type) for i in range(t.num_fields)}
    return {"dtype": dtype_name(t), "_type": "Value"}


def features_list(schema: pa.Schema) -> list[dict[str, Any]]:
    """The viewer's ``features`` array: index, name and type per column."""
    return [
        {"feature_idx": i, "name": f.name, "type": feature_type(f.type)}
        for i, f in enumerate(schema)
    ]


def features_dict(features: list[dict[str, Any]]) -> dict[str, Any]:
    return {f["name"]: f["type"] for f in features}


def jsonable(value: Any) -> Any:
    """A cell as the Hub returns it: ISO dates, NaN as null, bytes base64."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        if value and isinstance(value[0], tuple) and len(value[0]) == 2:  # Arrow map
            return {str(k): jsonable(v) for k, v in value}
        return [jsonable(v) for v in value]
    return str(value)


# A viewer cell is cut to this many characters (strings are cut inside Arrow, before they
# become Python objects) and a page of rows is fitted into PAGE_MAX_BYTES of JSON, so one
# 100 MiB cell cannot make every page of its split 100 MiB.
CELL_MAX_CHARS = 10_000
PAGE_MAX_BYTES = 500_000
MIN_CELL_BYTES = 100


def _clip_columns(table: pa.Table) -> tuple[pa.Table, dict[str, list[bool]]]:
    import pyarrow.compute as pc

    clipped: dict[str, list[bool]] = {}
    for i, field in enumerate(table.schema):
        if not (pa.types.is_string(field.type) or pa.types.is_large_string(field.type)):
            continue
        column = table.column(i)
        too_long = pc.fill_null(pc.greater(pc.utf8_length(column), CELL_MAX_CHARS), False)
        if not pc.any(too_long).as_py():
            continue
        clipped[field.name] = too_long.to_pylist()
        table = table.set_column(i, field, pc.utf8_slice_codeunits(column, 0, CELL_MAX_CHARS))
    return table, clipped


def rows_from_table(table: pa.Table, first_index: int | list[int]) -> list[dict[str, Any]]:
    """Viewer rows (``row_idx``, ``row``, ``truncated_cells``) for a table slice; cells over
    :data:`CELL_MAX_CHARS` are cut and named in ``truncated_cells``."""
    table, clipped = _clip_columns(table)
    records = table.to_pylist()
    if isinstance(first_index, int):
        indices = list(range(first_index, first_index + len(records)))
    else:
        indices = first_index
    rows = []
    for n, (idx, rec) in enumerate(zip(indices, records, strict=True)):
        row = {k: jsonable(v) for k, v in rec.items()}
        cut = [name for name, flags in clipped.items() if flags[n]]
        for key, value in row.items():
            if isinstance(value, str) and len(value) > 4 * CELL_MAX_CHARS and key not in cut:
                row[key] = value[:CELL_MAX_CHARS]  # base64 of long binary cells
                cut.append(key)
        rows.append({"row_idx": idx, "row": row, "truncated_cells": cut})
    return rows


def fit_page(rows: list[dict[str, Any]], max_bytes: int = PAGE_MAX_BYTES) -> list[dict[str, Any]]:
    """Cut the longest cells of a page (never drop rows: ``offset``/``length`` are the
    client's) until its JSON fits in ``max_bytes``, or every cell is at MIN_CELL_BYTES."""
    limit = CELL_MAX_CHARS
    while limit > MIN_CELL_BYTES:
        if len(json.dumps(rows, ensure_ascii=False).encode()) <= max_bytes:
            return rows
        limit = max(MIN_CELL_BYTES, limit // 4)
        for row in rows:
            for key, value in row["row"].items():
                text = value if isinstance(value, str) else None
                if text is None and isinstance(value, dict | list):
                    text = json.dumps(value, ensure_ascii=False)
                if text is not None and len(text) > limit:
                    row["row"][key] = text[:limit]
                    if key not in row["truncated_cells"]:
                        row["truncated_cells"].append(key)
    return rows


def clip_strings(value: Any, max_chars: int = 1000) -> Any:
    """``value`` with every string longer than ``max_chars`` cut (statistics keep category
    values as keys and strings: a 100 MiB value must not ride along)."""
    if isinstance(value, str):
        return value[:max_chars]
    if isinstance(value, dict):
        return {clip_strings(k, max_chars): clip_strings(v, max_chars) for k, v in value.items()}
    if isinstance(value, list):
        return [clip_strings(v, max_chars) for v in value]
    return value


def truncate_rows(
    rows: list[dict[str, Any]], *, max_bytes: int, min_rows: int = 10, min_cell_bytes: int = 100
) -> tuple[list[dict[str, Any]], bool]:
    """Fit a preview into ``max_bytes`` of JSON, as the Hub's first-rows step does.

    Rows are dropped from the end down to ``min_rows``; if that is still too big, long cells
    are cut to ``min_cell_bytes`` characters and listed in ``truncated_cells``.
    """

    def size(items: list[dict[str, Any]]) -> int:
        return len(json.dumps(items, ensure_ascii=False).encode())

    truncated = False
    while len(rows) > min_rows and size(rows) > max_bytes:
        rows = rows[: max(min_rows, len(rows) * 3 // 4)]
        truncated = True
    if size(rows) > max_bytes:
        for row in rows:
            for key, value in row["row"].items():
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                if len(text.encode()) > min_cell_bytes:
                    row["row"][key] = text[:min_cell_bytes]
                    row["truncated_cells"].append(key)
                    truncated = True
    return rows, truncated
