"""Pages over a repository pushed with git: slashed branch names, tags, shas, pagination."""

from __future__ import annotations

import json
import re
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.support.live import LiveServer


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def get(url: str) -> tuple[int, str, dict[str, str]]:
    request = urllib.request.Request(url, headers={"Accept-Language": "en"})
    try:
        with urllib.request.urlopen(request) as response:
            return int(response.status), response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, "", {}


@pytest.fixture(scope="module")
def pushed(live: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> str:
    token = live.create_user("reviser")
    request = urllib.request.Request(
        live.url + "/api/repos/create",
        method="POST",
        data=json.dumps({"name": "revs", "type": "dataset"}).encode(),
        headers={"Authorization": f"Bearer {token}"},
    )
    urllib.request.urlopen(request).close()
    src = tmp_path_factory.mktemp("revs")
    git("init", "-q", "-b", "main", cwd=src)
    for i in range(35):
        (src / "counter.txt").write_text(f"{i}\n")
        git("add", ".", cwd=src)
        git("commit", "-qm", f"step {i}", cwd=src)
    git("tag", "v1.0", cwd=src)
    git("checkout", "-qb", "feature/x", cwd=src)
    (src / "docs").mkdir()
    (src / "docs" / "guide.md").write_text("# Guide on a branch\n")
    git("add", ".", cwd=src)
    git("commit", "-qm", "guide", cwd=src)
    push = live.url.replace("http://", f"http://u:{token}@") + "/reviser/revs.git"
    git("push", "-q", push, "main", "feature/x", "v1.0", cwd=src)
    return git("rev-parse", "main", cwd=src).strip()


def test_commit_list_paginates(live: LiveServer, pushed: str) -> None:
    status, first, _ = get(live.url + "/reviser/revs/commits/main")
    assert status == 200
    assert len(re.findall(r'class="commit-row"', first)) == 30
    assert "step 34" in first and "step 4<" not in first
    assert 'id="next-page"' in first
    status, second, _ = get(live.url + "/reviser/revs/commits/main?page=2")
    assert len(re.findall(r'class="commit-row"', second)) == 5
    assert "step 0" in second and 'id="next-page"' not in second


def test_branch_with_a_slash_tag_and_sha(live: LiveServer, pushed: str) -> None:
    base = live.url + "/reviser/revs"
    status, page, _ = get(base + "/tree/feature/x/docs")
    assert status == 200 and "guide.md" in page
    status, page, _ = get(base + "/blob/feature/x/docs/guide.md")
    assert status == 200 and "Guide on a branch" in page
    status, raw, _ = get(base + "/raw/feature/x/docs/guide.md")
    assert raw == "# Guide on a branch\n"
    # The tag and main do not have the branch's file.
    assert get(base + "/blob/v1.0/docs/guide.md")[0] == 404
    status, page, _ = get(base + f"/tree/{pushed}")
    assert status == 200 and "counter.txt" in page
    assert get(base + f"/raw/{pushed[:10]}/counter.txt")[1] == "34\n"
    assert get(base + "/tree/no-such-branch")[0] == 404


def test_single_commit_shows_a_diff(live: LiveServer, pushed: str) -> None:
    status, page, _ = get(live.url + f"/reviser/revs/commit/{pushed}")
    assert status == 200
    assert "step 34" in page
    assert re.search(r'class="d-del".*?-33', page, re.S)
    assert re.search(r'class="d-add".*?\+34', page, re.S)
    assert get(live.url + "/reviser/revs/commit/0000000")[0] == 404


def test_branches_tags_and_dataset_prefix(live: LiveServer, pushed: str) -> None:
    assert "feature/x" in get(live.url + "/reviser/revs/branches")[1]
    assert "v1.0" in get(live.url + "/reviser/revs/tags")[1]
    status, page, _ = get(live.url + "/datasets/reviser/revs")
    assert status == 200 and "counter.txt" in page and "huggingface_hub" in page
    assert 'repo_type="dataset"' in page or "repo_type=&quot;dataset&quot;" in page
