"""The dataset viewer tab in a real browser: rows, pages, Chinese search, the filter builder,
column histograms drawn by ECharts, the versions tab, and privacy of a private dataset.

The data is generated here and pushed with real git; every expected count is computed from it.
"""

from __future__ import annotations

import csv
import io
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from tests.datasets.support import create_dataset, push_files, wait_converted
from tests.support.live import LiveServer
from tests.web.conftest import Recorder, log_in, new_context

pytestmark = pytest.mark.e2e

OWNER = "viewerfan"
CITIES = ["宁波", "杭州", "上海", "舟山"]
NOTES = [
    "集装箱吞吐量稳步增长",
    "智能制造产线升级",
    "港口物流效率提升",
    "新能源汽车出口",
    "数字孪生工厂",
]


def _rows(n: int, start: int = 0) -> list[dict[str, Any]]:
    return [
        {
            "id": i,
            "city": CITIES[i % 4],
            "score": (i * 37) % 101,
            "note": f"{NOTES[i % 5]} 第{i}号",
        }
        for i in range(start, start + n)
    ]


def _csv(rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def _table_ids(page: Page) -> list[int]:
    return [
        int(x) for x in page.locator("#viewer-table tbody tr[data-row] td.rownum").all_inner_texts()
    ]


def _column(page: Page, index: int) -> list[str]:
    # index counts data columns from 0; the first <td> is the row number.
    return page.locator(
        f"#viewer-table tbody tr[data-row] td:nth-child({index + 2})"
    ).all_inner_texts()


def _painted_pixels(page: Page, selector: str) -> int:
    return int(
        page.evaluate(
            """(sel) => {
                const canvas = document.querySelector(sel + ' canvas');
                if (!canvas) { return -1; }
                const ctx = canvas.getContext('2d');
                const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
                let painted = 0;
                for (let i = 3; i < data.length; i += 4) { if (data[i] > 0) { painted++; } }
                return painted;
            }""",
            selector,
        )
    )


def test_viewer_table_pages_search_filter_charts_and_versions(
    page: Page, live: LiveServer, tmp_path: Path
) -> None:
    token = live.create_user(OWNER)
    create_dataset(live, token, "port-stats")
    rows = _rows(250)
    work = tmp_path / "port-stats"
    push_files(live, token, OWNER, "port-stats", work, {"data/train.csv": _csv(rows)})
    wait_converted(live, f"{OWNER}/port-stats", token)

    base = f"{live.url}/datasets/{OWNER}/port-stats"
    response = page.goto(f"{base}/viewer")
    assert response is not None and response.status == 200
    assert page.locator("#tab-viewer.active").count() == 1
    # First page: rows 0..99, with the cells of the pushed CSV.
    assert _table_ids(page) == list(range(100))
    assert _column(page, 3)[7] == rows[7]["note"]
    assert page.inner_text("#viewer-rows").startswith("250")
    schema = page.inner_text("#viewer-schema")
    assert "id" in schema and "整数" in schema and "int64" not in schema
    # Column types for people, not ``string · string_label``.
    assert page.inner_text("th[data-column=city] .col-type") == "文本 · 类别"
    assert page.inner_text("th[data-column=note] .col-type") == "文本 · 自由文本"
    assert page.get_attribute("th[data-column=city] .col-type", "title") == "string · string_label"
    assert page.locator("#croissant-link").get_attribute("href") == (
        f"/datasets-server/croissant?dataset={OWNER}%2Fport-stats"
    )

    # A histogram per column, painted on its canvas.
    page.wait_for_selector(".chart[data-rendered=true]")
    assert page.locator("th .chart").count() == 4
    assert _painted_pixels(page, "th[data-column=score] .chart") > 50

    # Pagination.
    page.click("#page-next")
    page.wait_for_load_state()
    assert _table_ids(page) == list(range(100, 200))
    page.click("#page-next")
    page.wait_for_load_state()
    assert _table_ids(page) == list(range(200, 250))
    assert page.locator("#page-next").count() == 0
    page.click("#page-prev")
    page.wait_for_load_state()
    assert _table_ids(page)[0] == 100

    # Search for a Chinese word inside longer phrases (segmented on both sides).
    page.fill("#viewer-q", "集装箱")
    page.click("#search-form button[type=submit]")
    page.wait_for_load_state()
    expected = [r["id"] for r in rows if "集装箱" in r["note"]]
    assert _table_ids(page) == expected[:100]
    assert all("集装箱" in note for note in _column(page, 3))
    assert page.locator("#viewer-mode").get_attribute("data-mode") == "search"
    assert page.input_value("#viewer-q") == "集装箱"
    assert page.input_value("form.search input[name=q]") == ""  # the site search is separate
    assert str(len(expected)) in page.inner_text("#viewer-mode")

    # Filter builder: city = 宁波 AND id >= 120, sorted by score descending.
    page.click("#viewer-mode a")  # show all rows again
    page.wait_for_load_state()
    page.click(".viewer-filter summary")
    assert page.locator(".builder-row").count() == 3
    page.click(".js-add-condition")  # JS adds rows; empty ones are ignored
    assert page.locator(".builder-row").count() == 4
    first_row = page.locator(".builder-row").nth(0)
    first_row.locator("select[name=col]").select_option("city")
    first_row.locator("select[name=op]").select_option("=")
    first_row.locator("input[name=val]").fill("宁波")
    second = page.locator(".builder-row").nth(1)
    second.locator("select[name=col]").select_option("id")
    second.locator("select[name=op]").select_option(">=")
    second.locator("input[name=val]").fill("120")
    page.select_option("#filter-sort", "score")
    page.select_option("select[name=dir]", "desc")
    page.click("#filter-apply")
    page.wait_for_load_state()
    matching = [r for r in rows if r["city"] == "宁波" and r["id"] >= 120]
    matching.sort(key=lambda r: (-r["score"], r["id"]))
    assert _table_ids(page) == [r["id"] for r in matching]
    assert page.inner_text("#viewer-where") == '"city" = \'宁波\' AND "id" >= 120'
    assert str(len(matching)) in page.inner_text("#viewer-mode")

    # A bad advanced expression is explained, not executed.
    page.goto(f"{base}/viewer?where=%22nope%22+%3D+1")
    assert "nope" in page.inner_text("#viewer-error")
    assert _table_ids(page) == []

    # Versions: before a second push there is nothing to compare.
    page.goto(f"{base}/versions")
    assert page.locator("#versions-none").count() == 1

    # Second push: drop rows 0-9, add rows 250-279, change row 20's score.
    changed = [dict(r) for r in rows[10:]] + _rows(30, start=250)
    changed[10]["score"] = 1000  # row id 20
    push_files(
        live, token, OWNER, "port-stats", work, {"data/train.csv": _csv(changed)}, message="v2"
    )
    wait_converted(live, f"{OWNER}/port-stats", token)
    page.goto(f"{base}/versions?key=id")
    diff = page.locator("#versions-diff")
    assert diff.get_attribute("data-change") == "major"
    row = page.locator("#versions-table tr[data-split='default/train']")
    assert "250 → 270" in row.inner_text()
    assert row.locator(".rows-added").inner_text() == "+31"
    assert row.locator(".rows-removed").inner_text() == "−11"
    assert "30" in page.inner_text(".keyed-counts") and "10" in page.inner_text(".keyed-counts")
    assert page.locator("#tab-versions.active").count() == 1
    # The changed rows themselves, matched by the key: ids 250-279 added, 0-9 removed, and
    # row 20 modified (its score, before and after).
    changes = page.locator(".version-rows[data-split='default/train']")
    assert "按键列 id 对应" in changes.inner_text()
    added = changes.locator("tr.row-added td:nth-child(2)").all_inner_texts()
    assert added == [str(i) for i in range(250, 280)]
    removed = changes.locator("tr.row-removed td:nth-child(2)").all_inner_texts()
    assert removed == [str(i) for i in range(10)]
    modified = changes.locator("tr.row-modified").all_inner_texts()
    assert len(modified) == 1 and "1000" in modified[0] and modified[0].split("\t")[1] == "20"
    before = changes.locator("tr.row-before").inner_text()
    assert str(rows[20]["score"]) in before
    assert changes.locator(".changes-capped").count() == 0
    # The viewer now shows the new revision.
    page.goto(f"{base}/viewer")
    assert page.inner_text("#viewer-rows").startswith("270")


def _status(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url) as response:
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_private_dataset_viewer_is_404_for_others(
    page: Page, browser: Browser, live: LiveServer, tmp_path: Path, requests_seen: Recorder
) -> None:
    owner = "secretdata"
    token = live.create_user(owner)
    live.create_user("nosy")
    create_dataset(live, token, "ledger", private=True)
    rows = [{"id": i, "secret": f"机密账目{i}号"} for i in range(30)]
    push_files(live, token, owner, "ledger", tmp_path / "ledger", {"ledger.csv": _csv(rows)})
    wait_converted(live, f"{owner}/ledger", token)
    paths = [f"/datasets/{owner}/ledger/viewer", f"/datasets/{owner}/ledger/versions"]

    # Positive control: the owner sees the rows.
    log_in(page, live.url, owner, f"pw-{owner}-Secret9")
    page.goto(live.url + paths[0])
    assert "机密账目3号" in page.inner_text("#viewer-table")
    croissant = page.request.get(
        live.url + str(page.locator("#croissant-link").get_attribute("href"))
    )
    assert croissant.status == 200 and croissant.json()["name"] == "ledger"
    assert _status(live.url + str(page.locator("#croissant-link").get_attribute("href")))[0] == 401

    for path in paths:
        status, body = _status(live.url + path + "?q=%E6%9C%BA%E5%AF%86")  # q=机密
        assert status == 404 and "机密" not in body and "ledger.csv" not in body, path
    other = new_context(browser, requests_seen)
    try:
        nosy = other.new_page()
        log_in(nosy, live.url, "nosy", "pw-nosy-Secret9")
        for path in paths:
            response = nosy.goto(live.url + path)
            assert response is not None and response.status == 404, path
            assert "机密" not in nosy.content()
            assert nosy.locator("#viewer-table").count() == 0
    finally:
        other.close()


def test_failed_conversion_is_explained_and_table_works_without_js(
    browser: Browser, live: LiveServer, tmp_path: Path, requests_seen: Recorder
) -> None:
    token = live.create_user("csvbreaker")
    create_dataset(live, token, "broken")
    bad = b"a,b,c\n1,2,3\n4,5,6\n7,8\n9,10,11\n"
    push_files(live, token, "csvbreaker", "broken", tmp_path / "broken", {"bad.csv": bad})
    wait_converted(live, "csvbreaker/broken", token)
    create_dataset(live, token, "plain")
    rows = _rows(130)
    push_files(live, token, "csvbreaker", "plain", tmp_path / "plain", {"plain.csv": _csv(rows)})
    wait_converted(live, "csvbreaker/plain", token)

    context = browser.new_context(java_script_enabled=False, locale="en-US")
    context.on("request", lambda request: requests_seen.urls.append(request.url))
    try:
        page = context.new_page()
        page.goto(f"{live.url}/datasets/csvbreaker/broken/viewer")
        errors = page.inner_text("#viewer-errors")
        assert "bad.csv" in errors and "line 4" in errors, errors
        assert "expected 3 columns, got 2" in errors
        assert page.locator("#viewer-table").count() == 0

        # Without JavaScript: rows, the next page, and a search still work (plain links/forms).
        page.goto(f"{live.url}/datasets/csvbreaker/plain/viewer")
        assert _table_ids(page) == list(range(100))
        assert "Rows 1–100 of 130" in page.inner_text("#viewer-pager")
        page.click("#page-next")
        assert _table_ids(page) == list(range(100, 130))
        page.fill("#viewer-q", "数字孪生")
        page.click("#search-form button[type=submit]")
        assert _table_ids(page) == [r["id"] for r in rows if "数字孪生" in r["note"]]
        # Absurd offsets are clamped, not a server error.
        for params in ("offset=99999999999999999999999", "offset=99999999999999999999&q=港口"):
            response = page.goto(f"{live.url}/datasets/csvbreaker/plain/viewer?{params}")
            assert response is not None and response.status == 200, params
            assert _table_ids(page) == []
        page.goto(f"{live.url}/datasets/csvbreaker/plain/viewer")
        # Histograms need JavaScript; the header still names each column and its type.
        assert page.locator("th[data-column=score] .col-type").inner_text().startswith("Integer")
    finally:
        context.close()
