"""The datasets building blocks on their own: layout, encodings, converters, filter language,
statistics. Expected values are computed here with plain Python."""

from __future__ import annotations

import json
import random
import statistics
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from nbopen.datasets import layout
from nbopen.datasets.convert import ConversionError, Source, convert_split
from nbopen.datasets.convert.encoding import detect_encoding
from nbopen.datasets.features import truncate_rows
from nbopen.datasets.query import filter_rows, read_indices, read_range
from nbopen.datasets.search import build_index, search
from nbopen.datasets.stats import compute_statistics
from nbopen.datasets.wherelang import FilterError, compile_where, parse_orderby, parse_where
from nbopen.repos import cards


def convert(tmp_path: Path, files: dict[str, bytes], fmt: str = "csv") -> pa.Table:
    sources = []
    for name, data in files.items():
        path = tmp_path / name
        path.write_bytes(data)
        sources.append(Source(name, path, len(data)))
    out = convert_split(fmt=fmt, sources=sources, out_dir=tmp_path / "out", options={})
    return pa.concat_tables(pq.read_table(tmp_path / "out" / f.filename) for f in out.files)


# Layout -----------------------------------------------------------------------------------


def test_split_names_follow_hub_conventions() -> None:
    paths = [
        "README.md",
        "data/train-00000-of-00002.parquet",
        "data/train-00001-of-00002.parquet",
        "data/validation.parquet",
        "data/test-00000.parquet",
        "notes.txt",
    ]
    [config] = layout.infer_layout(paths, {})
    assert config.format == "parquet"
    assert [(s.name, s.files) for s in config.splits] == [
        ("train", paths[1:3]),
        ("validation", ["data/validation.parquet"]),
        ("test", ["data/test-00000.parquet"]),
    ]
    # "contest.csv" and "trainer.csv" do not name a split: the word must stand alone.
    [plain] = layout.infer_layout(["contest.csv", "trainer.csv"], {})
    assert [(s.name, s.files) for s in plain.splits] == [("train", ["contest.csv", "trainer.csv"])]


def test_readme_configs_block() -> None:
    card = cards.front_matter_data(
        "---\nlicense: mit\nconfigs:\n- config_name: ports\n  data_files:\n"
        "  - split: train\n    path: ports/*.csv\n  - split: test\n    path: eval/p.csv\n"
        "- config_name: ships\n  data_files: ships/**/*.jsonl\n---\n# card\n"
    )
    paths = ["ports/a.csv", "ports/b.csv", "eval/p.csv", "ships/x/1.jsonl", "other.csv"]
    configs = layout.infer_layout(paths, card)
    assert [(c.name, c.format, [(s.name, s.files) for s in c.splits]) for c in configs] == [
        ("ports", "csv", [("train", ["ports/a.csv", "ports/b.csv"]), ("test", ["eval/p.csv"])]),
        ("ships", "json", [("train", ["ships/x/1.jsonl"])]),
    ]
    with pytest.raises(layout.LayoutError, match="no data file"):
        layout.infer_layout(paths, {"configs": [{"config_name": "x", "data_files": "nope/*"}]})
    with pytest.raises(layout.LayoutError):
        layout.infer_layout(paths, {"configs": [{"config_name": "../x", "data_files": "*.csv"}]})


# Encodings and converters -------------------------------------------------------------------


def test_encoding_detection() -> None:
    text = "城市,吞吐量\n宁波,1200\n舟山,900\n"
    assert detect_encoding(text.encode("gbk"), complete=True) == "gb18030"
    assert detect_encoding(text.encode("utf-8"), complete=True) == "utf-8"
    assert detect_encoding(b"\xef\xbb\xbf" + text.encode(), complete=True) == "utf-8-sig"
    # A sample that cuts a 3-byte character in half is still UTF-8.
    assert detect_encoding(text.encode()[:4], complete=False) == "utf-8"


