"""Users' SSH public keys: parsing, adding, listing, removing (web settings, Gitea's API).

Keys are parsed with asyncssh (the library the SSH server uses), so a key the server would
not accept at sign-in is refused when it is added rather than failing silently later. The
fingerprint is the one ``ssh-keygen -l`` and GitHub/Gitea show: ``SHA256:`` + unpadded base64.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from nbopen.accounts.models import SSHKey, User
from nbopen.accounts.ssh_lib import asyncssh
from nbopen.core import events
from nbopen.core.errors import AlreadyExists, InvalidInput, NotFound

# The algorithms OpenSSH still enables by default (no DSA, no RSA under 2048 bits).
KEY_TYPES = frozenset(
    {
        "ssh-ed25519",
        "ssh-rsa",
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521",
        "sk-ssh-ed25519@openssh.com",
        "sk-ecdsa-sha2-nistp256@openssh.com",
    }
)
_MIN_RSA_BITS = 2048
# As for tokens: last use is informative, and a write per git command would serialize SQLite.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class ParsedKey:
    key_type: str
    key: str  # "type base64", no comment
    fingerprint: str


def parse_public_key(text: str) -> ParsedKey:
    """One OpenSSH public key line (``ssh-ed25519 AAAA… comment``), or InvalidInput."""
    text = (text or "").strip()
    if not text or "\n" in text or len(text) > 16384:
        raise InvalidInput("Paste one SSH public key (a single line such as ssh-ed25519 AAAA…)")
    try:
        key = asyncssh.import_public_key(text)
    except (asyncssh.KeyImportError, ValueError) as exc:
        raise InvalidInput(f"Not a valid SSH public key: {exc}") from None
    key_type = key.get_algorithm()
    if key_type not in KEY_TYPES:
        raise InvalidInput(f"SSH key type {key_type} is not accepted")
    bits = getattr(getattr(key, "pyca_key", None), "key_size", None)
    if key_type == "ssh-rsa" and isinstance(bits, int) and bits < _MIN_RSA_BITS:
        raise InvalidInput(f"RSA keys need at least {_MIN_RSA_BITS} bits")
    exported = key.export_public_key("openssh").decode().split()
    return ParsedKey(
        key_type=key_type,
        key=f"{exported[0]} {exported[1]}",
        fingerprint=key.get_fingerprint("sha256"),
    )


def ssh_keys_of(user: User) -> QuerySet[SSHKey]:
    return SSHKey.objects.filter(user=user)


def ssh_key_get(*, user: User, key_id: int) -> SSHKey:
    try:
        return SSHKey.objects.get(pk=key_id, user=user)
    except SSHKey.DoesNotExist:
        raise NotFound("No such SSH key") from None


def ssh_key_add(*, user: User, title: str, key: str) -> SSHKey:
    """Add ``key`` to ``user``'s keys. A key already registered (by anyone, or as a deploy
    key) is refused: the server must know from the key alone who signs in."""
    from nbopen.repos.models import DeployKey  # repos builds on accounts, not the reverse

    parsed = parse_public_key(key)
    if DeployKey.objects.filter(fingerprint=parsed.fingerprint).exists():
        raise AlreadyExists("This SSH key is already a deploy key")
    title = (title or "").strip()[:100] or parsed.key_type
    try:
        with transaction.atomic():
            row = SSHKey.objects.create(
                user=user,
                title=title,
                key=parsed.key,
                key_type=parsed.key_type,
                fingerprint=parsed.fingerprint,
            )
    except IntegrityError:
        raise AlreadyExists("This SSH key is already in use") from None
    events.record(
        "ssh_key.add", actor=user, payload={"key_id": row.pk, "fingerprint": row.fingerprint}
    )
    return row


def ssh_key_delete(*, user: User, key_id: int) -> None:
    """Remove one of ``user``'s keys; the server refuses it from the next connection on."""
    row = ssh_key_get(user=user, key_id=key_id)
    fingerprint = row.fingerprint
    row.delete()
    events.record(
        "ssh_key.delete", actor=user, payload={"key_id": key_id, "fingerprint": fingerprint}
    )


def user_key_for(fingerprint: str) -> SSHKey | None:
    """The user key with this fingerprint whose user is active, else None."""
    row = SSHKey.objects.select_related("user").filter(fingerprint=fingerprint).first()
    if row is None or not row.user.is_active:
        return None
    return row


def touch(rows: QuerySet[Any], last_used: datetime | None) -> None:
    """Record the use of the key in ``rows`` at most once per :data:`LAST_USED_RESOLUTION`."""
    now = timezone.now()
    if last_used is None or now - last_used > LAST_USED_RESOLUTION:
        rows.update(last_used_at=now)
