"""Hostile names, malformed bodies and wrong protocols get a clear 4xx; nothing is created,
nothing crashes, and the CLI reports errors in one line."""

from __future__ import annotations

import gzip
import json
from urllib.parse import quote

import pytest

from tests.support.client import api_create_repo, db_rows, request
from tests.support.live import LiveServer

pytestmark = pytest.mark.e2e

USER, ORG = "bi-user", "bi-org"

HOSTILE_REPO_NAMES = [
    "..",
    ".",
    "../escape",
    "a/b/c",
    "/etc/passwd",
    "/abs",
    "a\x00b",
    "\x00",
    "x" * 200,
    "x" * 97,
    "model.git",
    "MODEL.GIT",
    "settings",
    "new",
    "ｍｏｄｅｌ",  # fullwidth letters: look like "model", are not ASCII
    "mоdel",  # Cyrillic o
    "name with space",
    "-leading-dash",
    ".hidden",
    "tab\tname",
    "new\nline",
    "a..b",
    "%2e%2e",
    "",
    " ",
]


@pytest.fixture(scope="module")
def token(live: LiveServer) -> str:
    token = live.create_user(USER)
    live.cli("org", "create", ORG, "--kind", "enterprise", "--owner", USER)
    api_create_repo(live, token, "good")
    return token


def _repo_count(live: LiveServer) -> int:
    return int(db_rows(live, "SELECT COUNT(*) FROM repos_repository")[0][0])


@pytest.mark.parametrize("name", HOSTILE_REPO_NAMES, ids=repr)
def test_hostile_repo_names_refused(live: LiveServer, token: str, name: str) -> None:
    before = _repo_count(live)
    for organization in (None, ORG):
        body: dict[str, object] = {"name": name, "type": "code"}
        if organization:
            body["organization"] = organization
        response = request(live.url + "/api/repos/create", "POST", json_body=body, token=token)
        assert response.status in {400, 404}, (name, response.status, response.body)
        assert response.json()["error"]
    assert _repo_count(live) == before
    git_root = live.data_dir / "git"
    assert all(p.name.removesuffix(".git").isdigit() for p in git_root.glob("*/*"))
    assert not list(live.data_dir.parent.glob("escape*"))


@pytest.mark.parametrize(
    "owner", ["..", "../..", "/", "a\x00", "ｂｉ-ｏｒｇ", "bi-org/..", "x" * 200, ""], ids=repr
)
def test_hostile_owner_names_refused(live: LiveServer, token: str, owner: str) -> None:
    before = _repo_count(live)
    response = request(
        live.url + "/api/repos/create",
        "POST",
        json_body={"name": "fine", "organization": owner, "type": "code"},
        token=token,
    )
    assert response.status in {400, 403, 404}, (owner, response.status, response.body)
    assert _repo_count(live) == before


@pytest.mark.parametrize(
    "path",
    [
        "/../../etc/passwd.git/info/refs?service=git-upload-pack",
        "/%2e%2e/%2e%2e.git/info/refs?service=git-upload-pack",
        "/bi-user/..%2f..%2fetc.git/info/refs?service=git-upload-pack",
        "/bi-user/%00.git/info/refs?service=git-upload-pack",
        quote("/ｂｉ-ｕｓｅｒ/good.git/info/refs") + "?service=git-upload-pack",
        "/bi-user/good.git/info/refs?service=git-upload-archive",
        "/bi-user/good.git/info/refs",
        "/bi-user/../bi-user/good.git/info/lfs/objects/batch",
        "/bi-user/good%00.git/info/lfs/objects/batch",
        "/api/codes/bi-user/good%00/settings",
        "/api/codes/%00/good/settings",
    ],
)
def test_hostile_git_paths(live: LiveServer, token: str, path: str) -> None:
    response = request(live.url + path, basic=token)
    assert 400 <= response.status < 500, (path, response.status, response.body)
    assert request(live.url + "/healthz").status == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/repos/create"),
        ("DELETE", "/api/repos/delete"),
        ("PUT", "/api/codes/bi-user/good/settings"),
    ],
)
@pytest.mark.parametrize(
    "body", [b"{", b"not json", b"\xff\xfe\x00", b"[1, 2]", b'"string"', b"null", b"{'a': 1}"]
)
def test_malformed_json_is_400(
    live: LiveServer, token: str, method: str, path: str, body: bytes
) -> None:
    response = request(
        live.url + path,
        method,
        body=body,
        headers={"Content-Type": "application/json"},
        token=token,
    )
    assert response.status == 400, (response.status, response.body)
    assert response.json()["error"]


def test_wrong_field_types_are_400(live: LiveServer, token: str) -> None:
    create = live.url + "/api/repos/create"
    for body in (
        {"name": 5},
        {"name": ["a"]},
        {"name": "ok-name", "organization": 3},
        {"name": "ok-name", "private": "yes"},
        {"name": "ok-name", "visibility": "secret"},
        {"name": "ok-name", "type": "space"},
        {"name": "ok-name", "type": ["code"]},
        {"name": "ok-name", "type": {"a": 1}},
    ):
        response = request(create, "POST", json_body=body, token=token)
        assert response.status == 400, (body, response.status, response.body)
    settings = live.url + "/api/codes/bi-user/good/settings"
    for body in (
        {"private": 1},
        {"visibility": 2},
        {"description": ["x"]},
        {"description": "a\x00"},
    ):
        response = request(settings, "PUT", json_body=body, token=token)
        assert response.status == 400, (body, response.status, response.body)


