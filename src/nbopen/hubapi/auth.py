"""Turning request credentials into a :class:`~nbopen.access.Principal`.

Accepted: ``Authorization: Bearer <token>`` and HTTP Basic with the token as the password and
any username (what git credential helpers and ``huggingface_hub`` store). A browser session
counts too for Django views. Bad credentials are an error even on public resources, so a
client with a stale token learns about it instead of silently acting anonymously.
"""

from __future__ import annotations

import base64
import binascii

from django.http import HttpRequest

from nbopen.access.policy import Principal
from nbopen.accounts.services import token_authenticate


class InvalidCredentials(Exception):
    pass


def token_from_authorization(header: str | None) -> str | None:
    """The token carried by an Authorization header, None if there is none."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    scheme = scheme.lower()
    value = value.strip()
    if scheme == "bearer":
        if not value:
            raise InvalidCredentials("empty bearer token")
        return value
    if scheme == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise InvalidCredentials("malformed basic credentials") from exc
        _, sep, password = decoded.partition(":")
        if not sep or not password:
            raise InvalidCredentials("basic credentials need a token as the password")
        return password
    raise InvalidCredentials(f"unsupported authorization scheme {scheme!r}")


def principal_from_authorization(header: str | None) -> Principal:
    secret = token_from_authorization(header)
    if secret is None:
        return Principal.anonymous()
    token = token_authenticate(secret)
    if token is None:
        raise InvalidCredentials("Invalid credentials in Authorization header")
    return Principal(user=token.user, scope=token.scope, token=token)


def principal_from_request(request: HttpRequest) -> Principal:
    """Token first (API clients); otherwise the browser session, if any."""
    header = request.headers.get("Authorization")
    if header:
        return principal_from_authorization(header)
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return Principal(user=user)
    return Principal.anonymous()
