"""Competitions in the browser, in Chinese (issue 15): an organization admin hosts one with the
web form (dataset, ground-truth upload, columns, metric, quotas, phases, terms) and edits it;
a participant joins, downloads the data, submits, sees the score, invites a teammate and
picks a final submission. Outsiders get no form, and the ground truth never shows."""

from __future__ import annotations

import datetime as dt
import json
import time
import zoneinfo

from playwright.sync_api import Browser, Page

from tests.support.live import LiveServer
from tests.web.conftest import Recorder, new_context, sign_up

MARKER = "GT-SECRET-51d2"
TRUTH = {f"b{i:02d}": i % 2 for i in range(12)}
SPLIT = {k: "public" if i < 6 else "private" for i, k in enumerate(TRUTH)}
BEIJING = zoneinfo.ZoneInfo("Asia/Shanghai")


def _ground_truth() -> bytes:
    rows = ["id,target,split,note"] + [f"{k},{v},{SPLIT[k]},{MARKER}" for k, v in TRUTH.items()]
    return ("\n".join(rows) + "\n").encode()


def _predictions(wrong: int = 0) -> bytes:
    rows = ["id,target"] + [
        f"{k},{1 - v if i < wrong else v}" for i, (k, v) in enumerate(TRUTH.items())
    ]
    return ("\n".join(rows) + "\n").encode()


def _local(moment: dt.datetime) -> str:
    return moment.astimezone(BEIJING).strftime("%Y-%m-%dT%H:%M")


def _host(page: Page, live: LiveServer, prefix: str) -> str:
    """Sign up ``{prefix}-host``, make organization ``{prefix}-port`` with a private dataset,
    and host competition ``{prefix}-comp`` through the form; its slug."""
    from huggingface_hub import HfApi

    base = live.url
    sign_up(page, base, f"{prefix}-host")
    page.goto(f"{base}/organizations/new")
    page.fill("#id_name", f"{prefix}-port")
    page.select_option("#id_kind", "government")
    page.click("form[action='/organizations/new'] button[type=submit]")
    page.wait_for_url(f"{base}/{prefix}-port")
    api = HfApi(endpoint=base, token=live.token(f"{prefix}-host"))
    api.create_repo(f"{prefix}-port/berths", repo_type="dataset", private=True)
    api.upload_file(
        path_or_fileobj=b"id,length\nb00,120\nb01,90\n",
        path_in_repo="train.csv",
        repo_id=f"{prefix}-port/berths",
        repo_type="dataset",
    )
    page.goto(f"{base}/competitions")
    page.click("#host-competition")
    page.wait_for_url(f"{base}/competitions/new")
    assert "举办竞赛" in page.inner_text("h1")
    page.select_option("#c-org", f"{prefix}-port")
    page.fill("#c-slug", f"{prefix}-comp")
    page.fill("#c-title", "港口泊位预测")
    page.fill("#c-datasets", f"{prefix}-port/berths")
    page.set_input_files(
        "#c-gt", {"name": "gt.csv", "mimeType": "text/csv", "buffer": _ground_truth()}
    )
    page.select_option("#c-metric", "accuracy")
    page.fill("#c-team", "2")
    page.fill("#c-finals", "1")
    now = dt.datetime.now(dt.UTC)
    page.fill("input[name=phase-0-name]", "初赛")
    page.fill("input[name=phase-0-start]", _local(now - dt.timedelta(hours=1)))
    page.fill("input[name=phase-0-end]", _local(now + dt.timedelta(days=2)))
    page.fill("input[name=phase-0-daily]", "5")
    page.fill("#c-terms", "数据仅用于本次竞赛，不得外传。")
    page.check("input[name=publish]")
    page.click("#competition-form button[type=submit]")
    page.wait_for_url(f"{base}/competitions/{prefix}-comp")
    return f"{prefix}-comp"


def test_host_creates_and_edits_a_competition_in_chinese(
    page: Page, browser: Browser, live: LiveServer, requests_seen: Recorder
) -> None:
    base = live.url
    slug = _host(page, live, "ch")
    assert "港口泊位预测" in page.inner_text("h1") and "进行中" in page.inner_text("h1")
    assert MARKER not in page.content()
    described = json.loads(page.request.get(f"{base}/api/v1/competitions/{slug}").text())
    assert described["max_team_size"] == 2 and described["final_submissions"] == 1
    assert [p["name"] for p in described["phases"]] == ["初赛"]
    assert described["datasets"] == ["ch-port/berths"]

    # Edit: a new title and a second phase; a bad phase is refused in Chinese.
    page.click("#edit-competition")
    page.wait_for_url(f"{base}/competitions/{slug}/edit")
    assert page.input_value("input[name=phase-0-name]") == "初赛"
    first_end = dt.datetime.fromisoformat(described["phases"][0]["end"])
    page.fill("#c-title", "港口泊位预测（修订）")
    page.fill("input[name=phase-1-name]", "复赛")
    page.fill("input[name=phase-1-start]", _local(first_end + dt.timedelta(days=2)))
    page.fill("input[name=phase-1-end]", _local(first_end + dt.timedelta(days=1)))
    page.click("#competition-form button[type=submit]")
    assert "结束时间必须晚于开始时间" in page.inner_text("#error")
    assert page.input_value("input[name=phase-1-name]") == "复赛"  # what was typed stays
    page.fill("input[name=phase-1-end]", _local(first_end + dt.timedelta(days=9)))
    page.click("#competition-form button[type=submit]")
    page.wait_for_url(f"{base}/competitions/{slug}")
    assert "港口泊位预测（修订）" in page.inner_text("h1")
    described = json.loads(page.request.get(f"{base}/api/v1/competitions/{slug}").text())
    assert [p["name"] for p in described["phases"]] == ["初赛", "复赛"]

    # Someone who administers no organization gets no form.
    other_ctx = new_context(browser, requests_seen)
    try:
        other = other_ctx.new_page()
        sign_up(other, base, "ch-player")
        other.goto(f"{base}/competitions")
        assert other.locator("#host-competition").count() == 0
        assert other.goto(f"{base}/competitions/new").status == 404  # type: ignore[union-attr]
        assert other.goto(f"{base}/competitions/{slug}/edit").status == 404  # type: ignore[union-attr]
        assert other.locator("#edit-competition").count() == 0
    finally:
        other_ctx.close()


