"""Short-lived signed URLs for transfers whose clients send no credentials.

The Hub client sends no Authorization header on LFS PUTs (and git-lfs only sends what the
batch response tells it to), so transfer URLs carry their own expiring HMAC signature.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping
from urllib.parse import urlencode

from nbopen.config.env import CONFIG


def _mac(fields: Mapping[str, str]) -> str:
    message = "\n".join(f"{k}={fields[k]}" for k in sorted(fields))
    key = hashlib.sha256(("nbopen-signed-url:" + CONFIG.secret_key).encode()).digest()
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def sign(fields: Mapping[str, str | int], *, ttl: int) -> str:
    """A query string carrying ``fields``, an expiry and their signature."""
    signed = {k: str(v) for k, v in fields.items()}
    signed["exp"] = str(int(time.time()) + ttl)
    signed["sig"] = _mac(signed)
    return urlencode(signed)


def verify(query: Mapping[str, str], expected: Mapping[str, str | int]) -> bool:
    """True when ``query`` is an unexpired signature over exactly ``expected`` (+ exp)."""
    sig = query.get("sig", "")
    exp = query.get("exp", "")
    if not exp.isdigit() or int(exp) < time.time():
        return False
    fields = {k: str(v) for k, v in expected.items()}
    fields["exp"] = exp
    if set(query) - {"sig"} != set(fields):
        return False
    if any(query[k] != v for k, v in fields.items()):
        return False
    return hmac.compare_digest(sig, _mac(fields))
