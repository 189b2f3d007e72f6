"""Issue 20 items 1, 4 and 5: bodies are refused before they are read (credentials first, then
the route's size limit, 413 in the channel's shape), cookie-authenticated API writes need the
CSRF token or a same-origin ``Origin``, and hostile input (NUL bytes, deep JSON, NaN sizes,
garbage git bodies) is a 4xx, never a 5xx."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.accounts import Browser, web_login
from tests.support.client import Response, api_create_repo, db_rows, request
from tests.support.live import LiveServer

pytestmark = pytest.mark.e2e

USER, OTHER = "lim-user", "lim-other"
GIB = 1 << 30


@pytest.fixture(scope="module")
def token(live: LiveServer) -> str:
    token = live.create_user(USER)
    api_create_repo(live, token, "m", type="model")
    api_create_repo(live, token, "d", type="dataset")
    api_create_repo(live, token, "c")
    return token


@pytest.fixture(scope="module")
def browser(live: LiveServer, token: str) -> Browser:
    live.create_user(OTHER)
    return web_login(live, OTHER)


def declared_only(
    live: LiveServer,
    method: str,
    path: str,
    length: int,
    headers: dict[str, str] | None = None,
    *,
    timeout: float = 20,
) -> Response:
    """Announce a ``length``-byte body, send none of it, and read the answer."""
    conn = http.client.HTTPConnection("127.0.0.1", live.port, timeout=timeout)
    try:
        conn.putrequest(method, path)
        for name, value in {"Content-Length": str(length), **(headers or {})}.items():
            conn.putheader(name, value)
        conn.endheaders()
        response = conn.getresponse()
        return Response(response.status, response.headers, response.read())
    finally:
        conn.close()


def chunked(
    live: LiveServer, method: str, path: str, size: int, headers: dict[str, str] | None = None
) -> Response:
    """Stream ``size`` bytes with chunked encoding (no Content-Length) and read the answer."""

    def blocks() -> Iterator[bytes]:
        left = size
        while left > 0:
            block = min(left, 256 * 1024)
            left -= block
            yield b"x" * block

    conn = http.client.HTTPConnection("127.0.0.1", live.port, timeout=30)
    try:
        conn.putrequest(method, path)
        conn.putheader("Transfer-Encoding", "chunked")
        for name, value in (headers or {}).items():
            conn.putheader(name, value)
        conn.endheaders()
        try:
            for block in blocks():
                conn.send(f"{len(block):x}\r\n".encode() + block + b"\r\n")
            conn.send(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before the end: read what it said
        response = conn.getresponse()
        return Response(response.status, response.headers, response.read())
    finally:
        conn.close()


def _tmp_files(live: LiveServer) -> list[str]:
    tmp = live.data_dir / "tmp"
    return sorted(p.name for p in tmp.iterdir()) if tmp.exists() else []


# --- 1. limits before work ------------------------------------------------------------------


def test_anonymous_commit_is_refused_before_its_body_is_read(live: LiveServer, token: str) -> None:
    """Observed: a 300 MiB anonymous commit POST wrote 282 MiB to $DATA/tmp, then 401."""
    before = _tmp_files(live)
    path = f"/api/models/{USER}/m/commit/main"
    response = declared_only(
        live, "POST", path, 300 << 20, {"Content-Type": "application/x-ndjson"}
    )
    assert response.status == 401, (response.status, response.body)
    assert response.headers["Content-Type"] == "application/json"
    response = chunked(live, "POST", path, 4 << 20, {"Content-Type": "application/x-ndjson"})
    assert response.status == 401
    assert [n for n in _tmp_files(live) if n not in before and n.startswith("commit-body")] == []


def test_commit_over_the_limit_is_413(live: LiveServer, token: str) -> None:
    response = declared_only(
        live,
        "POST",
        f"/api/models/{USER}/m/commit/main",
        100 * GIB,
        {"Content-Type": "application/x-ndjson", "Authorization": f"Bearer {token}"},
    )
    assert response.status == 413, (response.status, response.body)
    assert "error" in response.json()


@pytest.mark.parametrize(
    ("path", "shape"),
    [
        ("/api/repos/create", "error"),
        ("/api/validate-yaml", "error"),
        (f"/{USER}/c.git/info/lfs/objects/batch", "message"),
        ("/login", None),
        ("/signup", None),
        ("/no/such/page", None),
    ],
)
def test_declared_gib_body_is_413_before_reading(
    live: LiveServer, token: str, path: str, shape: str | None
) -> None:
    """Observed: ``Content-Length: 1 GiB`` was read instead of refused."""
    response = declared_only(live, "POST", path, GIB, {"Content-Type": "application/json"})
    assert response.status == 413, (path, response.status, response.body)
    if shape is not None:
        assert shape in json.loads(response.body)


@pytest.mark.parametrize("path", ["/v1/xorbs/default/" + "ab" * 32, "/v1/shards", "/v1/telemetry"])
def test_xet_cas_refuses_a_declared_oversize_body_before_reading(
    live: LiveServer, token: str, path: str
) -> None:
    """The CAS buffers bodies in memory and used to wait for (up to 74 MiB of) a body it
    would refuse; a declared 1 GiB is now 413 at once."""
    grant = json.loads(live.cli("xet", "token", f"{USER}/m", "--user", USER, "--write").stdout)
    response = declared_only(
        live,
        "POST",
        "/xet-cas" + path,
        GIB,
        {"Authorization": f"Bearer {grant['accessToken']}"},
        timeout=5,
    )
    assert response.status == 413, (response.status, response.body)
    assert "error" in response.json()


def test_streamed_body_over_the_limit_is_413(live: LiveServer, token: str) -> None:
    """Observed: ``POST /login`` with 200 MiB spooled 160 MiB to a temp file, then 403."""
    login = chunked(live, "POST", "/login", 3 << 20, {"Content-Type": "text/plain"})
    assert login.status == 413, (login.status, login.body[:200])
    api = chunked(
        live,
        "POST",
        "/api/repos/create",
        12 << 20,
        {"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    assert api.status == 413, (api.status, api.body[:200])
    assert api.json()["error"]
    assert request(live.url + "/healthz").status == 200


def test_20_mb_json_body_is_a_json_413(live: LiveServer, token: str) -> None:
    """Observed: answered by an HTML 400 (Django's RequestDataTooBig)."""
    big = json.dumps({"name": "huge20", "description": "x" * (20 << 20)}).encode()
    for path in ("/api/repos/create", "/api/validate-yaml", f"/api/models/{USER}/m/preupload/main"):
        response = request(
            live.url + path,
            "POST",
            body=big,
            headers={"Content-Type": "application/json"},
            token=token,
        )
        assert response.status == 413, (path, response.status, response.body[:200])
        assert response.headers["Content-Type"] == "application/json"
        assert response.json()["error"]
    assert not db_rows(live, "SELECT id FROM repos_repository WHERE name = %s", ("huge20",))


DEEP = b"[" * 100_000 + b"]" * 100_000
DEEP_OBJECT = b'{"a":' * 100_000 + b"1" + b"}" * 100_000


@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT], ids=["array", "object"])
@pytest.mark.parametrize("authed", [False, True], ids=["anonymous", "token"])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/repos/create"),
        ("DELETE", "/api/repos/delete"),
        ("PUT", f"/api/codes/{USER}/c/settings"),
        ("POST", "/api/validate-yaml"),
        ("POST", f"/{USER}/c.git/info/lfs/objects/batch"),
        ("POST", f"/api/models/{USER}/m/preupload/main"),
        ("POST", f"/api/models/{USER}/m/branch/deep"),
        ("POST", f"/api/models/{USER}/m/tag/deep"),
        ("POST", f"/api/models/{USER}/m/commit/main"),
        ("POST", f"/api/models/{USER}/m/paths-info/main"),
        ("POST", f"/api/v1/repos/{USER}/c/forks"),
        ("PUT", f"/api/v1/repos/{USER}/c/collaborators/{OTHER}"),
    ],
)
def test_100000_deep_json_is_4xx(
    live: LiveServer, token: str, method: str, path: str, authed: bool, body: bytes
) -> None:
    """Observed: RecursionError 500s, some before the auth check."""
    content_type = "application/x-ndjson" if path.endswith("/commit/main") else "application/json"
    response = request(
        live.url + path,
        method,
        body=body,
        headers={"Content-Type": content_type},
        token=token if authed else None,
    )
    assert 400 <= response.status < 500, (method, path, response.status, response.body[:300])