def test_csv_bom_gbk_and_blank_headers(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    bom = convert(tmp_path / "a", {"x.csv": b"\xef\xbb\xbfid,,id\n1,2,3\n"})
    assert bom.column_names == ["id", "column_1", "id_2"]
    (tmp_path / "b").mkdir()
    gbk = convert(tmp_path / "b", {"g.csv": "名称;数量\n螺丝;5\n".encode("gbk")})
    assert gbk.to_pylist() == [{"名称": "螺丝", "数量": 5}]


def test_csv_type_widening_over_a_late_value(tmp_path: Path) -> None:
    lines = ["n,s"] + [f"{i},x" for i in range(300_000)] + ["2.5,y"]
    table = convert(tmp_path, {"w.csv": "\n".join(lines).encode()})
    assert table.schema.field("n").type == pa.float64()
    assert table.num_rows == 300_001 and table.column("n")[-1].as_py() == 2.5


def test_split_files_with_different_inferred_types_are_unified(tmp_path: Path) -> None:
    table = convert(tmp_path, {"a.csv": b"v\n1\n2\n", "b.csv": b"v\nabc\n"})
    assert table.schema.field("v").type == pa.string()
    assert table.column("v").to_pylist() == ["1", "2", "abc"]


def test_malformed_csv_names_file_and_line(tmp_path: Path) -> None:
    data = b'a,b\n1,"two\nlines"\n3,4,5\n'
    with pytest.raises(ConversionError, match=r"bad\.csv, line 4: expected 2 columns, got 3"):
        convert(tmp_path, {"bad.csv": data})


def test_json_lines_with_conflicting_types_and_bad_lines(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    rows = [{"v": 1, "t": "a"}, {"v": "x", "t": "b"}]
    table = convert(
        tmp_path / "a", {"m.jsonl": "\n".join(json.dumps(r) for r in rows).encode()}, "json"
    )
    assert table.num_rows == 2 and table.column("t").to_pylist() == ["a", "b"]
    (tmp_path / "b").mkdir()
    with pytest.raises(ConversionError, match="line 2: invalid JSON"):
        convert(tmp_path / "b", {"bad.jsonl": b'{"a": 1}\n{"a": \n'}, "json")


# Filter language ------------------------------------------------------------------------------


def test_where_compiles_to_placeholders_only() -> None:
    node = parse_where(
        "\"城市\" = 'a''b' AND (n >= -1.5 OR NOT flag = true) AND s LIKE '%x%' "
        "AND n IN (1, 2) AND s IS NOT NULL",
        ["城市", "n", "flag", "s"],
    )
    sql, params = compile_where(node)
    assert params == ["a'b", -1.5, True, "%x%", 1, 2]
    assert "a'b" not in sql and "1.5" not in sql
    assert sql.count("?") == len(params)
    assert parse_orderby('"城市" DESC, n', ["城市", "n"]) == '"城市" DESC, "n" ASC'


@pytest.mark.parametrize(
    "where",
    [
        "n = 1; DROP TABLE t",
        "n = 1 --",
        "n = (SELECT 1)",
        "read_csv('/etc/passwd') = 1",
        "n = 1 OR",
        "unknown = 1",
        "n = ",
        "n == 1",
        "(" * 100 + "n = 1" + ")" * 100,
        " OR ".join(["n = 1"] * 500),
    ],
)
def test_hostile_where_is_rejected(where: str) -> None:
    with pytest.raises(FilterError):
        compile_where(parse_where(where, ["n"]))


def test_hostile_orderby_is_rejected() -> None:
    for bad in ["n; DROP", "n DESC DESC", "random()", "n,", '"x"']:
        with pytest.raises(FilterError):
            parse_orderby(bad, ["n"])


def test_quoted_column_names_cannot_break_out(tmp_path: Path) -> None:
    evil = 'a" = 1 OR "b'
    path = tmp_path / "0000.parquet"
    pq.write_table(pa.table({evil: [1, 2, 3], "b": [4, 5, 6]}), path)
    quoted = '"' + evil.replace('"', '""') + '"'
    rows, total = filter_rows(
        [path], [evil, "b"], where=f"{quoted} = 2", orderby=None, offset=0, length=10
    )
    assert total == 1 and rows[0]["row"] == {evil: 2, "b": 5}


# Reading, statistics, search ---------------------------------------------------------------


def test_rows_across_files_and_row_groups(tmp_path: Path) -> None:
    files = [tmp_path / "0000.parquet", tmp_path / "0001.parquet"]
    for path in files:
        pq.write_table(pa.table({"i": list(range(25_000))}), path, row_group_size=1000)
    page = read_range(files, 24_995, 10)
    assert page is not None and page.column("i").to_pylist() == [*range(24_995, 25_000), *range(5)]
    assert read_range(files, 50_000, 10) is None
    picked = read_indices(files, [49_999, 3, 25_000])
    assert picked.column("i").to_pylist() == [24_999, 3, 0]
    rows, total = filter_rows(
        files, ["i"], where="i >= 24998 AND i <= 24999", orderby=None, offset=0, length=10
    )
    assert total == 4
    assert [r["row_idx"] for r in rows] == [24_998, 24_999, 49_998, 49_999]


def test_statistics_against_python(tmp_path: Path) -> None:
    rng = random.Random(7)
    ints = [rng.randint(-50, 1000) for _ in range(5000)]
    floats = [rng.gauss(10, 3) if i % 17 else float("nan") for i in range(5000)]
    labels = [rng.choice(["红", "绿", "蓝"]) for _ in range(5000)]
    texts = [f"x{i}" * (i % 7 + 1) for i in range(5000)]
    path = tmp_path / "s.parquet"
    pq.write_table(pa.table({"i": ints, "f": floats, "l": labels, "t": texts}), path)
    body = compute_statistics([path], pq.read_schema(path), 5000)
    by = {c["column_name"]: c for c in body["statistics"]}
    si = by["i"]["column_statistics"]
    assert (si["min"], si["max"]) == (min(ints), max(ints))
    assert si["mean"] == pytest.approx(statistics.mean(ints), abs=1e-4)
    assert si["median"] == pytest.approx(statistics.median(ints))
    assert si["std"] == pytest.approx(statistics.stdev(ints), abs=1e-4)
    edges = si["histogram"]["bin_edges"]
    expected = [0] * (len(edges) - 1)
    for v in ints:
        expected[min((v - edges[0]) // (edges[1] - edges[0]), len(expected) - 1)] += 1
    assert si["histogram"]["hist"] == expected and sum(expected) == 5000
    sf = by["f"]["column_statistics"]
    clean = [v for v in floats if v == v]
    assert sf["nan_count"] == 5000 - len(clean)
    assert sf["mean"] == pytest.approx(statistics.mean(clean), abs=1e-4)
    assert by["l"]["column_type"] == "string_label"
    assert by["l"]["column_statistics"]["frequencies"] == {
        k: labels.count(k) for k in sorted(set(labels), key=lambda k: -labels.count(k))
    }
    assert by["t"]["column_type"] == "string_text"
    assert by["t"]["column_statistics"]["max"] == max(len(t) for t in texts)


def test_search_segments_chinese(tmp_path: Path) -> None:
    docs = ["宁波舟山港集装箱吞吐量创新高", "杭州湾跨海大桥", None, "集装箱运输 container shipping"]
    path = tmp_path / "0000.parquet"
    pq.write_table(pa.table({"d": pa.array(docs, pa.string()), "n": [1, 2, 3, 4]}), path)
    index = tmp_path / "search.sqlite3"
    assert build_index([path], pq.read_schema(path), index)
    assert search(index, "集装箱", offset=0, length=10) == ([0, 3], 2)
    assert search(index, "吞吐量", offset=0, length=10) == ([0], 1)
    assert search(index, "Container", offset=0, length=10) == ([3], 1)
    assert search(index, '" OR *', offset=0, length=10) == ([], 0)
    assert search(index, "集装箱", offset=1, length=1) == ([3], 2)


def test_preview_byte_budget() -> None:
    rows = [{"row_idx": i, "row": {"t": "长" * 5000}, "truncated_cells": []} for i in range(100)]
    kept, truncated = truncate_rows(rows, max_bytes=20_000)
    assert truncated and len(kept) == 10
    assert all(r["truncated_cells"] == ["t"] for r in kept)
    assert len(json.dumps(kept, ensure_ascii=False).encode()) < 20_000
