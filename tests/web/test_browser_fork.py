"""Forking from the repository page, as a signed-in user would."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page

from tests.e2e.test_forks import _create, _push_with_lfs, git
from tests.support.live import LiveServer
from tests.web.conftest import log_in


def test_fork_in_the_browser(page: Page, live: LiveServer, tmp_path: Path) -> None:
    owner = live.create_user("webforksrc")
    live.create_user("webforker")
    _create(live, owner, "dock-planner")
    head, _ = _push_with_lfs(live, owner, "webforksrc/dock-planner", tmp_path / "src")
    log_in(page, live.url, "webforker", "pw-webforker-Secret9")
    page.goto(f"{live.url}/webforksrc/dock-planner")
    page.click("#fork-button")
    page.fill("#id_name", "dock-planner-ours")
    page.click("#fork-form button[type=submit]")
    page.wait_for_url(f"{live.url}/webforker/dock-planner-ours")
    assert page.inner_text("#forked-from").endswith("webforksrc/dock-planner")
    ls = git("ls-remote", f"{live.url}/webforker/dock-planner-ours.git", "refs/heads/main")
    assert ls.split()[0] == head
    page.goto(f"{live.url}/webforksrc/dock-planner")
    assert page.inner_text("#fork-count") == "1"
