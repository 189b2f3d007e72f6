"""Storage backends list their objects (for backups) and S3 forgets interrupted uploads."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import boto3
from moto import mock_aws

from nbopen.core.storage.filesystem import FilesystemStorage
from nbopen.core.storage.s3 import S3Storage


def _put(storage: FilesystemStorage | S3Storage, tmp_path: Path, data: bytes) -> str:
    oid = hashlib.sha256(data).hexdigest()
    source = tmp_path / oid
    source.write_bytes(data)
    storage.put_verified(oid, source)
    return oid


def test_filesystem_lists_its_objects_and_not_xet_or_partials(tmp_path: Path) -> None:
    root = tmp_path / "lfs"
    lfs, xet = FilesystemStorage(root), FilesystemStorage(root / "xet")
    oids = {_put(lfs, tmp_path, bytes([n])) for n in range(5)}
    _put(xet, tmp_path, b"xorb")
    (root / "ab" / "cd").mkdir(parents=True)
    (root / "ab" / "cd" / ("abcd" + "0" * 60 + ".partial")).write_bytes(b"half")
    (root / "ab" / "cd" / ("ffff" + "0" * 60)).write_bytes(b"misplaced")
    assert set(lfs.oids()) == oids
    assert len(list(xet.oids())) == 1


@mock_aws
def test_s3_lists_by_prefix_and_aborts_stale_multipart_uploads(tmp_path: Path) -> None:
    client = boto3.client("s3", region_name="us-east-1")
    client.create_bucket(Bucket="nbopen-test")
    lfs = S3Storage(bucket="nbopen-test", prefix="lfs", endpoint=None, region="us-east-1")
    xet = S3Storage(bucket="nbopen-test", prefix="lfs/xet", endpoint=None, region="us-east-1")
    oids = {_put(lfs, tmp_path, bytes([n])) for n in range(3)}
    xorb = _put(xet, tmp_path, b"xorb")
    assert set(lfs.oids()) == oids
    assert list(xet.oids()) == [xorb]
    client.create_multipart_upload(Bucket="nbopen-test", Key="lfs/aa/bb/interrupted")
    # moto dates every upload 2010-11-10, so only "older than the cutoff" can be shown here.
    assert lfs.abort_stale_uploads(started_before=time.time() - 3600) == 1
    assert client.list_multipart_uploads(Bucket="nbopen-test").get("Uploads", []) == []
