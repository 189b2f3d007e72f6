"""``GET /api/v1/search`` over HTTP: shape, credentials, filters, errors."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from nbopen.accounts.services import token_create
from tests.search.helpers import make_repo, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(django_capture_on_commit_callbacks: Any) -> dict[str, Any]:
    with django_capture_on_commit_callbacks(execute=True):
        owner = make_user("apiowner")
        make_repo(
            owner, "apiowner", "open-crane", description="港口 起重机 crane",
            card={"tags": ["ascend"], "license": "mit"},
        )  # fmt: skip
        make_repo(owner, "apiowner", "closed-crane", private=True, description="港口 crane")
    return {"token": token_create(user=owner, scope="read").secret}


def test_anonymous_search_shape(client: Client, setup: dict[str, Any]) -> None:
    response = client.get("/api/v1/search", {"q": "crane 港口"})
    assert response.status_code == 200
    data = response.json()
    assert data["total"] == 1
    (hit,) = data["results"]
    assert hit["type"] == "model" and hit["id"] == "apiowner/open-crane"
    assert {"title", "description", "score", "likes", "downloads", "updated_at"} <= set(hit)
    assert {f["value"]: f["count"] for f in data["facets"]["hardware"]} == {"ascend": 1}
    assert set(data["facets"]) >= {"type", "task", "license", "language", "hardware", "owner"}
    assert response["Cache-Control"] == "private, no-store"


def test_token_sees_own_private_repository(client: Client, setup: dict[str, Any]) -> None:
    auth = {"HTTP_AUTHORIZATION": f"Bearer {setup['token']}"}
    data = client.get("/api/v1/search", {"q": "crane"}, **auth).json()
    assert {r["id"] for r in data["results"]} == {"apiowner/open-crane", "apiowner/closed-crane"}
    assert data["total"] == 2


def test_filters_sort_and_paging(client: Client, setup: dict[str, Any]) -> None:
    q = {"q": "crane", "hardware": "ascend,cuda", "licence": "MIT", "type": "model"}
    assert client.get("/api/v1/search", q).json()["total"] == 1
    assert client.get("/api/v1/search", {**q, "hardware": "cuda"}).json()["total"] == 0
    data = client.get("/api/v1/search", {"q": "crane", "sort": "updated", "facets": "0"}).json()
    assert data["facets"] == {} and data["total"] == 1


@pytest.mark.parametrize(
    "params",
    [{"sort": "random"}, {"page": "x"}, {"type": "galaxy"}, {"colour": "red", "domain": ""}],
)
def test_bad_parameters_are_400(client: Client, params: dict[str, str]) -> None:
    response = client.get("/api/v1/search", params)
    if "colour" in params:  # unknown parameters are ignored, like everywhere on the web
        assert response.status_code == 200
    else:
        assert response.status_code == 400
        assert response.json()["error"]


def test_bad_token_is_401(client: Client) -> None:
    response = client.get("/api/v1/search", {"q": "x"}, HTTP_AUTHORIZATION="Bearer nbo_wrong")
    assert response.status_code == 401


def test_only_get(client: Client) -> None:
    assert client.post("/api/v1/search").status_code == 405
