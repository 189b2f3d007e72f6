"""CSV/TSV, JSON Lines and plain text, streamed through Arrow with bounded memory.

Arrow's streaming readers infer column types from the first block. When a later block
disagrees (an integer column that turns out to hold ``3.5`` or ``n/a``), the reader raises;
we then widen that one column (int → float → string) and start the split again. This costs
a re-read only in that rare case and never holds more than a few blocks in memory.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.json as pajson

from nbopen.datasets.convert.encoding import detect_encoding, read_sample, sniff_delimiter

BLOCK_SIZE = 4 << 20
Progress = Callable[[int], None]  # bytes of the current source consumed so far


class ConversionError(Exception):
    """A user-facing message: which file, where, and why."""


@dataclass
class Widen(Exception):
    """Restart the split with ``column`` read as ``to`` (raised by the readers)."""

    column: str
    to: pa.DataType


@dataclass
class ReadPlan:
    """What the converter learnt so far about a split; survives restarts."""

    overrides: dict[str, pa.DataType] = field(default_factory=dict)


_CSV_CONVERSION = re.compile(
    r"In CSV column #(\d+): (?:Row #(\d+): )?CSV conversion error to ([\w\[\], ]+): "
    r"invalid value '(.*)'",
    re.DOTALL,
)
_JSON_CHANGED = re.compile(r"Column\(/([^)/]+)\) changed from (\w+) to (\w+)")


def _widen_for(current: pa.DataType | None, value: str | None) -> pa.DataType:
    if current is not None and pa.types.is_integer(current) and value is not None:
        try:
            float(value)
        except ValueError:
            return pa.string()
        return pa.float64()
    return pa.string()


def _unique_names(names: list[str]) -> list[str]:
    """Blank and repeated headers get ``column_N`` / ``name_2`` so every column is addressable."""
    seen: dict[str, int] = {}
    out = []
    for i, raw in enumerate(names):
        name = raw.strip() or f"column_{i}"
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 1
        out.append(name)
    return out


def read_csv(
    path: Path, origin: str, options: dict[str, str], plan: ReadPlan, progress: Progress
) -> Iterator[pa.RecordBatch]:
    sample = read_sample(path)
    complete = len(sample) < (1 << 20)
    encoding = options.get("encoding") or detect_encoding(sample, complete=complete)
    delimiter = options.get("sep") or options.get("delimiter")
    if not delimiter:
        if origin.lower().endswith(".tsv"):
            delimiter = "\t"
        else:
            text = sample.decode(encoding, errors="ignore")
            delimiter = sniff_delimiter(text)
    bad: list[str] = []

    def on_invalid(row: Any) -> str:
        try:
            where = _locate_bad_row(path, encoding, delimiter or ",", row.expected_columns)
        except Exception:  # the message must still be produced if the scan fails
            where = None
        line = f"line {where}" if where else "a row"
        bad.append(
            f"{origin}, {line}: expected {row.expected_columns} columns, got "
            f"{row.actual_columns}: {row.text[:200]!r}"
        )
        return "error"

    read_options = pacsv.ReadOptions(
        block_size=BLOCK_SIZE, encoding="utf8" if encoding in {"utf-8", "utf-8-sig"} else encoding
    )
    parse_options = pacsv.ParseOptions(delimiter=delimiter, invalid_row_handler=on_invalid)
    with pa.OSFile(str(path)) as raw:
        try:
            reader = pacsv.open_csv(
                raw,
                read_options=read_options,
                parse_options=parse_options,
                convert_options=pacsv.ConvertOptions(
                    strings_can_be_null=True, column_types=plan.overrides
                ),
            )
            names = _unique_names(reader.schema.names)
            yield pa.RecordBatch.from_arrays(
                [pa.array([], type=f.type) for f in reader.schema], names=names
            )
            for batch in reader:
                progress(raw.tell())
                yield batch.rename_columns(names)
        except pa.ArrowInvalid as exc:
            message = str(exc)
            if bad:
                raise ConversionError(bad[0]) from None
            m = _CSV_CONVERSION.search(message)
            if m is not None:
                # open_csv may fail on its first block, before ``reader`` exists: the header
                # names come from the sample then.
                text = sample.decode(encoding, errors="replace").lstrip("\ufeff")
                header = next(csv.reader(io.StringIO(text), delimiter=delimiter), [])
                index = int(m.group(1))
                if index >= len(header):
                    raise ConversionError(f"{origin}: {message}") from None
                column = _unique_names(header)[index]
                current = plan.overrides.get(column)
                if current is None and "reader" in locals():
                    current = reader.schema.field(index).type
                raise Widen(column, _widen_for(current, m.group(4))) from None
            if "Empty CSV file" in message:
                raise ConversionError(f"{origin}: the file is empty") from None
            raise ConversionError(f"{origin}: {message}") from None
        except UnicodeDecodeError as exc:
            raise ConversionError(
                f"{origin}: not valid {encoding} text near byte {exc.start}: {exc.reason}"
            ) from None


def _locate_bad_row(path: Path, encoding: str, delimiter: str, expected: int) -> int | None:
    """The line number of the first row without ``expected`` fields (error path only)."""
    with open(path, encoding=encoding, errors="replace", newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        for record in reader:
            if record and len(record) != expected:
                return reader.line_num
    return None


def _first_char(path: Path) -> str:
    with open(path, "rb") as fh:
        head = fh.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    return head[:1].decode("ascii", "replace")


DUCKDB_MARKER = "\0duckdb"


def read_json(
    path: Path, origin: str, options: dict[str, str], plan: ReadPlan, progress: Progress
) -> Iterator[pa.RecordBatch]:
    """JSON Lines through Arrow; arrays and type-conflicting files through DuckDB."""
    if _first_char(path) == "[":
        yield from _read_json_duckdb(path, origin, "array", progress)
        return
    if DUCKDB_MARKER in plan.overrides:
        yield from _read_json_duckdb(path, origin, "newline_delimited", progress)
        return
    fields = [(n, t) for n, t in plan.overrides.items() if n != DUCKDB_MARKER]
    parse_options = pajson.ParseOptions(
        explicit_schema=pa.schema(fields) if fields else None,
        unexpected_field_behavior="infer",
        newlines_in_values=False,
    )
    with pa.OSFile(str(path)) as raw:
        try:
            reader = pajson.open_json(
                raw,
                read_options=pajson.ReadOptions(block_size=BLOCK_SIZE),
                parse_options=parse_options,
            )
            for batch in reader:
                progress(raw.tell())
                yield batch
        except pa.ArrowInvalid as exc:
            message = str(exc)
            if _JSON_CHANGED.search(message) is not None:
                # A field changes type between rows: DuckDB scans the whole file for types.
                raise Widen(DUCKDB_MARKER, pa.null()) from None
            raise ConversionError(f"{origin}: {_json_error_detail(path, message)}") from None


def _json_error_detail(path: Path, message: str) -> str:
    """Arrow's JSON errors lack line numbers; find the first bad line ourselves."""
    try:
        with open(path, encoding="utf-8") as fh:
            for number, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    value = json.loads(line)
                except json.JSONDecodeError as exc:
                    return f"line {number}: invalid JSON ({exc.msg} at column {exc.colno})"
                if not isinstance(value, dict):
                    return f"line {number}: each line must be a JSON object"
    except UnicodeDecodeError as exc:
        return f"not UTF-8 text near byte {exc.start}"
    return message


