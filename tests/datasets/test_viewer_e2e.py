"""Real files pushed with git (and git-lfs) to a live server, then read back through the
viewer API. Every expected value is computed here from the data the test generated."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import random
import statistics
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.datasets.support import create_dataset, fetch, get, push_files, wait_converted
from tests.support.live import LiveServer

pytestmark = pytest.mark.e2e

OWNER = "datafan"
CITIES = ["宁波", "杭州", "上海"]
PHRASES = ["集装箱吞吐量稳步增长", "智能制造产线升级", "港口物流效率提升", "new energy vehicles"]


def _utf8_rows() -> list[dict[str, Any]]:
    rng = random.Random(5)
    return [
        {
            "id": i,
            "name": f"用户{i}",
            "score": round(rng.uniform(0, 100), 3),
            "city": CITIES[i % 3],
            "note": f"{PHRASES[i % 4]} 第{i}条",
        }
        for i in range(120)
    ]


def _csv_bytes(rows: list[dict[str, Any]], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def _xlsx_bytes() -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "设备"
    ws.append(["编号", "名称", "功率"])
    for i in range(30):
        ws.append([i, f"机床{i}", 1.5 * i])
    ws2 = wb.create_sheet("订单")
    ws2.append(["order_id", "qty"])
    for i in range(7):
        ws2.append([f"PO-{i}", i * 10])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _parquet_bytes() -> bytes:
    table = pa.table(
        {
            "x": pa.array(list(range(1000)), pa.int64()),
            "flag": pa.array([i % 4 == 0 for i in range(1000)]),
            "tags": pa.array([[f"t{j}" for j in range(i % 5)] for i in range(1000)]),
        }
    )
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


@pytest.fixture(scope="module")
def datasets(live: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Push every kind of file once; returns tokens and the generated data."""
    token = live.create_user(OWNER)
    other = live.create_user("ds-outsider")
    base = tmp_path_factory.mktemp("ds")
    utf8 = _utf8_rows()
    gbk_rows = [
        {
            "城市": CITIES[i % 3],
            "港口": f"{CITIES[i % 3]}港",
            "吞吐量": 100 + i,
            "说明": PHRASES[i % 4],
        }
        for i in range(40)
    ]
    jsonl = [
        {
            "text": PHRASES[i % 4],
            "label": i % 2,
            "weight": i / 10,
            "ts": f"2024-03-{i % 28 + 1:02d}",
        }
        for i in range(64)
    ]
    train = [{"q": f"问题{i}", "a": i} for i in range(30)]
    test = [{"q": f"问题{i}", "a": i} for i in range(30, 40)]
    specs: dict[str, tuple[dict[str, bytes], tuple[str, ...], bool]] = {
        "utf8": ({"data.csv": _csv_bytes(utf8)}, (), False),
        "gbk": ({"ports.csv": _csv_bytes(gbk_rows, "gbk")}, (), False),
        "jsonl": (
            {
                "records.jsonl": "".join(
                    json.dumps(r, ensure_ascii=False) + "\n" for r in jsonl
                ).encode()
            },
            (),
            False,
        ),
        "excel": ({"factory.xlsx": _xlsx_bytes()}, ("*.xlsx",), False),
        "parquet": ({"table.parquet": _parquet_bytes()}, ("*.parquet",), False),
        "folders": (
            {
                "data/train/part-0.csv": _csv_bytes(train[:20]),
                "data/train/part-1.csv": _csv_bytes(train[20:]),
                "data/test/part-0.csv": _csv_bytes(test),
                "README.md": b"---\nlicense: apache-2.0\n---\n# QA\n",
            },
            (),
            False,
        ),
        "broken": ({"bad.csv": b"a,b,c\n1,2,3\n4,5,6\n7,8\n9,10,11\n"}, (), False),
        "secret": ({"data.csv": _csv_bytes(utf8)}, (), True),
    }
    shas = {}
    for name, (files, lfs, private) in specs.items():
        create_dataset(live, token, name, private=private)
        shas[name] = push_files(live, token, OWNER, name, base / name, files, lfs=lfs)
    for name in specs:
        wait_converted(live, f"{OWNER}/{name}", token)
    return {
        "token": token,
        "other": other,
        "utf8": utf8,
        "gbk": gbk_rows,
        "jsonl": jsonl,
        "train": train,
        "test": test,
        "shas": shas,
        "files": {name: spec[0] for name, spec in specs.items()},
    }


