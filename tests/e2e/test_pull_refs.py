"""``refs/pull/*`` holds the server's copies of pull request heads: a client may not write
there on any channel. A real ``git push`` over HTTP gets a readable ``remote:`` line in the
pusher's language and the ref stays where the server put it; a Hub commit to it gets 403.
(SSH runs the same hook: ``test_ssh.py``; the write service's check: ``test_protection.py``.)"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError

from tests.e2e.test_protected_branches import _git
from tests.support.live import LiveServer

pytestmark = pytest.mark.e2e


def _remote_refs(url: str) -> dict[str, str]:
    out = _git("ls-remote", url).stdout
    return {ref: sha for sha, ref in (line.split("\t") for line in out.splitlines())}


def test_client_pushes_to_pull_refs_are_refused(live: LiveServer, tmp_path: Path) -> None:
    owner = f"pr{uuid.uuid4().hex[:6]}"
    token = live.create_user(owner)
    api = HfApi(endpoint=live.url, token=token)
    repo_id = f"{owner}/heads"
    api.create_repo(repo_id)
    api.upload_file(path_or_fileobj=b"v1\n", path_in_repo="a.txt", repo_id=repo_id)
    api.upload_file(
        path_or_fileobj=b"change\n", path_in_repo="c.txt", repo_id=repo_id, create_pr=True
    )
    url = live.url.replace("http://", f"http://u:{token}@") + f"/{repo_id}.git"
    before = _remote_refs(url)
    assert "refs/pull/1/head" in before, before

    work = tmp_path / "work"
    assert _git("clone", "-q", url, str(work)).returncode == 0
    (work / "evil.txt").write_text("not what was reviewed\n")
    _git("add", "evil.txt", cwd=work)
    _git("-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qm", "sneak", cwd=work)

    zh = _git("push", "-f", "origin", "HEAD:refs/pull/1/head", cwd=work)
    assert zh.returncode != 0
    assert "remote: refs/pull/1/head 由服务器为合并请求维护，不能推送" in zh.stderr, zh.stderr
    en = _git("push", "-f", "origin", "HEAD:refs/pull/1/head", cwd=work, lang="en")
    assert en.returncode != 0
    assert "remote: refs/pull/1/head is kept by the server for pull requests" in en.stderr
    new = _git("push", "origin", "HEAD:refs/pull/7/head", cwd=work)  # a new one: the same
    assert new.returncode != 0 and "refs/pull/7/head" in new.stderr
    deleted = _git("push", "origin", ":refs/pull/1/head", cwd=work)
    assert deleted.returncode != 0 and "由服务器为合并请求维护" in deleted.stderr
    # One refused ref refuses the whole push (git's pre-receive is all or nothing).
    mixed = _git("push", "origin", "HEAD:side", "+HEAD:refs/pull/1/head", cwd=work)
    assert mixed.returncode != 0 and "pre-receive hook declined" in mixed.stderr
    after = _remote_refs(url)
    assert after == before, (before, after)
    # A branch is fine.
    assert _git("push", "origin", "HEAD:side", cwd=work).returncode == 0

    # The Hub's commit endpoint: the same rule, from the write service.
    with pytest.raises(HfHubHTTPError) as hub:
        api.upload_file(
            path_or_fileobj=b"x\n",
            path_in_repo="x.txt",
            repo_id=repo_id,
            revision="refs/pull/1/head",
        )
    assert hub.value.response.status_code == 403, hub.value
    assert "kept by the server for pull requests" in str(hub.value)
    assert _remote_refs(url)["refs/pull/1/head"] == before["refs/pull/1/head"]
