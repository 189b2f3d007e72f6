"""The real ``hf_xet`` client against NBopen's CAS: round trips, verification, access rules."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from nbopen.xet import hashing, shardfmt, xorbfmt
from tests.support.live import LiveServer
from tests.xet.conftest import Cas

pytestmark = pytest.mark.e2e


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.fixture(scope="module")
def alice(live: LiveServer, cas: Cas) -> str:
    token = live.create_user("xalice")
    cas.create_repo(token, "pub")
    cas.create_repo(token, "secret", private=True)
    live.create_user("xbob")
    return token


def test_upload_download_round_trip(alice: str, cas: Cas, tmp_path: Path) -> None:
    small = _write(tmp_path / "small.txt", "你好, xet\n".encode() * 3)
    big = _write(tmp_path / "big.bin", os.urandom(3 * 1024 * 1024) + b"\0" * (2 * 1024 * 1024))
    empty = _write(tmp_path / "empty", b"")
    one = _write(tmp_path / "one", b"x")
    sources = [small, big, empty, one]
    infos = cas.upload("xalice/pub", "xalice", sources)
    assert [i.file_size for i in infos] == [p.stat().st_size for p in sources]
    assert infos[1].sha256 == hashlib.sha256(big.read_bytes()).hexdigest()
    for info, src in zip(infos, sources, strict=True):
        dest = tmp_path / ("out-" + src.name)
        cas.download("xalice/pub", "xalice", info.hash, info.file_size, dest)
        assert dest.read_bytes() == src.read_bytes()
    # Anonymous readers of a public repository get the same bytes.
    dest = tmp_path / "anon.bin"
    cas.download("xalice/pub", None, infos[1].hash, infos[1].file_size, dest)
    assert dest.read_bytes() == big.read_bytes()
    usage = cas.usage("xalice/pub")
    assert usage["files"] >= 3  # the empty file needs no reconstruction
    assert usage["logical_bytes"] == sum(p.stat().st_size for p in sources)


def test_plain_http_file_with_range(alice: str, cas: Cas, tmp_path: Path) -> None:
    data = os.urandom(700_000)
    (info,) = cas.upload("xalice/pub", "xalice", [_write(tmp_path / "r.bin", data)])
    token = cas.token("xalice/pub", "xalice")["accessToken"]
    status, body = cas.request("GET", f"/v1/files/{info.hash}", token)
    assert status == 200 and body == data
    status, body = cas.request(
        "GET", f"/v1/files/{info.hash}", token, headers={"Range": "bytes=123456-654320"}
    )
    assert status == 206 and body == data[123456:654321]
    status, _ = cas.request(
        "GET", f"/v1/files/{info.hash}", token, headers={"Range": "bytes=900000-900010"}
    )
    assert status == 416


def _xorb(chunks: list[bytes]) -> tuple[str, bytes]:
    body = xorbfmt.serialize(chunks)
    root = hashing.xorb_hash([(hashing.chunk_hash(c), len(c)) for c in chunks])
    return hashing.to_hex(root), body


def test_tampered_xorb_is_rejected(alice: str, cas: Cas) -> None:
    token = cas.token("xalice/pub", "xalice", write=True)["accessToken"]
    chunks = [os.urandom(20_000), os.urandom(30_000)]
    xhash, body = _xorb(chunks)
    tampered_chunks = [chunks[0], chunks[1][:-1] + bytes([chunks[1][-1] ^ 1])]
    _, tampered = _xorb(tampered_chunks)
    status, answer = cas.request("POST", f"/v1/xorbs/default/{xhash}", token, tampered)
    assert status == 400 and b"hash mismatch" in answer
    # Corrupt compressed bytes inside a chunk: rejected, never stored.
    broken = bytearray(body)
    broken[20] ^= 0xFF
    status, _ = cas.request("POST", f"/v1/xorbs/default/{xhash}", token, bytes(broken))
    assert status == 400
    status, answer = cas.request("POST", f"/v1/xorbs/default/{xhash}", token, body)
    assert status == 200 and b'"was_inserted": true' in answer
    status, answer = cas.request("POST", f"/v1/xorbs/default/{xhash}", token, body)
    assert status == 200 and b'"was_inserted": false' in answer


def test_shard_with_wrong_verification_is_rejected(alice: str, cas: Cas) -> None:
    token = cas.token("xalice/pub", "xalice", write=True)["accessToken"]
    chunks = [os.urandom(10_000), os.urandom(12_000)]
    xhash, body = _xorb(chunks)
    assert cas.request("POST", f"/v1/xorbs/default/{xhash}", token, body)[0] == 200
    hashes = [hashing.chunk_hash(c) for c in chunks]
    leaves = [(h, len(c)) for h, c in zip(hashes, chunks, strict=True)]
    term = shardfmt.Term(hashing.from_hex(xhash), 22_000, 0, 2)
    good = shardfmt.FileInfo(hashing.file_hash(leaves), [term], [hashing.verification_hash(hashes)])
    bad_proof = shardfmt.FileInfo(good.file_hash, [term], [hashing.verification_hash(hashes[:1])])
    bad_hash = shardfmt.FileInfo(os.urandom(32), [term], good.verification)
    for wrong in (bad_proof, bad_hash):
        status, _ = cas.request(
            "POST", "/v1/shards", token, shardfmt.write_upload_shard([wrong], [])
        )
        assert status == 400
    status, _ = cas.request("POST", "/v1/shards", token, shardfmt.write_upload_shard([good], []))
    assert status == 200


def test_file_of_repeated_chunks_round_trips(alice: str, cas: Cas, tmp_path: Path) -> None:
    """Terms [0,1) ×N then [0,2) of one xorb: fetch entries must not overlap (hf_xet panicked)."""
    data = bytes(range(256)) * 50_000
    (info,) = cas.upload("xalice/pub", "xalice", [_write(tmp_path / "rep.bin", data)])
    dest = tmp_path / "rep-out.bin"
    cas.download("xalice/pub", "xalice", info.hash, info.file_size, dest)
    assert dest.read_bytes() == data