def ok(live: LiveServer, endpoint: str, token: str | None = None, **params: Any) -> Any:
    status, body, _ = get(live, endpoint, token, **params)
    assert status == 200, (endpoint, params, body)
    return body


def test_utf8_csv_splits_rows_and_features(live: LiveServer, datasets: dict[str, Any]) -> None:
    ds = f"{OWNER}/utf8"
    assert ok(live, "splits", dataset=ds) == {
        "splits": [{"dataset": ds, "config": "default", "split": "train"}],
        "pending": [],
        "failed": [],
    }
    assert ok(live, "is-valid", dataset=ds) == {
        "preview": True,
        "viewer": True,
        "search": True,
        "filter": True,
        "statistics": True,
    }
    first = ok(live, "first-rows", dataset=ds, config="default", split="train")
    types = {f["name"]: f["type"] for f in first["features"]}
    assert types["id"] == {"dtype": "int64", "_type": "Value"}
    assert types["score"] == {"dtype": "float64", "_type": "Value"}
    assert types["name"] == {"dtype": "string", "_type": "Value"}
    assert len(first["rows"]) == 100
    assert first["rows"][7]["row"] == datasets["utf8"][7]
    page = ok(live, "rows", dataset=ds, config="default", split="train", offset=95, length=10)
    assert page["num_rows_total"] == 120
    assert [r["row_idx"] for r in page["rows"]] == list(range(95, 105))
    assert [r["row"] for r in page["rows"]] == datasets["utf8"][95:105]
    tail = ok(live, "rows", dataset=ds, config="default", split="train", offset=118, length=100)
    assert [r["row"]["id"] for r in tail["rows"]] == [118, 119]
    status, body, _ = get(live, "rows", dataset=ds, config="default", split="train", length=101)
    assert status == 422 and "length" in body["error"]


def test_statistics_match_independent_computation(
    live: LiveServer, datasets: dict[str, Any]
) -> None:
    body = ok(live, "statistics", dataset=f"{OWNER}/utf8", config="default", split="train")
    assert body["num_examples"] == 120 and body["partial"] is False
    by_name = {c["column_name"]: c for c in body["statistics"]}
    scores = [r["score"] for r in datasets["utf8"]]
    s = by_name["score"]
    assert s["column_type"] == "float"
    st = s["column_statistics"]
    assert st["min"] == pytest.approx(min(scores))
    assert st["max"] == pytest.approx(max(scores))
    assert st["mean"] == pytest.approx(statistics.mean(scores), abs=1e-4)
    assert st["median"] == pytest.approx(statistics.median(scores), abs=1e-4)
    assert st["std"] == pytest.approx(statistics.stdev(scores), abs=1e-4)
    width = (max(scores) - min(scores)) / 10
    expected = [0] * 10
    for v in scores:
        expected[min(int((v - min(scores)) / width), 9)] += 1
    assert st["histogram"]["hist"] == expected
    assert len(st["histogram"]["bin_edges"]) == 11
    ids = by_name["id"]
    assert ids["column_type"] == "int"
    assert ids["column_statistics"]["min"] == 0 and ids["column_statistics"]["max"] == 119
    assert sum(ids["column_statistics"]["histogram"]["hist"]) == 120
    city = by_name["city"]
    assert city["column_type"] == "string_label"
    assert city["column_statistics"]["frequencies"] == {c: 40 for c in CITIES}
    assert city["column_statistics"]["n_unique"] == 3
    # 120 distinct names: not a category; described by character length.
    name = by_name["name"]
    assert name["column_type"] == "string_text"
    lengths = [len(r["name"]) for r in datasets["utf8"]]
    assert name["column_statistics"]["min"] == min(lengths)
    assert name["column_statistics"]["max"] == max(lengths)
    assert name["column_statistics"]["mean"] == pytest.approx(statistics.mean(lengths), abs=1e-4)