def _ndjson(*lines: Any) -> bytes:
    return b"\n".join(
        line if isinstance(line, bytes) else json.dumps(line).encode() for line in lines
    )


def test_nan_size_in_an_lfs_file_line_is_400(live: LiveServer, token: str) -> None:
    header = {"key": "header", "value": {"summary": "nan", "description": ""}}
    for size in (b"NaN", b"Infinity", b"-Infinity", b"1e400"):
        line = (
            b'{"key": "lfsFile", "value": {"path": "a.bin", "algo": "sha256", "oid": "'
            + b"0" * 64
            + b'", "size": '
            + size
            + b"}}"
        )
        response = request(
            f"{live.url}/api/models/{USER}/m/commit/main",
            "POST",
            body=_ndjson(header, line),
            headers={"Content-Type": "application/x-ndjson"},
            token=token,
        )
        assert 400 <= response.status < 500, (size, response.status, response.body)


@pytest.mark.parametrize(
    "body",
    [b"garbage", b"0000", b"00a0" + b"\xff" * 200, b"0032want " + b"0" * 40 + b"\n", b"\x00" * 64],
    ids=["text", "flush", "binary", "want", "nul"],
)
def test_garbage_receive_pack_body_is_4xx(live: LiveServer, token: str, body: bytes) -> None:
    for service in ("git-receive-pack", "git-upload-pack"):
        response = request(
            f"{live.url}/{USER}/c.git/{service}",
            "POST",
            body=body,
            headers={"Content-Type": f"application/x-{service}-request"},
            basic=token,
        )
        assert response.status < 500, (service, body, response.status, response.body)


