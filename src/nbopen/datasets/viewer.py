"""What the web viewer shows: one page of a split's rows, found by position, search or filter.

The viewer API (``hubapi/viewer``) and the dataset page read the same conversion outputs; this
module is the page's side of it, so the web view stays thin. Filter conditions chosen in the
page's builder are compiled to the ``where`` language (:mod:`nbopen.datasets.wherelang`) and
then parsed like any user text, so the builder can never produce something the API would not
accept, and nothing here ever touches SQL.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import duckdb
from django.utils.translation import gettext_noop

from nbopen.datasets import services, versioning
from nbopen.datasets.deadline import QueryTimeout
from nbopen.datasets.features import rows_from_table
from nbopen.datasets.models import Conversion, SplitResult
from nbopen.datasets.query import MAX_LENGTH, filter_rows, read_indices, read_range
from nbopen.datasets.search import search
from nbopen.datasets.wherelang import FilterError, parse_orderby, parse_where
from nbopen.repos.models import Repository

# One table cell shows at most this many UTF-8 bytes (the Hub cuts previews the same way).
CELL_BYTES = 300
MAX_QUERY = 1000

# Builder operators: name → how the condition is written in the ``where`` language.
OPERATORS = ("=", "<>", "<", "<=", ">", ">=", "contains", "startswith", "isnull", "notnull")
NUMERIC_DTYPES = re.compile(r"^(u?int\d+|float\d+|decimal)")


@dataclass
class Cell:
    text: str
    truncated: bool = False
    null: bool = False


@dataclass
class Row:
    index: int
    cells: list[Cell]


@dataclass
class RowsPage:
    """One page of rows, however they were chosen."""

    mode: str  # "rows", "search" or "filter"
    rows: list[Row]
    total: int
    offset: int
    length: int
    error: str = ""  # "unavailable", "too long", "timeout" or a filter error's message
    where: str = ""
    orderby: str = ""
    # The filter error itself, so a page can show its message in the reader's language.
    problem: FilterError | None = field(default=None, compare=False, repr=False)

    @property
    def first(self) -> int:
        return self.offset + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return self.offset + len(self.rows)

    @property
    def previous_offset(self) -> int | None:
        return max(0, self.offset - self.length) if self.offset > 0 else None

    @property
    def next_offset(self) -> int | None:
        return self.offset + self.length if self.offset + self.length < self.total else None


@dataclass(frozen=True)
class Condition:
    """One row of the filter builder: column, operator, value."""

    column: str
    op: str
    value: str = ""


@dataclass
class Selection:
    """The conversion shown and the split chosen in it (None while nothing is converted)."""

    conversion: Conversion | None
    splits: list[SplitResult] = field(default_factory=list)
    failed: list[SplitResult] = field(default_factory=list)
    split: SplitResult | None = None


def select(repo: Repository, config: str | None, split: str | None) -> Selection:
    """The default branch's conversion and the requested (or first) converted split."""
    conversion = services.current_conversion(repo)
    if conversion is None:
        return Selection(None)
    all_splits = list(conversion.splits.all())
    done = [s for s in all_splits if s.status == SplitResult.Status.DONE]
    failed = [s for s in all_splits if s.status == SplitResult.Status.FAILED]
    chosen = next((s for s in done if s.config == config and s.split == split), None)
    if chosen is None and config:
        chosen = next((s for s in done if s.config == config), None)
    if chosen is None and done:
        chosen = done[0]
    return Selection(conversion, done, failed, chosen)


def columns(split: SplitResult) -> list[str]:
    return [f["name"] for f in split.features]


def cell(value: Any) -> Cell:
    """A table cell: JSON for nested values, cut to CELL_BYTES on a character boundary."""
    if value is None:
        return Cell("null", null=True)
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    data = text.encode()
    if len(data) <= CELL_BYTES:
        return Cell(text)
    return Cell(data[:CELL_BYTES].decode("utf-8", "ignore") + "…", truncated=True)


def _rows(split: SplitResult, viewer_rows: list[dict[str, Any]]) -> list[Row]:
    names = columns(split)
    return [Row(r["row_idx"], [cell(r["row"].get(n)) for n in names]) for r in viewer_rows]


def _length(length: int) -> int:
    return max(1, min(MAX_LENGTH, length))


def rows_page(split: SplitResult, offset: int, length: int) -> RowsPage:
    length = _length(length)
    table = read_range(services.split_files(split), offset, length)
    found = rows_from_table(table, offset) if table is not None else []
    return RowsPage("rows", _rows(split, found), split.num_rows, offset, length)


