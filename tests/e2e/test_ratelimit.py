"""Rate limits and lockout (issue 20, item 6), against a real server with short windows.

Each test sends from its own loopback address where per-address counters would otherwise mix
(the server counts per client address): git from 127.0.0.1, the web login from 127.0.0.2,
the anonymous API budget from 127.0.0.3.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from huggingface_hub.utils import parse_ratelimit_headers

from tests.support.accounts import Browser, password_of
from tests.support.client import api_create_repo, authed, db_rows, git, request
from tests.support.live import LiveServer

LOCKOUT = 2


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = LiveServer(
        tmp_path_factory.mktemp("ratelimit"),
        env={
            "NBOPEN_AUTH_WINDOW": "30",
            "NBOPEN_AUTH_LOCKOUT": str(LOCKOUT),
            "NBOPEN_AUTH_ACCOUNT_LIMIT": "3",
            "NBOPEN_AUTH_IP_LIMIT": "4",
            "NBOPEN_API_BUDGET_ANONYMOUS": "5",
            "NBOPEN_API_BUDGET_TOKEN": "8",
            "NBOPEN_API_BUDGET_WINDOW": "120",
            "NBOPEN_AUDIT_REFUSAL_SAMPLE": "1",
        },
    ).start()
    try:
        yield server
    finally:
        server.stop()


def test_git_guesses_are_delayed_then_locked_out_with_a_readable_message(
    limited: LiveServer, tmp_path: Path
) -> None:
    token = limited.create_user("rl-git")
    api_create_repo(limited, token, "guarded", private=True)
    statuses = []
    for guess in range(8):
        done = git(
            "clone",
            authed(limited, f"wrong-{guess}", "/rl-git/guarded.git"),
            str(tmp_path / f"c{guess}"),
            check=False,
        )
        statuses.append(done.stderr)
        if "429" in done.stderr:
            break
        assert "Invalid credentials" in done.stderr or "Authentication failed" in done.stderr, (
            done.stderr
        )
    # A limit of 4 delays after the first failure: the third quick guess is already refused.
    assert len(statuses) == 3, statuses
    assert "429" in statuses[-1], statuses[-1]
    assert "Too many failed authentication attempts" in statuses[-1], statuses[-1]

    # The right token is refused as well while throttled, then works once the wait is over.
    refused = request(
        limited.url + "/rl-git/guarded.git/info/refs?service=git-upload-pack", basic=token
    )
    assert refused.status == 429
    wait = int(refused.headers["Retry-After"])
    assert 1 <= wait <= LOCKOUT
    time.sleep(wait + 0.2)
    git("clone", authed(limited, token, "/rl-git/guarded.git"), str(tmp_path / "ok"))

    # Refused requests reach the audit log (all of them here: the sample rate is 1).
    refused = db_rows(
        limited, "SELECT ip, detail FROM audit_auditentry WHERE action = %s", ["access.refused"]
    )
    # SQLite answers text; PostgreSQL an inet address and a decoded JSON object.
    details = [(str(ip), json.loads(d) if isinstance(d, str) else d) for ip, d in refused]
    assert any(ip == "127.0.0.1" and d.get("status") == 429 for ip, d in details), refused


def test_web_login_lockout_and_recovery(limited: LiveServer) -> None:
    limited.cli(
        "user", "create", "rl-web", "--email", "rl@example.org", "--password", password_of("rl-web")
    )
    browser = Browser(limited, source="127.0.0.2")
    assert browser.get("/login").status == 200

    def attempt(password: str) -> tuple[int, str, str | None]:
        reply = browser.post("/login", {"username": "rl-web", "password": password}, "/login")
        return reply.status, reply.body.decode(), reply.headers.get("Retry-After")

    # The same wrong password twice is one failure (a typo retyped, not a guess).
    assert attempt("typo")[0] == 200
    assert attempt("typo")[0] == 200
    assert attempt("guess-2")[0] == 200  # second failure: the next attempt must wait 1 s
    status, body, retry = attempt("guess-3")
    assert (status, retry) == (429, "1"), (status, retry)
    assert "登录失败次数过多" in body  # Chinese by default
    time.sleep(1.1)
    assert attempt("guess-3")[0] == 200  # third failure: locked out
    status, _, retry = attempt(password_of("rl-web"))  # even the right password
    assert status == 429 and retry is not None and 1 <= int(retry) <= LOCKOUT
    time.sleep(int(retry) + 0.2)
    assert attempt(password_of("rl-web"))[0] == 302
    assert browser.get("/settings/tokens").status == 200
    logged = db_rows(
        limited,
        "SELECT action FROM audit_auditentry WHERE actor_name = %s AND ip = %s ORDER BY id",
        ["rl-web", "127.0.0.2"],
    )
    assert [a for (a,) in logged] == [
        "user.login_failed",
        "user.login_failed",
        "user.login_failed",
        "user.login_throttled",
        "user.login_failed",
        "user.login_throttled",
        "user.login",
    ]


def test_api_budgets_send_the_hubs_headers(limited: LiveServer) -> None:
    anonymous = []
    for _ in range(6):
        anonymous.append(request(limited.url + "/api/models", source="127.0.0.3"))
    assert [r.status for r in anonymous] == [200] * 5 + [429]
    info = parse_ratelimit_headers(dict(anonymous[0].headers))
    assert info is not None and (info.limit, info.window_seconds, info.remaining) == (5, 120, 4)
    last = anonymous[-1]
    assert last.json()["error"].startswith("Rate limit reached")
    info = parse_ratelimit_headers(dict(last.headers))
    assert info is not None and info.remaining == 0
    assert int(last.headers["Retry-After"]) == info.reset_in_seconds

    # A token has its own budget; file downloads are not API calls and spend none of it.
    token = limited.create_user("rl-api")
    seen = request(limited.url + "/api/whoami-v2", token=token, source="127.0.0.3")
    assert seen.status == 200
    budget = parse_ratelimit_headers(dict(seen.headers))
    assert budget is not None and budget.limit == 8
    resolve = request(limited.url + "/rl-api/none/resolve/main/x", token=token)
    assert "RateLimit" not in resolve.headers


REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture(scope="module")
def on_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server whose counters live in Redis (the setting for several hosts, NBOPEN_REDIS_URL)."""
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    server = LiveServer(
        tmp_path_factory.mktemp("ratelimit-redis"),
        env={
            "NBOPEN_REDIS_URL": REDIS_URL,
            "NBOPEN_AUTH_WINDOW": "30",
            "NBOPEN_AUTH_LOCKOUT": str(LOCKOUT),
            "NBOPEN_AUTH_IP_LIMIT": "4",
            "NBOPEN_API_BUDGET_ANONYMOUS": "3",
            "NBOPEN_API_BUDGET_WINDOW": "120",
        },
    ).start()
    try:
        yield server
    finally:
        server.stop()
        client.flushdb()


def test_counters_in_redis_throttle_budgets_and_failures(on_redis: LiveServer) -> None:
    import redis

    statuses = [request(on_redis.url + "/api/models").status for _ in range(5)]
    assert statuses[:3] == [200, 200, 200] and statuses[3:] == [429, 429], statuses
    # A guesser from the same address is delayed, then refused, by the counters in Redis.
    guesses = [
        request(on_redis.url + "/api/whoami-v2", headers={"Authorization": f"Bearer nbo_x{n}"})
        for n in range(4)
    ]
    assert guesses[0].status == 401 and guesses[-1].status == 429, [g.status for g in guesses]
    assert int(guesses[-1].headers["Retry-After"]) >= 1
    keys = redis.Redis.from_url(REDIS_URL).keys("*nbopen:throttle:*")
    assert any(b"budget" in key for key in keys), keys
    assert len(keys) >= 2, keys  # the budget and the address's failures
