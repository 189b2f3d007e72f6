"""Git LFS with the real ``git-lfs``: 200 MB round trips on the filesystem and S3 backends,
and the refusals (wrong content, wrong size, objects of another repository).

The S3 backend runs against moto's standalone S3 server in its own process, so boto3's
presigning and the client's direct downloads are real HTTP.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.support.client import Response, api_create_repo, authed, git, request
from tests.support.live import LiveServer, free_port

pytestmark = pytest.mark.e2e

BIG = 200 * 1024 * 1024
BUCKET = "nbopen-lfs"
LFS_HEADERS = {
    "Accept": "application/vnd.git-lfs+json",
    "Content-Type": "application/vnd.git-lfs+json",
}


class Moto:
    def __init__(self, port: int, proc: subprocess.Popen[bytes]) -> None:
        self.port, self.proc = port, proc
        self.url = f"http://127.0.0.1:{port}"

    def client(self) -> object:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="moto-key",
            aws_secret_access_key="moto-secret",
        )


@pytest.fixture(scope="module")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Moto]:
    port = free_port()
    log = open(tmp_path_factory.mktemp("moto") / "moto.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = Moto(port, proc)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, "moto_server exited"
            try:
                urllib.request.urlopen(server.url + "/", timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        server.client().create_bucket(Bucket=BUCKET)  # type: ignore[attr-defined]
        yield server
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        log.close()


@pytest.fixture(scope="module")
def s3_live(moto: Moto, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = LiveServer(
        tmp_path_factory.mktemp("live-s3"),
        env={
            "NBOPEN_STORAGE_URL": f"s3://{BUCKET}/lfs?endpoint={moto.url}",
            "NBOPEN_S3_ACCESS_KEY": "moto-key",
            "NBOPEN_S3_SECRET_KEY": "moto-secret",
        },
    ).start()
    try:
        yield server
    finally:
        server.stop()


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _random_file(path: Path, size: int) -> str:
    with open(path, "wb") as fh:
        left = size
        while left:
            n = min(left, 4 << 20)
            fh.write(os.urandom(n))
            left -= n
    return _sha256_file(path)


def batch(
    server: LiveServer,
    repo: str,
    token: str | None,
    operation: str,
    objects: list[dict[str, object]],
) -> Response:
    return request(
        f"{server.url}/{repo}.git/info/lfs/objects/batch",
        "POST",
        json_body={"operation": operation, "transfers": ["basic"], "objects": objects},
        headers=LFS_HEADERS,
        basic=token,
    )


def _round_trip(server: LiveServer, user: str, tmp_path: Path) -> tuple[str, str]:
    """Push a 200 MB LFS file, clone it back anonymously, return (oid, repo)."""
    token = server.create_user(user)
    api_create_repo(server, token, "big")
    src = tmp_path / "src"
    git("init", "-q", "-b", "main", str(src))
    git("lfs", "track", "*.bin", cwd=src)
    oid = _random_file(src / "model.bin", BIG)
    (src / "README.md").write_text("big file\n")
    git("add", ".", cwd=src)
    git("commit", "-qm", "add a big LFS file", cwd=src)
    pointer = git("show", "HEAD:model.bin", cwd=src).stdout
    assert f"oid sha256:{oid}" in pointer and f"size {BIG}" in pointer
    git("push", "-q", authed(server, token, f"/{user}/big.git"), "main", cwd=src)

    clone = tmp_path / "clone"
    git("clone", "-q", f"{server.url}/{user}/big", str(clone))
    assert (clone / "model.bin").stat().st_size == BIG
    assert _sha256_file(clone / "model.bin") == oid
    git("lfs", "fsck", cwd=clone)
    return oid, f"{user}/big"


@pytest.mark.slow
def test_200mb_round_trip_filesystem(live: LiveServer, tmp_path: Path) -> None:
    oid, repo = _round_trip(live, "lfs-fs", tmp_path)
    stored = live.data_dir / "lfs" / oid[:2] / oid[2:4] / oid
    assert stored.stat().st_size == BIG
    (obj,) = batch(live, repo, None, "download", [{"oid": oid, "size": BIG}]).json()["objects"]
    assert obj["actions"]["download"]["href"].startswith(f"{live.url}/lfs-objects/")


@pytest.mark.slow
def test_200mb_round_trip_s3(s3_live: LiveServer, moto: Moto, tmp_path: Path) -> None:
    oid, repo = _round_trip(s3_live, "lfs-s3", tmp_path)
    head = moto.client().head_object(  # type: ignore[attr-defined]
        Bucket=BUCKET, Key=f"lfs/{oid[:2]}/{oid[2:4]}/{oid}"
    )
    assert head["ContentLength"] == BIG
    assert not list(s3_live.data_dir.rglob(oid))  # nothing kept locally
    (obj,) = batch(s3_live, repo, None, "download", [{"oid": oid, "size": BIG}]).json()["objects"]
    href = obj["actions"]["download"]["href"]
    parts = urlsplit(href)
    assert f"{parts.scheme}://{parts.netloc}" == moto.url  # presigned, straight to S3
    assert parts.path == f"/{BUCKET}/lfs/{oid[:2]}/{oid[2:4]}/{oid}"
    assert "X-Amz-Signature=" in parts.query
    # The presigned URL serves the bytes (a range of them, to keep it quick).
    ranged = request(href, headers={"Range": "bytes=0-1023"})
    assert ranged.status == 206 and len(ranged.body) == 1024
    with open(tmp_path / "clone" / "model.bin", "rb") as fh:
        assert ranged.body == fh.read(1024)


@pytest.fixture(params=["filesystem", "s3"])
def server(request: pytest.FixtureRequest) -> LiveServer:
    name = "live" if request.param == "filesystem" else "s3_live"
    live_server: LiveServer = request.getfixturevalue(name)
    return live_server


def _stored(server: LiveServer, oid: str) -> bool:
    """Is the object anywhere in the server's storage (local files or the S3 bucket)?"""
    storage_url = server.env.get("NBOPEN_STORAGE_URL", "")
    if storage_url.startswith("s3://"):
        import boto3

        endpoint = storage_url.split("endpoint=", 1)[1]
        client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="moto-key",
            aws_secret_access_key="moto-secret",
        )
        listed = client.list_objects_v2(Bucket=BUCKET, Prefix=f"lfs/{oid[:2]}/{oid[2:4]}/")
        return any(item["Key"].endswith(oid) for item in listed.get("Contents", []))
    return (server.data_dir / "lfs" / oid[:2] / oid[2:4] / oid).exists()


