"""Failed-authentication throttling and API request budgets, shared by every channel.

Counters live in Django's cache (a file cache in the data dir, or Redis with
``NBOPEN_REDIS_URL``) so that every granian worker sees the same numbers. The cache's
``get``/``set`` are not atomic on the file backend: concurrent failures may be counted once
instead of twice, which loosens a limit by at most the number of parallel requests; Redis
counts exactly.

**Failed authentications** (a wrong password on ``/login``; an invalid token in an
``Authorization`` header on the API, the Hub, git or LFS) are counted per *subject*: the
account signed in to (passwords only: a token names no account, and a Basic username is
anything the client likes) and the client address. A subject with ``f`` failures is

* delayed once ``f`` passes a third of its limit: the next attempt must wait 1, 2, 4, … seconds
  after the last failure (the wait is asked for with 429 and ``Retry-After``, never slept on a
  server worker);
* locked out for ``NBOPEN_AUTH_LOCKOUT`` seconds when ``f`` reaches its limit
  (``NBOPEN_AUTH_ACCOUNT_LIMIT``, ``NBOPEN_AUTH_IP_LIMIT``); the right password is refused too
  meanwhile, so a lockout cannot be used to confirm a guess.

The same wrong secret presented again is counted once per window (as Azure AD's "smart
lockout" does): a client retrying with a stale token or a user retyping the same typo is not
guessing, and must not lock out every other user behind the same address. A guesser sends a
new secret each time and is counted each time. Counts are forgotten ``NBOPEN_AUTH_WINDOW``
seconds after the last failure; a successful sign-in forgets the account's.

**API budgets**: a fixed window of ``NBOPEN_API_BUDGET_WINDOW`` seconds with
``NBOPEN_API_BUDGET_TOKEN`` requests per token (or signed-in user) and
``NBOPEN_API_BUDGET_ANONYMOUS`` per anonymous address, reported the way the Hub does
(``RateLimit``/``RateLimit-Policy``, IETF draft 9, which ``huggingface_hub`` parses). Without
Redis, budgets are counted in append-only files next to the file cache (:func:`_append_count`),
exact and cheap enough for every API request.
"""

from __future__ import annotations

import hashlib
import math
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from django.core.cache import cache

from nbopen.config.env import CONFIG

_PREFIX = "nbopen:throttle:"


@dataclass(frozen=True)
class Subject:
    """Who failures are counted against: ``("account", name)`` or ``("ip", address)``."""

    kind: str
    value: str

    @property
    def limit(self) -> int:
        return CONFIG.auth_account_limit if self.kind == "account" else CONFIG.auth_ip_limit

    @property
    def key(self) -> str:
        digest = hashlib.sha256(self.value.lower().encode()).hexdigest()[:32]
        return f"{_PREFIX}{self.kind}:{digest}"


def subjects(*, ip: str | None, account: str | None = None) -> list[Subject]:
    found = [Subject("ip", ip)] if ip else []
    if account:
        found.append(Subject("account", account))
    return found


def _wait(record: dict[str, float], subject: Subject, now: float) -> float:
    """Seconds ``subject`` must still wait before its next attempt (0: none)."""
    locked_until = record.get("locked_until", 0.0)
    if locked_until > now:
        return locked_until - now
    failures = int(record.get("failures", 0))
    free = max(subject.limit // 3, 1)
    if failures <= free or failures >= subject.limit:
        return 0.0
    delay = min(2.0 ** (failures - free - 1), float(CONFIG.auth_lockout))
    return max(record.get("last", 0.0) + delay - now, 0.0)


def retry_after(found: list[Subject]) -> int | None:
    """Seconds the caller must wait before authenticating as ``found``, or None if it may now."""
    if not found:
        return None
    now = time.time()
    records = cache.get_many([s.key for s in found])
    wait = max((_wait(records.get(s.key) or {}, s, now) for s in found), default=0.0)
    return math.ceil(wait) if wait > 0 else None


def failed(found: list[Subject], *, secret: str) -> None:
    """Count a failed authentication with ``secret`` (only its hash is kept) against ``found``."""
    now = time.time()
    ttl = max(CONFIG.auth_window, CONFIG.auth_lockout) + 1
    fingerprint = hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest()[:32]
    for subject in found:
        if not cache.add(f"{subject.key}:seen:{fingerprint}", 1, CONFIG.auth_window):
            continue  # this secret already failed for this subject within the window
        record = cache.get(subject.key) or {}
        failures = int(record.get("failures", 0)) + 1
        record = {**record, "failures": failures, "last": now}
        if failures >= subject.limit:
            record["locked_until"] = now + CONFIG.auth_lockout
        cache.set(subject.key, record, ttl)


def succeeded(*, account: str) -> None:
    """A successful sign-in: the account's failures are forgotten (its address's are not, or
    an attacker with an account of their own could reset them)."""
    cache.delete(Subject("account", account).key)


@dataclass(frozen=True)
class Budget:
    """One caller's API budget in the current window."""

    quota: int
    used: int
    reset: int  # seconds until the window ends

    @property
    def remaining(self) -> int:
        return max(self.quota - self.used, 0)

    @property
    def exceeded(self) -> bool:
        return self.used > self.quota

    def headers(self) -> dict[str, str]:
        """The Hub's headers (``"api";r=…;t=…`` and ``"fixed window";"api";q=…;w=…``)."""
        return {
            "RateLimit": f'"api";r={self.remaining};t={self.reset}',
            "RateLimit-Policy": f'"fixed window";"api";q={self.quota};w={CONFIG.api_budget_window}',
        }


def spend(caller: str, *, authenticated: bool) -> Budget | None:
    """Count one API request of ``caller`` (a token hash, a user or an address); None when
    its kind of caller has no budget (``0``)."""
    quota = CONFIG.api_budget_token if authenticated else CONFIG.api_budget_anonymous
    window = CONFIG.api_budget_window
    if quota <= 0 or window <= 0:
        return None
    now = time.time()
    index = int(now // window)
    digest = hashlib.sha256(caller.encode()).hexdigest()[:32]
    if CONFIG.redis_url:
        key = f"{_PREFIX}budget:{digest}:{index}"
        cache.add(key, 0, window + 1)
        try:
            used = cache.incr(key)  # atomic on Redis
        except ValueError:  # expired between add and incr
            cache.set(key, 1, window + 1)
            used = 1
    else:
        used = _append_count(CONFIG.data_dir / "cache" / "budgets", index, digest)
    reset = max(math.ceil((index + 1) * window - now), 1)
    return Budget(quota=quota, used=used, reset=reset)


def _append_count(root: Path, index: int, digest: str) -> int:
    """One more request in window ``index`` of ``digest``, counted exactly across processes
    without a lock: each request appends one byte to the caller's file of the window
    (``O_APPEND`` writes do not interleave) and its size is the count. The file cache's
    read-modify-write cost a millisecond per request and lost counts under concurrency; this
    costs tens of microseconds. The first request of a window removes older windows."""
    folder = root / str(index)
    try:
        fd = os.open(folder / digest, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    except FileNotFoundError:
        folder.mkdir(parents=True, exist_ok=True)
        for old in root.iterdir():
            if old.name.isdigit() and int(old.name) < index:
                shutil.rmtree(old, ignore_errors=True)
        fd = os.open(folder / digest, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, b".")
        return os.fstat(fd).st_size
    finally:
        os.close(fd)
