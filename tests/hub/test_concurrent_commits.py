"""Issue 20 item 6: concurrent Hub commits without ``parent_commit`` are applied one after
another on the current head (as the Hub does), none fails with 409; a stale
``parent_commit`` still gets 412."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from huggingface_hub import CommitOperationAdd, HfApi
from huggingface_hub.errors import HfHubHTTPError

from tests.hub.conftest import Hub

pytestmark = pytest.mark.e2e

WRITERS = 20


def test_twenty_concurrent_uploads_without_parent_all_land(hub: Hub) -> None:
    repo_id = hub.repo_id("crowd")
    hub.api.create_repo(repo_id)

    def upload(i: int) -> str:
        api = HfApi(endpoint=hub.url, token=hub.token)  # one session per thread
        info = api.upload_file(
            path_or_fileobj=f"writer {i}\n".encode(), path_in_repo=f"f{i:02}.txt", repo_id=repo_id
        )
        return str(info.oid)

    with ThreadPoolExecutor(WRITERS) as pool:
        shas = list(pool.map(upload, range(WRITERS)))  # any HfHubHTTPError fails the test
    assert len(set(shas)) == WRITERS
    files = hub.api.list_repo_files(repo_id)
    assert sorted(f for f in files if f.startswith("f")) == [f"f{i:02}.txt" for i in range(WRITERS)]
    # Linear history: the initial commit and one commit per upload.
    assert len(hub.api.list_repo_commits(repo_id)) == WRITERS + 1

    head = hub.api.model_info(repo_id).sha
    stale = next(sha for sha in shas if sha != head)
    with pytest.raises(HfHubHTTPError) as info:
        hub.api.create_commit(
            repo_id,
            operations=[CommitOperationAdd("late.txt", b"late")],
            commit_message="late",
            parent_commit=stale,
        )
    assert info.value.response.status_code == 412
    assert "late.txt" not in hub.api.list_repo_files(repo_id)
