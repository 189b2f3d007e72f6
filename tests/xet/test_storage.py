"""Xorb storage key space and ranged reads on both backends (filesystem, S3 via moto)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nbopen.core.storage.filesystem import FilesystemStorage
from nbopen.xet import storage

KEY = "ab" * 32


def test_xet_key_space_is_separate_from_lfs() -> None:
    assert storage._xet_url("file:///data/lfs") == "file:///data/lfs/xet"
    assert (
        storage._xet_url("s3://bucket/prefix?endpoint=http://h:9000")
        == "s3://bucket/prefix/xet?endpoint=http://h:9000"
    )


def test_filesystem_ranges(tmp_path: Path) -> None:
    backend = FilesystemStorage(tmp_path / "xet")
    data = os.urandom(5000)
    source = tmp_path / "src"
    source.write_bytes(data)
    backend.put_verified(KEY, source)
    assert storage.range_of(backend, KEY, 100, 4000) == data[100:4000]


def test_s3_ranges(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    moto = pytest.importorskip("moto")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    from nbopen.core.storage.s3 import S3Storage

    with moto.mock_aws():
        backend = S3Storage(bucket="xet-test", prefix="lfs/xet", endpoint=None, region="us-east-1")
        backend.client.create_bucket(Bucket="xet-test")
        data = os.urandom(5000)
        source = tmp_path / "src"
        source.write_bytes(data)
        backend.put_verified(KEY, source)
        assert storage.range_of(backend, KEY, 100, 4000) == data[100:4000]
        listed = backend.client.list_objects_v2(Bucket="xet-test")["Contents"]
        assert [o["Key"] for o in listed] == [f"lfs/xet/ab/ab/{KEY}"]
