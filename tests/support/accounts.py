"""Account chores for e2e tests that no single HTTP call does: a signed-in browser session
(through the real login form and its CSRF token), revoking a token from the web settings
page, and making a token expire now.
"""

from __future__ import annotations

import re
import subprocess
import sys
from http.cookies import SimpleCookie
from urllib.parse import urlencode

from tests.support.client import Response, request
from tests.support.live import LiveServer


def password_of(username: str) -> str:
    """The password ``LiveServer.create_user`` gives ``username``."""
    return f"pw-{username}-Secret9"


class Browser:
    """Just enough of a browser for forms: keeps cookies, posts with the CSRF token."""

    def __init__(self, live: LiveServer, source: str | None = None) -> None:
        self.live = live
        self.source = source  # the loopback address it sends from (None: the default)
        self.cookies: dict[str, str] = {}

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def _remember(self, response: Response) -> Response:
        for header in response.headers.get_all("Set-Cookie") or []:
            jar: SimpleCookie = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel.value:
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        return response

    def get(self, path: str) -> Response:
        headers = {"Cookie": self.cookie_header()} if self.cookies else {}
        return self._remember(request(self.live.url + path, headers=headers, source=self.source))

    def post(self, path: str, form: dict[str, str], referer: str) -> Response:
        body = urlencode({**form, "csrfmiddlewaretoken": self.cookies["csrftoken"]}).encode()
        headers = {
            "Cookie": self.cookie_header(),
            "Content-Type": "application/x-www-form-urlencoded",
            "Referer": self.live.url + referer,
        }
        return self._remember(
            request(self.live.url + path, "POST", body=body, headers=headers, source=self.source)
        )


def web_login(live: LiveServer, username: str) -> Browser:
    """A browser signed in through ``/login`` (the form, its CSRF cookie and token)."""
    browser = Browser(live)
    form = browser.get("/login")
    assert form.status == 200, form.status
    signed_in = browser.post(
        "/login", {"username": username, "password": password_of(username)}, "/login"
    )
    assert signed_in.status == 302, (signed_in.status, signed_in.body[:300])
    mine = browser.get("/settings/tokens")
    assert mine.status == 200, ("not signed in", mine.status)
    return browser


def web_revoke_token(browser: Browser, secret: str) -> None:
    """Revoke the token ``secret`` of the signed-in user from /settings/tokens, like a user."""
    page = browser.get("/settings/tokens")
    assert page.status == 200, page.status
    # Each row shows the token's prefix, then (if live) its revoke form.
    rows = re.findall(
        r'<code class="muted">([^<]*?)…</code>.*?/settings/tokens/(\d+)/revoke',
        page.body.decode(),
        re.S,
    )
    matches = [token_id for prefix, token_id in rows if prefix and secret.startswith(prefix)]
    assert len(matches) == 1, (rows, "no single live token row for this secret")
    revoked = browser.post(f"/settings/tokens/{matches[0]}/revoke", {}, "/settings/tokens")
    assert revoked.status == 302, revoked.status


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
