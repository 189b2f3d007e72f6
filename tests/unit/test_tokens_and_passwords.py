"""Tokens are stored hashed and die when revoked or expired; passwords use argon2."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.hashers import get_hasher
from django.utils import timezone

from nbopen.access.credentials import InvalidCredentials, principal_from_authorization
from nbopen.access.policy import Principal
from nbopen.accounts.models import AccessToken, User
from nbopen.accounts.services import (
    token_authenticate,
    token_create,
    token_revoke,
    user_create,
)
from nbopen.core.errors import AlreadyExists, InvalidInput, NotFound

pytestmark = pytest.mark.django_db


@pytest.fixture
def user() -> User:
    return user_create(username="alice", email="alice@example.org", password="pw-alice-Secret9")


def test_argon2_is_the_password_hasher(user: User) -> None:
    assert settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert get_hasher().algorithm == "argon2"
    assert user.password.startswith("argon2$")
    assert "pw-alice-Secret9" not in user.password
    assert user.check_password("pw-alice-Secret9")
    assert not user.check_password("pw-alice-Secret8")


def test_weak_password_refused() -> None:
    with pytest.raises(InvalidInput):
        user_create(username="bob", email="bob@example.org", password="short")
    with pytest.raises(InvalidInput):
        user_create(username="bob", email="bob@example.org", password="password123")
    assert not User.objects.filter(username="bob").exists()


def test_duplicate_names_case_insensitive(user: User) -> None:
    with pytest.raises(AlreadyExists):
        user_create(username="ALICE", email="other@example.org", password="pw-alice-Secret9")


def test_token_secret_is_never_stored(user: User) -> None:
    issued = token_create(user=user, name="laptop", scope="write")
    assert issued.secret.startswith("nbo_") and len(issued.secret) > 30
    row = AccessToken.objects.get(pk=issued.token.pk)
    stored = [
        str(getattr(row, f.attname))
        for f in AccessToken._meta.get_fields()
        if hasattr(f, "attname")
    ]
    assert all(issued.secret not in value for value in stored)
    assert row.digest != issued.secret and len(row.digest) == 64
    assert issued.secret.startswith(row.prefix) and len(row.prefix) < len(issued.secret) // 2


def test_token_authenticates_and_records_use(user: User) -> None:
    issued = token_create(user=user, scope="read")
    assert issued.token.last_used_at is None
    token = token_authenticate(issued.secret)
    assert token is not None and token.user == user and token.scope == "read"
    assert AccessToken.objects.get(pk=token.pk).last_used_at is not None
    principal = principal_from_authorization(f"Bearer {issued.secret}")
    assert principal.user == user and principal.scope == "read"


@pytest.mark.parametrize("secret", ["", "nbo_", "nbo_" + "a" * 40, "x" * 10_000])
def test_unknown_tokens_rejected(user: User, secret: str) -> None:
    token_create(user=user)
    assert token_authenticate(secret) is None


def test_revoked_token_rejected(user: User) -> None:
    issued = token_create(user=user)
    token_revoke(user=user, token_id=issued.token.pk)
    assert token_authenticate(issued.secret) is None
    with pytest.raises(InvalidCredentials):
        principal_from_authorization(f"Bearer {issued.secret}")
    with pytest.raises(NotFound):
        token_revoke(user=user, token_id=issued.token.pk)


def test_expired_token_rejected(user: User) -> None:
    past = token_create(user=user, expires_at=timezone.now() - timedelta(seconds=1))
    future = token_create(user=user, expires_at=timezone.now() + timedelta(days=1))
    assert token_authenticate(past.secret) is None
    assert token_authenticate(future.secret) is not None


def test_inactive_user_token_rejected(user: User) -> None:
    issued = token_create(user=user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert token_authenticate(issued.secret) is None


def test_other_users_cannot_revoke(user: User) -> None:
    other = user_create(username="mallory", email="m@example.org", password="pw-mallory-Secret9")
    issued = token_create(user=user)
    with pytest.raises(NotFound):
        token_revoke(user=other, token_id=issued.token.pk)
    assert token_authenticate(issued.secret) is not None


def test_bad_scope_refused(user: User) -> None:
    with pytest.raises(InvalidInput):
        token_create(user=user, scope="admin")


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer   ", "Basic !!!notbase64", "Basic " + "dXNlcg==", "Digest abc", "Token x"],
)
def test_malformed_authorization_headers(header: str) -> None:
    with pytest.raises(InvalidCredentials):
        principal_from_authorization(header)


def test_no_header_is_anonymous() -> None:
    assert principal_from_authorization(None) == Principal.anonymous()
