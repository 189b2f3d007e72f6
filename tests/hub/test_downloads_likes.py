"""Download counting (as the Hub counts) and likes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from huggingface_hub import hf_hub_download, snapshot_download

from tests.hub.conftest import Hub
from tests.hub.test_hub_client import http

pytestmark = pytest.mark.e2e


def test_downloads_count_gets_of_config_not_heads(hub: Hub, tmp_path: Path) -> None:
    repo_id = hub.repo_id("counted")
    hub.api.create_repo(repo_id)
    hub.api.upload_file(path_or_fileobj=b"{}", path_in_repo="config.json", repo_id=repo_id)
    hub.api.upload_file(path_or_fileobj=b"x", path_in_repo="notes.txt", repo_id=repo_id)
    assert hub.api.model_info(repo_id).downloads == 0
    for _ in range(3):
        assert http(hub, "HEAD", f"/{repo_id}/resolve/main/config.json", hub.token)[0] == 200
    http(hub, "GET", f"/{repo_id}/resolve/main/notes.txt", hub.token)
    assert hub.api.model_info(repo_id).downloads == 0
    snapshot_download(repo_id, cache_dir=tmp_path / "a", endpoint=hub.url, token=hub.token)
    assert hub.api.model_info(repo_id).downloads == 1
    # The same client again within five minutes is the same download.
    hf_hub_download(
        repo_id, "config.json", cache_dir=tmp_path / "b", endpoint=hub.url, token=hub.token
    )
    assert hub.api.model_info(repo_id).downloads == 1
    other = hub.live.create_user(f"{hub.user}d")
    hf_hub_download(repo_id, "config.json", cache_dir=tmp_path / "c", endpoint=hub.url, token=other)
    assert hub.api.model_info(repo_id).downloads == 2
    ranked = [m.id for m in hub.api.list_models(author=hub.user, sort="downloads")]
    assert ranked[0] == repo_id


def test_like_unlike_and_list(hub: Hub) -> None:
    repo_id = hub.repo_id("liked")
    hub.api.create_repo(repo_id)
    status, _, _ = http(hub, "POST", f"/api/models/{repo_id}/like", hub.token)
    assert status == 200
    assert hub.api.model_info(repo_id).likes == 1
    assert repo_id in hub.api.list_liked_repos(hub.user).models
    hub.api.unlike(repo_id)
    assert hub.api.model_info(repo_id).likes == 0
    assert http(hub, "POST", f"/api/models/{repo_id}/like")[0] == 401


def test_dataset_downloads_count_data_files_not_the_card(hub: Hub) -> None:
    repo_id = hub.repo_id("counted-ds")
    hub.api.create_repo(repo_id, repo_type="dataset")
    hub.api.upload_file(
        path_or_fileobj=b"---\nlicense: mit\n---\n# card",
        path_in_repo="README.md",
        repo_id=repo_id,
        repo_type="dataset",
    )
    hub.api.upload_file(
        path_or_fileobj=b"a\n1\n", path_in_repo="data.csv", repo_id=repo_id, repo_type="dataset"
    )
    http(hub, "GET", f"/datasets/{repo_id}/resolve/main/README.md", hub.token)
    assert hub.api.dataset_info(repo_id).downloads == 0
    http(hub, "GET", f"/datasets/{repo_id}/resolve/main/data.csv", hub.token)
    assert hub.api.dataset_info(repo_id).downloads == 1


def test_member_download_is_reuse_by_their_organization(hub: Hub, tmp_path: Path) -> None:
    live = hub.live
    live.cli("org", "create", "dlcorp", "--kind", "enterprise", "--owner", hub.user)
    reader = f"{hub.user}r"
    reader_token = live.create_user(reader)
    live.cli("org", "create", "dluni", "--kind", "university", "--owner", reader)
    hub.api.create_repo("dlcorp/detector")
    repo_id = "dlcorp/detector"
    hub.api.upload_file(path_or_fileobj=b"{}", path_in_repo="config.json", repo_id=repo_id)

    def reused_by() -> dict[str, list[str]]:
        report = json.loads(live.cli("analytics", "value").stdout)
        rows = {r["repository"]: r for r in report["repositories"]}
        return dict(rows["dlcorp/detector"]["reused_by"])

    # Anonymous downloads are counted but say nothing about who reused it.
    hf_hub_download("dlcorp/detector", "config.json", cache_dir=tmp_path / "a", endpoint=hub.url)
    assert hub.api.model_info("dlcorp/detector").downloads == 1
    assert reused_by() == {}
    # A member of dluni downloads it (twice: the second is the same download).
    for cache in ("b", "c"):
        hf_hub_download(
            "dlcorp/detector",
            "config.json",
            cache_dir=tmp_path / cache,
            endpoint=hub.url,
            token=reader_token,
        )
    assert hub.api.model_info("dlcorp/detector").downloads == 2
    assert reused_by() == {"dluni": ["download"]}
    # The owner's own organization downloading its repository is not reuse.
    hf_hub_download(
        repo_id, "config.json", cache_dir=tmp_path / "d", endpoint=hub.url, token=hub.token
    )
    assert reused_by() == {"dluni": ["download"]}