def test_gbk_csv_with_chinese_headers_and_search(
    live: LiveServer, datasets: dict[str, Any]
) -> None:
    ds = f"{OWNER}/gbk"
    first = ok(live, "first-rows", dataset=ds, config="default", split="train")
    assert [f["name"] for f in first["features"]] == ["城市", "港口", "吞吐量", "说明"]
    assert [r["row"] for r in first["rows"]] == datasets["gbk"]
    # 吞吐 is a word inside 集装箱吞吐量稳步增长: found only through segmentation.
    found = ok(live, "search", dataset=ds, config="default", split="train", query="吞吐")
    expected = [i for i, r in enumerate(datasets["gbk"]) if "吞吐" in r["说明"]]
    assert found["num_rows_total"] == len(expected) > 0
    assert [r["row_idx"] for r in found["rows"]] == expected
    both = ok(live, "search", dataset=ds, config="default", split="train", query="宁波 港口物流")
    expected_both = [
        i
        for i, r in enumerate(datasets["gbk"])
        if "宁波" in r["城市"] + r["港口"] and "港口物流" in r["说明"]
    ]
    assert [r["row_idx"] for r in both["rows"]] == expected_both
    paged = ok(
        live,
        "search",
        dataset=ds,
        config="default",
        split="train",
        query="吞吐",
        offset=2,
        length=3,
    )
    assert [r["row_idx"] for r in paged["rows"]] == expected[2:5]
    nothing = ok(live, "search", dataset=ds, config="default", split="train", query="火星")
    assert nothing["num_rows_total"] == 0 and nothing["rows"] == []


def test_filter_where_and_orderby(live: LiveServer, datasets: dict[str, Any]) -> None:
    ds = f"{OWNER}/gbk"
    body = ok(
        live,
        "filter",
        dataset=ds,
        config="default",
        split="train",
        where='"城市" = \'杭州\' AND "吞吐量" >= 110',
        orderby='"吞吐量" DESC',
    )
    rows = datasets["gbk"]
    expected = sorted(
        (i for i, r in enumerate(rows) if r["城市"] == "杭州" and r["吞吐量"] >= 110),
        key=lambda i: -rows[i]["吞吐量"],
    )
    assert body["num_rows_total"] == len(expected)
    assert [r["row_idx"] for r in body["rows"]] == expected
    assert body["rows"][0]["row"] == rows[expected[0]]
    for bad in ["城市 = ", '"nope" = 1', "\"城市\" = '宁波'; DROP TABLE t", "1 = 1"]:
        status, err, _ = get(live, "filter", dataset=ds, config="default", split="train", where=bad)
        assert status == 400, (bad, err)
        assert err["error"].startswith("Invalid filter")
    status, err, _ = get(
        live, "filter", dataset=ds, config="default", split="train", orderby="吞吐量 SIDEWAYS"
    )
    assert status == 400


def test_jsonl(live: LiveServer, datasets: dict[str, Any]) -> None:
    ds = f"{OWNER}/jsonl"
    first = ok(live, "first-rows", dataset=ds, config="default", split="train")
    types = {f["name"]: f["type"]["dtype"] for f in first["features"]}
    assert types["text"] == "string" and types["label"] == "int64" and types["weight"] == "float64"
    assert [r["row"]["text"] for r in first["rows"]] == [r["text"] for r in datasets["jsonl"]]
    stats = ok(live, "statistics", dataset=ds, config="default", split="train")
    label = next(c for c in stats["statistics"] if c["column_name"] == "label")
    assert label["column_statistics"]["mean"] == pytest.approx(0.5)
    filtered = ok(live, "filter", dataset=ds, config="default", split="train", where="label = 1")
    assert filtered["num_rows_total"] == sum(1 for r in datasets["jsonl"] if r["label"] == 1)


def test_excel_sheets_become_configs(live: LiveServer, datasets: dict[str, Any]) -> None:
    ds = f"{OWNER}/excel"
    splits = ok(live, "splits", dataset=ds)["splits"]
    assert {(s["config"], s["split"]) for s in splits} == {("设备", "train"), ("订单", "train")}
    rows = ok(live, "rows", dataset=ds, config="设备", split="train", offset=0, length=100)
    assert rows["num_rows_total"] == 30
    assert rows["rows"][3]["row"] == {"编号": 3, "名称": "机床3", "功率": 4.5}
    orders = ok(live, "rows", dataset=ds, config="订单", split="train")
    assert [r["row"] for r in orders["rows"]] == [
        {"order_id": f"PO-{i}", "qty": i * 10} for i in range(7)
    ]
    size = ok(live, "size", dataset=ds)["size"]
    assert size["dataset"]["num_rows"] == 37
    assert {c["config"]: c["num_columns"] for c in size["configs"]} == {"设备": 3, "订单": 2}


