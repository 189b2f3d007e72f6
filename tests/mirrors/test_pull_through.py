"""The pull-through cache between two live servers: the first is the upstream (reached
through a counting, fault-injecting proxy on loopback), the second mirrors it.

Tests run in file order on shared servers; the last one stops the upstream.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from huggingface_hub import HfApi, snapshot_download

from tests.support.fault_proxy import FaultProxy
from tests.support.live import LiveServer

WEIGHTS = "model.safetensors"
CARD = b"---\nlicense: mit\n---\n# tiny\n"


@dataclass
class Pair:
    upstream: LiveServer
    mirror: LiveServer
    proxy: FaultProxy
    api: HfApi  # on the upstream
    owner: str
    token: str  # a user of the mirror


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    upstream = LiveServer(tmp_path_factory.mktemp("upstream")).start()
    proxy = FaultProxy(upstream.url).start()
    mirror = LiveServer(
        tmp_path_factory.mktemp("mirror"),
        env={"NBOPEN_MIRROR_ALLOW_ADDRESSES": "loopback", "NBOPEN_MIRROR_REFRESH": "0"},
    )
    try:
        mirror.start()
        owner = f"up{uuid.uuid4().hex[:6]}"
        api = HfApi(endpoint=upstream.url, token=upstream.create_user(owner))
        mirror.cli("mirror", "upstream", "add", "hf", proxy.url)
        yield Pair(upstream, mirror, proxy, api, owner, mirror.create_user("reader"))
    finally:
        mirror.stop()
        proxy.stop()
        upstream.stop()


def _model(pair: Pair, stem: str, size: int) -> tuple[str, bytes]:
    repo_id = f"{pair.owner}/{stem}"
    weights = os.urandom(size)
    pair.api.create_repo(repo_id)
    pair.api.upload_file(
        path_or_fileobj=b'{"model_type": "bert"}', path_in_repo="config.json", repo_id=repo_id
    )
    pair.api.upload_file(path_or_fileobj=weights, path_in_repo=WEIGHTS, repo_id=repo_id)
    return repo_id, weights


def _get(pair: Pair, repo_id: str, path: str = WEIGHTS) -> requests.Response:
    return requests.get(
        f"{pair.mirror.url}/{repo_id}/resolve/main/{path}",
        headers={"Authorization": f"Bearer {pair.token}"},
        timeout=60,
    )


def _cached(pair: Pair, weights: bytes) -> bool:
    oid = hashlib.sha256(weights).hexdigest()
    return any(p.name == oid for p in (pair.mirror.data_dir / "lfs").rglob("*"))


def _leftover_temp_files(pair: Pair) -> list[Path]:
    return list((pair.mirror.data_dir / "tmp").glob("mirror-*"))


def test_anonymous_requests_do_not_trigger_fetches(pair: Pair) -> None:
    repo_id, _ = _model(pair, "anon", 1000)
    answer = requests.get(f"{pair.mirror.url}/api/models/{repo_id}", timeout=30)
    assert answer.status_code == 401
    assert pair.proxy.count("GET", f"/api/models/{repo_id}") == 0


def test_ten_concurrent_first_requests_fetch_once(pair: Pair) -> None:
    repo_id, weights = _model(pair, "concurrent", 3 * 1024 * 1024)
    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        bodies = list(pool.map(lambda _: _get(pair, repo_id).content, range(10)))
    assert all(body == weights for body in bodies)
    assert pair.proxy.count("GET", f"/{repo_id}/resolve/main/{WEIGHTS}") == 0  # by commit id
    assert pair.proxy.count("GET", f"/{WEIGHTS}") == 1
    assert _cached(pair, weights)
    # A Range request is served from the cache.
    part = requests.get(
        f"{pair.mirror.url}/{repo_id}/resolve/main/{WEIGHTS}",
        headers={"Authorization": f"Bearer {pair.token}", "Range": "bytes=10-19"},
        timeout=30,
    )
    assert part.status_code == 206 and part.content == weights[10:20]


@pytest.mark.parametrize("fault", ["cut", "corrupt"])
def test_a_broken_upstream_stream_never_leaves_a_cached_file(pair: Pair, fault: str) -> None:
    repo_id, weights = _model(pair, f"faulty-{fault}", 2 * 1024 * 1024)
    # Metadata and config.json are mirrored first, intact; then the weights break.
    assert _get(pair, repo_id, "config.json").status_code == 200
    pair.proxy.fault, pair.proxy.fault_path = fault, f"/{WEIGHTS}"
    try:
        try:
            broken = _get(pair, repo_id).content
        except requests.exceptions.RequestException:
            broken = b""
        # Cut short, never a complete corrupt body: the last chunk waits for the hash.
        assert len(broken) < len(weights)
        assert not _cached(pair, weights)
        assert _leftover_temp_files(pair) == []
    finally:
        pair.proxy.fault = None
    assert _get(pair, repo_id).content == weights  # the next request retries
    assert _cached(pair, weights)


def test_operators_see_the_traffic_the_cache_saved(pair: Pair) -> None:
    url = f"{pair.mirror.url}/api/v1/admin/mirrors/traffic"

    def traffic() -> dict[str, object]:
        answer = requests.get(url, headers={"Authorization": f"Bearer {operator}"}, timeout=30)
        assert answer.status_code == 200, answer.text
        return answer.json()  # type: ignore[no-any-return]

    operator = pair.mirror.create_user(f"op{uuid.uuid4().hex[:6]}", admin=True)
    before = traffic()["total"]
    assert isinstance(before, dict)
    size = 1024 * 1024 + 7
    repo_id, weights = _model(pair, "traffic", size)
    assert _get(pair, repo_id).content == weights  # cold: from the upstream, stored once
    for _ in range(2):  # warm: from local storage
        assert _get(pair, repo_id).content == weights
    resumed = requests.get(
        f"{pair.mirror.url}/{repo_id}/resolve/main/{WEIGHTS}",
        headers={"Authorization": f"Bearer {pair.token}", "Range": "bytes=100-"},
        timeout=30,
    )
    assert resumed.status_code == 206  # a resumed read is not counted again
    after = traffic()
    total = after["total"]
    assert isinstance(total, dict)
    assert total["bytes_upstream"] - before["bytes_upstream"] == size
    assert total["files_upstream"] - before["files_upstream"] == 1
    assert total["bytes_local"] - before["bytes_local"] == 2 * size
    assert total["files_local"] - before["files_local"] == 2
    assert [row["upstream"] for row in after["upstreams"]] == ["hf"]  # type: ignore[index]
    assert 0 < total["saved_share"] < 1
    # Readers and anonymous callers do not read it; the operators' page shows it.
    reader = requests.get(url, headers={"Authorization": f"Bearer {pair.token}"}, timeout=30)
    assert reader.status_code == 403
    assert requests.get(url, timeout=30).status_code == 401
    assert requests.get(url + "?days=0", headers={"Authorization": f"Bearer {operator}"},
                        timeout=30).status_code == 400  # fmt: skip
    page = requests.get(
        f"{pair.mirror.url}/admin/mirrors", headers={"Authorization": f"Bearer {operator}"},
        timeout=30,
    )  # fmt: skip
    assert page.status_code == 200 and "mirror-traffic-total" in page.text
    assert repo_id.split("/")[1] in page.text  # the mirrored repository is listed
    denied = requests.get(
        f"{pair.mirror.url}/admin/mirrors", headers={"Authorization": f"Bearer {pair.token}"},
        timeout=30,
    )  # fmt: skip
    assert denied.status_code == 403


def test_prefetch_pins_and_the_cache_evicts_least_recently_used(pair: Pair) -> None:
    size = 2 * 1024 * 1024
    pinned_id, pinned = _model(pair, "prefetched", size)
    fetched_before = pair.proxy.count("GET", f"/{WEIGHTS}")
    added = json.loads(
        pair.mirror.cli("mirror", "add", pinned_id, "--include", "*.safetensors").stdout
    )
    assert added["source"] == pinned_id and added["fetched"] == 1 and added["error"] == ""
    assert added["fetched_bytes"] == size and _cached(pair, pinned)
    assert pair.proxy.count("GET", f"/{WEIGHTS}") == fetched_before + 1
    assert _get(pair, pinned_id).content == pinned  # from storage: no second fetch
    assert pair.proxy.count("GET", f"/{WEIGHTS}") == fetched_before + 1
    again = json.loads(pair.mirror.cli("mirror", "sync", pinned_id).stdout)
    assert again["fetched"] == 0 and again["already_stored"] == 1

    old_id, old = _model(pair, "cache-old", size)
    new_id, new = _model(pair, "cache-new", size)
    assert _get(pair, old_id).content == old  # cold only: never served from storage
    assert _get(pair, new_id).content == new
    assert _get(pair, new_id).content == new  # warm: the most recently used mirror
    listed = {m["source"]: m for m in json.loads(pair.mirror.cli("mirror", "list").stdout)}
    assert listed[pinned_id]["pinned"] and listed[pinned_id]["stored_bytes"] == size
    assert not listed[new_id]["pinned"] and listed[new_id]["last_used"]

    # A budget of one file keeps the most recently used one; pinned bytes never count.
    report = json.loads(pair.mirror.cli("mirror", "evict", "--budget-mb", "2").stdout)
    assert report["cached_bytes"] - report["evicted_bytes"] <= 2 * 1024 * 1024
    assert report["evicted_objects"] >= 1
    assert _cached(pair, pinned) and _cached(pair, new) and not _cached(pair, old)
    # An evicted file is fetched again, intact, on the next request.
    fetched = pair.proxy.count("GET", f"/{WEIGHTS}")
    assert _get(pair, old_id).content == old
    assert pair.proxy.count("GET", f"/{WEIGHTS}") == fetched + 1 and _cached(pair, old)
    # Unpinned, the prefetched mirror is an ordinary cache entry again.
    pair.mirror.cli("mirror", "remove", pinned_id)
    listed = {m["source"]: m for m in json.loads(pair.mirror.cli("mirror", "list").stdout)}
    assert not listed[pinned_id]["pinned"]


def _git(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    # LFS objects are not part of a pull mirror yet: the pointers are enough here.
    env = {**os.environ, "GIT_LFS_SKIP_SMUDGE": "1"}
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=120, env=env
    )


def test_git_pull_mirror_follows_its_source_and_refuses_pushes(pair: Pair, tmp_path: Path) -> None:
    source_id, _ = _model(pair, "gitsrc", 1000)
    source = f"{pair.upstream.url}/{source_id}.git"
    added = json.loads(
        pair.mirror.cli(
            "mirror", "git", "add", "reader/code-mirror", source, "--interval", "60"
        ).stdout
    )
    assert added["last_error"] == "" and added["last_sync"]
    mirror_url = f"{pair.mirror.url}/reader/code-mirror.git"
    head = pair.api.model_info(source_id).sha
    assert _git("ls-remote", mirror_url, "refs/heads/main").stdout.split()[0] == head

    pair.api.upload_file(path_or_fileobj=b"print(1)\n", path_in_repo="new.py", repo_id=source_id)
    moved = pair.api.model_info(source_id).sha
    assert moved != head
    # Not due yet: nothing is queued. Then one sync picks the new commit up.
    assert json.loads(pair.mirror.cli("mirror", "git", "sync", "--due").stdout) == {"queued": 0}
    pair.mirror.cli("mirror", "git", "sync", "reader/code-mirror")
    assert _git("ls-remote", mirror_url, "refs/heads/main").stdout.split()[0] == moved

    clone = tmp_path / "clone"
    assert _git("clone", "-q", mirror_url, str(clone)).returncode == 0
    (clone / "local.txt").write_text("mine\n")
    _git("add", "local.txt", cwd=clone)
    _git("commit", "-qm", "local", cwd=clone)
    authed = mirror_url.replace("http://", f"http://reader:{pair.token}@")
    # The owner namespace's user has write access, and still may not push to a mirror.
    pushed = _git("push", authed, "HEAD:main", cwd=clone)
    assert pushed.returncode != 0
    assert "remote: This repository is a read-only pull mirror of " + source in pushed.stderr

    # The API: status, a sync on request, then conversion into a normal repository.
    api = f"{pair.mirror.url}/api/v1/repos/reader/code-mirror/mirror"
    auth = {"Authorization": f"Bearer {pair.token}"}
    status = requests.get(api, headers=auth, timeout=30).json()
    assert status["url"] == source and status["last_error"] == ""
    assert requests.post(api, headers=auth, timeout=30).status_code == 202
    created = requests.put(
        f"{pair.mirror.url}/api/v1/repos/reader/api-mirror/mirror",
        headers=auth,
        json={"url": source, "interval": 600},
        timeout=60,
    )
    assert created.status_code == 201 and created.json()["interval_seconds"] == 600
    assert requests.delete(api, headers=auth, timeout=30).status_code == 200
    assert _git("push", authed, "HEAD:main", cwd=clone).returncode == 0  # a normal repo now

    broken = pair.mirror.cli(
        "mirror", "git", "add", "reader/broken-mirror", f"{pair.upstream.url}/nobody/nothing.git"
    )
    assert "git fetch failed" in json.loads(broken.stdout)["last_error"]
    page = requests.get(f"{pair.mirror.url}/reader/broken-mirror", timeout=30)
    assert "上次同步失败" in page.text


def test_git_lfs_clone_of_a_cold_mirror_fetches_through_it(pair: Pair, tmp_path: Path) -> None:
    """The LFS batch API points a cold object at the file's resolve URL, which fetches it
    from the upstream once, stores it and streams it to git-lfs (ADR 0022)."""
    repo_id, weights = _model(pair, "lfsclone", 2 * 1024 * 1024)
    info = requests.get(
        f"{pair.mirror.url}/api/models/{repo_id}",
        headers={"Authorization": f"Bearer {pair.token}"},
        timeout=60,
    )
    assert info.status_code == 200  # the mirror exists now, its LFS bytes not yet
    assert not _cached(pair, weights)
    start = pair.proxy.count("GET", f"/{WEIGHTS}")  # every model's weights have this name
    host = pair.mirror.url.removeprefix("http://")
    target = tmp_path / "clone"
    cloned = subprocess.run(
        ["git", "clone", "-q", f"http://reader:{pair.token}@{host}/{repo_id}", str(target)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},
    )
    assert cloned.returncode == 0, cloned.stderr
    assert (target / WEIGHTS).read_bytes() == weights  # smudged, not a pointer
    assert _cached(pair, weights)
    before = pair.proxy.count("GET", f"/{WEIGHTS}")
    assert before == start + 1
    again = subprocess.run(
        ["git", "clone", "-q", f"{pair.mirror.url}/{repo_id}", str(tmp_path / "again")],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},
    )
    assert again.returncode == 0, again.stderr  # warm: from storage, anonymously
    assert (tmp_path / "again" / WEIGHTS).read_bytes() == weights
    assert pair.proxy.count("GET", f"/{WEIGHTS}") == before


@pytest.mark.once
def test_snapshot_download_then_upstream_down(pair: Pair, tmp_path: Path) -> None:
    repo_id, weights = _model(pair, "tiny", 4 * 1024 * 1024)
    first = Path(
        snapshot_download(
            repo_id, endpoint=pair.mirror.url, token=pair.token, cache_dir=tmp_path / "a"
        )
    )
    assert (first / WEIGHTS).read_bytes() == weights
    info = requests.get(
        f"{pair.mirror.url}/api/models/{repo_id}",
        headers={"Authorization": f"Bearer {pair.token}"},
        timeout=30,
    ).json()
    assert info["id"] == f"hf/{repo_id.replace('/', '__')}"  # the mirror namespace
    assert info["mirror"]["source"] == f"{pair.proxy.url}/{repo_id}"
    # The upstream moves on: the next look (refresh interval 0 here) makes a local commit.
    pair.api.upload_file(path_or_fileobj=CARD, path_in_repo="README.md", repo_id=repo_id)
    moved = requests.get(
        f"{pair.mirror.url}/api/models/{repo_id}",
        headers={"Authorization": f"Bearer {pair.token}"},
        timeout=30,
    ).json()
    assert moved["sha"] != info["sha"]
    assert "README.md" in {s["rfilename"] for s in moved["siblings"]}
    pair.upstream.stop()
    pair.proxy.stop()
    again = Path(
        snapshot_download(
            repo_id, endpoint=pair.mirror.url, token=pair.token, cache_dir=tmp_path / "b"
        )
    )
    assert (again / WEIGHTS).read_bytes() == weights
    assert (again / "config.json").read_bytes() == b'{"model_type": "bert"}'
    assert (again / "README.md").read_bytes() == CARD
    status = requests.get(f"{pair.mirror.url}/api/models/{repo_id}", timeout=30).json()["mirror"]
    assert "127.0.0.1" in status["lastError"]  # recorded, and the cached copy still served
    page = requests.get(f"{pair.mirror.url}/{repo_id}", timeout=30)
    assert page.status_code == 200 and "只读镜像" in page.text and "上次同步失败" in page.text
    for url_path in (repo_id, f"hf/{repo_id.split('/')[0]}__{repo_id.split('/')[1]}"):
        target = tmp_path / url_path.replace("/", "_")
        cloned = subprocess.run(
            ["git", "clone", "-q", f"{pair.mirror.url}/{url_path}", str(target)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert cloned.returncode == 0, cloned.stderr
        assert (target / WEIGHTS).read_bytes() == weights  # git-lfs smudged from the cache