def _user_with_repos(server: LiveServer, *names: str) -> tuple[str, str, dict[str, str]]:
    user = "lfsneg-" + uuid.uuid4().hex[:8]
    token = server.create_user(user)
    ids = {name: api_create_repo(server, token, name)["id"] for name in names}
    return user, token, ids


def test_upload_with_wrong_content_or_size_leaves_nothing(server: LiveServer) -> None:
    user, token, _ = _user_with_repos(server, "neg")
    repo = f"{user}/neg"
    content = os.urandom(100_000)
    oid = hashlib.sha256(content).hexdigest()
    (obj,) = batch(server, repo, token, "upload", [{"oid": oid, "size": len(content)}]).json()[
        "objects"
    ]
    href = obj["actions"]["upload"]["href"]
    headers = {"Content-Type": "application/octet-stream"}
    wrong = bytearray(content)
    wrong[5000] ^= 0xFF
    attempts = {
        "same size, other bytes": bytes(wrong),
        "too short": content[:-1],
        "too long": content + b"x",
        "empty": b"",
    }
    for label, body in attempts.items():
        response = request(href, "PUT", body=body, headers=headers)
        assert response.status == 400, (label, response.status, response.body)
        assert not _stored(server, oid), label
        (after,) = batch(
            server, repo, token, "download", [{"oid": oid, "size": len(content)}]
        ).json()["objects"]
        assert after["error"]["code"] == 404, label
    verify = obj["actions"]["verify"]
    response = request(
        verify["href"], "POST", json_body={"oid": oid, "size": len(content)}, headers=LFS_HEADERS
    )
    assert response.status == 404  # verify does not bless what never arrived
    leftovers = list((server.data_dir / "tmp").glob("lfs-*"))
    assert leftovers == []
    # The same URL with the right bytes works: the refusals were about the content.
    assert request(href, "PUT", body=content, headers=headers).status == 200
    assert _stored(server, oid)
    response = request(
        verify["href"], "POST", json_body={"oid": oid, "size": len(content)}, headers=LFS_HEADERS
    )
    assert response.status == 200