def test_parquet_file_reused_and_listed(live: LiveServer, datasets: dict[str, Any]) -> None:
    ds = f"{OWNER}/parquet"
    stats = ok(live, "statistics", dataset=ds, config="default", split="train")
    by_name = {c["column_name"]: c for c in stats["statistics"]}
    assert by_name["flag"]["column_type"] == "bool"
    assert by_name["flag"]["column_statistics"]["frequencies"] == {"True": 250, "False": 750}
    assert by_name["tags"]["column_type"] == "list"
    assert by_name["tags"]["column_statistics"]["mean"] == pytest.approx(2.0)
    listing = ok(live, "parquet", dataset=ds)["parquet_files"]
    assert len(listing) == 1
    status, data = fetch(listing[0]["url"])
    assert status == 200 and len(data) == listing[0]["size"]
    table = pq.read_table(io.BytesIO(data))
    assert table.column("x").to_pylist() == list(range(1000))


def test_folder_splits_info_size_croissant(live: LiveServer, datasets: dict[str, Any]) -> None:
    ds = f"{OWNER}/folders"
    splits = ok(live, "splits", dataset=ds)["splits"]
    assert [s["split"] for s in splits] == ["train", "test"]
    train = ok(live, "rows", dataset=ds, config="default", split="train")
    assert [r["row"] for r in train["rows"]] == datasets["train"]
    test = ok(live, "rows", dataset=ds, config="default", split="test")
    assert [r["row"] for r in test["rows"]] == datasets["test"]
    info = ok(live, "info", dataset=ds, config="default")["dataset_info"]
    assert info["splits"]["train"]["num_examples"] == 30
    assert info["splits"]["test"]["num_examples"] == 10
    assert info["license"] == "apache-2.0"
    assert info["features"]["q"] == {"dtype": "string", "_type": "Value"}
    size = ok(live, "size", dataset=ds)["size"]
    originals = datasets["files"]["folders"]
    assert size["dataset"]["num_bytes_original_files"] == sum(
        len(v) for k, v in originals.items() if k.endswith(".csv")
    )
    croissant = ok(live, "croissant", dataset=ds)
    assert croissant["conformsTo"] == "http://mlcommons.org/croissant/1.1"
    assert croissant["@type"] == "sc:Dataset"
    assert croissant["license"] == "https://spdx.org/licenses/apache-2.0.html"
    sums = {d["name"]: d.get("sha256") for d in croissant["distribution"]}
    for path, data in originals.items():
        if path.endswith(".csv"):
            assert sums[path] == hashlib.sha256(data).hexdigest()
    parquet_objects = [d for d in croissant["distribution"] if d["name"].startswith("parquet/")]
    for obj in parquet_objects:
        if obj["@type"] == "cr:FileObject":
            status, data = fetch(obj["contentUrl"])
            assert status == 200 and hashlib.sha256(data).hexdigest() == obj["sha256"]
    assert croissant["recordSet"][0]["field"][0]["source"]["extract"] == {"column": "q"}
    assert croissant["version"] == "1.0.0"


def test_malformed_csv_reports_file_line_and_reason(
    live: LiveServer, datasets: dict[str, Any]
) -> None:
    ds = f"{OWNER}/broken"
    splits = ok(live, "splits", dataset=ds)
    assert splits["splits"] == []
    [failure] = splits["failed"]
    assert "bad.csv" in failure["error"] and "line 4" in failure["error"]
    assert "expected 3 columns, got 2" in failure["error"]
    status, body, _ = get(live, "first-rows", dataset=ds, config="default", split="train")
    assert status == 422 and "line 4" in body["error"]
    assert ok(live, "is-valid", dataset=ds)["viewer"] is False