def _read_json_duckdb(
    path: Path, origin: str, fmt: str, progress: Progress
) -> Iterator[pa.RecordBatch]:
    """DuckDB's JSON reader: streams arrays, and with a full-file type scan settles mixed
    fields as JSON text instead of failing."""
    import duckdb

    con = duckdb.connect(config={"memory_limit": "512MB", "threads": 2})
    try:
        relation = con.sql(
            "SELECT * FROM read_json($path, format = $fmt, records = true, sample_size = -1)",
            params={"path": str(path), "fmt": fmt},
        )
        for batch in relation.to_arrow_reader(50_000):
            yield _json_columns_as_text(batch)
    except duckdb.Error as exc:
        raise ConversionError(f"{origin}: {str(exc).splitlines()[0]}") from None
    finally:
        con.close()
    progress(path.stat().st_size)


def _json_columns_as_text(batch: pa.RecordBatch) -> pa.RecordBatch:
    """DuckDB's JSON logical type arrives as an extension type; store it as plain text."""
    arrays = []
    for col in batch.columns:
        if isinstance(col.type, pa.ExtensionType):
            col = col.storage
        arrays.append(col)
    return pa.RecordBatch.from_arrays(arrays, names=batch.schema.names)


def read_text(
    path: Path, origin: str, options: dict[str, str], plan: ReadPlan, progress: Progress
) -> Iterator[pa.RecordBatch]:
    """One row per line, column ``text`` (the Hub's text builder)."""
    encoding = options.get("encoding") or detect_encoding(read_sample(path))
    lines: list[str] = []
    done = 0
    try:
        with open(path, encoding=encoding, newline=None) as fh:
            for line in fh:
                lines.append(line.rstrip("\n"))
                done += len(line)
                if len(lines) >= 50_000:
                    yield pa.RecordBatch.from_pydict({"text": pa.array(lines, pa.string())})
                    lines = []
                    progress(done)
    except UnicodeDecodeError as exc:
        raise ConversionError(f"{origin}: not valid {encoding} text: {exc.reason}") from None
    yield pa.RecordBatch.from_pydict({"text": pa.array(lines, pa.string())})
