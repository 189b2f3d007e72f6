"""The limited child process (datasets/isolate.py) and the viewer's cell and page caps."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest

from nbopen.datasets import isolate
from nbopen.datasets.features import (
    CELL_MAX_CHARS,
    clip_strings,
    fit_page,
    rows_from_table,
)

# The default resident-memory limit (NBOPEN_CONVERT_MEMORY_MB).
LIMIT = {"memory": 4096 << 20, "cpu": 30, "output": 64 << 20}


def _split(tmp_path: Path, name: str, data: bytes, fmt: str, **limit: int) -> object:
    source = tmp_path / name
    source.write_bytes(data)
    return isolate.run(
        {
            "op": "split",
            "fmt": fmt,
            "sources": [[name, str(source), len(data)]],
            "out_dir": str(tmp_path / "out"),
            "options": {},
            "first_rows": 100,
            "first_rows_max_bytes": 200_000,
            "index_name": "search.sqlite3",
        },
        limit={**LIMIT, **limit},
    )


def test_child_converts_and_answers_json(tmp_path: Path) -> None:
    answer = _split(tmp_path, "d.csv", "城市,n\n宁波,1\n杭州,2\n".encode(), "csv")
    assert isinstance(answer, dict)
    assert answer["num_rows"] == 2 and answer["num_columns"] == 2
    assert answer["first_rows"]["rows"][0]["row"] == {"城市": "宁波", "n": 1}
    assert answer["statistics"]["num_examples"] == 2
    assert (tmp_path / "out" / answer["files"][0]["filename"]).exists()


def test_child_reports_a_conversion_error_with_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(isolate.IsolatedError, match=r"bad\.csv.*line 3"):
        _split(tmp_path, "bad.csv", b"a,b\n1,2\n3\n", "csv")


def test_child_over_its_memory_limit_fails_with_the_reason(tmp_path: Path) -> None:
    # 64 MiB resident cannot even hold the interpreter and pyarrow.
    with pytest.raises(isolate.IsolatedError, match="64 MiB"):
        _split(tmp_path, "d.csv", b"a\n1\n", "csv", memory=64 << 20)


def test_cells_are_cut_inside_arrow_and_pages_fit_their_budget() -> None:
    table = pa.table({"id": [1, 2], "text": ["短", "长" * (CELL_MAX_CHARS * 3)]})
    rows = rows_from_table(table, 10)
    assert rows[0]["truncated_cells"] == [] and rows[0]["row"]["text"] == "短"
    assert rows[1]["row_idx"] == 11 and rows[1]["truncated_cells"] == ["text"]
    assert len(rows[1]["row"]["text"]) == CELL_MAX_CHARS
    page = fit_page(rows * 50, max_bytes=100_000)
    assert len(page) == 100  # rows are never dropped
    assert len(json.dumps(page, ensure_ascii=False).encode()) <= 100_000
    stats = clip_strings({"frequencies": {"x" * 5000: 1}, "n": 3})
    assert stats == {"frequencies": {"x" * 1000: 1}, "n": 3}
