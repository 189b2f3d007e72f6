"""Image datasets in the viewer, in Chinese and English: an image folder (``train/cat/1.png``)
and a COCO JSON file show thumbnails (re-encoded WebP through the thumbnail route, lazy,
with width and height), private images stay private, a decompression bomb is refused; and
the versions tab lists changed rows matched by value, with a notice when the list is capped.

Images are drawn here with Pillow and pushed with real git.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page

from tests.datasets.support import create_dataset, fetch, get, push_files, wait_converted
from tests.support.live import LiveServer
from tests.web.conftest import Recorder, new_context

pytestmark = pytest.mark.e2e
OWNER = "pixelfan"


def _png(colour: tuple[int, int, int], size: tuple[int, int] = (640, 480)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def _jpeg(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (800, 600), colour).save(out, "JPEG")
    return out.getvalue()


def _thumbs_loaded(page: Page) -> list[int]:
    page.wait_for_function(
        "() => [...document.querySelectorAll('img.thumb')].every(i => i.complete)"
    )
    return list(page.eval_on_selector_all("img.thumb", "imgs => imgs.map(i => i.naturalWidth)"))


def test_image_folder_and_coco_show_thumbnails(
    page: Page, browser: Browser, live: LiveServer, tmp_path: Path, requests_seen: Recorder
) -> None:
    token = live.create_user(OWNER)
    create_dataset(live, token, "pets")
    bomb = io.BytesIO()
    Image.new("1", (12000, 10000)).save(bomb, "PNG")  # 120 megapixels in a few kilobytes
    files = {
        "train/cat/1.png": _png((200, 30, 30)),
        "train/dog/2.png": _png((30, 200, 30)),
        "test/cat/3.png": _png((30, 30, 200)),
        "train/dog/huge.png": bomb.getvalue(),
    }
    push_files(live, token, OWNER, "pets", tmp_path / "pets", files)
    wait_converted(live, f"{OWNER}/pets", token)

    base = f"{live.url}/datasets/{OWNER}/pets"
    page.goto(f"{base}/viewer?config=default&split=train")
    assert page.inner_text("th[data-column=image] .col-type").startswith("图像")
    assert page.locator("img.thumb").count() == 3
    first = page.locator("img.thumb").first
    assert first.get_attribute("loading") == "lazy"
    assert first.get_attribute("width") and first.get_attribute("height")
    widths = _thumbs_loaded(page)
    assert widths[:2] == [160, 160], widths  # 640×480 fits a 160-pixel box
    labels = page.locator("#viewer-table tbody td:nth-child(3)").all_inner_texts()
    assert labels == ["cat", "dog", "dog"]
    # No raw bytes or JSON in the table: the cell is the picture.
    assert "PNG" not in page.inner_text("#viewer-table")

    # The route: WebP, capped in size, content-addressed so cacheable for good.
    src = first.get_attribute("src")
    assert src is not None and "/viewer/thumbnail?" in src
    response = page.request.get(live.url + src)
    assert response.status == 200 and response.headers["content-type"] == "image/webp"
    assert "immutable" in response.headers["cache-control"]
    thumb = Image.open(io.BytesIO(response.body()))
    assert thumb.format == "WEBP" and max(thumb.size) <= 160
    assert thumb.getpixel((10, 10))[0] > 150  # the red cat, re-encoded
    # The decompression bomb is refused before it is decoded; paths outside images 404.
    huge = page.locator("img.thumb").nth(2).get_attribute("src")
    assert huge is not None and "huge.png" in huge
    assert page.request.get(live.url + huge).status == 415
    rev = src.split("rev=")[1].split("&")[0]
    assert page.request.get(f"{base}/viewer/thumbnail?rev={rev}&path=README.md").status == 404
    assert page.request.get(f"{base}/viewer/thumbnail?rev=main&path=train/cat/1.png").status == 404

    # The Hub-style API gives the Image feature and a URL to the image itself.
    for endpoint in ("rows", "first-rows"):
        status, body, _ = get(
            live, endpoint, dataset=f"{OWNER}/pets", config="default", split="train"
        )
        assert status == 200, body
        assert {"name": "image", "type": {"_type": "Image"}} in [
            {"name": f["name"], "type": f["type"]} for f in body["features"]
        ]
        cell = body["rows"][0]["row"]["image"]
        assert cell["path"] == "train/cat/1.png"
        assert fetch(cell["src"]) == (200, files["train/cat/1.png"])

    # COCO JSON, in English: one row per image with its objects and their categories.
    create_dataset(live, token, "harbour-coco", private=True)
    coco = {
        "images": [
            {"id": 1, "file_name": "a.jpg", "width": 800, "height": 600},
            {"id": 2, "file_name": "b.jpg", "width": 800, "height": 600},
        ],
        "annotations": [
            {"id": 10, "image_id": 1, "category_id": 1, "bbox": [10, 10, 100, 80]},
            {"id": 11, "image_id": 1, "category_id": 2, "bbox": [200, 50, 60, 60]},
            {"id": 12, "image_id": 2, "category_id": 1, "bbox": [5, 5, 50, 50]},
        ],
        "categories": [{"id": 1, "name": "集装箱"}, {"id": 2, "name": "crane"}],
    }
    push_files(
        live,
        token,
        OWNER,
        "harbour-coco",
        tmp_path / "coco",
        {
            "annotations/instances_train.json": json.dumps(coco).encode(),
            "images/a.jpg": _jpeg((250, 200, 0)),
            "images/b.jpg": _jpeg((0, 120, 250)),
        },
    )
    wait_converted(live, f"{OWNER}/harbour-coco", token)
    english = new_context(browser, requests_seen, locale="en-US")
    try:
        en = english.new_page()
        en.goto(f"{live.url}/login")
        en.fill("#id_username", OWNER)
        en.fill("#id_password", f"pw-{OWNER}-Secret9")
        en.click("form[action='/login'] button[type=submit]")
        en.wait_for_url(f"{live.url}/")
        en.goto(f"{live.url}/datasets/{OWNER}/harbour-coco/viewer")
        assert en.inner_text("th[data-column=image] .col-type").startswith("Image")
        assert en.inner_text("th[data-column=objects] .col-type").startswith("Integer")
        assert en.locator("img.thumb").count() == 2
        assert _thumbs_loaded(en) == [160, 160]
        table = en.inner_text("#viewer-table")
        assert "集装箱, crane" in table or "crane, 集装箱" in table
        src = en.locator("img.thumb").first.get_attribute("src")
        assert src is not None and "images%2Fa.jpg" in src
        assert en.request.get(live.url + src).status == 200
    finally:
        english.close()
    # Read permission comes from the policy: the private dataset's images are not there for
    # an anonymous visitor.
    assert fetch(live.url + src)[0] == 404


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([["city", "note"], *rows])
    return out.getvalue().encode()


def test_versions_list_changed_rows_by_value_and_cap_them(
    browser: Browser, live: LiveServer, tmp_path: Path, requests_seen: Recorder
) -> None:
    token = live.create_user("rowdiffer")
    create_dataset(live, token, "berths")
    first = [["宁波", f"泊位 {i}"] for i in range(5)]
    work = tmp_path / "berths"
    push_files(live, token, "rowdiffer", "berths", work, {"berths.csv": _csv(first)})
    wait_converted(live, "rowdiffer/berths", token)
    second = first[1:] + [["舟山", f"新泊位 {i}"] for i in range(60)]
    push_files(live, token, "rowdiffer", "berths", work, {"berths.csv": _csv(second)}, message="v2")
    wait_converted(live, "rowdiffer/berths", token)

    for locale, notice, matched in (
        ("zh-CN", "每类只列出前 50 行", "按整行的值对应"),
        ("en-US", "Only the first 50 rows of each kind are listed", "matched by the whole row"),
    ):
        context = new_context(browser, requests_seen, locale=locale)
        try:
            page = context.new_page()
            page.goto(f"{live.url}/datasets/rowdiffer/berths/versions")
            changes = page.locator(".version-rows")
            assert matched in changes.inner_text()
            assert notice in changes.locator(".changes-capped").inner_text()
            assert changes.locator("tr.row-added").count() == 50
            removed = changes.locator("tr.row-removed").all_inner_texts()
            assert len(removed) == 1 and "泊位 0" in removed[0]
        finally:
            context.close()
