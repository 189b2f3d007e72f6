"""Small real clients for e2e tests: raw HTTP (never raising on 4xx), git, and a DB peek.

Tests assert exact statuses, so the HTTP helper returns every response instead of raising,
and git runs with the test's isolated identity (see ``tests/conftest.py``).
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import sqlite3
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.support.live import LiveServer


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def request(
    url: str,
    method: str = "GET",
    *,
    body: bytes | None = None,
    json_body: Any = None,
    headers: Mapping[str, str] | None = None,
    token: str | None = None,
    basic: str | None = None,
    timeout: float = 120,
    source: str | None = None,
) -> Response:
    """One HTTP request with http.client (no redirects, no exceptions for error statuses).

    ``token`` is sent as a Bearer token, ``basic`` as the password of HTTP Basic auth (what
    git credential helpers do).
    """
    parts = urlsplit(url)
    all_headers = dict(headers or {})
    if json_body is not None:
        body = json.dumps(json_body).encode()
        all_headers.setdefault("Content-Type", "application/json")
    if token is not None:
        all_headers["Authorization"] = f"Bearer {token}"
    if basic is not None:
        all_headers["Authorization"] = "Basic " + base64.b64encode(f"git:{basic}".encode()).decode(
            "ascii"
        )
    conn = http.client.HTTPConnection(
        parts.hostname or "127.0.0.1",
        parts.port,
        timeout=timeout,
        source_address=(source, 0) if source else None,
    )
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        # The server may answer (a 413, a 401) and close before reading the whole body.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            conn.request(method, target, body=body, headers=all_headers)
        response = conn.getresponse()
        return Response(response.status, response.headers, response.read())
    finally:
        conn.close()


def git(
    *args: str,
    cwd: Path | None = None,
    check: bool = True,
    env: Mapping[str, str] | None = None,
    timeout: float = 600,
) -> subprocess.CompletedProcess[str]:
    import os

    proc = subprocess.run(
        ["git", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"git {' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
        )
    return proc


def authed(live: LiveServer, token: str, path: str) -> str:
    """A git remote URL carrying ``token`` as the basic-auth password."""
    return live.url.replace("http://", f"http://git:{token}@", 1) + path


def api_create_repo(
    live: LiveServer,
    token: str,
    name: str,
    *,
    organization: str | None = None,
    private: bool = False,
    type: str = "code",
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": name,
        "type": type,
        "visibility": "private" if private else "public",
    }
    if organization:
        body["organization"] = organization
    response = request(live.url + "/api/repos/create", "POST", json_body=body, token=token)
    assert response.status == 200, (response.status, response.body)
    data: dict[str, Any] = response.json()
    return data


def db_rows(live: LiveServer, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Read the live server's database directly (SQLite file or its PostgreSQL database).

    ``sql`` uses ``%s`` placeholders; they are translated for SQLite.
    """
    url = live.env.get("NBOPEN_DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg

        with psycopg.connect(url.replace("postgres://", "postgresql://", 1)) as conn:
            return [tuple(row) for row in conn.execute(sql, params).fetchall()]  # type: ignore[arg-type]
    path = live.data_dir / "nbopen.sqlite3"
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        return [tuple(row) for row in conn.execute(sql.replace("%s", "?"), params).fetchall()]
    finally:
        conn.close()


def as_json(value: Any) -> Any:
    """JSON columns come back as text from SQLite and decoded from PostgreSQL."""
    return json.loads(value) if isinstance(value, str | bytes) else value


def git_path(live: LiveServer, repo_id: int) -> Path:
    """Where the server keeps repository ``repo_id`` (mirrors ``repos.models.git_path_for``)."""
    return live.data_dir / "git" / f"{repo_id % 256:02x}" / f"{repo_id}.git"
