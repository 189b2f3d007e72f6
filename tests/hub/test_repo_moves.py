"""Issue 18 item 6 with the real clients (huggingface_hub 2.4.0, git, git-lfs) against a live
``nbopen serve``: ``move_repo`` and the old name's redirects, ``duplicate_repo``,
``list_lfs_files`` / ``permanently_delete_lfs_files`` and ``super_squash_history``."""

from __future__ import annotations

import subprocess
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from huggingface_hub import HfApi, snapshot_download
from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError

from tests.hub.conftest import Hub

pytestmark = pytest.mark.e2e

WEIGHTS = b"\x00weights\x01" * 4096


def git(*args: str, cwd: Path | None = None) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def authed(hub: Hub, path: str, token: str | None = None) -> str:
    return hub.url.replace("http://", f"http://u:{token or hub.token}@") + path


@dataclass
class Reply:
    status_code: int
    headers: dict[str, str]
    text: str


class _Stay(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def no_redirects(url: str, token: str | None = None) -> Reply:
    """GET ``url`` without following redirects (to see the redirect itself)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.build_opener(_Stay).open(request) as response:
            status, got, body = response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        status, got, body = exc.code, exc.headers, exc.read()
    return Reply(status, {k.lower(): v for k, v in got.items()}, body.decode(errors="replace"))


CARD = b"---\nlicense: mit\n---\n# card\n"


def _files(hub: Hub, repo_id: str, repo_type: str | None = None) -> None:
    for path, data in (("model.safetensors", WEIGHTS), ("README.md", CARD)):
        hub.api.upload_file(
            path_or_fileobj=data, path_in_repo=path, repo_id=repo_id, repo_type=repo_type
        )


def test_renamed_repository_answers_at_its_old_name_until_it_is_taken(
    hub: Hub, tmp_path: Path
) -> None:
    old = hub.repo_id("old")
    new = hub.repo_id("new")
    hub.api.create_repo(old)
    _files(hub, old)
    hub.api.move_repo(old, new)

    assert hub.api.model_info(new).id == new
    # Hub API at the old name: a 307 the client follows to the repository's new name.
    assert hub.api.model_info(old).id == new
    assert hub.api.file_exists(old, "model.safetensors")
    # snapshot_download (repo info, then HEAD/GET of each file) at the old name.
    snap = Path(snapshot_download(old, endpoint=hub.url, token=hub.token, cache_dir=tmp_path))
    assert (snap / "model.safetensors").read_bytes() == WEIGHTS
    # git (and git-lfs) at the old name.
    dest = tmp_path / "clone"
    git("clone", "-q", authed(hub, f"/{old}"), str(dest))
    assert (dest / "model.safetensors").read_bytes() == WEIGHTS
    # Writes at the old name land in the repository: a git push with a new LFS file (git-lfs
    # follows the batch API's 307 too) and a Hub commit.
    (dest / "more.bin").write_bytes(WEIGHTS[::-1])
    git("add", "more.bin", cwd=dest)
    git("commit", "-qm", "more", cwd=dest)
    git("push", "-q", "origin", "main", cwd=dest)
    hub.api.upload_file(path_or_fileobj=b"hub", path_in_repo="hub.txt", repo_id=old)
    assert {"more.bin", "hub.txt"} <= set(hub.api.list_repo_files(new))
    more = hub.api.hf_hub_download(new, "more.bin", cache_dir=tmp_path / "more")
    assert Path(more).read_bytes() == WEIGHTS[::-1]
    # The web: a redirect to the same page under the new name.
    page = no_redirects(f"{hub.url}/{old}/tree/main?x=1", hub.token)
    assert page.status_code == 302
    assert page.headers["location"] == f"/{new}/tree/main?x=1"
    # Our own API too.
    assert no_redirects(f"{hub.url}/api/v1/repos/{old}/forks").status_code == 307

    # A new repository takes the old name: the redirect ends, even after it is deleted again.
    hub.api.create_repo(old)
    assert hub.api.model_info(old).id == old
    hub.api.delete_repo(old)
    with pytest.raises(RepositoryNotFoundError):
        hub.api.model_info(old)
    assert no_redirects(f"{hub.url}/{old}").status_code == 404


def test_transfer_to_an_organization_and_back_and_a_second_rename(hub: Hub) -> None:
    org = f"org{uuid.uuid4().hex[:6]}"
    hub.live.cli("org", "create", org, "--kind", "community", "--owner", hub.user)
    first = hub.repo_id("t")
    hub.api.create_repo(first)
    _files(hub, first)
    liked = urllib.request.Request(
        f"{hub.url}/api/models/{first}/like",
        method="POST",
        headers={"Authorization": f"Bearer {hub.token}"},
    )
    urllib.request.urlopen(liked).close()
    in_org = f"{org}/{first.split('/')[1]}"
    hub.api.move_repo(first, in_org)
    later = f"{org}/renamed-{uuid.uuid4().hex[:4]}"
    hub.api.move_repo(in_org, later)
    # Both old names lead to the current one; likes follow the repository.
    info = hub.api.model_info(first)
    assert info.id == later
    assert info.likes == 1
    # The search index follows the move.
    found = [m.id for m in hub.api.list_models(search=later.split("/")[1])]
    assert found == [later]
    assert hub.api.model_info(in_org).id == later
    # Moving onto a taken name is a conflict; to an owner the caller cannot use, refused.
    taken = hub.repo_id("taken")
    hub.api.create_repo(taken)
    with pytest.raises(HfHubHTTPError) as conflict:
        hub.api.move_repo(later, taken)
    assert conflict.value.response.status_code == 409
    stranger = f"st{uuid.uuid4().hex[:6]}"
    hub.live.create_user(stranger)
    with pytest.raises(HfHubHTTPError) as refused:
        hub.api.move_repo(later, f"{stranger}/mine")
    assert refused.value.response.status_code == 403


def test_old_name_of_a_private_repository_is_unknown_to_outsiders(hub: Hub) -> None:
    old = hub.repo_id("secret")
    new = hub.repo_id("secret-new")
    hub.api.create_repo(old, private=True)
    hub.api.upload_file(path_or_fileobj=b"content", path_in_repo="file.txt", repo_id=old)
    hub.api.move_repo(old, new)
    assert hub.api.model_info(old).id == new  # the owner follows the redirect
    got = hub.api.hf_hub_download(old, "file.txt", cache_dir=hub.live.data_dir / "pcache")
    assert Path(got).read_bytes() == b"content"

    outsider = f"out{uuid.uuid4().hex[:6]}"
    token = hub.live.create_user(outsider)
    unknown = f"{hub.user}/never-{uuid.uuid4().hex[:6]}"
    for path in ("/api/models/{}", "/{}", "/{}.git/info/refs?service=git-upload-pack",
                 "/{}/resolve/main/README.md", "/api/v1/repos/{}/forks"):  # fmt: skip
        for who in (token, None):
            at_old = no_redirects(hub.url + path.format(old), who)
            at_unknown = no_redirects(hub.url + path.format(unknown), who)
            assert at_old.status_code == at_unknown.status_code, path
            assert at_old.status_code in (401, 404), path
            assert "location" not in at_old.headers
            assert new.split("/")[1] not in at_old.text
    with pytest.raises(RepositoryNotFoundError):
        HfApi(endpoint=hub.url, token=token).model_info(old)


def test_a_model_and_a_dataset_of_one_name_move_separately(hub: Hub) -> None:
    shared = hub.repo_id("pair")
    hub.api.create_repo(shared)
    hub.api.create_repo(shared, repo_type="dataset")
    moved = hub.repo_id("pair-data")
    hub.api.move_repo(shared, moved, repo_type="dataset")
    assert hub.api.model_info(shared).id == shared  # the model stays
    assert hub.api.dataset_info(shared).id == moved  # the dataset's old name redirects
    assert no_redirects(f"{hub.url}/datasets/{shared}").status_code == 302
    assert no_redirects(f"{hub.url}/{shared}").status_code == 200


def test_duplicate_copies_history_and_large_files(hub: Hub, tmp_path: Path) -> None:
    source = hub.repo_id("src")
    hub.api.create_repo(source, private=True)
    _files(hub, source)
    commits = [c.commit_id for c in hub.api.list_repo_commits(source)]
    url = hub.api.duplicate_repo(source, hub.repo_id("dup"))
    copy = url.repo_id
    assert url.files_copy_pending is False
    assert hub.api.model_info(copy).private is True  # as private as the source by default
    assert [c.commit_id for c in hub.api.list_repo_commits(copy)] == commits
    got = hub.api.hf_hub_download(copy, "model.safetensors", cache_dir=tmp_path)
    assert Path(got).read_bytes() == WEIGHTS
    # The copy is independent: deleting the source keeps its files (objects are shared).
    hub.api.delete_repo(source)
    dest = tmp_path / "clone"
    git("clone", "-q", authed(hub, f"/{copy}"), str(dest))
    assert (dest / "model.safetensors").read_bytes() == WEIGHTS
    # Taken name: 409, which exist_ok turns into the existing URL.
    again = hub.api.duplicate_repo(copy, copy, exist_ok=True)
    assert again.repo_id == copy
    public = hub.api.duplicate_repo(copy, hub.repo_id("dup-public"), private=False)
    assert hub.api.model_info(public.repo_id).private is False


def test_super_squash_leaves_one_root_commit_with_the_same_files(hub: Hub) -> None:
    repo_id = hub.repo_id("squash")
    hub.api.create_repo(repo_id)
    for i in range(3):
        hub.api.upload_file(path_or_fileobj=f"v{i}".encode(), path_in_repo="f.txt", repo_id=repo_id)
    before = hub.api.list_repo_files(repo_id)
    hub.api.super_squash_history(repo_id, commit_message="all in one")
    commits = hub.api.list_repo_commits(repo_id)
    assert [c.title for c in commits] == ["all in one"]
    assert hub.api.list_repo_files(repo_id) == before
    got = hub.api.hf_hub_download(repo_id, "f.txt", cache_dir=hub.live.data_dir / "sq-cache")
    assert Path(got).read_text() == "v2"
    with pytest.raises(HfHubHTTPError) as missing:
        hub.api.super_squash_history(repo_id, branch="nope")
    assert missing.value.response.status_code == 404
    reader = HfApi(endpoint=hub.url, token=hub.read_token)
    with pytest.raises(HfHubHTTPError) as refused:
        reader.super_squash_history(repo_id)
    assert refused.value.response.status_code == 403


def test_lfs_files_are_listed_and_deleted_without_touching_other_repositories(
    hub: Hub, tmp_path: Path
) -> None:
    repo_id = hub.repo_id("lfs")
    other = hub.repo_id("lfs-other")
    for rid in (repo_id, other):
        hub.api.create_repo(rid)
        hub.api.upload_file(path_or_fileobj=WEIGHTS, path_in_repo="ckpt/a.bin", repo_id=rid)
    hub.api.upload_file(path_or_fileobj=b"\x02" * 5000, path_in_repo="keep.bin", repo_id=repo_id)
    files = {f.filename: f for f in hub.api.list_lfs_files(repo_id)}
    assert set(files) == {"ckpt/a.bin", "keep.bin"}
    assert files["ckpt/a.bin"].size == len(WEIGHTS)
    assert files["ckpt/a.bin"].ref == "main"
    # Only admins of the repository.
    outsider = HfApi(endpoint=hub.url, token=hub.read_token)
    with pytest.raises(HfHubHTTPError) as refused:
        list(outsider.list_lfs_files(repo_id))
    assert refused.value.response.status_code == 403

    hub.api.permanently_delete_lfs_files(repo_id, [files["ckpt/a.bin"]])
    assert [f.filename for f in hub.api.list_lfs_files(repo_id)] == ["keep.bin"]
    # History rewritten: no commit holds the pointer any more.
    dest = tmp_path / "clone"
    git("clone", "-q", authed(hub, f"/{repo_id}"), str(dest))
    assert "ckpt/a.bin" not in git("log", "--all", "--name-only", "--format=", cwd=dest)
    assert (dest / "keep.bin").read_bytes() == b"\x02" * 5000
    # The same bytes in another repository are untouched.
    got = hub.api.hf_hub_download(other, "ckpt/a.bin", cache_dir=tmp_path / "c")
    assert Path(got).read_bytes() == WEIGHTS


def test_lfs_files_paginate(hub: Hub) -> None:
    repo_id = hub.repo_id("lfs-pages")
    hub.api.create_repo(repo_id)
    hub.api.upload_folder(
        repo_id=repo_id,
        folder_path=_folder(hub.live.data_dir / f"pages-{uuid.uuid4().hex[:6]}", 3),
    )
    first = no_redirects(f"{hub.url}/api/models/{repo_id}/lfs-files?limit=2", hub.token)
    assert first.status_code == 200
    assert 'rel="next"' in first.headers["link"]
    assert len(list(hub.api.list_lfs_files(repo_id))) == 3


def _folder(root: Path, count: int) -> Path:
    root.mkdir(parents=True)
    for i in range(count):
        (root / f"w{i}.bin").write_bytes(bytes([i]) * 2000)
    return root
