"""Building blocks of issue 19 items 8-10 on their own: card metadata edits keep the rest of
the README, image layouts and thumbnails (with the decompression-bomb guard), readable column
types, and the insights tables. Expected values are written out here."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
from django.utils import translation
from PIL import Image

from nbopen.datasets import images, thumbs
from nbopen.repos.writes.metadata import with_metadata
from nbopen.web import insight_export
from nbopen.web.labels import column_type


def test_front_matter_edit_keeps_everything_else() -> None:
    readme = (
        "---\n# a comment\nlicense: mit\ndomain:\n- old\n- older\ntags: [x]\n---\n# 标题\n\nbody\n"
    )
    assert with_metadata(readme, {"domain": "port-logistics"}) == (
        "---\n# a comment\nlicense: mit\ndomain: port-logistics\ntags: [x]\n---\n# 标题\n\nbody\n"
    )
    assert with_metadata(readme, {"domain": None}) == (
        "---\n# a comment\nlicense: mit\ntags: [x]\n---\n# 标题\n\nbody\n"
    )
    assert with_metadata("# T\n", {"domain": "智能制造"}) == "---\ndomain: 智能制造\n---\n\n# T\n"
    assert with_metadata("---\ndomain: x\n---\n# T\n", {"domain": None}) == "# T\n"
    assert with_metadata("# T\n", {"domain": None}) == "# T\n"


def test_image_layouts() -> None:
    paths = ["README.md", "train/cat/1.jpg", "train/dog/2.png", "test/3.jpg", ".hidden/4.jpg"]
    (spec,) = images.infer(paths, lambda p: None)
    assert spec.format == "imagefolder"
    assert {s.name: s.files for s in spec.splits} == {
        "train": ["train/cat/1.jpg", "train/dog/2.png"],
        "test": ["test/3.jpg"],
    }
    rows = images.imagefolder_rows(["train/cat/1.jpg", "test/3.jpg"])
    assert rows == [
        {"image": "test/3.jpg", "label": ""},
        {"image": "train/cat/1.jpg", "label": "cat"},
    ]
    # Images beside a CSV belong to the CSV's dataset, not an image folder.
    assert images.infer([*paths, "meta.csv"], lambda p: None) == []
    coco = {
        "images": [{"id": 7, "file_name": "a.jpg", "width": 4, "height": 3}],
        "annotations": [{"image_id": 7, "category_id": 1, "bbox": [0, 0, 1, 1]}],
        "categories": [{"id": 1, "name": "船"}],
    }
    (spec,) = images.infer(["ann/train.json", "images/a.jpg"], lambda p: coco)
    assert spec.format == "coco" and spec.splits[0].files == ["ann/train.json"]
    (row,) = images.coco_rows("ann/train.json", coco, ["ann/train.json", "images/a.jpg"])
    assert row["image"] == "images/a.jpg" and row["objects"] == 1 and row["categories"] == "船"


def _png(size: tuple[int, int], mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size).save(out, "PNG")
    return out.getvalue()


def test_thumbnails_are_capped_reencoded_and_bombs_refused(tmp_path: Path) -> None:
    thumb = Image.open(io.BytesIO(thumbs.thumbnail(_png((1000, 500)))))
    assert thumb.format == "WEBP" and thumb.size == (160, 80)
    with pytest.raises(thumbs.ThumbnailError):
        thumbs.thumbnail(_png((12000, 10000), "1"))  # 120 megapixels, a few kilobytes
    with pytest.raises(thumbs.ThumbnailError):
        thumbs.thumbnail(b"<svg onload=alert(1)>")
    # The same in the limited child process the server uses.
    source, target = tmp_path / "in.png", tmp_path / "out.webp"
    source.write_bytes(_png((300, 600)))
    images.isolated_thumbnail(source, target)
    assert Image.open(target).size == (80, 160)
    source.write_bytes(_png((12000, 10000), "1"))
    with pytest.raises(thumbs.ThumbnailError, match="not a readable image"):
        images.isolated_thumbnail(source, target)


def test_column_types_for_people() -> None:
    assert column_type("string", "string_label") == "文本 · 类别"  # Chinese by default
    with translation.override("en"):
        _english_types()


def _english_types() -> None:
    assert column_type("string", "string_label") == "Text · categories"
    assert column_type("int64") == "Integer"
    assert column_type("timestamp[us]") == "Date and time"
    assert column_type("Image") == "Image"
    assert column_type("mystery", "odd") == "mystery · odd"


def test_insight_tables() -> None:
    data = {
        "dashboard": "city",
        "month": "2026-11",
        "months": ["2026-10", "2026-11"],
        "metrics": {"activity": 5.0, "openrank": 1.2},
        "trend": {"activity": {"2026-10": 1, "2026-11": 5}, "openrank": {"2026-11": 1.2}},
        "kinds": {"university": {"organizations": 2, "metrics": {"activity": 3}}},
        "domains": [{"domain": "港口", "repositories": 1}, {"domain": "=cmd()", "repositories": 0}],
        "value": {"rebuild_cost_cny": 10, "repositories": [{"repository": "a/b", "sloc": 3}]},
    }
    tables = insight_export.tables(data)
    assert tables["summary"][1][:2] == [["dashboard", "city"], ["month", "2026-11"]]
    assert tables["metrics"] == (["field", "value"], [["activity", 5.0], ["openrank", 1.2]])
    assert tables["trend"] == (
        ["month", "activity", "openrank"],
        [["2026-10", 1, ""], ["2026-11", 5, 1.2]],
    )
    assert tables["kinds"] == (
        ["kinds", "organizations", "metrics.activity"],
        [["university", 2, 3]],
    )
    assert tables["domains"][1] == [["港口", 1], ["'=cmd()", 0]]  # no formulas in a spreadsheet
    assert tables["value_repositories"][0] == ["repository", "sloc"]
    archive = zipfile.ZipFile(io.BytesIO(insight_export.to_zip(data, "r")))
    raw = archive.read("r/domains.csv")
    assert raw.startswith("\ufeff".encode())
    assert list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))[1] == ["港口", "1"]
