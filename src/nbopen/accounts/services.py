"""Writes and lookups for users and tokens. Every front door (web, API, CLI) calls these."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from nbopen.accounts.models import AccessToken, Namespace, User
from nbopen.core import events
from nbopen.core.errors import AlreadyExists, InvalidInput, NotFound
from nbopen.core.names import is_well_formed, validate_owner_name

TOKEN_PREFIX = "nbo_"  # noqa: S105 - a public marker, not a secret
# last_used_at is informative; writing it on every git request would serialize SQLite writers.
_LAST_USED_RESOLUTION = timedelta(minutes=1)


def claim_namespace_name(name: str) -> str:
    """Validate an owner name and check it is free (the DB constraint is the final word)."""
    validate_owner_name(name)
    if Namespace.objects.filter(name_lower=name.lower()).exists():
        raise AlreadyExists(gettext_noop("The name '%(name)s' is already taken"), name=name)
    return name


@transaction.atomic
def user_create(
    *, username: str, email: str, password: str, is_admin: bool = False, display_name: str = ""
) -> User:
    """Create a user and claim their owner name."""
    claim_namespace_name(username)
    try:
        validate_email(email)
    except ValidationError as exc:
        raise InvalidInput(gettext_noop("Invalid email address: '%(email)s'"), email=email) from exc
    if User.objects.filter(email__iexact=email).exists():
        raise AlreadyExists(
            gettext_noop("The email '%(email)s' is already registered"), email=email
        )
    user = User(
        username=username,
        email=email,
        display_name=display_name,
        is_staff=is_admin,
        is_superuser=is_admin,
    )
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput(" ".join(exc.messages)) from exc
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
            Namespace.objects.create(
                name=username, name_lower=username.lower(), kind=Namespace.Kind.USER, user=user
            )
    except IntegrityError as exc:
        raise AlreadyExists(
            gettext_noop("The name '%(username)s' is already taken"), username=username
        ) from exc
    events.record("user.create", actor=user)
    return user


def user_get(username: str) -> User:
    if not is_well_formed(username):
        raise NotFound(gettext_noop("No user named '%(username)s'"), username=username)
    try:
        return User.objects.get(username__iexact=username, is_active=True)
    except User.DoesNotExist:
        raise NotFound(gettext_noop("No user named '%(username)s'"), username=username) from None


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: AccessToken
    secret: str


def token_create(
    *, user: User, name: str = "default", scope: str = "write", expires_at: datetime | None = None
) -> IssuedToken:
    """Issue a token. The secret is returned once and never stored."""
    if scope not in AccessToken.Scope.values:
        raise InvalidInput(
            gettext_noop("Token scope must be 'read' or 'write', not '%(scope)s'"), scope=scope
        )
    name = (name or "default").strip()[:100]
    secret = TOKEN_PREFIX + secrets.token_urlsafe(30)
    token = AccessToken.objects.create(
        user=user,
        name=name,
        scope=scope,
        digest=_digest(secret),
        prefix=secret[:8],
        expires_at=expires_at,
    )
    events.record("token.create", actor=user, payload={"token_id": token.pk, "scope": scope})
    return IssuedToken(token=token, secret=secret)


def token_authenticate(secret: str) -> AccessToken | None:
    """The live token for ``secret``, or None (unknown, revoked, expired, inactive user)."""
    if not secret or len(secret) > 512:
        return None
    try:
        token = AccessToken.objects.select_related("user").get(digest=_digest(secret))
    except AccessToken.DoesNotExist:
        return None
    now = timezone.now()
    if token.revoked_at is not None or not token.user.is_active:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    if token.last_used_at is None or now - token.last_used_at > _LAST_USED_RESOLUTION:
        AccessToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def token_revoke(*, user: User, token_id: int) -> None:
    updated = AccessToken.objects.filter(pk=token_id, user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if not updated:
        raise NotFound(gettext_noop("No such active token"))
    events.record("token.revoke", actor=user, payload={"token_id": token_id})