def search_page(split: SplitResult, query: str, offset: int, length: int) -> RowsPage:
    """Rows containing every word of ``query`` (segmented with jieba like the index)."""
    length = _length(length)
    if not split.search_ready:
        return RowsPage("search", [], 0, offset, length, error="unavailable")
    if len(query) > MAX_QUERY:
        return RowsPage("search", [], 0, offset, length, error="too long")
    try:
        ids, total = search(services.search_index_path(split), query, offset=offset, length=length)
    except QueryTimeout:
        return RowsPage("search", [], 0, offset, length, error="timeout")
    found = rows_from_table(read_indices(services.split_files(split), ids), ids) if ids else []
    return RowsPage("search", _rows(split, found), total, offset, length)


def filter_page(split: SplitResult, where: str, orderby: str, offset: int, length: int) -> RowsPage:
    """Rows matching ``where`` sorted by ``orderby``; a bad expression becomes ``error``."""
    length = _length(length)
    try:
        found, total = filter_rows(
            services.split_files(split),
            columns(split),
            where=where or None,
            orderby=orderby or None,
            offset=offset,
            length=length,
        )
    except FilterError as exc:
        return RowsPage("filter", [], 0, offset, length, str(exc), where, orderby, exc)
    except QueryTimeout:
        return RowsPage("filter", [], 0, offset, length, "timeout", where, orderby)
    return RowsPage("filter", _rows(split, found), total, offset, length, "", where, orderby)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _literal(dtype: str, value: str) -> str:
    value = value.strip()
    if NUMERIC_DTYPES.match(dtype) and re.fullmatch(r"-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", value):
        return value
    if dtype == "bool" and value.lower() in {"true", "false"}:
        return value.upper()
    return _string(value)


def _dtype(split: SplitResult, column: str) -> str:
    for f in split.features:
        if f["name"] == column:
            return str(f["type"].get("dtype", "")) if isinstance(f["type"], dict) else ""
    return ""


def compile_conditions(split: SplitResult, conditions: list[Condition], join: str = "AND") -> str:
    """The builder's rows as a ``where`` expression, checked by the real parser.

    Raises :class:`FilterError` for an unknown column or operator (or a parse failure).
    """
    known = set(columns(split))
    parts: list[str] = []
    for cond in conditions:
        if cond.column not in known:
            raise FilterError(gettext_noop("unknown column '%(column)s'"), column=cond.column)
        col = _ident(cond.column)
        if cond.op == "isnull":
            parts.append(f"{col} IS NULL")
        elif cond.op == "notnull":
            parts.append(f"{col} IS NOT NULL")
        elif cond.op == "contains":
            parts.append(f"{col} LIKE {_string('%' + cond.value + '%')}")
        elif cond.op == "startswith":
            parts.append(f"{col} LIKE {_string(cond.value + '%')}")
        elif cond.op in OPERATORS:
            parts.append(f"{col} {cond.op} {_literal(_dtype(split, cond.column), cond.value)}")
        else:
            raise FilterError(gettext_noop("unknown operator '%(op)s'"), op=cond.op)
    glue = " OR " if join.upper() == "OR" else " AND "
    where = glue.join(parts)
    if where:
        parse_where(where, columns(split))
    return where


def compile_orderby(split: SplitResult, column: str, descending: bool) -> str:
    """``"column" ASC|DESC``, checked by the real parser (FilterError if unknown)."""
    if not column:
        return ""
    text = f"{_ident(column)} {'DESC' if descending else 'ASC'}"
    parse_orderby(text, columns(split))
    return text


# Versions ------------------------------------------------------------------------------


def converted_revisions(repo: Repository) -> list[Conversion]:
    """The finished conversions still kept (newest first): what the versions tab offers."""
    return list(
        Conversion.objects.filter(repository=repo, status=Conversion.Status.DONE).order_by(
            "-created_at"
        )
    )


@dataclass
class Comparison:
    old: Conversion | None
    new: Conversion | None
    diff: dict[str, Any] | None = None
    problem: str = ""  # "none", "pending", "failed", "gone", "unknown"


def _ready(conversion: Conversion | None) -> str:
    if conversion is None:
        return "unknown"
    if conversion.status in {Conversion.Status.PENDING, Conversion.Status.RUNNING}:
        return "pending"
    if conversion.status == Conversion.Status.FAILED:
        return "failed"
    return ""


def compare(repo: Repository, from_rev: str, to_rev: str, key: str | None) -> Comparison:
    """Diff two revisions (``to`` defaults to the default branch, ``from`` to the one
    converted before it), through :func:`nbopen.datasets.versioning.diff`."""
    new = services.conversion_at(repo, to_rev or repo.default_branch)
    if problem := _ready(new):
        return Comparison(None, new, problem=problem)
    assert new is not None
    old = services.conversion_at(repo, from_rev) if from_rev else services.previous_conversion(new)
    if old is None and not from_rev:
        return Comparison(None, new, problem="none")
    if problem := _ready(old):
        return Comparison(old, new, problem=problem)
    assert old is not None
    try:
        return Comparison(old, new, versioning.diff(old, new, key=key or None))
    except (duckdb.Error, OSError):
        return Comparison(old, new, problem="gone")
