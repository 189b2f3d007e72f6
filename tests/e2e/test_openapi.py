"""The OpenAPI document (``/api/openapi.json``) is the contract of our own API.

Three checks, each able to fail on its own:
- the document is valid OpenAPI 3.1;
- every URL pattern Django routes under ``/api/repos/``, ``/api/v1/`` and ``/datasets-server/``
  is in it with every method its declaration lists (enumerated from Django's resolver here, not
  from the generator's own walk);
- real responses of a set of calls — successes and errors — validate against the schema the
  document declares for their status.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_spec

from nbopen.access.policy import Principal
from nbopen.accounts.models import User
from nbopen.accounts.services import token_create
from nbopen.hubapi.denials import Channel
from nbopen.hubapi.openapi import document, openapi_path
from nbopen.orgs.services import org_create
from nbopen.repos.models import Repository
from nbopen.repos.writes import commits
from tests.search.corpus import push_readme
from tests.search.helpers import make_repo, make_user

PREFIXES = ("/api/repos/", "/api/v1/", "/datasets-server/")


def _routes(
    patterns: list[URLPattern | URLResolver] | None = None, prefix: str = ""
) -> list[tuple[str, URLPattern]]:
    found: list[tuple[str, URLPattern]] = []
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        part = str(entry.pattern)
        if prefix and part.startswith("^"):
            part = part[1:]
        if isinstance(entry, URLResolver):
            found += _routes(entry.url_patterns, prefix + part)
        else:
            found.append((prefix + part, entry))
    return found


def test_the_document_is_valid_openapi() -> None:
    validate_spec(document())  # type: ignore[arg-type]


def test_every_route_of_our_api_is_documented() -> None:
    paths = document()["paths"]
    checked = 0
    missing = []
    for route, pattern in _routes():
        path, _ = openapi_path(route)
        declared = getattr(pattern.callback, "declaration", None)
        if not path.startswith(PREFIXES):
            continue
        if declared is not None and declared.channel is Channel.HUB:
            # Hub-compatible routes that live under /api/v1 (the ModelScope SDK's): declared
            # as such, documented in docs/hub-compat.md, not here.
            continue
        checked += 1
        if path not in paths or declared is None:
            missing.append(path)
            continue
        for method in declared.methods:
            assert method.lower() in paths[path], f"{method} {path} is not documented"
            assert paths[path][method.lower()]["summary"], f"{method} {path} has no summary"
    assert not missing, f"routes missing from /api/openapi.json: {missing}"
    assert checked >= 35  # the walk really saw our routes


# --- real calls against the declared schemas ---------------------------------------------


def _commit_file(repo: Repository, actor: User, name: str, data: bytes) -> None:
    commits.commit(
        repo=repo,
        actor=actor,
        branch=repo.default_branch,
        operations=[commits.AddBytes(name, data)],
        message="data",
    )


@pytest.fixture
def world(django_capture_on_commit_callbacks: Any) -> dict[str, Any]:
    with django_capture_on_commit_callbacks(execute=True):
        owner, fan = make_user("oa-owner"), make_user("oa-fan")
        admin = make_user("oa-admin", admin=True)
        org_create(name="oa-org", kind="university", owner=owner)
        model = make_repo(owner, "oa-owner", "harbour-model", description="港口 模型")
        push_readme(model, owner, "# harbour\n")
        make_repo(owner, "oa-owner", "harbour-secret", private=True)
        data = make_repo(owner, "oa-owner", "harbour-data", type="dataset")
        _commit_file(data, owner, "data.csv", b"id,name\n1,crane\n2,ship\n3,dock\n")
    return {
        "owner": {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=owner).secret}"},
        "fan": {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=fan).secret}"},
        "admin": {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=admin).secret}"},
        "principal": Principal(user=owner),
    }


def _operation(doc: dict[str, Any], method: str, url: str) -> dict[str, Any] | None:
    """The operation of ``method`` on ``url``; None if the path is documented without it."""
    path = url.split("?", 1)[0]
    for template, operations in doc["paths"].items():
        regex = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(regex, path):
            return operations.get(method)  # type: ignore[no-any-return]
    raise AssertionError(f"{path} is not in the document")


def _check(doc: dict[str, Any], response: Any, method: str, url: str) -> None:
    operation = _operation(doc, method, url)
    status = str(response.status_code)
    if operation is None:  # a method the route does not list: the generic error
        assert status == "405", f"{method.upper()} {url} is not in the document"
        operation = {"responses": {"default": _ERROR}}
    declared = operation["responses"].get(status)
    if declared is None:
        assert response.status_code >= 400, f"{method} {url}: undeclared status {status}"
        declared = operation["responses"]["default"]
    schema = declared.get("content", {}).get("application/json", {}).get("schema")
    if schema is None:
        return
    validator = Draft202012Validator({**schema, "components": doc["components"]})
    errors = sorted(validator.iter_errors(response.json()), key=lambda e: list(e.path))
    assert not errors, f"{method.upper()} {url} → {status}: " + "; ".join(
        f"{list(e.path)}: {e.message}" for e in errors[:5]
    )


_ERROR = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}

_KEY1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFfvl76p5qMA2mEProb+xt02qMd1Fm87+FfUUnpmhfOi"
_KEY2 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEGonD8yGaNASVDTTmEXq5LtY8t6USmL7zsa/uz9gpfJ"

CALLS: list[tuple[str, str, str | None, dict[str, Any] | None, int]] = [
    # (method, url, credentials, JSON body, expected status)
    ("post", "/api/repos/create", "owner", {"name": "oa-new"}, 200),
    ("delete", "/api/repos/delete", "owner", {"name": "oa-new"}, 200),
    ("get", "/api/v1/repos/oa-owner/harbour-model/forks", None, None, 200),
    ("post", "/api/v1/repos/oa-owner/harbour-model/forks", "fan", {}, 201),
    ("get", "/api/v1/repos/oa-owner/harbour-secret/forks", None, None, 401),
    ("get", "/api/v1/repos/oa-owner/harbour-secret/forks", "fan", None, 404),
    ("patch", "/api/v1/repos/oa-owner/harbour-model/forks", "owner", None, 405),
    ("put", "/api/v1/repos/oa-owner/harbour-model/collaborators/oa-fan", "owner",
     {"permission": "read"}, 201),
    ("get", "/api/v1/repos/oa-owner/harbour-model/collaborators", "owner", None, 200),
    # a pull mirror of loopback needs NBOPEN_MIRROR_ALLOW_ADDRESSES (tests/mirrors: the rest)
    ("put", "/api/v1/repos/oa-owner/oa-mirror/mirror", "owner",
     {"url": "http://127.0.0.1:9/x.git"}, 400),
    ("get", "/api/v1/repos/oa-owner/harbour-model/mirror", "owner", None, 404),
    ("post", "/api/v1/orgs/oa-org/teams", "owner", {"name": "crew"}, 201),
    ("get", "/api/v1/orgs/oa-org/teams", "owner", None, 200),
    ("get", "/api/v1/orgs/oa-org/teams/crew", "owner", None, 200),
    ("put", "/api/v1/orgs/oa-org/teams/crew/members/oa-owner", "owner", None, 200),
    ("get", "/api/v1/search?q=harbour", None, None, 200),
    ("get", "/api/v1/search?page=x", None, None, 400),
    ("get", "/api/v1/search/suggest?q=har", None, None, 200),
    ("get", "/api/v1/search/code?q=harbour&language=python", None, None, 200),
    ("get", "/api/v1/search/code?q=x&limit=0", None, None, 400),
    ("get", "/api/v1/libraries", None, None, 200),
    ("put", "/api/v1/follow/oa-owner", "fan", None, 200),
    ("get", "/api/v1/owners/oa-owner/followers", None, None, 200),
    ("get", "/api/v1/users/oa-fan/following", None, None, 200),
    ("put", "/api/v1/watch/oa-owner/harbour-model", "fan", None, 200),
    ("get", "/api/v1/repos/oa-owner/harbour-model/watchers", None, None, 200),
    ("get", "/api/v1/owners/oa-owner/events", None, None, 200),
    ("get", "/api/v1/feed", "fan", None, 200),
    ("get", "/api/v1/feed", None, None, 401),
    ("get", "/api/v1/analytics/city", None, None, 200),
    ("get", "/api/v1/analytics/orgs/oa-org", None, None, 200),
    ("get", "/api/v1/analytics/repos/oa-owner/harbour-model", None, None, 200),
    ("get", "/api/v1/analytics/value", None, None, 200),
    ("get", "/api/v1/analytics/registry", "admin", None, 200),
    ("get", "/datasets-server/is-valid?dataset=oa-owner/harbour-data", None, None, 200),
    ("get", "/datasets-server/splits?dataset=oa-owner/harbour-data", None, None, 200),
    ("get", "/datasets-server/first-rows?dataset=oa-owner/harbour-data&config=default"
     "&split=train", None, None, 200),
    ("get", "/datasets-server/rows?dataset=oa-owner/harbour-data&config=default&split=train",
     None, None, 200),
    ("get", "/datasets-server/parquet?dataset=oa-owner/harbour-data", None, None, 200),
    ("get", "/datasets-server/size?dataset=oa-owner/harbour-data", None, None, 200),
    ("get", "/datasets-server/info?dataset=oa-owner/harbour-data", None, None, 200),
    ("get", "/datasets-server/rows?dataset=oa-owner/nothing&config=a&split=b", None, None, 401),
    ("post", "/datasets-server/rows", None, None, 405),
    ("post", "/api/v1/user/keys", "owner", {"title": "laptop", "key": _KEY1}, 201),
    ("post", "/api/v1/user/keys", "owner", {"key": "ssh-ed25519 AAAAnotakey"}, 422),
    ("get", "/api/v1/user/keys", "owner", None, 200),
    ("get", "/api/v1/user/keys", None, None, 401),
    ("get", "/api/v1/user/keys/999999", "owner", None, 404),
    ("post", "/api/v1/repos/oa-owner/harbour-model/keys", "owner", {"key": _KEY2}, 201),
    ("get", "/api/v1/repos/oa-owner/harbour-model/keys", "owner", None, 200),
    ("get", "/api/v1/repos/oa-owner/harbour-secret/keys", "fan", None, 404),
    ("delete", "/api/v1/repos/oa-owner/harbour-model/keys/999999", "owner", None, 404),
    ("get", "/api/openapi.json", None, None, 200),
]  # fmt: skip


@pytest.mark.django_db
def test_real_responses_match_the_document(client: Client, world: dict[str, Any]) -> None:
    doc = document()
    for method, url, who, body, status in CALLS:
        extra = world[who] if who else {}
        kwargs: dict[str, Any] = {**extra}
        if body is not None:
            kwargs.update(data=body, content_type="application/json")
        response = getattr(client, method)(url, **kwargs)
        assert response.status_code == status, (method, url, response.content[:300])
        _check(doc, response, method, url)


@pytest.mark.django_db
def test_a_wrong_method_gets_405_with_allow(client: Client) -> None:
    response = client.patch("/api/v1/search")
    assert response.status_code == 405
    assert response["Allow"] == "GET"
    assert response.json()["error"] == "Use GET"


@pytest.mark.django_db
def test_the_docs_page_renders_offline(client: Client) -> None:
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/api/v1/repos/{owner}/{name}/forks" in html
    assert "<script" not in html and "http" not in html.split("<body>", 1)[0].replace(
        "http-equiv", ""
    ).replace("/static/", "")
