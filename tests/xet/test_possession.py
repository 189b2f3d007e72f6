"""Proof of possession: who may build files from a xorb once its repositories are gone, and
for how long (docs/xet-protocol.md §6, §9). The end-to-end cases with the real client are in
test_cas_reupload.py; these pin the rules and the time bounds."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.utils import timezone

from nbopen.access.policy import Principal
from nbopen.accounts.services import user_create
from nbopen.repos.models import Repository
from nbopen.repos.services import repo_create, repo_delete
from nbopen.xet import hashing, services, shardfmt, xorbfmt
from nbopen.xet.models import Xorb, XorbPossession

pytestmark = pytest.mark.django_db


def _user(name: str) -> Principal:
    user = user_create(username=name, email=f"{name}@example.org", password="pw-Secret-123")
    return Principal(user=user)


def _repo(who: Principal, name: str, *, private: bool = True) -> services.Grant:
    repo = repo_create(actor=who, owner=None, name=name, private=private)
    return services.Grant(repo=repo, principal=who, write=True)


def _content() -> tuple[bytes, bytes, bytes]:
    """(xorb body, chunk hash, one-chunk file shard) of fresh random content."""
    data = os.urandom(3000)
    chunk = hashing.chunk_hash(data)
    term = shardfmt.Term(chunk, len(data), 0, 1)
    info = shardfmt.FileInfo(
        hashing.file_hash([(chunk, len(data))]), [term], [hashing.verification_hash([chunk])]
    )
    return xorbfmt.serialize([data]), chunk, shardfmt.write_upload_shard([info], [])


def _refused(grant: services.Grant, shard: bytes) -> str:
    with pytest.raises(services.CasError) as denied:
        services.upload_shard(grant=grant, body=shard)
    assert denied.value.status == 400
    return str(denied.value)


def _delete(grant: services.Grant) -> None:
    repo_delete(actor=grant.principal, repo=Repository.objects.get(pk=grant.repo.pk))


def _age(who: Principal, chunk: bytes, seconds: int) -> None:
    XorbPossession.objects.filter(user=who.user, xorb_id=hashing.to_hex(chunk)).update(
        proved_at=timezone.now() - timedelta(seconds=seconds)
    )


def test_the_uploader_may_build_again_after_deletion_and_no_one_else() -> None:
    alice, mallory = _user("pos-alice"), _user("pos-mallory")
    body, chunk, shard = _content()
    first = _repo(alice, "first")
    assert services.upload_xorb(grant=first, claimed_hash=hashing.to_hex(chunk), body=body)
    assert services.upload_shard(grant=first, body=shard)
    proof = XorbPossession.objects.get(user=alice.user)
    assert proof.kind == XorbPossession.Kind.UPLOADED  # not downgraded by the shard upload
    _delete(first)
    assert services.collect_garbage(grace_seconds=0)["retained_xorbs"] == 1

    # Someone who knows every hash gets the answer a xorb nobody uploaded gets.
    theirs = _repo(mallory, "theirs")
    _, other_chunk, other_shard = _content()
    message = _refused(theirs, shard)
    never = _refused(theirs, other_shard)
    assert message.replace(hashing.to_hex(chunk), hashing.to_hex(other_chunk)) == never
    assert services.dedup_query(grant=theirs, chunk_hash=hashing.to_hex(chunk)) is None

    # The uploader: dedup answers and shard uploads, in a new repository.
    again = _repo(alice, "again")
    assert services.dedup_query(grant=again, chunk_hash=hashing.to_hex(chunk)) is not None
    assert services.upload_shard(grant=again, body=shard)
    _refused(theirs, shard)  # still not through alice's new (private) repository


def test_a_proof_is_bounded_in_time() -> None:
    alice = _user("pos-bounded")
    body, chunk, shard = _content()
    first = _repo(alice, "first")
    services.upload_xorb(grant=first, claimed_hash=hashing.to_hex(chunk), body=body)
    _delete(first)
    second = _repo(alice, "second")
    hex_ = hashing.to_hex(chunk)
    # Dedup answers are cached by the client for DEDUP_SHARD_TTL: a proof that ends sooner
    # is not offered there, but still honoured for a shard.
    _age(alice, chunk, services.POSSESSION_TTL - services.DEDUP_SHARD_TTL + 3600)
    assert services.dedup_query(grant=second, chunk_hash=hex_) is None
    # Past the retention it counts nowhere, and GC frees the xorb.
    _age(alice, chunk, services.POSSESSION_TTL + 60)
    _refused(second, shard)
    result = services.collect_garbage(grace_seconds=0)
    assert result["expired_proofs"] == 1 and result["xorbs"] == 1
    assert not Xorb.objects.filter(pk=hex_).exists()
    # Uploading the bytes again is a fresh proof.
    services.upload_xorb(grant=second, claimed_hash=hex_, body=body)
    assert services.upload_shard(grant=second, body=shard)


def test_building_from_readable_content_is_a_proof_a_proof_alone_is_not_renewed() -> None:
    alice, bob = _user("pos-owner"), _user("pos-reader")
    body, chunk, shard = _content()
    public = _repo(alice, "public", private=False)
    services.upload_xorb(grant=public, claimed_hash=hashing.to_hex(chunk), body=body)
    copy = _repo(bob, "copy")
    assert services.upload_shard(grant=copy, body=shard)  # he can read the public repository
    proof = XorbPossession.objects.get(user=bob.user)
    assert proof.kind == XorbPossession.Kind.READABLE
    _delete(public)
    _delete(copy)
    later = _repo(bob, "later")
    assert services.upload_shard(grant=later, body=shard)  # his proof of having read it
    # With no repository left that references it, using a proof does not renew it.
    _delete(later)
    _age(bob, chunk, services.POSSESSION_TTL - 600)
    last = _repo(bob, "last")
    assert services.upload_shard(grant=last, body=shard)
    _delete(last)
    assert XorbPossession.objects.get(user=bob.user).proved_at < timezone.now() - timedelta(
        seconds=services.POSSESSION_TTL - 700
    )
