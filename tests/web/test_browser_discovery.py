"""Discovery in the browser: the search page's facets, header suggestions while typing
Chinese, explore pages, and following a user whose push then shows in one's feed."""

from __future__ import annotations

import re
import time
from urllib.parse import quote

import pytest
from huggingface_hub import HfApi
from playwright.sync_api import Page, expect

from tests.support.client import request
from tests.support.live import LiveServer
from tests.web.conftest import sign_up

pytestmark = pytest.mark.e2e


def card(task: str, hardware: str, body: str) -> bytes:
    front = f"---\nlicense: apache-2.0\npipeline_tag: {task}\ntags:\n- {hardware}\n---\n"
    return (front + f"# model\n\n{body}\n").encode()


@pytest.fixture(scope="module")
def harbour(live: LiveServer) -> dict[str, str]:
    """Three public models about the port (two tasks, two chips) and one private one."""
    token = live.create_user("gangkou")
    api = HfApi(endpoint=live.url, token=token)
    repos = {
        "gangkou/port-dispatch": card("text-generation", "ascend", "港口智能调度系统，集装箱码头"),
        "gangkou/port-vision": card("object-detection", "cuda", "港口 集装箱 识别 检测模型"),
        "gangkou/port-crane": card("object-detection", "ascend", "港口 起重机 视觉检测"),
    }
    for repo_id, readme in repos.items():
        api.create_repo(repo_id)
        api.upload_file(path_or_fileobj=readme, path_in_repo="README.md", repo_id=repo_id)
    api.create_repo("gangkou/port-secret", private=True)
    api.upload_file(
        path_or_fileobj=card("object-detection", "ascend", "港口 机密 项目"),
        path_in_repo="README.md",
        repo_id="gangkou/port-secret",
    )
    wait_indexed(live, "港口", 3)
    return {"token": token}


def wait_indexed(live: LiveServer, q: str, total: int, timeout: float = 60) -> None:
    """The index follows the event log in background jobs; wait until it has caught up."""
    deadline = time.monotonic() + timeout
    seen = -1
    while time.monotonic() < deadline:
        url = f"{live.url}/api/v1/search?q={quote(q)}&owner=gangkou&facets=0"
        seen = request(url).json()["total"]
        if seen == total:
            return
        time.sleep(0.3)
    raise AssertionError(f"search for {q!r} found {seen}, expected {total}")


def test_search_page_facet_click_filters_results(
    page: Page, live: LiveServer, harbour: dict[str, str]
) -> None:
    # Scoped to the test's owner: other tests of the session index their own repositories.
    page.goto(f"{live.url}/search?q=港口&owner=gangkou")
    cards = page.locator(".repo-list .hit")
    expect(cards).to_have_count(3)
    assert "port-secret" not in page.inner_text("main")  # anonymous: the private one is hidden
    task = page.locator(".facet[data-facet=task] a[data-value=object-detection]")
    expect(task.locator(".count")).to_have_text("2")
    hardware = page.locator(".facet[data-facet=hardware] a[data-value=ascend]")
    expect(hardware.locator(".count")).to_have_text("2")  # the private ascend model is not counted
    task.click()
    page.wait_for_url(re.compile(r".*task=object-detection.*"))
    expect(cards).to_have_count(2)
    assert {cards.nth(i).get_attribute("data-id") for i in range(2)} == {
        "gangkou/port-vision",
        "gangkou/port-crane",
    }
    expect(page.locator(".facet[data-facet=task] a.active")).to_have_count(1)
    # A second facet narrows further; the sort links keep the filters.
    page.locator(".facet[data-facet=hardware] a[data-value=cuda]").click()
    expect(cards).to_have_count(1)
    expect(cards.first).to_have_attribute("data-id", "gangkou/port-vision")
    page.locator("#sorts a[data-sort=updated]").click()
    page.wait_for_url(re.compile(r".*sort=updated.*"))
    expect(cards).to_have_count(1)
    # Clicking the active value again removes that filter.
    page.locator(".facet[data-facet=task] a.active").click()
    expect(cards).to_have_count(1)  # still cuda only
    assert "task=" not in page.url


