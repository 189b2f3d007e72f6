"""Each channel words the policy's refusals from one table, identically for Django and raw ASGI."""

from __future__ import annotations

import json

import pytest

from nbopen.access.credentials import InvalidCredentials
from nbopen.access.policy import Decision
from nbopen.hubapi.denials import Channel, asgi_reply, denial, denied, invalid, invalid_denial

REFUSALS = [Decision.UNAUTHENTICATED, Decision.NOT_FOUND, Decision.FORBIDDEN]
STATUS = {Decision.UNAUTHENTICATED: 401, Decision.NOT_FOUND: 404, Decision.FORBIDDEN: 403}


@pytest.mark.parametrize("channel", list(Channel))
@pytest.mark.parametrize("decision", REFUSALS)
def test_django_and_asgi_answers_agree(channel: Channel, decision: Decision) -> None:
    response = denied(decision, channel)
    status, headers, body = asgi_reply(channel, denial(channel, decision))
    assert response.status_code == status == STATUS[decision] == decision.http_status
    raw = {k.decode(): v.decode() for k, v in headers}
    assert raw["content-type"].split(";")[0] == response["Content-Type"].split(";")[0]
    challenged = channel in (Channel.GIT, Channel.LFS) and status == 401
    assert ("www-authenticate" in raw) is challenged
    assert response.has_header("WWW-Authenticate") is challenged
    if channel in (Channel.HUB, Channel.API):
        code = "RepoNotFound" if status in (401, 404) else None
        assert raw.get("x-error-code") == code and response.get("X-Error-Code") == code
        assert json.loads(body)["error"] == json.loads(response.content)["error"]
    if channel is Channel.LFS:
        assert json.loads(body)["message"] == json.loads(response.content)["message"]


def test_a_private_repository_looks_missing_on_the_hub() -> None:
    hidden = denial(Channel.HUB, Decision.NOT_FOUND)
    anonymous = denial(Channel.HUB, Decision.UNAUTHENTICATED)
    assert (hidden.message, hidden.code) == (anonymous.message, anonymous.code)


def test_bad_credentials_are_a_401_everywhere() -> None:
    exc = InvalidCredentials("malformed basic credentials")
    assert invalid(Channel.HUB).status_code == 401
    assert invalid_denial(Channel.HUB, exc).message == "Invalid credentials in Authorization header"
    assert invalid_denial(Channel.GIT, exc).message == "malformed basic credentials"
    assert invalid(Channel.LFS, exc)["LFS-Authenticate"].startswith("Basic")
