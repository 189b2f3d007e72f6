"""The files-changed tab's split (side-by-side) layout: a toggle next to unified that is
kept in the URL (``?style=split``, like Gitea), deletions facing the additions that replace
them, line comments still reachable; and on a 390 px phone the page never scrolls sideways —
the split table scrolls inside its own box."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser

from tests.e2e.test_forks import git
from tests.support.client import api_create_repo, request
from tests.support.live import LiveServer
from tests.web.conftest import Recorder, log_in, new_context

PHONE = {"width": 390, "height": 844}
LONG = "港口调度 " + "x = compute_the_berth_schedule(ships, tides, cranes) + 1  # " * 4


def _commit(work: Path, text: str, message: str) -> None:
    (work / "app.py").write_text(text, encoding="utf-8")
    git("add", "-A", cwd=work)
    git("-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qm", message, cwd=work)


def test_split_diff_toggle_and_phone_layout(
    browser: Browser, live: LiveServer, tmp_path: Path
) -> None:
    token = live.create_user("splitowner")
    api_create_repo(live, token, "berths", type="code")
    work = tmp_path / "work"
    git("init", "-q", "-b", "main", str(work))
    _commit(work, "a = 1\nb = 2\nc = 3\nd = 4\n", "first")
    url = live.url.replace("http://", f"http://u:{token}@") + "/splitowner/berths.git"
    git("push", "-q", url, "main", cwd=work)
    git("checkout", "-qb", "feature", cwd=work)
    _commit(work, f"a = 1\nb = 20\nc = 3\nd = 4\n{LONG}\n", "change b, add a long line")
    git("push", "-q", url, "feature", cwd=work)
    made = request(
        f"{live.url}/api/v1/repos/splitowner/berths/pulls",
        "POST",
        json_body={"head": "feature", "base": "main", "title": "并排"},
        token=token,
    )
    assert made.status == 201, made.body
    pull = f"{live.url}/splitowner/berths/pulls/{made.json()['number']}"

    seen = Recorder()
    context = new_context(browser, seen, locale="zh-CN")
    try:
        page = context.new_page()
        log_in(page, live.url, "splitowner", "pw-splitowner-Secret9")
        page.goto(f"{pull}?tab=files")
        assert page.locator("#diff-unified").get_attribute("aria-current") == "true"
        assert page.locator("table.diff-split").count() == 0
        assert page.inner_text("#diff-split") == "并排视图"
        page.click("#diff-split")
        page.wait_for_url("**style=split**")
        # the replaced line: old on the left, new on the right, in one row
        row = page.locator("tr.d-split", has=page.locator("td.d-del"))
        assert row.count() == 1
        cells = row.locator("td")
        assert [cells.nth(i).inner_text() for i in range(4)] == ["2", "-b = 2", "2", "+b = 20"]
        added = page.locator("tr.d-split", has=page.locator("td.d-add", has_text="港口调度"))
        assert added.locator("td.d-empty").count() == 2  # nothing on the old side
        context_row = page.locator("tr.d-split", has=page.locator("td.code", has_text="a = 1"))
        assert context_row.locator("td.d-ctx").count() == 2  # context on both sides
        # a line comment from the split view keeps the split view
        page.click("#file-0 a.line-link[data-line='2']")
        assert "style=split" in page.url
        page.wait_for_selector("#line-comment-body")
        assert page.locator("table.diff-split").count() == 1
        page.click("#diff-unified")
        page.wait_for_selector("table.diff:not(.diff-split)")
        assert "style=split" not in page.url
    finally:
        context.close()

    phone = browser.new_context(locale="zh-CN", viewport=PHONE)
    try:
        page = phone.new_page()
        page.goto(f"{pull}?tab=files&style=split")
        assert page.locator("#diff-split").get_attribute("aria-current") == "true"
        width, client = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert width <= client, (width, client)  # the page does not scroll sideways
        box = page.locator(".diff-scroll").first
        assert box.evaluate("e => e.scrollWidth > e.clientWidth")  # the table scrolls inside
        assert box.evaluate("e => getComputedStyle(e).overflowX") == "auto"
        box.evaluate("e => { e.scrollLeft = 200; }")
        assert box.evaluate("e => e.scrollLeft") > 0
        assert page.evaluate("window.scrollX") == 0
    finally:
        phone.close()


def test_large_diff_is_shown_in_parts(live: LiveServer, tmp_path: Path) -> None:
    """A diff of more lines than one page holds is shown in parts with a notice and links;
    a line link into a later file opens the part that holds it."""
    token = live.create_user("partsowner")
    api_create_repo(live, token, "parts", type="code")
    work = tmp_path / "work"
    git("init", "-q", "-b", "main", str(work))
    _commit(work, "a = 1\n", "first")
    url = live.url.replace("http://", f"http://u:{token}@") + "/partsowner/parts.git"
    git("push", "-q", url, "main", cwd=work)
    git("checkout", "-qb", "big", cwd=work)
    for name in ("a_big.txt", "b_big.txt"):  # 1,900 lines each: more than one part holds
        (work / name).write_text("".join(f"行 {i}\n" for i in range(1900)), encoding="utf-8")
    (work / "c_small.txt").write_text("small change\n", encoding="utf-8")
    git("add", "-A", cwd=work)
    git("-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qm", "big", cwd=work)
    git("push", "-q", url, "big", cwd=work)
    made = request(
        f"{live.url}/api/v1/repos/partsowner/parts/pulls",
        "POST",
        json_body={"head": "big", "base": "main", "title": "大"},
        token=token,
    )
    assert made.status == 201, made.body
    pull = f"{live.url}/partsowner/parts/pulls/{made.json()['number']}"
    zh = {"Accept-Language": "zh-CN"}
    first = request(f"{pull}?tab=files&style=split", headers=zh).body.decode()
    assert 'id="diff-part"' in first and "第 1–1 个文件，共 3 个" in first
    assert 'id="file-0"' in first and 'id="file-1"' not in first
    assert 'href="?tab=files&amp;style=split&amp;start=1" id="diff-part-next"' in first
    second = request(f"{pull}?tab=files&style=split&start=1", headers=zh).body.decode()
    assert 'id="file-1"' in second and 'id="file-2"' in second and 'id="file-0"' not in second
    assert 'id="diff-part-prev"' in second and "small change" in second
    assert 'id="diff-part-next"' not in second
    jump = request(f"{pull}?tab=files&path=c_small.txt&line=1", headers=zh).body.decode()
    assert 'id="file-2"' in jump and 'id="file-0"' not in jump