def test_over_large_json_body(live: LiveServer, token: str) -> None:
    limit = 10 * 1024 * 1024  # NBOPEN_MAX_JSON_BODY default
    big = json.dumps({"name": "huge", "description": "x" * (limit + 1024)}).encode()
    for method, path in (
        ("POST", "/api/repos/create"),
        ("PUT", "/api/codes/bi-user/good/settings"),
        ("POST", "/bi-user/good.git/info/lfs/objects/batch"),
    ):
        response = request(
            live.url + path,
            method,
            body=big,
            headers={"Content-Type": "application/json"},
            token=token,
        )
        assert response.status == 413, (path, response.status)
    assert request(live.url + "/healthz").status == 200
    assert not db_rows(live, "SELECT id FROM repos_repository WHERE name = %s", ("huge",))


def test_git_post_with_wrong_content_type_is_415(live: LiveServer, token: str) -> None:
    for service in ("git-upload-pack", "git-receive-pack"):
        for content_type in ("application/json", "text/plain", ""):
            headers = {"Content-Type": content_type} if content_type else {}
            response = request(
                f"{live.url}/bi-user/good.git/{service}",
                "POST",
                body=b"0000",
                headers=headers,
                basic=token,
            )
            assert response.status == 415, (service, content_type, response.status)
    response = request(
        f"{live.url}/bi-user/good.git/git-upload-pack",
        "POST",
        body=b"0000",
        headers={
            "Content-Type": "application/x-git-upload-pack-request",
            "Content-Encoding": "br",
        },
    )
    assert response.status == 415


def test_git_garbage_gzip_body_is_4xx(live: LiveServer, token: str) -> None:
    for service in ("git-upload-pack", "git-receive-pack"):
        for body in (b"this is not gzip at all", gzip.compress(b"0000")[:-6] + b"\x00" * 6):
            response = request(
                f"{live.url}/bi-user/good.git/{service}",
                "POST",
                body=body,
                headers={
                    "Content-Type": f"application/x-{service}-request",
                    "Content-Encoding": "gzip",
                },
                basic=token,
            )
            assert 400 <= response.status < 500, (service, body, response.status, response.body)
    assert request(live.url + "/healthz").status == 200


def test_git_wrong_methods(live: LiveServer, token: str) -> None:
    base = f"{live.url}/bi-user/good.git"
    assert request(base + "/info/refs?service=git-upload-pack", "POST", basic=token).status == 405
    assert request(base + "/git-upload-pack", "GET", basic=token).status == 405


def test_cli_errors_are_one_line(live: LiveServer, token: str) -> None:
    cases = [
        ("token", "create", "no-such-user"),
        ("user", "create", USER, "--email", "other@example.org", "--password", "pw-Secret-99x"),
        (
            "user",
            "create",
            USER.upper(),
            "--email",
            "o2@example.org",
            "--password",
            "pw-Secret-99x",
        ),
        ("user", "create", "..", "--email", "o3@example.org", "--password", "pw-Secret-99x"),
        ("user", "create", "api", "--email", "o4@example.org", "--password", "pw-Secret-99x"),
        ("user", "create", "bi-other", "--email", f"{USER}@example.org", "--password", "pw-X-99x1"),
        ("user", "create", "bi-other", "--email", "not-an-email", "--password", "pw-X-99x1"),
        ("user", "create", "bi-other", "--email", "x@example.org", "--password", "short"),
        ("org", "create", ORG, "--kind", "community", "--owner", USER),
        ("org", "create", USER, "--kind", "community", "--owner", USER),
        ("org", "create", "bi-org2", "--kind", "community", "--owner", "ghost"),
        ("org", "add-member", "no-such-org", USER, "--role", "read"),
        ("org", "add-member", ORG, "ghost", "--role", "read"),
    ]
    for args in cases:
        proc = live.cli(*args, check=False)
        assert proc.returncode != 0, args
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1, (args, proc.stderr)
        assert lines[0].startswith("nbopen: error: "), (args, proc.stderr)
        assert proc.stdout == "", args
    assert not db_rows(live, "SELECT id FROM accounts_user WHERE username = %s", ("bi-other",))


def test_delete_with_unknown_type_deletes_nothing(live: LiveServer, token: str) -> None:
    for body in (
        {"name": "good", "type": "space"},
        {"name": "good", "type": 7},
        {"name": "good", "type": ["code"]},
        {"name": "/good", "type": "code"},
        {"name": "good", "organization": "", "type": "code"},
    ):
        response = request(live.url + "/api/repos/delete", "DELETE", json_body=body, token=token)
        assert response.status == 400, (body, response.status, response.body)
    assert request(f"{live.url}/{USER}/good.git/info/refs?service=git-upload-pack").status == 200
