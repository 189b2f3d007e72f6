"""Signed transfer URLs: exact fields, expiry, no tampering."""

from __future__ import annotations

import time
from urllib.parse import parse_qsl

from nbopen.core import signing

FIELDS = {"op": "download", "repo": 7, "oid": "a" * 64, "size": 10, "uid": 3}


def _query(ttl: int = 60) -> dict[str, str]:
    return dict(parse_qsl(signing.sign(FIELDS, ttl=ttl)))


def test_round_trip() -> None:
    assert signing.verify(_query(), FIELDS)


def test_every_field_is_bound() -> None:
    query = _query()
    for key in FIELDS:
        tampered = {**query, key: query[key] + "1"}
        assert not signing.verify(tampered, FIELDS), key
        assert not signing.verify(query, {**FIELDS, key: str(FIELDS[key]) + "1"}), key


def test_signature_and_expiry_tampering() -> None:
    query = _query()
    assert not signing.verify({**query, "sig": "0" * 64}, FIELDS)
    assert not signing.verify({**query, "sig": ""}, FIELDS)
    assert not signing.verify({k: v for k, v in query.items() if k != "sig"}, FIELDS)
    later = str(int(query["exp"]) + 3600)
    assert not signing.verify({**query, "exp": later}, FIELDS)


def test_extra_or_missing_fields_refused() -> None:
    query = _query()
    assert not signing.verify({**query, "admin": "1"}, FIELDS)
    assert not signing.verify({k: v for k, v in query.items() if k != "uid"}, FIELDS)
    assert not signing.verify(query, {**FIELDS, "extra": 1})


def test_expired() -> None:
    query = _query(ttl=-1)
    assert int(query["exp"]) < time.time()
    assert not signing.verify(query, FIELDS)
    assert not signing.verify({**query, "exp": "soon"}, FIELDS)


def test_key_matters(monkeypatch: object) -> None:
    import dataclasses

    from nbopen.config import env

    query = _query()
    other = dataclasses.replace(env.CONFIG, secret_key="another-key")
    import pytest

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(signing, "CONFIG", other)
        assert not signing.verify(query, FIELDS)
    assert signing.verify(query, FIELDS)