def test_private_dataset_is_invisible(live: LiveServer, datasets: dict[str, Any]) -> None:
    ds = f"{OWNER}/secret"
    split = {"dataset": ds, "config": "default", "split": "train"}
    calls: list[tuple[str, dict[str, Any]]] = [
        ("rows", split),
        ("first-rows", split),
        ("statistics", split),
        ("search", {**split, "query": "宁波"}),
        ("filter", {**split, "where": "id = 1"}),
        ("parquet", {"dataset": ds}),
        ("splits", {"dataset": ds}),
        ("croissant", {"dataset": ds}),
    ]
    for endpoint, params in calls:
        assert get(live, endpoint, None, **params)[0] == 401, endpoint
        assert get(live, endpoint, datasets["other"], **params)[0] == 404, endpoint
        assert get(live, endpoint, datasets["token"], **params)[0] == 200, endpoint
    url = ok(live, "parquet", datasets["token"], dataset=ds)["parquet_files"][0]["url"]
    assert fetch(url)[0] == 401
    assert fetch(url, datasets["other"])[0] == 404
    assert fetch(url, datasets["token"])[0] == 200


def test_new_push_converts_new_revision_and_bumps_version(
    live: LiveServer, datasets: dict[str, Any], tmp_path: Path
) -> None:
    token = datasets["token"]
    ds = f"{OWNER}/growing"
    create_dataset(live, token, "growing")
    rows = [{"k": i, "v": f"值{i}"} for i in range(10)]
    work = tmp_path / "growing"
    first = push_files(live, token, OWNER, "growing", work, {"d.csv": _csv_bytes(rows)})
    wait_converted(live, ds)
    assert ok(live, "croissant", dataset=ds)["version"] == "1.0.0"
    more = [*rows, {"k": 10, "v": "值10"}]
    push_files(live, token, OWNER, "growing", work, {"d.csv": _csv_bytes(more)}, message="add")
    wait_converted(live, ds)
    page = ok(live, "rows", dataset=ds, config="default", split="train")
    assert page["num_rows_total"] == 11
    assert ok(live, "croissant", dataset=ds)["version"] == "1.1.0"
    added = ok(live, "compare", dataset=ds)
    assert added["change"] == "minor"
    [split] = added["splits"]
    assert split["num_rows"] == {"from": 10, "to": 11}
    assert split["rows"] == {"added": 1, "removed": 0}
    # Edit one record, drop another, add a column: a major change.
    changed = [{"k": 0, "v": "改", "w": 1}] + [{**r, "w": 1} for r in more[2:]]
    push_files(live, token, OWNER, "growing", work, {"d.csv": _csv_bytes(changed)}, message="edit")
    wait_converted(live, ds)
    assert ok(live, "croissant", dataset=ds)["version"] == "2.0.0"
    diff = ok(live, "compare", dataset=ds, key="k", **{"from": first})
    assert diff["from"]["revision"] == first and diff["change"] == "major"
    [split] = diff["splits"]
    assert split["columns"] == {"added": ["w"], "removed": [], "changed": []}
    assert split["num_rows"] == {"from": 10, "to": 10}
    # Against the first revision: 0 edited, 1 removed, 10 added; by value 2 rows left, 2 came.
    assert split["keyed"] == {"key": "k", "added": 1, "removed": 1, "changed": 1}
    assert split["rows"] == {"added": 2, "removed": 2}


@pytest.mark.parametrize("name", ["utf8", "gbk", "jsonl", "excel", "parquet", "folders"])
def test_load_dataset_reads_every_converted_format(
    live: LiveServer, datasets: dict[str, Any], name: str, tmp_path: Path
) -> None:
    """``datasets.load_dataset`` on the Hub-style ``refs/convert/parquet`` revision gives the
    rows the viewer counts, for every source format (each Excel sheet is a config)."""
    from tests.datasets.test_parquet_ref import REF, _load

    ds = f"{OWNER}/{name}"
    sizes = ok(live, "size", datasets["token"], dataset=ds)["size"]["splits"]
    want: dict[str, dict[str, int]] = {}
    for s in sizes:
        want.setdefault(s["config"], {})[s["split"]] = s["num_rows"]
    assert want, sizes
    for config, splits in want.items():
        loaded = _load(live, datasets["token"], tmp_path / config, ds, revision=REF, name=config)
        assert {split: len(rows) for split, rows in loaded.items()} == splits
    if name == "gbk":
        loaded = _load(live, datasets["token"], tmp_path / "again", ds, revision=REF)
        assert [r["港口"] for r in loaded["train"]] == [r["港口"] for r in datasets["gbk"]]
