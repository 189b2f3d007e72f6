"""Domains on the new-repository form and the settings page, in Chinese and English: /new
offers the libraries' domains, the choice lands in the README card (a commit a clone sees),
an admin changes it on the settings page, and a repository tagged with a domain's Chinese or
English name (no ``domain:`` anywhere) is in that library too."""

from __future__ import annotations

import json
import subprocess
import urllib.request
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page

from tests.support.live import LiveServer
from tests.web.conftest import Recorder, create_repo, log_in, new_context, upload


def _api(url: str) -> Any:
    with urllib.request.urlopen(url) as response:
        return json.loads(response.read())


def _readme(live: LiveServer, full: str, tmp: Path) -> str:
    """README.md as a git clone sees it."""
    work = tmp / full.replace("/", "-")
    subprocess.run(
        ["git", "clone", "-q", f"{live.url}/{full}", str(work)], check=True, capture_output=True
    )
    return (work / "README.md").read_text(encoding="utf-8")


def _ids(live: LiveServer, slug: str) -> list[str]:
    return [r["id"] for r in _api(f"{live.url}/api/v1/libraries/{slug}")["repositories"]]


def test_domain_picker_settings_and_tag_matching(
    page: Page, browser: Browser, live: LiveServer, requests_seen: Recorder, tmp_path: Path
) -> None:
    base = live.url
    live.cli("libraries", "add", "dm-port", "--zh", "港口物流", "--en", "Port logistics")
    live.cli("libraries", "add", "dm-factory", "--zh", "智能制造", "--en", "Smart manufacturing")
    live.create_user("dm-owner")
    log_in(page, base, "dm-owner", "pw-dm-owner-Secret9")

    # /new in Chinese: the picker names the domains in Chinese; the choice is in the card.
    page.goto(f"{base}/new")
    options = page.eval_on_selector_all("#id_domain option", "os => os.map(o => o.textContent)")
    assert "港口物流" in options and "智能制造" in options and "Port logistics" not in options
    page.fill("#id_name", "berth-times")
    page.check("input[name=type][value=dataset]")
    page.uncheck("#id_readme")  # a chosen domain still brings a README card
    page.select_option("#id_domain", "dm-port")
    page.click("form[action='/new'] button[type=submit]")
    page.wait_for_url(f"{base}/datasets/dm-owner/berth-times")
    assert "domain: dm-port" in _readme(live, "dm-owner/berth-times", tmp_path)
    assert "dm-owner/berth-times" in _ids(live, "dm-port")

    # Settings: the current domain is selected; moving it writes a new commit to the card.
    page.goto(f"{base}/dm-owner/berth-times/settings")
    assert page.eval_on_selector("#domain-select", "s => s.value") == "dm-port"
    page.select_option("#domain-select", "dm-factory")
    page.click("#domain-form button[type=submit]")
    page.wait_for_url("**/dm-owner/berth-times/settings#domain")
    assert "智能制造" in page.inner_text(".flash")
    card = _readme(live, "dm-owner/berth-times", tmp_path / "second")
    assert "domain: dm-factory" in card and "dm-port" not in card
    assert "dm-owner/berth-times" in _ids(live, "dm-factory")
    assert "dm-owner/berth-times" not in _ids(live, "dm-port")
    assert page.eval_on_selector("#domain-select", "s => s.value") == "dm-factory"

    # Tags equal to a domain's Chinese or English name are enough.
    create_repo(page, base, owner="dm-owner", name="crane-model", type_="model")
    readme = "---\nlicense: mit\ntags: [港口物流]\n---\n# 岸桥\n"
    upload(
        page,
        base,
        "dm-owner/crane-model",
        [{"name": "README.md", "mimeType": "text/markdown", "buffer": readme.encode()}],
        "card",
    )
    create_repo(page, base, owner="dm-owner", name="weld-model", type_="model")
    readme = "---\ntags:\n- smart manufacturing\n- welding\n---\n# Weld\n"
    upload(
        page,
        base,
        "dm-owner/weld-model",
        [{"name": "README.md", "mimeType": "text/markdown", "buffer": readme.encode()}],
        "card",
    )
    assert "dm-owner/crane-model" in _ids(live, "dm-port")
    assert "dm-owner/weld-model" in _ids(live, "dm-factory")
    assert "dm-owner/weld-model" not in _ids(live, "dm-port")
    page.goto(f"{base}/libraries/dm-port")
    assert "crane-model" in page.inner_text("#repos-model")

    # English: the picker and the settings card speak English; "none" takes it out.
    english = new_context(browser, requests_seen, locale="en")
    try:
        en = english.new_page()
        log_in(en, base, "dm-owner", "pw-dm-owner-Secret9")
        en.goto(f"{base}/new")
        options = en.eval_on_selector_all("#id_domain option", "os => os.map(o => o.textContent)")
        assert "Port logistics" in options and "(none)" in options
        en.goto(f"{base}/dm-owner/berth-times/settings")
        assert "Domain" in en.inner_text("#domain h2")
        en.select_option("#domain-select", "")
        en.click("#domain-form button[type=submit]")
        en.wait_for_url("**/dm-owner/berth-times/settings#domain")
        assert "in no domain" in en.inner_text(".flash")
    finally:
        english.close()
    assert "domain:" not in _readme(live, "dm-owner/berth-times", tmp_path / "third")
    assert "dm-owner/berth-times" not in _ids(live, "dm-factory")

    # Someone who may only read gets no way to change it.
    live.create_user("dm-reader")
    reader_ctx = new_context(browser, requests_seen)
    try:
        reader = reader_ctx.new_page()
        log_in(reader, base, "dm-reader", "pw-dm-reader-Secret9")
        response = reader.request.post(
            f"{base}/dm-owner/berth-times/settings/domain", form={"domain": "dm-port"}
        )
        assert response.status in {403, 404}
    finally:
        reader_ctx.close()
    assert "dm-owner/berth-times" not in _ids(live, "dm-port")