def test_join_download_submit_and_see_the_score_in_chinese(
    page: Page, browser: Browser, live: LiveServer, requests_seen: Recorder
) -> None:
    base = live.url
    slug = _host(page, live, "cj")
    ann_ctx = new_context(browser, requests_seen)
    ben_ctx = new_context(browser, requests_seen)
    try:
        ann = ann_ctx.new_page()
        sign_up(ann, base, "cj-ann")
        data_url = f"{base}/datasets/cj-port/berths/raw/main/train.csv"
        assert ann.request.get(data_url).status == 404  # private until the terms are accepted
        ann.goto(f"{base}/competitions/{slug}")
        assert "数据仅用于本次竞赛" in ann.inner_text("#join-form")
        ann.fill("#join-form input[name=team]", "海鸥队")
        ann.check("#join-form input[name=accept]")
        ann.click("#join-form button[type=submit]")
        ann.wait_for_url(f"{base}/competitions/{slug}?tab=data")
        assert "cj-port/berths" in ann.inner_text("#competition-data")
        downloaded = ann.request.get(data_url)
        assert downloaded.status == 200 and downloaded.text().startswith("id,length")

        ann.goto(f"{base}/competitions/{slug}?tab=submissions")
        ann.set_input_files(
            "#submit-form input[name=file]",
            {"name": "p.csv", "mimeType": "text/csv", "buffer": _predictions()},
        )
        ann.fill("#submit-form input[name=message]", "第一次提交")
        ann.click("#submit-form button[type=submit]")
        ann.wait_for_url(f"{base}/competitions/{slug}?tab=submissions")
        deadline = time.monotonic() + 60
        while "accuracy 1.0" not in ann.inner_text("#submissions"):
            assert time.monotonic() < deadline, ann.inner_text("#submissions")
            time.sleep(0.5)
            ann.reload()
        assert "第一次提交" in ann.inner_text("#submissions")
        assert "最终（默认）" in ann.inner_text("#submissions")  # the best public one counts
        ann.locator("#submissions input[name=final]").first.check()
        ann.click("#save-finals")
        ann.wait_for_url(f"{base}/competitions/{slug}?tab=submissions")
        assert "最终（默认）" not in ann.inner_text("#submissions")
        assert "最终" in ann.inner_text("#submissions")

        ann.goto(f"{base}/competitions/{slug}?tab=leaderboard")
        assert "海鸥队" in ann.inner_text("#leaderboard") and "1.0" in ann.inner_text(
            "#leaderboard"
        )
        ann.goto(f"{base}/competitions/{slug}?tab=leaderboard&split=private")
        assert ann.locator("#not-revealed").count() == 1  # private scores wait for the end
        assert MARKER not in ann.content()

        # A teammate by invitation: they accept on the team tab.
        ben = ben_ctx.new_page()
        sign_up(ben, base, "cj-ben")
        ann.goto(f"{base}/competitions/{slug}?tab=team")
        ann.fill("#invite-form input[name=value]", "cj-ben")
        ann.click("#invite-form button[type=submit]")
        ann.wait_for_url(f"{base}/competitions/{slug}?tab=team")
        assert "cj-ben" in ann.inner_text("#team-card")
        ann.fill("#invite-form input[name=value]", "cj-nobody")
        ann.click("#invite-form button[type=submit]")
        assert "没有名为 cj-nobody 的用户" in ann.inner_text("#error")
        ben.goto(f"{base}/competitions/{slug}?tab=team")
        assert "邀请你加入队伍 海鸥队" in ben.inner_text(".invitation")
        ben.click("#accept-invitation")
        ben.wait_for_url(f"{base}/competitions/{slug}?tab=team")
        assert ben.inner_text("#team-members").split() == ["cj-ann", "cj-ben"]
        assert ben.request.get(data_url).status == 200  # accepting accepted the terms
        ben.click("#leave-form button[type=submit]")  # the team has a submission: refused
        assert "不能退出" in ben.inner_text("#error")
    finally:
        ann_ctx.close()
        ben_ctx.close()
