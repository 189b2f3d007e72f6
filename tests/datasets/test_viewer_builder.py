"""The dataset page's filter builder and table cells (``nbopen.datasets.viewer``).

Builder rows are compiled to the ``where`` language and run through the real parser and
DuckDB over a real Parquet file; hostile column names and values must select exactly the
rows plain Python selects, and never change the query's shape.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from nbopen.datasets.features import features_list
from nbopen.datasets.models import SplitResult
from nbopen.datasets.query import filter_rows
from nbopen.datasets.viewer import (
    CELL_BYTES,
    Condition,
    cell,
    compile_conditions,
    compile_orderby,
)
from nbopen.datasets.wherelang import FilterError

HOSTILE = 'a" OR 1=1 --'
ROWS = [
    {"id": i, HOSTILE: f"x' OR '1'='1 {i}" if i % 3 == 0 else f"港口{i}", "ok": i % 2 == 0}
    for i in range(30)
]


@pytest.fixture
def split(tmp_path: Path) -> tuple[SplitResult, list[Path]]:
    table = pa.Table.from_pylist(ROWS)
    path = tmp_path / "0000.parquet"
    pq.write_table(table, path)
    return SplitResult(features=features_list(table.schema)), [path]


def _ids(split: tuple[SplitResult, list[Path]], where: str, orderby: str = "") -> list[int]:
    result, files = split
    names = [f["name"] for f in result.features]
    found, total = filter_rows(
        files, names, where=where or None, orderby=orderby or None, offset=0, length=100
    )
    assert total == len(found)
    return [r["row"]["id"] for r in found]


def test_hostile_names_and_values_select_exactly(split: tuple[SplitResult, list[Path]]) -> None:
    result, _ = split
    value = "x' OR '1'='1 9"
    where = compile_conditions(result, [Condition(HOSTILE, "=", value)])
    assert _ids(split, where) == [r["id"] for r in ROWS if r[HOSTILE] == value] == [9]
    where = compile_conditions(result, [Condition(HOSTILE, "contains", "' OR '")])
    assert _ids(split, where) == [r["id"] for r in ROWS if "' OR '" in r[HOSTILE]]
    where = compile_conditions(result, [Condition(HOSTILE, "startswith", "港口1")])
    assert _ids(split, where) == [r["id"] for r in ROWS if r[HOSTILE].startswith("港口1")]


def test_types_joins_nulls_and_order(split: tuple[SplitResult, list[Path]]) -> None:
    result, _ = split
    conds = [Condition("id", ">=", "20"), Condition("ok", "=", "true")]
    assert compile_conditions(result, conds) == '"id" >= 20 AND "ok" = TRUE'
    assert _ids(split, compile_conditions(result, conds)) == [20, 22, 24, 26, 28]
    either = compile_conditions(
        result, [Condition("id", "<", "2"), Condition("id", ">", "27")], "OR"
    )
    assert _ids(split, either) == [0, 1, 28, 29]
    assert _ids(split, compile_conditions(result, [Condition("id", "isnull")])) == []
    order = compile_orderby(result, "id", descending=True)
    assert _ids(split, "", order)[:3] == [29, 28, 27]
    # A number typed into a text column stays a string literal.
    assert (
        compile_conditions(result, [Condition(HOSTILE, "=", "12")])
        == f"\"{HOSTILE.replace(chr(34), chr(34) * 2)}\" = '12'"
    )


def test_unknown_column_or_operator_is_refused(split: tuple[SplitResult, list[Path]]) -> None:
    result, _ = split
    with pytest.raises(FilterError):
        compile_conditions(result, [Condition("nope", "=", "1")])
    with pytest.raises(FilterError):
        compile_conditions(result, [Condition("id", "; DROP TABLE t", "1")])
    with pytest.raises(FilterError):
        compile_orderby(result, "nope", descending=False)


def test_cells_are_cut_on_a_character_boundary() -> None:
    long = "集装箱" * 200  # 3 bytes per character
    c = cell(long)
    assert c.truncated and c.text.endswith("…")
    body = c.text[:-1]
    assert len(body.encode()) <= CELL_BYTES and long.startswith(body)
    assert cell(None).null and cell({"a": [1]}).text == '{"a": [1]}'
    assert not cell("短").truncated
