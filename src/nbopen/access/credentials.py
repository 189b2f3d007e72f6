"""The one place that turns request credentials into a :class:`~nbopen.access.policy.Principal`.

Every channel calls it: the Django views of ``hubapi`` (through their route declaration,
:mod:`nbopen.hubapi.routes`, which answers :class:`InvalidCredentials` with the channel's 401),
the raw ASGI handlers (:func:`principal_from_scope`) and the web pages (which treat bad
credentials as anonymous). It lives in the domain so that no interface imports another's.

Accepted: ``Authorization: Bearer <token>`` (or ``token <token>``, as Gitea's clients send it;
an access token, or the LFS token the SSH server issues: :mod:`nbopen.access.ssh`) and HTTP
Basic with the token as the password and any username (what git credential helpers and
``huggingface_hub`` store). A browser session counts too for Django views. Bad credentials
are an error even on public resources, so a client with a stale token learns about it instead
of silently acting anonymously.

Every failed token is counted against the client's address (:mod:`nbopen.access.throttle`);
an address that failed too often gets :class:`Throttled` (429 with ``Retry-After`` on every
channel) before its token is even looked at.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from django.http import HttpRequest

from nbopen.access import throttle
from nbopen.access.policy import Principal
from nbopen.access.ssh import LFS_TOKEN_PREFIX, principal_from_lfs_token
from nbopen.accounts.services import token_authenticate
from nbopen.audit import services as audit


class InvalidCredentials(Exception):
    """The request carried credentials, and they are not valid (never raised for none)."""


class Throttled(InvalidCredentials):
    """Too many failed authentications from this client (or for this account): try again in
    ``retry_after`` seconds. A kind of :class:`InvalidCredentials` so that every place that
    answers bad credentials answers this too (with 429, :mod:`nbopen.hubapi.denials`)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"Too many failed authentication attempts: try again in {retry_after} seconds"
        )
        self.retry_after = retry_after


def token_from_authorization(header: str | None) -> str | None:
    """The token carried by an Authorization header, None if there is none."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    scheme = scheme.lower()
    value = value.strip()
    if scheme in {"bearer", "token"}:  # ``token T`` is how Gitea's clients send it
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


def principal_from_authorization(header: str | None, *, ip: str | None = None) -> Principal:
    """The principal of an Authorization header sent from ``ip`` (None: not throttled)."""
    found = throttle.subjects(ip=ip)
    try:
        secret = token_from_authorization(header)
    except InvalidCredentials:
        _refuse_if_throttled(found)
        throttle.failed(found, secret=header or "")
        raise
    if secret is None:
        return Principal.anonymous()
    _refuse_if_throttled(found)
    if secret.startswith(LFS_TOKEN_PREFIX):  # handed out over SSH (git-lfs-authenticate)
        principal = principal_from_lfs_token(secret)
        if principal is None:
            throttle.failed(found, secret=secret)
            raise InvalidCredentials("Invalid or expired SSH-issued LFS token")
        return principal
    token = token_authenticate(secret)
    if token is None:
        throttle.failed(found, secret=secret)
        raise InvalidCredentials("Invalid credentials in Authorization header")
    audit.token_used(token=token, ip=ip)
    return Principal(user=token.user, scope=token.scope, token=token)


def _refuse_if_throttled(found: list[throttle.Subject]) -> None:
    wait = throttle.retry_after(found)
    if wait is not None:
        raise Throttled(wait)


def client_ip(request: HttpRequest) -> str | None:
    """The address a Django request came from (the peer: NBopen trusts no forwarding header)."""
    return request.META.get("REMOTE_ADDR") or None


def scope_ip(scope: dict[str, Any]) -> str | None:
    """The address a raw ASGI request came from."""
    client = scope.get("client")
    return str(client[0]) if client else None


def principal_from_request(request: HttpRequest) -> Principal:
    """Token first (API clients); otherwise the browser session, if any."""
    header = request.headers.get("Authorization")
    if header:
        return principal_from_authorization(header, ip=client_ip(request))
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
    return principal_from_authorization(authorization_of(scope), ip=scope_ip(scope))
