"""HF_COMPAT.md §11 with the real ``huggingface_hub`` (default install: hf_xet present)."""

from __future__ import annotations

import hashlib
import json
import random
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from huggingface_hub import (
    CommitOperationAdd,
    CommitOperationCopy,
    CommitOperationDelete,
    HfApi,
    hf_hub_download,
    snapshot_download,
)
from huggingface_hub.errors import (
    EntryNotFoundError,
    HfHubHTTPError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.utils import build_hf_headers
from huggingface_hub.utils._pagination import paginate

from tests.hub.conftest import Hub

pytestmark = pytest.mark.e2e

CARD = """---
license: apache-2.0
language: [zh, en]
library_name: transformers
pipeline_tag: text-generation
hardware: [ascend, cuda]
tags: [nbopen-demo]
---
# 宁波模型
"""


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def local_tree(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def http(hub: Hub, method: str, path: str, token: str | None = None, **headers: str):
    request = urllib.request.Request(hub.url + path, method=method, headers=headers)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def test_whoami_and_bad_token(hub: Hub) -> None:
    me = hub.api.whoami()
    assert me["name"] == hub.user
    assert me["orgs"] == []
    with pytest.raises(HfHubHTTPError, match="Invalid user token"):
        HfApi(endpoint=hub.url, token="hf_not_a_real_token").whoami()


def test_create_repo_exist_ok_conflict_and_delete(hub: Hub) -> None:
    for repo_type in ("model", "dataset"):
        repo_id = hub.repo_id(f"create-{repo_type}")
        url = hub.api.create_repo(repo_id, repo_type=repo_type)
        assert url.repo_id == repo_id
        assert url.repo_type == repo_type
        prefix = "datasets/" if repo_type == "dataset" else ""
        assert str(url) == f"{hub.url}/{prefix}{repo_id}"
        again = hub.api.create_repo(repo_id, repo_type=repo_type, exist_ok=True)
        assert again.repo_id == repo_id
        with pytest.raises(HfHubHTTPError) as info:
            hub.api.create_repo(repo_id, repo_type=repo_type)
        assert info.value.response.status_code == 409
        assert hub.api.repo_exists(repo_id, repo_type=repo_type)
        # Like the Hub, a new repository starts with an initial commit and .gitattributes.
        assert hub.api.list_repo_files(repo_id, repo_type=repo_type) == [".gitattributes"]
        assert hub.api.list_repo_commits(repo_id, repo_type=repo_type)[0].title == (
            "initial commit"
        )
        hub.api.delete_repo(repo_id, repo_type=repo_type)
        assert not hub.api.repo_exists(repo_id, repo_type=repo_type)
        hub.api.delete_repo(repo_id, repo_type=repo_type, missing_ok=True)


def test_upload_file_card_and_commit_oid(hub: Hub) -> None:
    repo_id = hub.repo_id("card")
    hub.api.create_repo(repo_id)
    info = hub.api.upload_file(
        path_or_fileobj=CARD.encode(), path_in_repo="README.md", repo_id=repo_id
    )
    model = hub.api.model_info(repo_id)
    assert info.oid == model.sha
    assert model.card_data is not None
    assert model.card_data["license"] == "apache-2.0"
    assert {"hardware:ascend", "hardware:cuda", "license:apache-2.0", "transformers"} <= set(
        model.tags
    )
    assert model.library_name == "transformers"
    assert model.last_modified is not None and model.created_at is not None
    with pytest.raises(ValueError, match="Invalid metadata"):
        hub.api.upload_file(
            path_or_fileobj=b"---\nlicense: [unclosed\n---\n",
            path_in_repo="README.md",
            repo_id=repo_id,
        )


@pytest.mark.slow
def test_upload_folder_large_and_chinese_then_download_everywhere(
    hub: Hub, tmp_path: Path, cache: Path
) -> None:
    repo_id = hub.repo_id("folder")
    hub.api.create_repo(repo_id)
    src = tmp_path / "src"
    (src / "子目录" / "深层").mkdir(parents=True)
    (src / "README.md").write_text(CARD, encoding="utf-8")
    (src / "config.json").write_text('{"hidden_size": 8}')
    (src / "tokenizer.txt").write_text("a b c\n")
    (src / "子目录" / "深层" / "模型说明.txt").write_text("宁波 NBopen\n", encoding="utf-8")
    rng = random.Random(4)
    block = rng.randbytes(1 << 20)
    with open(src / "weights.bin", "wb") as fh:
        for i in range(100):
            fh.write(block[i:] + block[:i])
        fh.write(b"tail")
    first = hub.api.upload_folder(repo_id=repo_id, folder_path=src)
    files = hub.api.list_repo_files(repo_id)
    assert sorted(f for f in files if f != ".gitattributes") == local_tree(src)
    info = hub.api.model_info(repo_id, files_metadata=True)
    weights = next(s for s in info.siblings if s.rfilename == "weights.bin")
    assert weights.size == (src / "weights.bin").stat().st_size
    assert weights.lfs is not None and weights.lfs.sha256 == sha256(src / "weights.bin")

    snap = Path(snapshot_download(repo_id, cache_dir=cache, endpoint=hub.url, token=hub.token))
    for name in local_tree(src):
        assert sha256(snap / name) == sha256(src / name), name

    # A second identical upload is a no-op: preupload's oids match, no commit is made.
    second = hub.api.upload_folder(repo_id=repo_id, folder_path=src)
    assert second.oid == first.oid
    assert hub.api.model_info(repo_id).sha == first.oid

    # allow_patterns and a Range read of the LFS file (206 with Content-Range).
    only = Path(
        snapshot_download(
            repo_id,
            allow_patterns=["*.json"],
            cache_dir=cache / "p",
            endpoint=hub.url,
            token=hub.token,
        )
    )
    assert local_tree(only) == ["config.json"]
    status, headers, body = http(
        hub, "GET", f"/{repo_id}/resolve/main/weights.bin", hub.token, Range="bytes=10-19"
    )
    assert status == 206
    assert headers["Content-Range"] == f"bytes 10-19/{weights.size}"
    assert body == (src / "weights.bin").read_bytes()[10:20]
    status, headers, _ = http(hub, "HEAD", f"/{repo_id}/resolve/main/weights.bin", hub.token)
    assert headers["X-Linked-Etag"] == f'"{weights.lfs.sha256}"'
    assert headers["X-Linked-Size"] == str(weights.size)
    assert headers["X-Repo-Commit"] == first.oid
    assert headers.get_all("Accept-Ranges") == ["bytes"]
    # The default install uploaded it through Xet, so resolve advertises Xet for it.
    assert headers["X-Xet-Hash"] and "/xet-read-token/" in headers["X-Xet-Refresh-Route"]


def test_commit_deletes_copies_and_revision_pinning(hub: Hub, cache: Path) -> None:
    repo_id = hub.repo_id("ops")
    hub.api.create_repo(repo_id)
    big = bytes(range(256)) * 50_000  # binary: stored as LFS
    hub.api.create_commit(
        repo_id,
        operations=[
            CommitOperationAdd("config.json", b'{"v": 1}'),
            CommitOperationAdd("sub/a.txt", b"a"),
            CommitOperationAdd("sub/deeper/b.txt", b"b"),
            CommitOperationAdd("model.bin", big),
            CommitOperationAdd("keep.txt", b"keep"),
        ],
        commit_message="initial",
    )
    old_sha = hub.api.model_info(repo_id).sha
    assert old_sha is not None
    hub.api.create_commit(
        repo_id,
        operations=[
            CommitOperationDelete("sub/"),
            CommitOperationDelete("config.json"),
            CommitOperationCopy("model.bin", "copies/model.bin"),
            CommitOperationCopy("keep.txt", "copies/keep.txt"),
            CommitOperationAdd("new.txt", b"new"),
        ],
        commit_message="reshape",
    )
    files = set(hub.api.list_repo_files(repo_id))
    assert {"model.bin", "keep.txt", "copies/model.bin", "copies/keep.txt", "new.txt"} <= files
    assert not any(f.startswith("sub/") for f in files) and "config.json" not in files
    copied = hf_hub_download(
        repo_id, "copies/model.bin", cache_dir=cache, endpoint=hub.url, token=hub.token
    )
    assert Path(copied).read_bytes() == big
    with pytest.raises(EntryNotFoundError):
        hub.api.delete_file("does-not-exist.txt", repo_id)
    old = hf_hub_download(
        repo_id, "config.json", revision=old_sha, cache_dir=cache, endpoint=hub.url, token=hub.token
    )
    assert Path(old).read_bytes() == b'{"v": 1}'
    commits = hub.api.list_repo_commits(repo_id)
    assert [c.title for c in commits[:2]] == ["reshape", "initial"]


def test_branches_tags_refs_and_commits(hub: Hub, cache: Path) -> None:
    repo_id = hub.repo_id("refs")
    hub.api.create_repo(repo_id)
    hub.api.upload_file(path_or_fileobj=b"v1", path_in_repo="f.txt", repo_id=repo_id)
    hub.api.create_tag(repo_id, tag="v1.0", tag_message="first release")
    hub.api.create_branch(repo_id, branch="feature/x")
    with pytest.raises(HfHubHTTPError) as info:
        hub.api.create_branch(repo_id, branch="feature/x")
    assert info.value.response.status_code == 409
    hub.api.create_branch(repo_id, branch="feature/x", exist_ok=True)
    with pytest.raises(HfHubHTTPError) as info:
        hub.api.create_tag(repo_id, tag="v1.0")
    assert info.value.response.status_code == 409
    hub.api.upload_file(
        path_or_fileobj=b"v2", path_in_repo="f.txt", repo_id=repo_id, revision="feature/x"
    )
    hub.api.upload_file(path_or_fileobj=b"v3", path_in_repo="f.txt", repo_id=repo_id)

    def fetch(revision: str) -> bytes:
        return Path(
            hf_hub_download(
                repo_id,
                "f.txt",
                revision=revision,
                cache_dir=cache,
                endpoint=hub.url,
                token=hub.token,
            )
        ).read_bytes()

    assert fetch("v1.0") == b"v1"
    assert fetch("feature/x") == b"v2"
    assert fetch("main") == b"v3"
    refs = hub.api.list_repo_refs(repo_id)
    assert {b.name for b in refs.branches} == {"main", "feature/x"}
    assert [t.name for t in refs.tags] == ["v1.0"]
    assert refs.converts == []
    commits = hub.api.list_repo_commits(repo_id)
    assert [c.title for c in commits][-1] == "initial commit" and len(commits) == 3
    assert commits[0].created_at >= commits[1].created_at
    snap = Path(
        snapshot_download(
            repo_id, revision="feature/x", cache_dir=cache / "s", endpoint=hub.url, token=hub.token
        )
    )
    assert (snap / "f.txt").read_bytes() == b"v2"
    hub.api.delete_branch(repo_id, branch="feature/x")
    hub.api.delete_tag(repo_id, tag="v1.0")
    refs = hub.api.list_repo_refs(repo_id)
    assert [b.name for b in refs.branches] == ["main"] and refs.tags == []


def test_error_mapping(hub: Hub, cache: Path) -> None:
    repo_id = hub.repo_id("errors")
    hub.api.create_repo(repo_id)
    hub.api.upload_file(path_or_fileobj=b"{}", path_in_repo="config.json", repo_id=repo_id)
    with pytest.raises(EntryNotFoundError):
        hf_hub_download(repo_id, "missing.json", cache_dir=cache, endpoint=hub.url, token=hub.token)
    with pytest.raises(RevisionNotFoundError):
        hf_hub_download(
            repo_id,
            "config.json",
            revision="nope",
            cache_dir=cache,
            endpoint=hub.url,
            token=hub.token,
        )
    with pytest.raises(RevisionNotFoundError):
        hub.api.model_info(repo_id, revision="nope")
    assert not hub.api.repo_exists(f"{hub.user}/none-such")
    assert hub.api.file_exists(repo_id, "config.json")
    assert not hub.api.file_exists(repo_id, "nope.json")
    assert hub.api.revision_exists(repo_id, "main")
    assert not hub.api.revision_exists(repo_id, "nope")
    status, headers, _body = http(hub, "HEAD", f"/{repo_id}/resolve/main/missing.json", hub.token)
    assert status == 404 and headers["X-Error-Code"] == "EntryNotFound"
    assert headers["X-Repo-Commit"] == hub.api.model_info(repo_id).sha


def test_private_repo_and_read_token(hub: Hub, cache: Path) -> None:
    repo_id = hub.repo_id("private")
    hub.api.create_repo(repo_id, private=True)
    hub.api.upload_file(path_or_fileobj=b"secret", path_in_repo="s.txt", repo_id=repo_id)
    anonymous = HfApi(endpoint=hub.url, token=False)
    with pytest.raises(RepositoryNotFoundError):
        anonymous.model_info(repo_id)
    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download(repo_id, "s.txt", cache_dir=cache, endpoint=hub.url, token=False)
    got = hf_hub_download(repo_id, "s.txt", cache_dir=cache, endpoint=hub.url, token=hub.token)
    assert Path(got).read_bytes() == b"secret"
    other = hub.live.create_user(f"{hub.user}x")
    with pytest.raises(RepositoryNotFoundError):
        HfApi(endpoint=hub.url, token=other).model_info(repo_id)

    public_id = hub.repo_id("was-public")
    hub.api.create_repo(public_id)
    hub.api.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id=public_id)
    assert anonymous.model_info(public_id).id == public_id
    hub.api.update_repo_settings(public_id, private=True)
    with pytest.raises(RepositoryNotFoundError):
        anonymous.model_info(public_id)

    reader = HfApi(endpoint=hub.url, token=hub.read_token)
    assert reader.model_info(repo_id).id == repo_id
    with pytest.raises(HfHubHTTPError) as info:
        reader.upload_file(path_or_fileobj=b"no", path_in_repo="no.txt", repo_id=repo_id)
    assert info.value.response.status_code == 403


def test_listing_search_filter_sort_and_pages(hub: Hub) -> None:
    stem = f"list{random.randrange(10**6)}"
    ids = []
    for i in range(5):
        repo_id = f"{hub.user}/{stem}-{i}"
        hub.api.create_repo(repo_id)
        card = CARD if i % 2 == 0 else "---\nlicense: mit\nlibrary_name: gguf\n---\n"
        hub.api.upload_file(
            path_or_fileobj=card.encode(), path_in_repo="README.md", repo_id=repo_id
        )
        ids.append(repo_id)
    found = [m.id for m in hub.api.list_models(author=hub.user, search=stem)]
    assert sorted(found) == sorted(ids)
    newest = [m.id for m in hub.api.list_models(search=stem, sort="last_modified", limit=1)]
    assert newest == [ids[-1]]
    ascend = {m.id for m in hub.api.list_models(search=stem, filter="hardware:ascend")}
    assert ascend == {ids[0], ids[2], ids[4]}
    mit = {m.id for m in hub.api.list_models(search=stem, filter=["license:mit", "gguf"])}
    assert mit == {ids[1], ids[3]}
    full = list(hub.api.list_models(search=stem, full=True, cardData=True))
    assert all(m.siblings and m.card_data is not None for m in full)
    # The client's own paginator follows the absolute Link header across three pages.
    pages = list(
        paginate(
            f"{hub.url}/api/models",
            params={"search": stem, "limit": 2},
            headers=build_hf_headers(token=hub.token),
        )
    )
    assert sorted(p["id"] for p in pages) == sorted(ids)
    ds_id = hub.repo_id("ds-list")
    hub.api.create_repo(ds_id, repo_type="dataset")
    hub.api.upload_file(
        path_or_fileobj=b"---\ntask_categories: [text-classification]\nlanguage: [zh]\n---\n",
        path_in_repo="README.md",
        repo_id=ds_id,
        repo_type="dataset",
    )
    by_task = [
        d.id
        for d in hub.api.list_datasets(
            filter="task_categories:text-classification", author=hub.user
        )
    ]
    assert by_task == [ds_id]
    assert [d.id for d in hub.api.list_datasets(language="zh", author=hub.user)] == [ds_id]


def test_tree_paths_info_and_tree_pages(hub: Hub) -> None:
    repo_id = hub.repo_id("tree")
    hub.api.create_repo(repo_id)
    hub.api.create_commit(
        repo_id,
        operations=[CommitOperationAdd(f"sub/f{i}.txt", str(i).encode()) for i in range(5)]
        + [CommitOperationAdd("sub/inner/x.txt", b"x"), CommitOperationAdd("top.txt", b"t")],
        commit_message="many",
    )
    entries = list(hub.api.list_repo_tree(repo_id, path_in_repo="sub"))
    assert {e.path for e in entries} == {f"sub/f{i}.txt" for i in range(5)} | {"sub/inner"}
    recursive = list(hub.api.list_repo_tree(repo_id, recursive=True))
    assert "sub/inner/x.txt" in {e.path for e in recursive}
    with pytest.raises(EntryNotFoundError):
        list(hub.api.list_repo_tree(repo_id, path_in_repo="nope"))
    paged = list(
        paginate(
            f"{hub.url}/api/models/{repo_id}/tree/main",
            params={"recursive": "true", "limit": 3},
            headers=build_hf_headers(token=hub.token),
        )
    )
    assert len(paged) == len(recursive)
    infos = hub.api.get_paths_info(repo_id, ["top.txt", "sub", "missing"], expand=True)
    assert [i.path for i in infos] == ["top.txt", "sub"]
    assert infos[0].last_commit is not None


def test_concurrent_commits_on_one_parent(hub: Hub) -> None:
    repo_id = hub.repo_id("race")
    hub.api.create_repo(repo_id)
    hub.api.upload_file(path_or_fileobj=b"0", path_in_repo="n.txt", repo_id=repo_id)
    parent = hub.api.model_info(repo_id).sha
    outcomes: list[object] = []

    def commit(i: int) -> None:
        try:
            hub.api.create_commit(
                repo_id,
                operations=[CommitOperationAdd("n.txt", f"writer {i}".encode())],
                commit_message=f"writer {i}",
                parent_commit=parent,
            )
            outcomes.append("ok")
        except HfHubHTTPError as exc:
            outcomes.append(exc.response.status_code)

    threads = [threading.Thread(target=commit, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes, key=str) == [412, "ok"]
    assert len(hub.api.list_repo_commits(repo_id)) == 3  # initial commit + base + the winner


def test_misc_endpoints(hub: Hub) -> None:
    status, _, body = http(hub, "GET", "/api/agent-harnesses")
    assert status == 200 and json.loads(body) == {"standardEnvVars": [], "harnesses": {}}
    repo_id = hub.repo_id("auth")
    hub.api.create_repo(repo_id, private=True)
    assert http(hub, "GET", f"/api/models/{repo_id}/auth-check/write", hub.token)[0] == 200
    status, headers, _ = http(hub, "GET", f"/api/models/{repo_id}/auth-check")
    assert status == 401 and headers["X-Error-Code"] == "RepoNotFound"
    status, headers, _ = http(hub, "GET", f"/api/models/{repo_id}", "bogus-token")
    assert status == 401
    assert headers["X-Error-Message"] == "Invalid credentials in Authorization header"
