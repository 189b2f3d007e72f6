"""Upstream tokens encrypted with a key derived from the server's secret key.

Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``) keyed by HKDF-SHA256 over
NBOPEN_SECRET_KEY with a purpose label, so the token key is neither the secret key itself nor
shared with Django's signing. A changed secret key makes stored tokens undecryptable: the
operator adds the upstream again (:class:`TokenUnreadable` says so).
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from nbopen.config.env import CONFIG
from nbopen.core.errors import DomainError


class TokenUnreadable(DomainError):
    """The stored token was encrypted with another secret key."""


def _fernet(secret_key: str | None = None) -> Fernet:
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"nbopen-mirrors", info=b"upstream-token"
    ).derive((secret_key if secret_key is not None else CONFIG.secret_key).encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def encrypt(token: str, *, secret_key: str | None = None) -> str:
    return _fernet(secret_key).encrypt(token.encode()).decode("ascii")


def decrypt(stored: str, *, secret_key: str | None = None) -> str:
    try:
        return _fernet(secret_key).decrypt(stored.encode("ascii")).decode()
    except InvalidToken as exc:
        raise TokenUnreadable(
            "the upstream token was stored under another NBOPEN_SECRET_KEY; add it again"
        ) from exc