def test_header_suggestions_appear_while_typing_chinese(
    page: Page, live: LiveServer, harbour: dict[str, str]
) -> None:
    page.goto(f"{live.url}/")
    box = page.locator("#header-search")
    box.press_sequentially("港口", delay=80)
    page.wait_for_selector("#suggestions[data-q='港口']:not([hidden])")
    suggestions = page.locator("#suggestions a")
    expect(suggestions.first).to_be_visible()
    texts = page.locator("#suggestions").inner_text()
    assert "gangkou/port-dispatch" in texts and "port-secret" not in texts
    # Prefix matching while typing an English word.
    box.fill("")
    box.press_sequentially("port-disp", delay=50)
    page.wait_for_selector("#suggestions[data-q='port-disp']:not([hidden])")
    expect(page.locator("#suggestions a").first).to_contain_text("gangkou/port-dispatch")
    box.press("ArrowDown")
    box.press("Enter")
    page.wait_for_url(f"{live.url}/gangkou/port-dispatch")


def test_explore_pages_and_trending(page: Page, live: LiveServer, harbour: dict[str, str]) -> None:
    page.goto(f"{live.url}/models")
    assert page.locator(".repo-list .hit[data-type=model]").count() >= 3
    assert page.locator(".facet[data-facet=type]").count() == 0  # the type is fixed here
    page.goto(f"{live.url}/organizations")
    expect(page.locator("h1")).to_have_text("组织")
    for path in ("/datasets", "/code"):
        assert page.goto(f"{live.url}{path}").status == 200  # type: ignore[union-attr]
    # The home page's trending list is the search service's trending order (other tests of
    # the session have models too, so compare with the API rather than name ours).
    page.goto(f"{live.url}/")
    shown = page.locator("#trending [data-type=model] ol li a").all_inner_texts()
    api = request(f"{live.url}/api/v1/search?type=model&sort=trending&per_page=5&facets=0")
    assert shown == [r["id"] for r in api.json()["results"]]
    assert 3 <= len(shown) <= 5  # the three public models of the fixture, at least
    assert "port-secret" not in page.inner_text("#trending")


def test_follow_then_feed_shows_the_followed_users_push(
    page: Page, live: LiveServer, harbour: dict[str, str]
) -> None:
    base = live.url
    sign_up(page, base, "follower1")
    page.goto(f"{base}/gangkou")
    expect(page.locator("#follower-count b")).to_have_text("0")
    page.click("#follow-button")
    page.wait_for_url(f"{base}/gangkou")
    expect(page.locator("#follower-count b")).to_have_text("1")
    expect(page.locator("#follow-button")).to_have_text("取消关注")
    followers = request(f"{base}/api/v1/owners/gangkou/followers").json()
    assert [f["name"] for f in followers["results"]] == ["follower1"]

    api = HfApi(endpoint=base, token=harbour["token"])
    api.upload_file(
        path_or_fileobj=b"new weights notes", path_in_repo="NOTES.md", repo_id="gangkou/port-crane"
    )
    api.upload_file(
        path_or_fileobj=b"secret notes", path_in_repo="NOTES.md", repo_id="gangkou/port-secret"
    )
    page.goto(f"{base}/")
    feed = page.locator("#dashboard-feed")
    expect(feed.locator(".event-repopush").first).to_contain_text("gangkou/port-crane")
    expect(feed.locator(".event-repopush").first).to_contain_text("推送到")
    assert "port-secret" not in feed.inner_text()
    # The followed user's page shows the same activity, and the follower in their list.
    page.goto(f"{base}/gangkou")
    expect(page.locator(".events")).to_contain_text("gangkou/port-crane")
    assert "port-secret" not in page.inner_text(".events")

    # Watch and like on the repository page, with counts.
    page.goto(f"{base}/gangkou/port-vision")
    page.click("#watch-button")
    expect(page.locator("#watch-count")).to_have_text("1")
    page.click("#like-button")
    expect(page.locator("#like-count")).to_have_text("1")
    expect(page.locator("#like-button")).to_contain_text("取消")
    # The same signals over the JSON API of the live server, with a token.
    token = live.create_user("watcher2")
    watched = request(f"{base}/api/v1/watch/gangkou/port-vision", "PUT", token=token).json()
    assert watched == {"repo": "gangkou/port-vision", "watching": True, "watchers": 2}
    hidden = request(f"{base}/api/v1/watch/gangkou/port-secret", "PUT", token=token)
    assert hidden.status == 404
    assert request(f"{base}/api/v1/follow/gangkou", "DELETE", token=token).status == 200
