"""Issue 18 (items 2–6) with the real clients: huggingface_hub 2.4.0, git and git-lfs against a
live ``nbopen serve`` — the repository's ``.gitattributes`` and ``.gitignore``, namespace-less
ids, a model and a dataset sharing a name, and the Hub's smaller answers."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from huggingface_hub.errors import HfHubHTTPError

from tests.hub.conftest import Hub

pytestmark = pytest.mark.e2e

GITATTRIBUTES = (
    "*.custom filter=lfs diff=lfs merge=lfs -text\n"
    "weights/** filter=lfs diff=lfs merge=lfs -text\n"
    "/top.only filter=lfs diff=lfs merge=lfs -text\n"
    "*.keep filter=lfs diff=lfs merge=lfs -text\n"
    "plain.keep -filter\n"
    "*.bin filter=lfs diff=lfs merge=lfs -text\n"
)


def git(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)


def clone(hub: Hub, repo_id: str, dest: Path, prefix: str = "") -> Path:
    auth_url = hub.url.replace("http://", f"http://hf_user:{hub.token}@") + f"/{prefix}{repo_id}"
    git("clone", "-q", auth_url, str(dest))
    return dest


# -- item 2: .gitattributes decides LFS ----------------------------------------------------------


def test_upload_folder_follows_the_repositorys_gitattributes(hub: Hub, tmp_path: Path) -> None:
    repo_id = hub.repo_id("attrs")
    hub.api.create_repo(repo_id)
    hub.api.upload_file(
        path_or_fileobj=GITATTRIBUTES.encode(), path_in_repo=".gitattributes", repo_id=repo_id
    )
    src = tmp_path / "src"
    for rel, text in {
        "notes.custom": "small text, LFS by *.custom",
        "deep/er/notes.custom": "nested match of a basename pattern",
        "weights/a/b.txt": "under weights/**",
        "top.only": "anchored pattern at the root",
        "small.bin": "text in a .bin: LFS by *.bin",
        "plain.keep": "-filter later in the file unsets it",
        "other.keep": "*.keep applies",
        "README.md": "---\nlicense: mit\n---\n# plain\n",
    }.items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_text(text)
    hub.api.upload_folder(repo_id=repo_id, folder_path=src)

    info = hub.api.model_info(repo_id, files_metadata=True)
    lfs = {s.rfilename for s in info.siblings or [] if s.lfs}
    assert lfs == {
        "notes.custom",
        "deep/er/notes.custom",
        "weights/a/b.txt",
        "top.only",
        "small.bin",
        "other.keep",
    }

    work = clone(hub, repo_id, tmp_path / "clone")
    fsck = subprocess.run(
        ["git", "lfs", "fsck", "--pointers"], cwd=work, capture_output=True, text=True
    )
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr
    assert git("status", "--porcelain", cwd=work).stdout == ""
    git("lfs", "pull", cwd=work)
    for rel in lfs | {"plain.keep", "README.md"}:
        assert (work / rel).read_bytes() == (src / rel).read_bytes(), rel


def test_preupload_answers_lfs_from_gitattributes(hub: Hub) -> None:
    # git's matching: ``/top.only`` is anchored (git-lfs 3.3's own fsck matcher disagrees,
    # which is why the clone test above leaves ``sub/top.only`` out).
    repo_id = hub.repo_id("attrs-pre")
    hub.api.create_repo(repo_id, repo_type="dataset")
    hub.api.upload_file(
        path_or_fileobj=GITATTRIBUTES.encode(),
        path_in_repo=".gitattributes",
        repo_id=repo_id,
        repo_type="dataset",
    )
    status, body = post_json(
        hub,
        f"/api/datasets/{repo_id}/preupload/main",
        {
            "files": [
                {"path": p, "size": 3, "sample": "YWJj"}
                for p in ("x.custom", "weights/y", "sub/top.only", "plain.keep", "a.txt")
            ]
        },
    )
    assert status == 200
    modes = {f["path"]: f["uploadMode"] for f in body["files"]}
    assert modes == {
        "x.custom": "lfs",
        "weights/y": "lfs",
        "sub/top.only": "regular",
        "plain.keep": "regular",
        "a.txt": "regular",
    }


# -- item 3: .gitignore decides shouldIgnore -----------------------------------------------------


def test_upload_folder_skips_what_the_repositorys_gitignore_ignores(
    hub: Hub, tmp_path: Path
) -> None:
    repo_id = hub.repo_id("ignore")
    hub.api.create_repo(repo_id)
    hub.api.upload_file(
        path_or_fileobj=b"*.env\n!keep.env\ncheckpoints/\n/root.log\n",
        path_in_repo=".gitignore",
        repo_id=repo_id,
    )
    hub.api.upload_file(
        path_or_fileobj=b"*.tmp\n", path_in_repo="nested/.gitignore", repo_id=repo_id
    )
    src = tmp_path / "src"
    files = [
        "secret.env",
        "sub/more.env",
        "keep.env",
        "checkpoints/step1/model.txt",
        "x/checkpoints/a.txt",
        "root.log",
        "deep/root.log",
        "nested/scratch.tmp",
        "scratch.tmp",
        "model.txt",
    ]
    for rel in files:
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_text(rel)
    hub.api.upload_folder(repo_id=repo_id, folder_path=src)
    got = set(hub.api.list_repo_files(repo_id))
    assert got - {".gitattributes", ".gitignore", "nested/.gitignore"} == {
        "keep.env",
        "deep/root.log",
        "scratch.tmp",
        "model.txt",
    }


def test_upload_folder_with_its_own_gitignore_uses_that_one(hub: Hub, tmp_path: Path) -> None:
    repo_id = hub.repo_id("ignore-own")
    hub.api.create_repo(repo_id)
    src = tmp_path / "src"
    src.mkdir()
    (src / ".gitignore").write_text("*.secret\n")
    (src / "a.secret").write_text("no")
    (src / "a.txt").write_text("yes")
    hub.api.upload_folder(repo_id=repo_id, folder_path=src)
    assert set(hub.api.list_repo_files(repo_id)) == {".gitattributes", ".gitignore", "a.txt"}


# -- item 6: the Hub's smaller answers -----------------------------------------------------------


def test_relative_path_is_422(hub: Hub) -> None:
    repo_id = hub.repo_id("relpath")
    hub.api.create_repo(repo_id)
    for bad in ("..\\ddd", "a\\..\\b"):  # ``a/../b`` the client refuses itself
        with pytest.raises(HfHubHTTPError) as info:
            hub.api.upload_file(path_or_fileobj=b"x", path_in_repo=bad, repo_id=repo_id)
        assert info.value.response.status_code == 422, bad
    assert "ddd" not in "".join(hub.api.list_repo_files(repo_id))


def post_json(hub: Hub, path: str, body: object) -> tuple[int, dict]:  # type: ignore[type-arg]
    import json
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        hub.url + path,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {hub.token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


# -- item 4: ids without a namespace -------------------------------------------------------------


def test_namespaceless_ids_are_repo_not_found_on_every_route(hub: Hub, tmp_path: Path) -> None:
    from huggingface_hub import HfApi, hf_hub_download
    from huggingface_hub.errors import RepositoryNotFoundError

    anonymous = HfApi(endpoint=hub.url, token=False)
    for api in (hub.api, anonymous):
        assert api.repo_exists("gpt2") is False
        assert api.repo_exists("squad", repo_type="dataset") is False
        assert api.file_exists("bert-base-uncased", "config.json") is False
        assert api.file_exists("squad", "README.md", repo_type="dataset") is False
        assert api.revision_exists("gpt2", "main") is False
    calls = [
        lambda: hub.api.model_info("gpt2"),
        lambda: hub.api.model_info("gpt2", revision="main"),
        lambda: hub.api.dataset_info("squad"),
        lambda: hub.api.list_repo_files("gpt2"),
        lambda: list(hub.api.list_repo_tree("gpt2", path_in_repo="sub")),
        lambda: hub.api.get_paths_info("gpt2", ["config.json"]),
        lambda: hub.api.list_repo_refs("gpt2"),
        lambda: hub.api.list_repo_commits("gpt2"),
        lambda: hub.api.create_branch("gpt2", branch="b"),
        lambda: hub.api.upload_file(path_or_fileobj=b"x", path_in_repo="x", repo_id="gpt2"),
        lambda: hf_hub_download(
            "gpt2", "config.json", endpoint=hub.url, token=hub.token, cache_dir=tmp_path / "c"
        ),
        lambda: hf_hub_download(
            "squad",
            "x.csv",
            repo_type="dataset",
            endpoint=hub.url,
            token=hub.token,
            cache_dir=tmp_path / "c",
        ),
    ]
    for call in calls:
        with pytest.raises(RepositoryNotFoundError):
            call()


def test_namespaceless_answers_are_json_and_leave_web_pages_alone(hub: Hub) -> None:
    import urllib.error
    import urllib.request

    def fetch(path: str) -> tuple[int, str, str | None]:
        request = urllib.request.Request(hub.url + path, method="GET")
        try:
            with urllib.request.urlopen(request) as response:
                return response.status, response.headers.get("Content-Type", ""), None
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers.get("Content-Type", ""), exc.headers.get("X-Error-Code")

    for path in (
        "/api/models/gpt2",
        "/api/models/gpt2/tree/main",
        "/gpt2/resolve/main/x.json",
        "/api/datasets/squad/paths-info/main",
        "/api/models/gpt2/revision/v1",
    ):
        status, ctype, code = fetch(path)
        assert (status, code) == (401, "RepoNotFound"), path
        assert ctype.startswith("application/json"), path
    # A repository that happens to be called ``resolve`` keeps its web pages.
    hub.api.create_repo(f"{hub.user}/resolve", exist_ok=True)
    status, ctype, _ = fetch(f"/{hub.user}/resolve/tree/main")
    assert status == 200 and ctype.startswith("text/html")


# -- item 5: a model and a dataset may share a name ----------------------------------------------


def _get(url: str) -> tuple[int, str]:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


def test_a_model_and_a_dataset_share_a_name(hub: Hub, tmp_path: Path) -> None:
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import RepositoryNotFoundError

    repo_id = hub.repo_id("twin")
    marks = {"model": "MODELMARK", "dataset": "DATAMARK"}
    for kind in ("model", "dataset"):
        hub.api.create_repo(repo_id, repo_type=kind)
        hub.api.upload_file(
            path_or_fileobj=f"---\nlicense: mit\n---\n# {marks[kind]}\n".encode(),
            path_in_repo="README.md",
            repo_id=repo_id,
            repo_type=kind,
        )
        hub.api.upload_file(
            path_or_fileobj=b"a,b\n1,2\n",
            path_in_repo=f"{kind}.csv",
            repo_id=repo_id,
            repo_type=kind,
        )
    with pytest.raises(HfHubHTTPError) as info:  # one of each, still
        hub.api.create_repo(repo_id, repo_type="dataset")
    assert info.value.response.status_code == 409

    def check(kind: str) -> None:
        prefix = "datasets/" if kind == "dataset" else ""
        readme = hf_hub_download(
            repo_id,
            "README.md",
            repo_type=kind,
            endpoint=hub.url,
            token=hub.token,
            cache_dir=tmp_path / f"c-{kind}",
        )
        assert marks[kind] in Path(readme).read_text()
        assert {f"{kind}.csv", "README.md"} <= set(hub.api.list_repo_files(repo_id, repo_type=kind))
        work = clone(
            hub, repo_id, tmp_path / f"clone-{kind}-{len(list(tmp_path.iterdir()))}", prefix
        )
        assert marks[kind] in (work / "README.md").read_text()
        status, html = _get(f"{hub.url}/{prefix}{repo_id}")
        assert status == 200 and marks[kind] in html, kind
        status, html = _get(f"{hub.url}/{prefix}{repo_id}/tree/main")
        assert status == 200 and f"{kind}.csv" in html
        if kind == "dataset":
            assert f'href="/datasets/{repo_id}/tree/main' in html  # links stay on the dataset
            assert _get(f"{hub.url}/datasets/{repo_id}/viewer")[0] == 200
            status, body = _get(f"{hub.url}/datasets-server/is-valid?dataset={repo_id}")
            assert status == 200, body

    check("model")
    check("dataset")

    # Deleting one leaves the other whole, both ways round.
    hub.api.delete_repo(repo_id, repo_type="dataset")
    with pytest.raises(RepositoryNotFoundError):
        hub.api.dataset_info(repo_id)
    check("model")
    hub.api.create_repo(repo_id, repo_type="dataset")
    hub.api.upload_file(
        path_or_fileobj=f"---\nlicense: mit\n---\n# {marks['dataset']}\n".encode(),
        path_in_repo="README.md",
        repo_id=repo_id,
        repo_type="dataset",
    )
    hub.api.upload_file(
        path_or_fileobj=b"a,b\n1,2\n",
        path_in_repo="dataset.csv",
        repo_id=repo_id,
        repo_type="dataset",
    )
    hub.api.delete_repo(repo_id, repo_type="model")
    with pytest.raises(RepositoryNotFoundError):
        hub.api.model_info(repo_id)
    check("dataset")
    # The unprefixed URL now falls back to the dataset (links from before datasets had a space).
    assert _get(f"{hub.url}/{repo_id}")[0] == 200


# -- item 6 (continued) --------------------------------------------------------------------------

INVALID_MODELCARD = """
---
model-index: foo
---

