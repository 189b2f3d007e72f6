"""Discussions and pull requests with the real ``huggingface_hub`` client (issue 14's Hub
acceptance): ``upload_file(create_pr=True)`` → ``get_discussion_details`` with the diff →
``comment_discussion`` → a reader's ``merge_pull_request`` refused → the owner's merge puts
the file on ``main``; plain discussions change status, title and comments; private
repositories' discussions are not found; numbers stay unique under concurrent creation."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from huggingface_hub import HfApi, hf_hub_download
from huggingface_hub.community import DiscussionComment, DiscussionCommit
from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError

from tests.hub.conftest import Hub


@pytest.fixture(scope="module")
def outsider(hub: Hub) -> HfApi:
    """Another signed-in user: a reader of public repositories, nothing more."""
    name = f"hfo{uuid.uuid4().hex[:8]}"
    return HfApi(endpoint=hub.url, token=hub.live.create_user(name))


def test_pull_request_round_trip(hub: Hub, outsider: HfApi, cache: Path) -> None:
    repo_id = hub.repo_id("pr")
    hub.api.create_repo(repo_id)
    info = outsider.upload_file(
        path_or_fileobj=b"contributed\n",
        path_in_repo="notes/contrib.txt",
        repo_id=repo_id,
        commit_message="Add notes",
        commit_description="fixes nothing yet",
        create_pr=True,
    )
    assert info.pr_revision == "refs/pr/1" and info.pr_num == 1
    assert info.pr_url == f"{hub.url}/{repo_id}/discussions/1"
    # the file is on refs/pr/1, not on main
    assert "notes/contrib.txt" not in hub.api.list_repo_files(repo_id)
    path = hf_hub_download(
        repo_id, "notes/contrib.txt", revision="refs/pr/1", endpoint=hub.url, cache_dir=cache
    )
    assert Path(path).read_bytes() == b"contributed\n"
    refs = hub.api.list_repo_refs(repo_id, include_pull_requests=True)
    assert [r.ref for r in refs.pull_requests or []] == ["refs/pr/1"]

    details = hub.api.get_discussion_details(repo_id, 1)
    assert details.is_pull_request and details.status == "open"
    assert details.title == "Add notes" and details.target_branch == "refs/heads/main"
    assert details.diff is not None and "+contributed" in details.diff
    assert "notes/contrib.txt" in details.diff
    assert details.conflicting_files == []
    commits = [e for e in details.events if isinstance(e, DiscussionCommit)]
    assert [c.summary for c in commits] == ["Add notes"] and commits[0].oid == info.oid

    comment = outsider.comment_discussion(repo_id, 1, "Please take a look")
    assert isinstance(comment, DiscussionComment) and comment.content == "Please take a look"
    # a reader cannot merge: the Hub's 403
    with pytest.raises(HfHubHTTPError) as refused:
        outsider.merge_pull_request(repo_id, 1)
    assert refused.value.response.status_code == 403
    hub.api.merge_pull_request(repo_id, 1, comment="Thanks!")
    assert "notes/contrib.txt" in hub.api.list_repo_files(repo_id)
    merged = hub.api.get_discussion_details(repo_id, 1)
    assert merged.status == "merged" and merged.merge_commit_oid == hub.api.model_info(repo_id).sha
    assert [e.new_status for e in merged.events if e.type == "status-change"] == ["merged"]
    with pytest.raises(HfHubHTTPError) as again:
        hub.api.merge_pull_request(repo_id, 1)
    assert again.value.response.status_code == 409
    # once merged, nobody pushes to refs/pr/1 any more
    with pytest.raises(HfHubHTTPError):
        outsider.upload_file(
            path_or_fileobj=b"late\n",
            path_in_repo="late.txt",
            repo_id=repo_id,
            revision="refs/pr/1",
        )


def test_writer_pushes_more_commits_to_a_pull_request(hub: Hub) -> None:
    repo_id = hub.repo_id("pr-more")
    hub.api.create_repo(repo_id, repo_type="dataset")
    pr = hub.api.create_pull_request(repo_id, "Empty PR", repo_type="dataset")
    assert pr.num == 1 and pr.git_reference == "refs/pr/1"
    assert hub.api.get_discussion_details(repo_id, 1, repo_type="dataset") == pr
    at_pr = hub.api.dataset_info(repo_id, revision="refs/pr/1")
    assert at_pr.sha == hub.api.dataset_info(repo_id).sha  # the PR starts at the base's head
    for n in range(2):
        hub.api.upload_file(
            path_or_fileobj=f"row {n}\n".encode(),
            path_in_repo=f"data/{n}.csv",
            repo_id=repo_id,
            repo_type="dataset",
            revision=pr.git_reference,
        )
    details = hub.api.get_discussion_details(repo_id, 1, repo_type="dataset")
    assert len([e for e in details.events if e.type == "commit"]) == 2
    assert details.diff is not None and "data/1.csv" in details.diff


def test_plain_discussion(hub: Hub, outsider: HfApi) -> None:
    repo_id = hub.repo_id("talk")
    hub.api.create_repo(repo_id)
    made = outsider.create_discussion(repo_id, "  Question  ", description="How to use it?")
    assert (made.num, made.title, made.is_pull_request) == (1, "Question", False)
    assert made.events[0].content == "How to use it?"  # type: ignore[attr-defined]
    hub.api.create_discussion(repo_id, "Second")
    closed = outsider.change_discussion_status(repo_id, 1, "closed", comment="Solved")
    assert closed.new_status == "closed"
    renamed = outsider.rename_discussion(repo_id, 1, "Question (solved)")
    assert (renamed.old_title, renamed.new_title) == ("Question", "Question (solved)")
    first = outsider.get_discussion_details(repo_id, 1).events[0]
    edited = outsider.edit_discussion_comment(repo_id, 1, first.id, "How do I use it?")
    assert edited.edited and edited.content == "How do I use it?"
    assert outsider.get_discussion_details(repo_id, 1).events[0] == edited  # same event, same id
    with pytest.warns(UserWarning):
        hidden = hub.api.hide_discussion_comment(repo_id, 1, first.id)
    assert hidden.hidden and hidden.content == ""
    stranger = HfApi(endpoint=hub.url, token=hub.live.create_user(f"hfx{uuid.uuid4().hex[:6]}"))
    with pytest.raises(HfHubHTTPError) as refused:  # only the author or a maintainer
        stranger.change_discussion_status(repo_id, 2, "closed")
    assert refused.value.response.status_code == 403
    details = outsider.get_discussion_details(repo_id, 1)
    kinds = [e.type for e in details.events]
    assert kinds == ["comment", "comment", "status-change", "title-change"]
    assert details.status == "closed"

    every = list(hub.api.get_repo_discussions(repo_id))
    assert [d.num for d in every] == [2, 1]
    assert [d.num for d in hub.api.get_repo_discussions(repo_id, discussion_status="open")] == [2]
    assert [d.num for d in hub.api.get_repo_discussions(repo_id, author=hub.user)] == [2]
    assert list(hub.api.get_repo_discussions(repo_id, discussion_type="pull_request")) == []
    with pytest.raises(HfHubHTTPError) as anonymous:
        HfApi(endpoint=hub.url, token=False).comment_discussion(repo_id, 1, "hi")
    assert anonymous.value.response.status_code == 401


def test_private_discussions_are_not_found(hub: Hub, outsider: HfApi) -> None:
    repo_id = hub.repo_id("secret")
    hub.api.create_repo(repo_id, private=True)
    hub.api.create_discussion(repo_id, "Internal")
    with pytest.raises(RepositoryNotFoundError):
        list(outsider.get_repo_discussions(repo_id))
    with pytest.raises(RepositoryNotFoundError):
        outsider.get_discussion_details(repo_id, 1)
    with pytest.raises(RepositoryNotFoundError):
        outsider.comment_discussion(repo_id, 1, "let me in")
    with pytest.raises(RepositoryNotFoundError):
        outsider.upload_file(
            path_or_fileobj=b"x", path_in_repo="x", repo_id=repo_id, create_pr=True
        )


def test_pagination_and_concurrent_numbers(hub: Hub) -> None:
    repo_id = hub.repo_id("many")
    hub.api.create_repo(repo_id)
    with ThreadPoolExecutor(max_workers=6) as pool:
        made = list(pool.map(lambda i: hub.api.create_discussion(repo_id, f"d{i}").num, range(52)))
    assert sorted(made) == list(range(1, 53))
    listed = [d.num for d in hub.api.get_repo_discussions(repo_id)]  # two pages of 50
    assert listed == list(range(52, 0, -1))


def test_two_racing_merges_one_wins(hub: Hub) -> None:
    """Two merges of one pull request at the same time: one merge commit, one clear 409."""
    repo_id = hub.repo_id("race")
    hub.api.create_repo(repo_id)
    info = hub.api.upload_file(
        path_or_fileobj=b"race\n", path_in_repo="race.txt", repo_id=repo_id, create_pr=True
    )
    assert info.pr_num == 1
    before = len(hub.api.list_repo_commits(repo_id))

    def merge(_: int) -> int:
        try:
            hub.api.merge_pull_request(repo_id, 1)
        except HfHubHTTPError as exc:
            assert "already merged" in str(exc)
            return exc.response.status_code
        return 200

    with ThreadPoolExecutor(max_workers=2) as pool:
        statuses = sorted(pool.map(merge, range(2)))
    assert statuses == [200, 409]
    # Exactly one merge: main gains the pull request's commit and one merge commit (the log is
    # by date, so which of the two is listed first is not fixed within one second).
    assert len(hub.api.list_repo_commits(repo_id)) == before + 2


def test_upload_folder_with_a_large_file_as_a_pull_request(hub: Hub, tmp_path: Path) -> None:
    """``upload_folder(create_pr=True)`` (the client opens the PR first, then commits to
    ``refs/pr/N``), a binary file through Xet/LFS included; the merge brings it to main."""
    repo_id = hub.repo_id("pr-folder")
    hub.api.create_repo(repo_id)
    (tmp_path / "weights.bin").write_bytes(b"\0weights" * 4096)
    (tmp_path / "config.json").write_text('{"hidden": 8}\n')
    info = hub.api.upload_folder(folder_path=tmp_path, repo_id=repo_id, create_pr=True)
    assert info.pr_num == 1
    files = hub.api.list_repo_files(repo_id, revision="refs/pr/1")
    assert {"weights.bin", "config.json"} <= set(files)
    lfs = hub.api.get_paths_info(repo_id, ["weights.bin"], revision="refs/pr/1")[0]
    assert lfs.lfs is not None and lfs.lfs.size == 8 * 4096  # type: ignore[union-attr]
    hub.api.merge_pull_request(repo_id, 1)
    assert {"weights.bin", "config.json"} <= set(hub.api.list_repo_files(repo_id))
