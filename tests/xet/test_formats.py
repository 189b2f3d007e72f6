"""Hashing and wire formats against published reference values (no server needed)."""

from __future__ import annotations

import os

import pytest

from nbopen.xet import hashing, shardfmt, xorbfmt

A = "cfc5d07f6f03c29bbf424132963fe08d19a37d5757aaf520bf08119f05cd56d6"
B = "c3e67584b5c4fc2a89837ec39e40f2c8a6bb0b2987ac94cd4b31e5fbdd210a72"
C = "0d2beb91b9196929a5ddec9f6e306924ddf4a24268e3e59fd8464738d525af37"
D = "adf8773496a9b7319b2e50dc98093f344053b17d8ad37100b9c07d9805988784"

# (leaves, xorb hash, file hash) from the reference table in xet-core's aggregated_hashes tests.
REFERENCE = [
    (
        [(A, 100), (B, 200), (C, 300)],
        "71ec1275fca074724e2dd666921b3277c7cee603e4d025bcab2d4050015be2bc",
        "54e55dccc6653c612bdb5576c5d3cb34bb31bc4e100248abccf4c908b3ef7715",
    ),
    (
        [(A, 100)] * 4,
        "89f2ada89ff8c96763c6b25010e6dd76a4c05b1466207633ea559acf2093211b",
        "2cdba690d0e09563596e0cda626d43eb4c96ef1e994fe72d9b2f5a83cfcd36dd",
    ),
    (
        [(A, 100), (B, 200), (A, 100), (B, 200), (C, 300), (D, 400)],
        "52c826f99507aa05d0b45e9837fa1709e0485425cfbcb1e80db3905cf98b3ee9",
        "91d21684db364c8883ab8209fa5eb2e781cf07f37e1fa43e731c30839afe422f",
    ),
]


def test_hash_string_form_reverses_each_8_byte_word() -> None:
    raw = bytes(range(32))
    text = hashing.to_hex(raw)
    assert text.startswith("07060504030201000f0e0d0c0b0a0908")
    assert hashing.from_hex(text) == raw
    with pytest.raises(ValueError):
        hashing.from_hex("ABC")


@pytest.mark.parametrize(("leaves", "xorb", "file"), REFERENCE)
def test_merkle_and_file_hash_reference(
    leaves: list[tuple[str, int]], xorb: str, file: str
) -> None:
    nodes = [(hashing.from_hex(h), n) for h, n in leaves]
    assert hashing.to_hex(hashing.xorb_hash(nodes)) == xorb
    assert hashing.to_hex(hashing.file_hash(nodes)) == file


def test_salted_file_hash_reference() -> None:
    nodes = [(hashing.from_hex(h), n) for h, n in [(A, 100), (B, 200), (C, 300)]]
    salt = hashing.from_hex("b286606709ef32a1cfede1e603a39f83fef56772d8234c0e35d8920071d80b69")
    salted = hashing.hmac_hash(hashing.xorb_hash(nodes), salt)
    assert hashing.to_hex(salted) == (
        "337f1f046e4cfc1057f0f3edbd87cf977fdfaf3c2b0c0031ca2d1d2a34aa2270"
    )


def test_single_leaf_and_empty() -> None:
    assert hashing.to_hex(hashing.xorb_hash([(hashing.from_hex(A), 100)])) == A
    assert hashing.xorb_hash([]) == bytes(32)
    assert hashing.file_hash([]) == bytes(32)


@pytest.mark.parametrize("scheme", [xorbfmt.NONE, xorbfmt.LZ4, xorbfmt.BG4_LZ4])
def test_xorb_parse_round_trip(scheme: int) -> None:
    chunks = [os.urandom(9000), b"\x01\x02\x03" * 20001, bytes(4097)]
    body = xorbfmt.serialize(chunks, scheme)
    parsed = xorbfmt.parse(body)
    expected = hashing.xorb_hash([(hashing.chunk_hash(c), len(c)) for c in chunks])
    assert parsed.hash == expected
    assert [c.length for c in parsed.chunks] == [len(c) for c in chunks]
    assert xorbfmt.decode_range(body) == chunks
    # An appended legacy footer is recognised and not counted as chunk data.
    assert xorbfmt.parse(body + b"XETBLOB" + bytes(100)).data_length == len(body)


def test_bg4_regroup_inverts_grouping_for_every_remainder() -> None:
    for n in range(0, 13):
        data = os.urandom(n)
        assert xorbfmt.bg4_regroup(xorbfmt.bg4_group(data)) == data


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\x01" + bytes(7),  # unknown header version
        b"\x00\x10\x00\x00\x00\x10\x00\x00short",  # truncated data
        b"\x00\x05\x00\x00\x07\x05\x00\x00hello",  # unknown compression scheme
        b"\x00\x05\x00\x00\x01\x05\x00\x00hello",  # not an lz4 frame
        b"\x00\x05\x00\x00\x00\x06\x00\x00hello",  # length mismatch
    ],
)
def test_malformed_xorbs_are_rejected(body: bytes) -> None:
    with pytest.raises(xorbfmt.InvalidXorb):
        xorbfmt.parse(body)


def test_shard_round_trip_and_rejections() -> None:
    x = shardfmt.CasInfo(os.urandom(32), 10, 18, [shardfmt.CasChunk(os.urandom(32), 0, 10)])
    f = shardfmt.FileInfo(
        os.urandom(32), [shardfmt.Term(x.xorb, 10, 0, 1)], [os.urandom(32)], os.urandom(32)
    )
    body = shardfmt.write_upload_shard([f], [x])
    parsed = shardfmt.parse(body)
    assert parsed.files == [f] and parsed.xorbs == [x] and parsed.hmac_key is None
    key = os.urandom(32)
    dedup = shardfmt.parse(shardfmt.write_dedup_shard([x], hmac_key=key, ttl=60))
    assert dedup.files == [] and dedup.xorbs == [x] and dedup.hmac_key == key
    for bad in (body[:-1], b"X" + body[1:], body + b"\0"):
        with pytest.raises(shardfmt.InvalidShard):
            shardfmt.parse(bad)