# --- 5. NUL bytes in revisions and paths -----------------------------------------------------

NUL_ROUTES = [
    ("GET", f"/{USER}/m/resolve/main%00/README.md"),
    ("GET", f"/{USER}/m/resolve/main/READ%00ME.md"),
    ("HEAD", f"/{USER}/m/resolve/ma%00in/x"),
    ("GET", f"/datasets/{USER}/d/resolve/main/a%00b"),
    ("GET", f"/api/models/{USER}/m/tree/main%00"),
    ("GET", f"/api/models/{USER}/m/tree/main/a%00b"),
    ("GET", f"/api/datasets/{USER}/d/tree/ma%00in/x"),
    ("GET", f"/api/models/{USER}/m/revision/main%00"),
    ("GET", f"/api/models/{USER}/m/commits/main%00"),
    ("POST", f"/api/models/{USER}/m/paths-info/main%00"),
    ("DELETE", f"/api/models/{USER}/m/branch/x%00y"),
    ("DELETE", f"/api/models/{USER}/m/tag/x%00y"),
    ("POST", f"/api/models/{USER}/m/branch/x%00y"),
    ("POST", f"/api/models/{USER}/m/commit/main%00"),
    ("POST", f"/api/models/{USER}/m/preupload/main%00"),
    ("GET", f"/api/models/{USER}/m/xet-read-token/main%00"),
    ("GET", f"/api/v1/models/{USER}/m/repo/tree?Revision=main%00&Root="),
    ("GET", f"/api/v1/models/{USER}/m/repo/tree?Revision=main&Root=a%00"),
    ("GET", f"/api/v1/models/{USER}/m/repo/files?Revision=main%00"),
    ("GET", f"/api/v1/models/{USER}/m/repo?Revision=main&FilePath=a%00b"),
    ("GET", f"/{USER}/m/tree/main%00"),
    ("GET", f"/{USER}/m/blob/main/a%00b"),
    ("GET", f"/{USER}/m%00.git/info/refs?service=git-upload-pack"),
    ("GET", f"/api/models/{USER}%00/m"),
]


@pytest.mark.parametrize("authed", [False, True], ids=["anonymous", "token"])
@pytest.mark.parametrize(("method", "path"), NUL_ROUTES)
def test_nul_in_revisions_and_paths_is_4xx(
    live: LiveServer, token: str, method: str, path: str, authed: bool
) -> None:
    response = request(
        live.url + path,
        method,
        body=b'{"paths": ["a\\u0000b"]}' if method == "POST" else None,
        headers={"Content-Type": "application/json"} if method == "POST" else None,
        token=token if authed else None,
    )
    assert 400 <= response.status < 500, (method, path, response.status, response.body[:300])


def test_nul_in_request_bodies_is_4xx(live: LiveServer, token: str) -> None:
    for path, body, content_type in (
        (
            f"/api/models/{USER}/m/paths-info/main",
            b"paths=a%00b&expand=true",
            "application/x-www-form-urlencoded",
        ),
        (f"/api/models/{USER}/m/paths-info/main", b'{"paths": ["a\\u0000b"]}', "application/json"),
        (
            f"/api/models/{USER}/m/preupload/main",
            b'{"files": [{"path": "a\\u0000b", "size": 1, "sample": ""}]}',
            "application/json",
        ),
    ):
        response = request(
            live.url + path, "POST", body=body, headers={"Content-Type": content_type}, token=token
        )
        assert response.status < 500, (path, body, response.status, response.body[:300])


