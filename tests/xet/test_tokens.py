"""CAS tokens are signed, scoped and re-checked against the policy on every request."""

from __future__ import annotations

import pytest

from nbopen.access.policy import Principal
from nbopen.accounts.services import token_authenticate, token_create, token_revoke, user_create
from nbopen.repos.services import repo_create
from nbopen.xet import services, tokens


@pytest.mark.django_db
def test_revoking_the_hub_token_ends_the_cas_token() -> None:
    user = user_create(username="tok", email="tok@example.org", password="pw-Secret-123")
    issued = token_create(user=user, scope="read")
    hub = token_authenticate(issued.secret)
    assert hub is not None
    principal = Principal(user=user, scope=hub.scope, token=hub)
    repo = repo_create(actor=Principal(user=user), owner=None, name="m", private=True)
    with pytest.raises(services.CasError) as denied:
        services.issue_cas_token(repo=repo, principal=principal, write=True)
    assert denied.value.status == 403  # a read-scoped Hub token cannot get a write CAS token
    cas = services.issue_cas_token(repo=repo, principal=principal, write=False)
    assert cas.as_json()["casUrl"].endswith("/xet-cas")
    grant = services.authorize(authorization=f"Bearer {cas.token}", write=False)
    assert grant.repo == repo and not grant.write
    with pytest.raises(services.CasError) as no_write:
        services.authorize(authorization=f"Bearer {cas.token}", write=True)
    assert no_write.value.status == 403
    token_revoke(user=user, token_id=hub.pk)
    with pytest.raises(services.CasError) as revoked:
        services.authorize(authorization=f"Bearer {cas.token}", write=False)
    assert revoked.value.status == 401


def test_tampered_and_expired_tokens_are_rejected() -> None:
    claims = tokens.CasClaims(repo_id=1, user_id=2, scope=None, write=True, expires=10**10)
    good = tokens.encode(claims)
    assert tokens.decode(good) == claims
    _, sig = good.split(".")
    forged = tokens.encode(
        tokens.CasClaims(repo_id=9, user_id=2, scope=None, write=True, expires=10**10)
    ).split(".")[0]
    with pytest.raises(tokens.InvalidToken):
        tokens.decode(f"{forged}.{sig}")
    expired = tokens.encode(tokens.CasClaims(1, 2, None, True, expires=1))
    with pytest.raises(tokens.InvalidToken):
        tokens.decode(expired)
