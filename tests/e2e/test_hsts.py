"""Issue 20 item 10, "HSTS behind https": a deployment whose public URL is https (TLS ends at
a proxy in front, so NBopen itself sees plain http) tells browsers to stay on https and marks
its session and CSRF cookies Secure; one on plain http does neither."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from nbopen.config.env import CONFIG
from nbopen.hubapi.router import hsts_header
from tests.support.accounts import Browser, password_of
from tests.support.client import Response, request
from tests.support.live import LiveServer

pytestmark = pytest.mark.e2e

# A Django page, a Hub API route, and two raw ASGI routes (git and a file download).
PATHS = [
    "/login",
    "/api/models",
    "/hsts/m.git/info/refs?service=git-upload-pack",
    "/hsts/m/resolve/main/README.md",
]


@pytest.fixture(scope="module")
def https_live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = LiveServer(Path(tmp_path_factory.mktemp("https")))
    server.env["NBOPEN_PUBLIC_URL"] = f"https://127.0.0.1:{server.port}"
    server.env["NBOPEN_HSTS_SECONDS"] = "600"
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _cookies(response: Response) -> dict[str, str]:
    """Each Set-Cookie by name, with its attributes in lower case."""
    return {
        header.split("=", 1)[0]: header.lower()
        for header in response.headers.get_all("Set-Cookie") or []
    }


def _sign_in(live: LiveServer, user: str) -> tuple[Response, Response]:
    live.create_user(user)
    browser = Browser(live)
    form = browser.get("/login")
    signed_in = browser.post("/login", {"username": user, "password": password_of(user)}, "/login")
    assert signed_in.status == 302, (signed_in.status, signed_in.body[:300])
    return form, signed_in


@pytest.mark.once
def test_https_deployment_sends_hsts_and_secure_cookies(https_live: LiveServer) -> None:
    for path in PATHS:
        response = request(https_live.url + path)
        assert response.headers["Strict-Transport-Security"] == "max-age=600", path
    form, signed_in = _sign_in(https_live, "hsts-user")
    assert "; secure" in _cookies(form)["csrftoken"]
    assert "; secure" in _cookies(signed_in)["nbopen_session"]


def test_http_deployment_sends_neither(live: LiveServer) -> None:
    for path in PATHS:
        assert "Strict-Transport-Security" not in request(live.url + path).headers, path
    form, signed_in = _sign_in(live, "plain-http-user")
    assert "secure" not in _cookies(form)["csrftoken"]
    assert "secure" not in _cookies(signed_in)["nbopen_session"]


def test_hsts_seconds_zero_turns_it_off() -> None:
    https = dataclasses.replace(CONFIG, public_url="https://hub.example.org")
    assert hsts_header(dataclasses.replace(https, hsts_seconds=31536000)) == (
        b"strict-transport-security",
        b"max-age=31536000",
    )
    assert hsts_header(dataclasses.replace(https, hsts_seconds=0)) is None
    assert hsts_header(dataclasses.replace(https, public_url="http://hub.example.org")) is None
