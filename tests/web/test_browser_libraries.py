"""Vertical data libraries in the browser: an operator defines a domain, a dataset tagged with
it shows up on the domain page with a painted growth chart and a licence-missing notice, and
nobody else may edit domains or see a private repository in them."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from playwright.sync_api import Browser, Page

from tests.support.live import LiveServer
from tests.web.conftest import Recorder, create_repo, log_in, new_context, sign_up, upload

PAINTED = """(selector) => {
  const canvas = document.querySelector(selector);
  if (!canvas) { return -1; }
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) { if (data[i] > 0) { painted++; } }
  return painted;
}"""


def _readme(front: str) -> dict[str, object]:
    text = f"---\n{front}\n---\n# 港口吞吐量\n"
    return {"name": "README.md", "mimeType": "text/markdown", "buffer": text.encode()}


def _api(url: str) -> Any:
    with urllib.request.urlopen(url) as response:
        return json.loads(response.read())


def test_operator_defines_a_domain_and_its_page_shows_what_you_may_read(
    page: Page, browser: Browser, live: LiveServer, requests_seen: Recorder
) -> None:
    base = live.url
    live.create_user("lib-operator", admin=True)
    log_in(page, base, "lib-operator", "pw-lib-operator-Secret9")

    page.goto(f"{base}/")
    page.click("nav.mainnav a[href='/libraries']")
    page.wait_for_url(f"{base}/libraries")
    page.click("#new-domain")
    page.wait_for_url(f"{base}/libraries/new")
    page.fill("#id_slug", "smart-port")
    page.fill("#id_name_zh", "智慧港口")
    page.fill("#id_name_en", "Smart port")
    page.fill("#id_description_zh", "港口作业数据与模型")
    page.click("#domain-form button[type=submit]")
    page.wait_for_url(f"{base}/libraries/smart-port")
    assert page.inner_text("#domain-name") == "智慧港口"

    # A public dataset without a licence and a private model, both naming the domain.
    create_repo(page, base, owner="lib-operator", name="port-throughput", type_="dataset")
    upload(page, base, "lib-operator/port-throughput", [_readme("domain: smart-port")], "card")
    create_repo(
        page, base, owner="lib-operator", name="secret-berth-model", type_="model", private=True
    )
    upload(
        page,
        base,
        "lib-operator/secret-berth-model",
        [_readme("license: mit\ntags: [domain:smart-port]")],
        "card",
    )
    page.goto(f"{base}/lib-operator/port-throughput")
    assert "许可证缺失" in page.inner_text("#licence-missing")

    # The operator can read both.
    page.goto(f"{base}/libraries/smart-port")
    assert "port-throughput" in page.inner_text("#repos-dataset")
    assert "secret-berth-model" in page.inner_text("#repos-model")
    page.wait_for_selector("#chart-people[data-rendered=true]")
    page.wait_for_selector("#chart-rows[data-rendered=true]")
    assert page.evaluate(PAINTED, "#chart-people canvas") > 500
    assert "lib-operator/port-throughput" in page.inner_text("#licence-missing-list")
    assert page.is_visible("#edit-domain")

    # Another signed-in user: no private model in lists or counts, and no edit form.
    other_ctx = new_context(browser, requests_seen)
    try:
        other = other_ctx.new_page()
        sign_up(other, base, "lib-visitor")
        other.goto(f"{base}/libraries/smart-port")
        main = other.inner_text("main")
        assert "port-throughput" in main and "secret-berth-model" not in main
        assert other.inner_text("#count-model") == "0"
        assert other.inner_text("#count-dataset") == "1"
        assert other.locator("#edit-domain").count() == 0
        other.wait_for_selector("#chart-people[data-rendered=true]")
        assert other.evaluate(PAINTED, "#chart-people canvas") > 500
        for path in ("/libraries/smart-port/edit", "/libraries/new"):
            response = other.goto(base + path)
            assert response is not None and response.status == 403, path
        assert other.locator("#domain-form").count() == 0
        other.goto(f"{base}/libraries")
        assert "智慧港口" in other.inner_text("#domains")
        assert other.locator("#new-domain").count() == 0
    finally:
        other_ctx.close()

    # The operator edits the names; the API reports the same (public) numbers.
    page.goto(f"{base}/libraries/smart-port/edit")
    page.fill("#id_name_en", "Smart ports")
    page.click("#domain-form button[type=submit]")
    page.wait_for_url(f"{base}/libraries/smart-port")
    detail = _api(f"{base}/api/v1/libraries/smart-port")
    assert detail["name_en"] == "Smart ports"
    assert detail["counts"] == {"dataset": 1, "model": 0, "code": 0, "total": 1, "rows": 0}
    assert [r["id"] for r in detail["repositories"]] == ["lib-operator/port-throughput"]
    assert detail["licence_missing"] == ["lib-operator/port-throughput"]
    assert "secret-berth-model" not in json.dumps(detail)
    # An anonymous English reader: English names, the public-only note, the same notice.
    english_ctx = new_context(browser, requests_seen, locale="en")
    try:
        anon = english_ctx.new_page()
        anon.goto(f"{base}/libraries/smart-port")
        assert anon.inner_text("#domain-name") == "Smart ports"
        assert "public repositories only" in anon.inner_text("#privacy-note")
        assert "Licence missing" in anon.inner_text("#licence-missing-list")
        assert "secret-berth-model" not in anon.inner_text("main")
        anon.wait_for_selector("#chart-rows[data-rendered=true]")
        response = anon.goto(f"{base}/libraries/smart-port/edit")
        assert response is not None and "/login" in anon.url  # asked to sign in first
    finally:
        english_ctx.close()
    listing = _api(f"{base}/api/v1/libraries")
    assert any(d["slug"] == "smart-port" for d in listing)