This is a modelcard with an invalid metadata section.
"""


def test_validate_yaml_rejects_and_warns_as_the_hub(hub: Hub) -> None:
    from huggingface_hub import CommitOperationAdd

    repo_id = hub.repo_id("yaml")
    hub.api.create_repo(repo_id)
    with pytest.raises(ValueError, match=r"Invalid metadata in README\.md"):
        hub.api.create_commit(
            repo_id=repo_id,
            operations=[
                CommitOperationAdd("README.md", INVALID_MODELCARD.encode()),
                CommitOperationAdd("file.txt", b"content"),
            ],
            commit_message="bad card",
        )
    assert "file.txt" not in hub.api.list_repo_files(repo_id)
    with pytest.warns(UserWarning, match=r"Warnings while validating metadata in README\.md"):
        hub.api.upload_file(
            path_or_fileobj=b"This is a modelcard without metadata",
            path_in_repo="README.md",
            repo_id=repo_id,
        )
    good = b"---\nmodel-index:\n- name: m\n  results: []\n---\n# ok\n"
    hub.api.upload_file(path_or_fileobj=good, path_in_repo="README.md", repo_id=repo_id)


def test_delete_folder_without_trailing_slash(hub: Hub) -> None:
    from huggingface_hub import CommitOperationDelete

    repo_id = hub.repo_id("rmdir")
    hub.api.create_repo(repo_id)
    for rel in ("nested/a.txt", "nested/deep/b.txt", "nestedsibling.txt"):
        hub.api.upload_file(path_or_fileobj=b"x", path_in_repo=rel, repo_id=repo_id)
    hub.api.create_commit(
        repo_id, operations=[CommitOperationDelete("nested")], commit_message="rm"
    )
    assert set(hub.api.list_repo_files(repo_id)) == {".gitattributes", "nestedsibling.txt"}
    hub.api.upload_file(path_or_fileobj=b"x", path_in_repo="again/a.txt", repo_id=repo_id)
    hub.api.delete_folder("again", repo_id=repo_id)
    assert "again/a.txt" not in hub.api.list_repo_files(repo_id)


def test_create_tag_checks_the_revision_first(hub: Hub) -> None:
    from huggingface_hub.errors import RevisionNotFoundError

    repo_id = hub.repo_id("tagrev")
    hub.api.create_repo(repo_id)
    with pytest.raises(RevisionNotFoundError):
        hub.api.create_tag(repo_id, tag="bad tag name ~^:", revision="no-such-branch")
    with pytest.raises(HfHubHTTPError) as info:
        hub.api.create_tag(repo_id, tag="bad tag name ~^:", revision="main")
    assert info.value.response.status_code == 400


def test_listings_config_downloads_all_time_trending_and_unknown_expand(hub: Hub) -> None:
    repo_id = hub.repo_id("listed")
    hub.api.create_repo(repo_id)
    config = b'{"architectures": ["BertModel"], "model_type": "bert", "hidden_size": 8}'
    hub.api.upload_file(path_or_fileobj=config, path_in_repo="config.json", repo_id=repo_id)
    hub.api.hf_hub_download(repo_id, "config.json")  # one counted download

    listed = {m.id: m for m in hub.api.list_models(author=hub.user, fetch_config=True)}
    model = listed[repo_id]
    assert model.config == {"architectures": ["BertModel"], "model_type": "bert"}
    assert model.trending_score is not None
    expanded = list(
        hub.api.list_models(author=hub.user, expand=["downloadsAllTime", "trendingScore"])
    )
    ours = next(m for m in expanded if m.id == repo_id)
    assert ours.downloads_all_time == 1 and ours.trending_score is not None
    info = hub.api.model_info(repo_id, expand=["downloadsAllTime", "config"])
    assert info.downloads_all_time == 1 and info.config["model_type"] == "bert"
    assert hub.api.model_info(repo_id).config == {
        "architectures": ["BertModel"],
        "model_type": "bert",
    }
    for call in (
        lambda: list(hub.api.list_models(expand=["foo"])),  # type: ignore[list-item]
        lambda: list(hub.api.list_datasets(expand=["config"])),  # type: ignore[list-item]
        lambda: hub.api.model_info(repo_id, expand=["foo"]),  # type: ignore[list-item]
    ):
        with pytest.raises(HfHubHTTPError) as error:
            call()
        assert error.value.response.status_code == 400


def test_hf_repos_ls(hub: Hub, tmp_path: Path) -> None:
    import os
    import sys

    repo_id = hub.repo_id("ls")
    hub.api.create_repo(repo_id, private=True)
    hub.api.upload_file(path_or_fileobj=os.urandom(2000), path_in_repo="w.bin", repo_id=repo_id)
    hub.api.create_repo(hub.repo_id("ls-ds"), repo_type="dataset")
    repos = {r.id: r for r in hub.api.list_user_repos()}
    assert repos[repo_id].type == "model" and repos[repo_id].visibility == "private"
    assert repos[repo_id].storage >= 2000
    assert all(r.id.startswith(hub.user + "/") for r in repos.values())
    env = {**os.environ, "HF_ENDPOINT": hub.url, "HF_TOKEN": hub.token, "HF_HOME": str(tmp_path)}
    hf = Path(sys.executable).parent / "hf"
    out = subprocess.run(
        [str(hf), "repos", "ls", "--limit", "0"], env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert repo_id in out.stdout
    with pytest.raises(HfHubHTTPError) as info:
        list(hub.api.list_user_repos(namespace="no-such-org-here"))
    assert info.value.response.status_code == 404


def test_web_delete_of_a_dataset_leaves_the_same_named_model(hub: Hub) -> None:
    import re

    from huggingface_hub.errors import RepositoryNotFoundError

    from tests.support.accounts import web_login

    repo_id = hub.repo_id("webtwin")
    for kind in ("model", "dataset"):
        hub.api.create_repo(repo_id, repo_type=kind)
    browser = web_login(hub.live, hub.user)
    page = browser.get(f"/datasets/{repo_id}/settings")
    assert page.status == 200
    actions = re.findall(r'action="([^"]*/settings/delete)"', page.body.decode())
    assert actions == [f"/datasets/{repo_id}/settings/delete"]
    done = browser.post(actions[0], {"confirm": repo_id}, f"/datasets/{repo_id}/settings")
    assert done.status == 302
    with pytest.raises(RepositoryNotFoundError):
        hub.api.dataset_info(repo_id)
    assert hub.api.model_info(repo_id).id == repo_id
    # And the model's own page deletes the model.
    page = browser.get(f"/{repo_id}/settings")
    assert re.findall(r'action="([^"]*/settings/delete)"', page.body.decode()) == [
        f"/{repo_id}/settings/delete"
    ]


def test_upload_folder_with_its_own_gitattributes_is_consistent(hub: Hub, tmp_path: Path) -> None:
    repo_id = hub.repo_id("attrs-own")
    hub.api.create_repo(repo_id)
    src = tmp_path / "src"
    (src / "ckpt").mkdir(parents=True)
    (src / ".gitattributes").write_text("*.weights filter=lfs diff=lfs merge=lfs -text\n")
    (src / "ckpt" / "a.weights").write_text("small text weights")
    (src / "notes.txt").write_text("plain")
    hub.api.upload_folder(repo_id=repo_id, folder_path=src)
    info = hub.api.model_info(repo_id, files_metadata=True)
    assert {s.rfilename for s in info.siblings or [] if s.lfs} == {"ckpt/a.weights"}
    work = clone(hub, repo_id, tmp_path / "clone")
    fsck = subprocess.run(
        ["git", "lfs", "fsck", "--pointers"], cwd=work, capture_output=True, text=True
    )
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr
    git("lfs", "pull", cwd=work)
    assert (work / "ckpt" / "a.weights").read_text() == "small text weights"
    # An unchanged re-upload is recognised (preupload now answers lfs with its sha256).
    before = hub.api.model_info(repo_id).sha
    hub.api.upload_folder(repo_id=repo_id, folder_path=src)
    assert hub.api.model_info(repo_id).sha == before
