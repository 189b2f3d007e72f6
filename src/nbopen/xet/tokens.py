"""CAS access tokens: short-lived, signed, bound to one repository and one right.

The CAS never sees a user's Hub token (``huggingface_hub`` strips it for Xet requests); it
sees these. A token names the repository, the user (or none, for anonymous reads of public
repositories), the user's token scope and whether writing is allowed. It is only a
*ceiling*: every CAS request re-checks the policy, so losing access to a repository takes
effect at once, not at expiry.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass

from nbopen.config.env import CONFIG

PREFIX = "xet_"


class InvalidToken(Exception):
    pass


@dataclass(frozen=True)
class CasClaims:
    repo_id: int
    user_id: int | None
    scope: str | None  # the Hub token's scope ("read"/"write"), None for a session login
    write: bool
    expires: int
    access_token_id: int | None = None  # the Hub token it was issued for; revoking it ends this
    # Issued for a pull request's files (``create_pr``): write to the CAS needs only read access
    # to the repository, as opening the pull request does; the commit decides where files go.
    pull_request: bool = False


def _key() -> bytes:
    return hashlib.sha256(("nbopen-xet-cas-token:" + CONFIG.secret_key).encode()).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def encode(claims: CasClaims) -> str:
    body = json.dumps(
        {
            "r": claims.repo_id,
            "u": claims.user_id,
            "s": claims.scope,
            "w": claims.write,
            "e": claims.expires,
            "t": claims.access_token_id,
            "p": claims.pull_request,
        },
        separators=(",", ":"),
    ).encode()
    payload = _b64(body)
    sig = _b64(hmac.new(_key(), payload.encode(), hashlib.sha256).digest())
    return f"{PREFIX}{payload}.{sig}"


def decode(token: str) -> CasClaims:
    if not token.startswith(PREFIX) or token.count(".") != 1:
        raise InvalidToken("not a Xet CAS token")
    payload, sig = token[len(PREFIX) :].split(".")
    expected = _b64(hmac.new(_key(), payload.encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(sig, expected):
        raise InvalidToken("bad signature")
    try:
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        claims = CasClaims(
            repo_id=int(data["r"]),
            user_id=None if data["u"] is None else int(data["u"]),
            scope=data["s"],
            write=bool(data["w"]),
            expires=int(data["e"]),
            access_token_id=None if data.get("t") is None else int(data["t"]),
            pull_request=bool(data.get("p", False)),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidToken("malformed token") from exc
    if claims.expires < time.time():
        raise InvalidToken("token expired")
    return claims