def test_object_only_through_repositories_that_received_it(server: LiveServer) -> None:
    user, token, ids = _user_with_repos(server, "has-it", "lacks-it")
    reader = server.create_user("lfsrd-" + uuid.uuid4().hex[:8])
    content = os.urandom(50_000)
    oid = hashlib.sha256(content).hexdigest()
    spec = [{"oid": oid, "size": len(content)}]
    (obj,) = batch(server, f"{user}/has-it", token, "upload", spec).json()["objects"]
    assert request(obj["actions"]["upload"]["href"], "PUT", body=content).status == 200

    (got,) = batch(server, f"{user}/has-it", reader, "download", spec).json()["objects"]
    download = got["actions"]["download"]["href"]
    fetched = request(download)
    assert fetched.status == 200 and fetched.body == content
    if download.startswith(server.url + "/lfs-objects/"):  # our own transfer endpoint
        part = request(download, headers={"Range": "bytes=100-199"})
        assert part.status == 206 and part.body == content[100:200]
        assert part.headers["Content-Range"] == f"bytes 100-199/{len(content)}"
        tail = request(download, headers={"Range": "bytes=-10"})
        assert tail.status == 206 and tail.body == content[-10:]
        past = request(download, headers={"Range": f"bytes={len(content)}-"})
        assert past.status == 416 and past.headers["Content-Range"] == f"bytes */{len(content)}"

    # The reader may read lacks-it, but it never received the object: not there.
    (other,) = batch(server, f"{user}/lacks-it", reader, "download", spec).json()["objects"]
    assert other["error"]["code"] == 404 and "actions" not in other
    # Asking to upload it to lacks-it does not link it; verify without a PUT is refused.
    (up,) = batch(server, f"{user}/lacks-it", token, "upload", spec).json()["objects"]
    assert "upload" in up["actions"]
    response = request(
        up["actions"]["verify"]["href"], "POST", json_body=spec[0], headers=LFS_HEADERS
    )
    assert response.status == 404
    (still,) = batch(server, f"{user}/lacks-it", reader, "download", spec).json()["objects"]
    assert still["error"]["code"] == 404

    # A repository-bound transfer URL cannot be re-pointed at another repository.
    if download.startswith(server.url + "/lfs-objects/"):
        moved = download.replace(
            f"/lfs-objects/{ids['has-it']}/", f"/lfs-objects/{ids['lacks-it']}/", 1
        )
        assert moved != download
        assert request(moved).status == 403


def test_batch_rejects_bad_oids(live: LiveServer) -> None:
    user, token, _ = _user_with_repos(live, "oids")
    for bad in ["../../etc/passwd", "A" * 64, "a" * 63, "g" * 64, "", 12, None, "a" * 64 + "\n"]:
        response = batch(live, f"{user}/oids", token, "download", [{"oid": bad, "size": 1}])
        assert response.status == 422, (bad, response.status)
        assert "oid" in response.json()["message"]
    for size in [-1, "10", 1.5, None, True]:
        response = batch(live, f"{user}/oids", token, "upload", [{"oid": "a" * 64, "size": size}])
        assert response.status == 422, (size, response.status)
    assert batch(live, f"{user}/oids", token, "download", []).status == 422
    assert (
        batch(live, f"{user}/oids", token, "delete", [{"oid": "a" * 64, "size": 1}]).status == 422
    )
