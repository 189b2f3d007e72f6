"""LFS files on S3 storage are served by a redirect to a second origin (HF_COMPAT.md §11.14).

The resolve GET answers 302 to a presigned URL on the S3 endpoint (another port, so another
origin) and carries X-Repo-Commit / X-Linked-*; the client follows it without credentials.
"""

from __future__ import annotations

import http.client
import io
import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import pytest
from huggingface_hub import HfApi, hf_hub_download
from moto.moto_server.threaded_moto_server import ThreadedMotoServer

from tests.support.live import LiveServer, free_port

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def s3_live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    endpoint = f"http://127.0.0.1:{port}"
    keys = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **keys).create_bucket(
        Bucket="hub"
    )
    server = LiveServer(
        tmp_path_factory.mktemp("s3live"),
        env={
            "NBOPEN_STORAGE_URL": f"s3://hub/lfs?endpoint={endpoint}",
            "NBOPEN_S3_ACCESS_KEY": "test",
            "NBOPEN_S3_SECRET_KEY": "test",
        },
    ).start()
    try:
        yield server
    finally:
        server.stop()
        moto.stop()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # httpx2 inside the client's LFS PUT
def test_lfs_download_redirects_to_storage_origin(s3_live: LiveServer, tmp_path: Path) -> None:
    token = s3_live.create_user("s3user")
    api = HfApi(endpoint=s3_live.url, token=token)
    api.create_repo("s3user/weights")
    data = os.urandom(11_000_000)
    # A file object: even with hf_xet the client uses the LFS batch API, so S3 holds the object.
    info = api.upload_file(
        path_or_fileobj=io.BytesIO(data), path_in_repo="w.bin", repo_id="s3user/weights"
    )
    parts = urlsplit(s3_live.url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port)
    conn.request(
        "GET", "/s3user/weights/resolve/main/w.bin", headers={"Authorization": f"Bearer {token}"}
    )
    response = conn.getresponse()
    response.read()
    assert response.status == 302
    location = response.getheader("Location") or ""
    assert urlsplit(location).port != parts.port
    assert response.getheader("X-Repo-Commit") == info.oid
    assert response.getheader("X-Linked-Size") == str(len(data))
    path = hf_hub_download(
        "s3user/weights", "w.bin", cache_dir=tmp_path, endpoint=s3_live.url, token=token
    )
    assert Path(path).read_bytes() == data

    # The same bytes through Xet (default client, a path): xorbs in S3, reconstructed on read.
    xet_file = tmp_path / "x.bin"
    xet_file.write_bytes(data[::-1])
    api.upload_file(path_or_fileobj=str(xet_file), path_in_repo="x.bin", repo_id="s3user/weights")
    path = hf_hub_download(
        "s3user/weights", "x.bin", cache_dir=tmp_path / "x", endpoint=s3_live.url, token=token
    )
    assert Path(path).read_bytes() == data[::-1]
