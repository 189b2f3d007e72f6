"""Private content through every CAS route: anonymous, non-member, read token, forged URLs."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from nbopen.xet import hashing, shardfmt
from tests.support.live import LiveServer
from tests.xet.conftest import Cas

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def private_file(live: LiveServer, cas: Cas, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A one-chunk file uploaded only to carol's private repository."""
    token = live.create_user("xcarol")
    cas.create_repo(token, "vault", private=True)
    cas.create_repo(token, "open")
    dave = live.create_user("xdave")
    cas.create_repo(dave, "mine")
    data = os.urandom(5000)
    path = tmp_path_factory.mktemp("priv") / "secret.bin"
    path.write_bytes(data)
    (info,) = cas.upload("xcarol/vault", "xcarol", [path])
    chunk = hashing.chunk_hash(data)
    return {"info": info, "data": data, "chunk": chunk}


def _routes(file_hash: str, chunk_hex: str) -> list[tuple[str, str, bytes | None]]:
    return [
        ("POST", f"/v1/xorbs/default/{chunk_hex}", b"\0" * 16),
        ("POST", "/v1/shards", b"\0" * 48),
        ("GET", f"/v1/chunks/default-merkledb/{chunk_hex}", None),
        ("GET", f"/v1/reconstructions/{file_hash}", None),
        ("GET", f"/v1/files/{file_hash}", None),
    ]


def test_anonymous_and_forged_tokens_get_401(private_file: Any, cas: Cas) -> None:
    file_hash = private_file["info"].hash
    chunk_hex = hashing.to_hex(private_file["chunk"])
    good = cas.token("xcarol/vault", "xcarol", write=True)["accessToken"]
    forged = good[:-2] + ("AA" if not good.endswith("AA") else "BB")
    for method, path, body in _routes(file_hash, chunk_hex):
        for token in (None, forged, "nbo_not_a_cas_token"):
            status, _ = cas.request(method, path, token, body)
            assert status == 401, (method, path, token)


def test_no_token_for_private_repo_without_access(private_file: Any, live: LiveServer) -> None:
    anonymous = live.cli("xet", "token", "xcarol/vault", check=False)
    assert anonymous.returncode != 0 and "401" in anonymous.stderr
    stranger = live.cli("xet", "token", "xcarol/vault", "--user", "xdave", check=False)
    assert stranger.returncode != 0 and "404" in stranger.stderr
    reader = live.cli("xet", "token", "xcarol/open", "--user", "xdave", "--write", check=False)
    assert reader.returncode != 0 and "403" in reader.stderr


def test_read_token_cannot_write(private_file: Any, cas: Cas) -> None:
    read = cas.token("xcarol/vault", "xcarol")["accessToken"]
    chunk_hex = hashing.to_hex(private_file["chunk"])
    status, _ = cas.request("POST", f"/v1/xorbs/default/{chunk_hex}", read, b"\0" * 16)
    assert status == 403
    status, _ = cas.request("POST", "/v1/shards", read, b"\0" * 48)
    assert status == 403


def test_non_member_cannot_read_or_probe(private_file: Any, cas: Cas) -> None:
    info = private_file["info"]
    chunk_hex = hashing.to_hex(private_file["chunk"])
    owner = cas.token("xcarol/vault", "xcarol")["accessToken"]
    # The owner sees everything: the control that makes the denials below meaningful.
    assert cas.request("GET", f"/v1/reconstructions/{info.hash}", owner)[0] == 200
    assert cas.request("GET", f"/v1/chunks/default-merkledb/{chunk_hex}", owner)[0] == 200
    status, body = cas.request("GET", f"/v1/files/{info.hash}", owner)
    assert status == 200 and body == private_file["data"]
    for repo in ("xdave/mine", "xcarol/open"):
        token = cas.token(repo, "xdave", write=repo == "xdave/mine")["accessToken"]
        assert cas.request("GET", f"/v1/reconstructions/{info.hash}", token)[0] == 404
        assert cas.request("GET", f"/v1/files/{info.hash}", token)[0] == 404
        # Dedup must not reveal that a private repository holds this chunk.
        assert cas.request("GET", f"/v1/chunks/default-merkledb/{chunk_hex}", token)[0] == 404


def test_non_member_cannot_claim_private_xorb_in_a_shard(private_file: Any, cas: Cas) -> None:
    """Knowing the hashes of private content is not enough to link it into one's own repo."""
    data, chunk = private_file["data"], private_file["chunk"]
    term = shardfmt.Term(chunk, len(data), 0, 1)  # one-chunk xorb: its hash is the chunk hash
    info = shardfmt.FileInfo(
        hashing.file_hash([(chunk, len(data))]), [term], [hashing.verification_hash([chunk])]
    )
    shard = shardfmt.write_upload_shard([info], [])
    dave = cas.token("xdave/mine", "xdave", write=True)["accessToken"]
    assert cas.request("POST", "/v1/shards", dave, shard)[0] == 400
    carol = cas.token("xcarol/vault", "xcarol", write=True)["accessToken"]
    assert cas.request("POST", "/v1/shards", carol, shard)[0] == 200


def test_fetch_urls_are_signed_per_range(private_file: Any, cas: Cas) -> None:
    owner = cas.token("xcarol/vault", "xcarol")["accessToken"]
    info = private_file["info"]
    _, body = cas.request("GET", f"/v1/reconstructions/{info.hash}", owner)
    answer = json.loads(body)
    (entry,) = next(iter(answer["fetch_info"].values()))
    r = entry["url_range"]
    exact = {"Range": f"bytes={r['start']}-{r['end']}"}
    status, data = cas.request("GET", entry["url"], None, headers=exact)
    assert status == 206 and len(data) == r["end"] - r["start"] + 1
    wider = {"Range": f"bytes={r['start']}-{r['end'] + 100}"}
    assert cas.request("GET", entry["url"], None, headers=wider)[0] == 416
    tampered = entry["url"].replace("sig=", "sig=0")
    assert cas.request("GET", tampered, None, headers=exact)[0] == 403
    other_range = entry["url"].replace(f"r={r['start']}-{r['end']}", f"r=0-{r['end'] + 100}")
    assert other_range != entry["url"]
    assert cas.request("GET", other_range, None, headers=exact)[0] == 403


def test_dedup_answers_from_readable_repos(private_file: Any, cas: Cas, tmp_path: Path) -> None:
    """Public content is dedup-visible to everyone, through any repository they can read."""
    data = os.urandom(6000)
    path = tmp_path / "public.bin"
    path.write_bytes(data)
    cas.upload("xcarol/open", "xcarol", [path])
    chunk_hex = hashing.to_hex(hashing.chunk_hash(data))
    dave = cas.token("xdave/mine", "xdave", write=True)["accessToken"]
    status, body = cas.request("GET", f"/v1/chunks/default-merkledb/{chunk_hex}", dave)
    assert status == 200
    shard = shardfmt.parse(body)
    assert not shard.files and shard.xorbs
    # Chunk hashes in the answer are HMAC-protected, never raw.
    listed = {c.hash for x in shard.xorbs for c in x.chunks}
    assert shard.hmac_key is not None
    assert hashing.chunk_hash(data) not in listed
    assert hashing.hmac_hash(hashing.chunk_hash(data), shard.hmac_key) in listed
