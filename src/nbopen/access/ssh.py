"""SSH keys as principals, and the short-lived LFS token ``git-lfs-authenticate`` hands out.

The SSH server knows a key's fingerprint only. A user's key acts as that user; a deploy key
acts on the repository it is bound to (read, or read-write) and nowhere else
(:class:`~nbopen.access.policy.Principal` ``only_repo_id``). Which applies depends on the
repository the command names, so the principal is built per command, not at sign-in: a key
deleted meanwhile stops working at the next command.

git-lfs over SSH asks ``git-lfs-authenticate`` for an HTTP endpoint and a header, then moves
the objects over HTTP. The header carries a signed token naming the key, the repository and
the operation, valid for :data:`LFS_TOKEN_TTL` seconds; :func:`principal_from_lfs_token`
turns it into a principal bound to that repository with what the key may do there at that
moment (the key is looked up again, so a revoked key's token dies with it).
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import parse_qsl

from nbopen.access import throttle
from nbopen.access.policy import Decision, Level, Principal, decide_repo
from nbopen.accounts.models import SSHKey
from nbopen.accounts.sshkeys import touch, user_key_for
from nbopen.core import signing
from nbopen.repos.deploy_keys import deploy_key_for, is_deploy_key
from nbopen.repos.models import DeployKey, Repository

LFS_TOKEN_PREFIX = "nbssh_"  # noqa: S105 - a public marker, not a secret
LFS_TOKEN_TTL = 600


def key_known(fingerprint: str) -> bool:
    """Whether this key is registered (a user's key or any deploy key)."""
    return user_key_for(fingerprint) is not None or is_deploy_key(fingerprint)


def key_sign_in(fingerprint: str, *, ip: str | None) -> bool:
    """Whether sign-in with this key may proceed from ``ip``.

    Unknown keys count as failed authentications of the address, as bad tokens do
    (:mod:`nbopen.access.throttle`); the same key offered again counts once, so a client
    trying the few keys of its agent costs little, while an address that tried too many
    different keys is refused even a registered one until its lockout ends."""
    found = throttle.subjects(ip=ip)
    if throttle.retry_after(found) is not None:
        return False
    if key_known(fingerprint):
        return True
    throttle.failed(found, secret="ssh-key:" + fingerprint)
    return False


def ssh_principal(fingerprint: str, repo: Repository | None) -> Principal | None:
    """Who the key speaks for on ``repo``; None when the key is no longer known at all."""
    user_key = user_key_for(fingerprint)
    if user_key is not None:
        touch(SSHKey.objects.filter(pk=user_key.pk), user_key.last_used_at)
        return Principal(user=user_key.user)
    deploy = deploy_key_for(fingerprint, repo) if repo is not None else None
    if deploy is not None:
        touch(DeployKey.objects.filter(pk=deploy.pk), deploy.last_used_at)
        return _deploy_principal(deploy)
    # A deploy key of another repository: what anonymous callers have here.
    return Principal.anonymous() if is_deploy_key(fingerprint) else None


def _deploy_principal(deploy: DeployKey) -> Principal:
    level = Level.READ if deploy.read_only else Level.WRITE
    return Principal(only_repo_id=deploy.repository_id, deploy_level=level)


def username_of(fingerprint: str) -> str | None:
    """The user a key signs in as (for the greeting), None for a deploy key."""
    user_key = user_key_for(fingerprint)
    return user_key.user.username if user_key is not None else None


def lfs_token(fingerprint: str, repo: Repository, *, upload: bool) -> str:
    """A token for the LFS batch API of ``repo``, for what the key may do there."""
    query = signing.sign(
        {"fp": fingerprint, "repo": repo.pk, "op": "upload" if upload else "download"},
        ttl=LFS_TOKEN_TTL,
    )
    return LFS_TOKEN_PREFIX + base64.urlsafe_b64encode(query.encode()).decode().rstrip("=")


def principal_from_lfs_token(secret: str) -> Principal | None:
    """The principal of a valid, unexpired token whose key is still known; else None."""
    raw = secret.removeprefix(LFS_TOKEN_PREFIX)
    try:
        query = dict(parse_qsl(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    fields = {k: v for k, v in query.items() if k not in ("exp", "sig")}
    if set(fields) != {"fp", "repo", "op"} or not fields["repo"].isdigit():
        return None
    if not signing.verify(query, fields):
        return None
    repo = Repository.objects.filter(pk=int(fields["repo"])).first()
    if repo is None:
        return None
    holder = ssh_principal(fields["fp"], repo)
    if holder is None:
        return None
    # Not the key's user at large: a token that leaked must not create or delete
    # repositories through the API. It carries what the key may do on this repository now
    # (decided again at each use, gate included), as a deploy key would.
    need = Level.WRITE if fields["op"] == "upload" else Level.READ
    allowed = decide_repo(holder, repo, need, content=need == Level.READ) is Decision.ALLOW
    return Principal(only_repo_id=repo.pk, deploy_level=need if allowed else Level.NONE)
