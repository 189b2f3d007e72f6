"""SSH keys as principals: key parsing, what a deploy key reaches (the policy, as a matrix),
and the LFS token git-lfs-authenticate hands out (bound, expiring, dead with its key)."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

import pytest

from nbopen.access import ssh
from nbopen.access.credentials import InvalidCredentials, principal_from_authorization
from nbopen.access.policy import Decision, Level, decide_repo, may_create_repo_under
from nbopen.accounts import sshkeys
from nbopen.core import signing
from nbopen.core.errors import AlreadyExists, InvalidInput
from nbopen.repos import deploy_keys
from tests.search.helpers import make_repo, make_user


def _keypair(tmp_path: Path, name: str) -> tuple[str, str]:
    path = tmp_path / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)
    printed = subprocess.run(
        ["ssh-keygen", "-l", "-E", "sha256", "-f", str(path)], capture_output=True, text=True
    ).stdout.split()[1]
    return path.with_suffix(".pub").read_text(), printed


def test_parse_gives_ssh_keygen_fingerprint(tmp_path: Path) -> None:
    public, printed = _keypair(tmp_path, "k")
    parsed = sshkeys.parse_public_key(public)
    assert parsed.fingerprint == printed
    assert parsed.key_type == "ssh-ed25519"
    assert parsed.key == " ".join(public.split()[:2])  # the comment is dropped
    for bad in ("", "ssh-ed25519 AAAAnotbase64", public + "\n" + public, "-----BEGIN"):
        with pytest.raises(InvalidInput):
            sshkeys.parse_public_key(bad)


@pytest.mark.django_db
def test_a_deploy_key_reaches_only_its_repository(tmp_path: Path) -> None:
    owner = make_user("dk-owner")
    mine = make_repo(owner, "dk-owner", "mine", private=True)
    other_private = make_repo(owner, "dk-owner", "other", private=True)
    other_public = make_repo(owner, "dk-owner", "open")
    ro_key, ro_fp = _keypair(tmp_path, "ro")
    rw_key, rw_fp = _keypair(tmp_path, "rw")
    deploy_keys.deploy_key_add(actor=owner, repo=mine, title="ci", key=ro_key)
    deploy_keys.deploy_key_add(actor=owner, repo=mine, title="cd", key=rw_key, read_only=False)

    expected = {
        # (key, repository, need): decision
        (ro_fp, mine, Level.READ): Decision.ALLOW,
        (ro_fp, mine, Level.WRITE): Decision.FORBIDDEN,
        (rw_fp, mine, Level.WRITE): Decision.ALLOW,
        (rw_fp, mine, Level.ADMIN): Decision.FORBIDDEN,
        (rw_fp, other_private, Level.READ): Decision.UNAUTHENTICATED,  # anonymous there
        (rw_fp, other_public, Level.READ): Decision.ALLOW,
        (rw_fp, other_public, Level.WRITE): Decision.UNAUTHENTICATED,
    }
    for (fingerprint, repo, need), decision in expected.items():
        principal = ssh.ssh_principal(fingerprint, repo)
        assert principal is not None
        assert decide_repo(principal, repo, need) is decision, (repo.name, need)
    assert ssh.key_known(ro_fp) and ssh.ssh_principal("SHA256:unknown", mine) is None
    # A deploy key cannot also be a user's key, nor the other way round.
    with pytest.raises(AlreadyExists):
        sshkeys.ssh_key_add(user=owner, title="x", key=ro_key)
    user_key, _ = _keypair(tmp_path, "user")
    sshkeys.ssh_key_add(user=owner, title="laptop", key=user_key)
    with pytest.raises(AlreadyExists):
        deploy_keys.deploy_key_add(actor=owner, repo=mine, title="x", key=user_key)


@pytest.mark.django_db
def test_lfs_token_is_bound_expiring_and_dies_with_its_key(tmp_path: Path) -> None:
    alice = make_user("lfs-alice")
    repo = make_repo(alice, "lfs-alice", "weights", private=True)
    other = make_repo(alice, "lfs-alice", "other", private=True)
    public, fingerprint = _keypair(tmp_path, "a")
    row = sshkeys.ssh_key_add(user=alice, title="laptop", key=public)

    upload = ssh.lfs_token(fingerprint, repo, upload=True)
    principal = principal_from_authorization(f"Bearer {upload}")
    assert principal.user is None  # not alice at large: no API powers beyond this repository
    assert not may_create_repo_under(principal, alice.pk, None)
    assert decide_repo(principal, repo, Level.WRITE) is Decision.ALLOW
    assert decide_repo(principal, other, Level.READ) is Decision.NOT_FOUND  # bound to one repo
    download = principal_from_authorization(
        f"Bearer {ssh.lfs_token(fingerprint, repo, upload=False)}"
    )
    assert decide_repo(download, repo, Level.WRITE) is Decision.FORBIDDEN

    tampered = upload[:-2] + ("A" if upload[-2] != "A" else "B") + upload[-1]
    with pytest.raises(InvalidCredentials):
        principal_from_authorization(f"Bearer {tampered}")
    fields = {"fp": fingerprint, "repo": repo.pk, "op": "upload"}
    expired = base64.urlsafe_b64encode(signing.sign(fields, ttl=-1).encode()).decode()
    with pytest.raises(InvalidCredentials):
        principal_from_authorization(f"Bearer {ssh.LFS_TOKEN_PREFIX}{expired}")
    sshkeys.ssh_key_delete(user=alice, key_id=row.pk)
    with pytest.raises(InvalidCredentials):
        principal_from_authorization(f"Bearer {upload}")


@pytest.mark.django_db
def test_many_unknown_keys_from_one_address_lock_it_out(tmp_path: Path) -> None:
    owner = make_user("throttled-owner")
    public, fingerprint = _keypair(tmp_path, "k")
    sshkeys.ssh_key_add(user=owner, title="laptop", key=public)
    ip = "127.0.0.77"
    assert ssh.key_sign_in(fingerprint, ip=ip)
    for _ in range(50):  # the same unknown key again and again counts once
        assert not ssh.key_sign_in("SHA256:same-unknown", ip=ip)
    assert ssh.key_sign_in(fingerprint, ip=ip)
    for n in range(40):  # a third of the address limit (100): delays start
        assert not ssh.key_sign_in(f"SHA256:unknown-{n}", ip=ip)
    assert not ssh.key_sign_in(fingerprint, ip=ip)  # even the registered key, for now
    assert ssh.key_sign_in(fingerprint, ip="127.0.0.78")  # another address is unaffected


def test_host_key_is_generated_once_and_private() -> None:
    from nbopen.hubapi.gitssh.server import host_key_path

    path = host_key_path()
    first = path.read_bytes()
    assert path.stat().st_mode & 0o777 == 0o600
    assert host_key_path() == path and path.read_bytes() == first  # kept, not regenerated
