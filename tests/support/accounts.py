"""Account chores for e2e tests that no single HTTP call does: a signed-in browser session
(through the real login form and its CSRF token), revoking a token from the web settings
page, and making a token expire now.
"""

from __future__ import annotations

import re
import subprocess
import sys

import requests

from tests.support.live import LiveServer


def password_of(username: str) -> str:
    """The password ``LiveServer.create_user`` gives ``username``."""
    return f"pw-{username}-Secret9"


def web_login(live: LiveServer, username: str) -> requests.Session:
    """A browser-like session signed in through ``/login`` (form + CSRF cookie)."""
    session = requests.Session()
    form = session.get(f"{live.url}/login", timeout=60)
    assert form.status_code == 200, form.status_code
    csrf = session.cookies["csrftoken"]
    signed_in = session.post(
        f"{live.url}/login",
        data={
            "username": username,
            "password": password_of(username),
            "csrfmiddlewaretoken": csrf,
        },
        headers={"Referer": f"{live.url}/login"},
        allow_redirects=False,
        timeout=60,
    )
    assert signed_in.status_code == 302, (signed_in.status_code, signed_in.text[:300])
    mine = session.get(f"{live.url}/settings/tokens", allow_redirects=False, timeout=60)
    assert mine.status_code == 200, ("not signed in", mine.status_code)
    return session


def cookie_header(session: requests.Session) -> str:
    return "; ".join(f"{name}={value}" for name, value in session.cookies.items())


def web_revoke_token(live: LiveServer, session: requests.Session, secret: str) -> None:
    """Revoke the token ``secret`` of the signed-in user from /settings/tokens, like a user."""
    page = session.get(f"{live.url}/settings/tokens", timeout=60)
    assert page.status_code == 200, page.status_code
    # Each row shows the token's prefix, then (if live) its revoke form.
    rows = re.findall(
        r'<code class="muted">([^<]*?)…</code>.*?/settings/tokens/(\d+)/revoke', page.text, re.S
    )
    matches = [token_id for prefix, token_id in rows if prefix and secret.startswith(prefix)]
    assert len(matches) == 1, (rows, "no single live token row for this secret")
    revoked = session.post(
        f"{live.url}/settings/tokens/{matches[0]}/revoke",
        data={"csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": f"{live.url}/settings/tokens"},
        allow_redirects=False,
        timeout=60,
    )
    assert revoked.status_code == 302, revoked.status_code


_EXPIRE = """
import os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nbopen.config.settings")
import django
django.setup()
from datetime import timedelta
from django.utils import timezone
from nbopen.accounts.models import AccessToken
from nbopen.accounts.services import token_authenticate
token = token_authenticate(sys.argv[1])
assert token is not None, "not a live token"
AccessToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
"""


def expire_token(live: LiveServer, secret: str) -> None:
    """Move the expiry of token ``secret`` into the past.

    No interface sets a past expiry (the CLI and the settings page take a positive number of
    days), so this runs the domain model against the live server's database, in a separate
    process with the server's own environment.
    """
    subprocess.run(
        [sys.executable, "-c", _EXPIRE, secret],
        env=live.env,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
