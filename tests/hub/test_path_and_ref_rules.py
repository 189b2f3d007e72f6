"""Issue 20 items 3 and 7: one path rule and one ref-name rule on every channel.

Paths the Hub commit route used to accept (``.git`` look-alikes that ``git fsck`` flags as
``hasDotgit``, backslashes, drive letters, control characters that inject lines into
``.gitattributes``) are refused with the Hub's 422, and a branch or tag named ``HEAD`` is
refused by the Hub routes and by a git push.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from huggingface_hub import CommitOperationAdd
from huggingface_hub.errors import HfHubHTTPError

from tests.hub.conftest import Hub
from tests.hub.test_hostile_commits import HEADER, file_line, post_commit
from tests.support.client import authed, git

pytestmark = pytest.mark.e2e

HOSTILE = [
    ".git./config",
    ".git /config",
    "git~1/config",
    ".gi\u200ct/config",
    "a\\..\\..\\b.txt",
    "C:\\x",
    "a\nb.bin filter=lfs",
    "a\rb",
    "a\x01b",
]


def test_hostile_paths_get_422_and_change_nothing(hub: Hub, tmp_path: Path) -> None:
    repo_id = hub.repo_id("paths")
    hub.api.create_repo(repo_id)
    hub.api.upload_file(path_or_fileobj=b"ok", path_in_repo="ok.txt", repo_id=repo_id)
    head = hub.api.model_info(repo_id).sha
    for path in HOSTILE:
        status, headers, body = post_commit(hub, repo_id, [HEADER, file_line(path)])
        assert status == 422, (path, status, body)
        assert "Invalid path" in (headers.get("X-Error-Message") or ""), path
    # The real client gets an error too (binary content goes through preupload + LFS).
    with pytest.raises(HfHubHTTPError):
        hub.api.create_commit(
            repo_id,
            operations=[CommitOperationAdd(".git./config", b"\x00\x01binary")],
            commit_message="evil",
        )
    assert hub.api.model_info(repo_id).sha == head
    clone = tmp_path / "clone"
    git("clone", "-q", authed(hub.live, hub.token, f"/{repo_id}.git"), str(clone))
    assert git("fsck", "--strict", cwd=clone).returncode == 0
    assert sorted(p.name for p in clone.iterdir() if p.name != ".git") == [
        ".gitattributes",
        "ok.txt",
    ]


def test_head_is_refused_as_branch_or_tag_on_hub_and_git(hub: Hub, tmp_path: Path) -> None:
    repo_id = hub.repo_id("head")
    hub.api.create_repo(repo_id)
    hub.api.upload_file(path_or_fileobj=b"ok", path_in_repo="ok.txt", repo_id=repo_id)
    with pytest.raises(HfHubHTTPError) as branch_error:
        hub.api.create_branch(repo_id, branch="HEAD")
    assert branch_error.value.response.status_code == 400
    with pytest.raises(HfHubHTTPError) as tag_error:
        hub.api.create_tag(repo_id, tag="HEAD")
    assert tag_error.value.response.status_code == 400
    refs = hub.api.list_repo_refs(repo_id)
    assert [b.name for b in refs.branches] == ["main"] and refs.tags == []

    work = tmp_path / "work"
    git("clone", "-q", authed(hub.live, hub.token, f"/{repo_id}.git"), str(work))
    for refspec in ["HEAD:refs/heads/HEAD", "HEAD:refs/tags/HEAD"]:
        pushed = git("push", "origin", refspec, cwd=work, check=False)
        assert pushed.returncode != 0, refspec
        assert "not a valid branch or tag name" in pushed.stderr
    # A tree with a .git look-alike is refused by receive.fsck (hasDotgit is an error).
    git("config", "user.email", "e@x", cwd=work)
    git("config", "user.name", "e", cwd=work)
    blob = _git_in(work, "[core]\n", "hash-object", "-w", "--stdin")
    evil_tree = _git_in(work, f"100644 blob {blob}\tconfig\n", "mktree")
    root = _git_in(work, f"040000 tree {evil_tree}\t.GIT.\n", "mktree")
    evil = git("commit-tree", root, "-m", "evil", cwd=work).stdout.strip()
    pushed = git("push", "origin", f"{evil}:refs/heads/evil", cwd=work, check=False)
    assert pushed.returncode != 0
    assert [b.name for b in hub.api.list_repo_refs(repo_id).branches] == ["main"]


def _git_in(work: Path, stdin: str, *args: str) -> str:
    return subprocess.run(
        ["git", *args], input=stdin, cwd=work, capture_output=True, text=True, check=True
    ).stdout.strip()
