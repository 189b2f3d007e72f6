"""``/api/v1/`` follows, watches, feeds and suggestions over HTTP: shapes, auth, CSRF, privacy."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from nbopen.accounts.services import token_create
from nbopen.orgs.services import org_create
from tests.search.corpus import push_readme
from tests.search.helpers import make_repo, make_user

pytestmark = pytest.mark.django_db


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.fixture
def setup(django_capture_on_commit_callbacks: Any) -> dict[str, Any]:
    with django_capture_on_commit_callbacks(execute=True):
        owner, fan, other = make_user("sa-owner"), make_user("sa-fan"), make_user("sa-other")
        org_create(name="sa-harbour", kind="university", owner=other)
        pub = make_repo(owner, "sa-owner", "harbour-crane", description="港口 起重机 调度")
        secret = make_repo(owner, "sa-owner", "harbour-secret", private=True, description="港口")
        hidden = make_repo(other, "sa-harbour", "harbour-hidden", private=True, description="港口")
        push_readme(pub, owner, "# crane\n")
        push_readme(secret, owner, "# secret\n")
        push_readme(hidden, other, "# hidden\n")
    return {
        "owner": owner,
        "fan": token_create(user=fan, scope="write").secret,
        "fan_read": token_create(user=fan, scope="read").secret,
        "owner_token": token_create(user=owner, scope="write").secret,
    }


def test_follow_roundtrip_and_lists(client: Client, setup: dict[str, Any]) -> None:
    fan = bearer(setup["fan"])
    assert client.get("/api/v1/follow/sa-owner", **fan).json() == {
        "name": "sa-owner", "kind": "user", "following": False, "followers": 0
    }  # fmt: skip
    data = client.put("/api/v1/follow/sa-owner", **fan).json()
    assert data["following"] is True and data["followers"] == 1
    assert client.post("/api/v1/follow/SA-HARBOUR", **fan).json()["kind"] == "org"
    followers = client.get("/api/v1/owners/sa-owner/followers").json()
    assert followers["total"] == 1 and followers["results"][0]["name"] == "sa-fan"
    following = client.get("/api/v1/users/sa-fan/following").json()
    assert [r["name"] for r in following["results"]] == ["sa-harbour", "sa-owner"]
    assert client.delete("/api/v1/follow/sa-owner", **fan).json()["following"] is False
    assert client.get("/api/v1/owners/sa-owner/followers").json()["total"] == 0


def test_follow_errors(client: Client, setup: dict[str, Any]) -> None:
    assert client.put("/api/v1/follow/sa-owner").status_code == 401
    assert client.put("/api/v1/follow/sa-owner", **bearer(setup["fan_read"])).status_code == 403
    assert client.put("/api/v1/follow/nobody-here", **bearer(setup["fan"])).status_code == 404
    own = client.put("/api/v1/follow/sa-owner", **bearer(setup["owner_token"]))
    assert own.status_code == 400 and "yourself" in own.json()["error"]
    assert client.patch("/api/v1/follow/sa-owner", **bearer(setup["fan"])).status_code == 405
    bad = client.get("/api/v1/owners/sa-owner/followers", {"per_page": "0"})
    assert bad.status_code == 400
    assert client.get("/api/v1/users/sa-harbour/following").status_code == 404
    assert client.get("/api/v1/follow/x", HTTP_AUTHORIZATION="Bearer nbo_wrong").status_code == 401


def test_session_writes_need_csrf(setup: dict[str, Any]) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(setup["owner"])
    assert browser.put("/api/v1/follow/sa-harbour").status_code == 403
    browser.get("/")  # sets the csrftoken cookie
    token = browser.cookies["csrftoken"].value
    response = browser.put("/api/v1/follow/sa-harbour", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200 and response.json()["following"] is True


def test_watch_respects_privacy(client: Client, setup: dict[str, Any]) -> None:
    fan, owner = bearer(setup["fan"]), bearer(setup["owner_token"])
    assert client.put("/api/v1/watch/sa-owner/harbour-secret", **fan).status_code == 404
    assert client.get("/api/v1/watch/sa-owner/harbour-secret").status_code == 401
    assert client.get("/api/v1/repos/sa-owner/harbour-secret/watchers", **fan).status_code == 404
    data = client.put("/api/v1/watch/sa-owner/harbour-crane", **fan).json()
    assert data == {"repo": "sa-owner/harbour-crane", "watching": True, "watchers": 1}
    assert client.put("/api/v1/watch/sa-owner/harbour-secret", **owner).json()["watchers"] == 1
    watchers = client.get("/api/v1/repos/sa-owner/harbour-crane/watchers").json()
    assert watchers["results"] == [{"name": "sa-fan"}]
    assert client.delete("/api/v1/watch/sa-owner/harbour-crane", **fan).json()["watchers"] == 0


def test_feeds_over_http_never_show_private_repositories(
    client: Client, setup: dict[str, Any]
) -> None:
    fan = bearer(setup["fan"])
    client.put("/api/v1/follow/sa-owner", **fan)
    client.put("/api/v1/follow/sa-harbour", **fan)
    for who in ({}, fan):
        repos = {r["repo"] for r in client.get("/api/v1/owners/sa-owner/events", **who).json()[
            "results"]}  # fmt: skip
        assert repos == {"sa-owner/harbour-crane"}
        org = client.get("/api/v1/owners/sa-harbour/events", **who).json()["results"]
        assert all(r["repo"] != "sa-harbour/harbour-hidden" for r in org)
    mine = client.get("/api/v1/owners/sa-owner/events", **bearer(setup["owner_token"])).json()
    assert "sa-owner/harbour-secret" in {r["repo"] for r in mine["results"]}
    dash = client.get("/api/v1/feed", **fan).json()["results"]
    assert {r["repo"] for r in dash if r["kind"] == "repo.push"} == {"sa-owner/harbour-crane"}
    assert client.get("/api/v1/feed").status_code == 401
    paged = client.get("/api/v1/feed", {"per_page": 1, "page": 2}, **fan).json()
    assert len(paged["results"]) == 1 and paged["page"] == 2


def test_suggest_is_prefix_matching_and_private(client: Client, setup: dict[str, Any]) -> None:
    typed = client.get("/api/v1/search/suggest", {"q": "harb"}).json()
    assert {r["id"] for r in typed["results"]} == {"sa-owner/harbour-crane", "sa-harbour"}
    ids = {r["id"] for r in client.get("/api/v1/search/suggest", {"q": "港口"}).json()["results"]}
    assert "sa-owner/harbour-crane" in ids
    assert not ids & {"sa-owner/harbour-secret", "sa-harbour/harbour-hidden"}
    own = client.get("/api/v1/search/suggest", {"q": "港口"}, **bearer(setup["owner_token"]))
    assert "sa-owner/harbour-secret" in {r["id"] for r in own.json()["results"]}
    first = client.get("/api/v1/search/suggest", {"q": "harbour-cr"}).json()["results"][0]
    assert first["url"] == "/sa-owner/harbour-crane" and first["type"] == "model"
    assert client.get("/api/v1/search/suggest", {"q": ""}).json()["results"] == []
    assert client.get("/api/v1/search/suggest", {"q": "x", "limit": "99"}).status_code == 400
    assert client.get("/api/v1/search/suggest", {"q": "x" * 300}).status_code == 400
