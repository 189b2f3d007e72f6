"""The one place that turns request credentials into a :class:`~nbopen.access.policy.Principal`.

Every channel calls it: the Django views of ``hubapi`` (through their route declaration,
:mod:`nbopen.hubapi.routes`, which answers :class:`InvalidCredentials` with the channel's 401),
the raw ASGI handlers (:func:`principal_from_scope`) and the web pages (which treat bad
credentials as anonymous). It lives in the domain so that no interface imports another's.

Accepted: ``Authorization: Bearer <token>`` and HTTP Basic with the token as the password and
any username (what git credential helpers and ``huggingface_hub`` store). A browser session
counts too for Django views. Bad credentials are an error even on public resources, so a
client with a stale token learns about it instead of silently acting anonymously.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from django.http import HttpRequest

from nbopen.access.policy import Principal
from nbopen.accounts.services import token_authenticate


class InvalidCredentials(Exception):
    """The request carried credentials, and they are not valid (never raised for none)."""


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


def page_principal(request: HttpRequest) -> Principal:
    """:func:`principal_from_request` for web pages: a bad token header counts as anonymous
    there (pages never act on a token's behalf beyond reading, and have no 401 to give)."""
    try:
        return principal_from_request(request)
    except InvalidCredentials:
        return Principal.anonymous()


def authorization_of(scope: dict[str, Any]) -> str | None:
    """The Authorization header of a raw ASGI request, if any."""
    for key, value in scope["headers"]:
        if key.lower() == b"authorization":
            return str(value.decode("latin-1"))
    return None


def principal_from_scope(scope: dict[str, Any]) -> Principal:
    """:func:`principal_from_request` for the raw ASGI handlers (no session there: tokens only).

    Raises :class:`InvalidCredentials`; the handler answers it with its channel's 401
    (:mod:`nbopen.hubapi.denials`)."""
    return principal_from_authorization(authorization_of(scope))