# --- 4. cross-site writes with the session cookie -------------------------------------------


def _cookie_post(
    browser: Browser, path: str, body: bytes, headers: dict[str, str], method: str = "POST"
) -> Response:
    return request(
        browser.live.url + path,
        method,
        body=body,
        headers={"Cookie": browser.cookie_header(), **headers},
    )


CROSS_SITE = {"Origin": "http://evil.example", "Content-Type": "text/plain"}


def test_cross_site_cookie_writes_are_refused(
    live: LiveServer, token: str, browser: Browser
) -> None:
    """Observed: create, fork and like succeeded with only the cookie from another origin."""
    create = json.dumps({"name": "csrf-made", "type": "code", "visibility": "public"}).encode()
    for path, body in (
        ("/api/repos/create", create),
        (f"/api/v1/repos/{USER}/c/forks", b"{}"),
        (f"/api/models/{USER}/m/like", b""),
    ):
        for headers in (
            CROSS_SITE,
            {"Content-Type": "text/plain"},  # no Origin, no Referer, no token
            {"Referer": "http://evil.example/page", "Content-Type": "text/plain"},
            {"Origin": f"http://127.0.0.1:{live.port + 1}", "Content-Type": "text/plain"},
            {**CROSS_SITE, "X-CSRFToken": "forged-token-value-forged-token-value-xx"},
        ):
            response = _cookie_post(browser, path, body, headers)
            assert response.status == 403, (path, headers, response.status, response.body[:300])
            assert response.json()["error"]
    assert not db_rows(live, "SELECT id FROM repos_repository WHERE name = %s", ("csrf-made",))
    forks = request(f"{live.url}/api/v1/repos/{USER}/c/forks", token=token)
    assert forks.status == 200
    assert OTHER not in forks.body.decode()


def test_same_origin_or_token_cookie_writes_work(
    live: LiveServer, token: str, browser: Browser
) -> None:
    same_origin = {"Origin": live.url, "Content-Type": "application/json"}
    like = _cookie_post(browser, f"/api/models/{USER}/m/like", b"", same_origin)
    assert like.status < 300, (like.status, like.body)
    with_token = {"X-CSRFToken": browser.cookies["csrftoken"], "Content-Type": "application/json"}
    unlike = _cookie_post(browser, f"/api/models/{USER}/m/like", b"", with_token, "DELETE")
    assert unlike.status < 300, (unlike.status, unlike.body)
    referer = {"Referer": live.url + "/new", "Content-Type": "application/json"}
    create = json.dumps({"name": "csrf-ok", "type": "code", "visibility": "public"}).encode()
    made = _cookie_post(browser, "/api/repos/create", create, referer)
    assert made.status == 200, (made.status, made.body)


def test_token_requests_ignore_the_origin(live: LiveServer, token: str) -> None:
    response = request(
        f"{live.url}/api/models/{USER}/m/like", "POST", headers=CROSS_SITE, token=token
    )
    assert response.status < 300, (response.status, response.body)


# --- found by the fuzzers (tests/e2e/test_fuzz.py) -------------------------------------------


def test_huge_page_numbers_are_400(live: LiveServer, token: str) -> None:
    """schemathesis: ``page=3552905243249581297841995776`` overflowed the SQL offset (500)."""
    for page in ("3552905243249581297841995776", "1000001", "0", "-1"):
        response = request(f"{live.url}/api/v1/feed?per_page=100&page={page}", token=token)
        assert response.status == 400, (page, response.status, response.body[:200])


def test_create_with_a_non_string_visibility_is_400(live: LiveServer, token: str) -> None:
    """schemathesis: ``"visibility": {…}`` was hashed into a set (TypeError, 500)."""
    for visibility in ({"a": 1}, ["public"], 1, True):
        response = request(
            f"{live.url}/api/repos/create",
            "POST",
            json_body={"name": "vis-odd", "type": "code", "visibility": visibility},
            token=token,
        )
        assert response.status == 400, (visibility, response.status, response.body[:200])
    assert not db_rows(live, "SELECT id FROM repos_repository WHERE name = %s", ("vis-odd",))
