"""What a Chinese (or English) reader notices at once (issue 19 item 7, template level): the
language menu, tag labels, relative times, diff labels, the 403 page, role defaults and a
nonexistent user named in the answer."""

from __future__ import annotations

import json
import subprocess
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.support.live import LiveServer
from tests.web.conftest import Recorder, create_repo, sign_up

TEXT = {
    "zh-CN": {
        "task": "任务类别",
        "image": "图像分类",
        "fresh": "刚刚更新",
        "modified": "修改",
        "added": "新增",
        "denied": "权限不足",
        "no_user": "找不到用户“ghost-user”",
    },
    "en": {
        "task": "Task category",
        "image": "Image classification",
        "fresh": "Updated just now",
        "modified": "modified",
        "added": "added",
        "denied": "Permission denied",
        "no_user": "There is no user named “ghost-user”",
    },
}

CARD = """---
license: mit
task_categories:
- image-classification
language:
- zh
---
# 港口图像
"""


def _git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def _dataset_with_card(live: LiveServer, tmp_path: Path, owner: str) -> None:
    token = live.create_user(owner)
    request = urllib.request.Request(
        live.url + "/api/repos/create",
        method="POST",
        data=json.dumps({"name": "port-images", "type": "dataset"}).encode(),
        headers={"Authorization": f"Bearer {token}"},
    )
    urllib.request.urlopen(request).close()
    src = tmp_path / owner
    _git("init", "-q", "-b", "main", str(src), cwd=tmp_path)
    (src / "README.md").write_text(CARD, encoding="utf-8")
    _git("add", ".", cwd=src)
    _git("commit", "-qm", "card", cwd=src)
    (src / "README.md").write_text(CARD + "\n更多说明。\n", encoding="utf-8")
    (src / "labels.csv").write_text("file,label\na.png,crane\n", encoding="utf-8")
    _git("add", ".", cwd=src)
    _git("commit", "-qm", "more", cwd=src)
    push = live.url.replace("http://", f"http://u:{token}@") + f"/{owner}/port-images.git"
    _git("push", "-q", push, "main", cwd=src)


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_language_menu_names_each_language_in_itself(
    browser: Browser, live: LiveServer, locale: str
) -> None:
    context = browser.new_context(locale=locale)
    try:
        page = context.new_page()
        page.goto(live.url + "/")
        options = page.locator("select[name=language] option").all_inner_texts()
        assert [o.strip() for o in options] == ["简体中文", "English"]
    finally:
        context.close()


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_labels_times_and_diff_status_read_naturally(
    browser: Browser, live: LiveServer, tmp_path: Path, requests_seen: Recorder, locale: str
) -> None:
    owner = "tagger-" + locale[:2].lower()
    _dataset_with_card(live, tmp_path, owner)
    words = TEXT[locale]
    context = browser.new_context(locale=locale)
    context.on("request", lambda r: requests_seen.urls.append(r.url))
    try:
        page = context.new_page()
        page.goto(f"{live.url}/datasets/{owner}/port-images")
        header = page.inner_text(".repo-meta")
        assert f"{words['task']}" in header and words["image"] in header
        assert "task_categories:" not in header
        chip = page.locator(".repo-meta .tag[title='task_categories:image-classification']")
        assert chip.count() == 1
        card = page.inner_text("#readme-metadata")
        assert words["image"] in card and "image-classification" not in card

        page.goto(f"{live.url}/{owner}")
        assert words["fresh"] in page.inner_text(".repo-list")
        assert "现在" not in page.inner_text("main")

        page.goto(f"{live.url}/{owner}/port-images/commits/main")
        page.locator(".commit-row a.commit-title", has_text="more").click()
        statuses = page.locator(".diff-head .badge").all_inner_texts()
        assert sorted(statuses) == sorted([words["added"], words["modified"]])
    finally:
        context.close()
    assert requests_seen.foreign(live.url) == []


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_forbidden_page_roles_and_unknown_users(
    browser: Browser, live: LiveServer, locale: str
) -> None:
    words = TEXT[locale]
    suffix = locale[:2].lower()
    context = browser.new_context(locale=locale)
    try:
        page = context.new_page()
        boss = f"polish-boss-{suffix}"
        sign_up(page, live.url, boss)
        # Only operators add data libraries: a 403 page that says so, not a server error.
        response = page.goto(live.url + "/libraries/new")
        assert response is not None and response.status == 403
        assert words["denied"] in page.inner_text("#permission-denied")
        assert "服务器出错了" not in page.content() and "went wrong" not in page.content()

        org = f"polish-org-{suffix}"
        page.goto(f"{live.url}/organizations/new")
        page.fill("#id_name", org)
        page.select_option("#id_kind", "enterprise")
        page.click("form[action='/organizations/new'] button[type=submit]")
        page.wait_for_url(f"{live.url}/{org}")
        # The least privilege is preselected everywhere a role is chosen.
        assert page.eval_on_selector("#member-role", "e => e.value") == "read"
        page.fill("#member-username", "ghost-user")
        page.click("#add-member button[type=submit]")
        page.wait_for_url(f"{live.url}/{org}")
        assert words["no_user"] in page.inner_text(".flash-error")

        create_repo(page, live.url, owner=org, name="line", readme=True)
        page.goto(f"{live.url}/{org}")
        page.fill("#team-name-input", "crew")
        page.click("#new-team button[type=submit]")
        page.wait_for_url(f"{live.url}/{org}/teams/crew")
        assert page.eval_on_selector("#grant-role", "e => e.value") == "read"
        page.fill("#team-member-username", "ghost-user")
        page.click("#add-team-member button[type=submit]")
        page.wait_for_url(f"{live.url}/{org}/teams/crew")
        assert words["no_user"] in page.inner_text(".flash-error")

        create_repo(page, live.url, owner=boss, name="joint", readme=True)
        page.goto(f"{live.url}/{boss}/joint/settings")
        assert page.eval_on_selector("#collaborator-role", "e => e.value") == "read"
        page.fill("#collaborator-username", "ghost-user")
        page.click("#add-collaborator button[type=submit]")
        page.wait_for_url(f"{live.url}/{boss}/joint/settings")
        assert words["no_user"] in page.inner_text(".flash-error")
    finally:
        context.close()
