"""A hostile README cannot run script, attach handlers or smuggle javascript: links."""

from __future__ import annotations

import urllib.request

from playwright.sync_api import Page

from tests.support.live import LiveServer
from tests.web.conftest import create_repo, sign_up, upload

HOSTILE = b"""# Innocent model

<script>window.__pwned = 1; alert('script')</script>
<img src="nothing.png" onerror="window.__pwned = 2; alert('onerror')">
<img src="https://tracker.example.com/pixel.gif" alt="tracker">
<a id="js1" href="javascript:window.__pwned=3">click me</a>
<a id="js2" href="JaVaScRiPt:window.__pwned=4">or me</a>
<div onmouseover="window.__pwned=5" style="position:fixed;inset:0">cover</div>
<svg onload="window.__pwned=6"></svg>
<iframe src="javascript:parent.__pwned=7"></iframe>
<details open ontoggle="window.__pwned=8">x</details>

[markdown link](javascript:window.__pwned=9)
"""

EVIL_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'
)
PAGE_SCRIPT = b"<html><body><script>parent.__pwned = 10; alert('raw')</script></body></html>"


def test_hostile_readme_renders_inert(page: Page, live: LiveServer) -> None:
    base = live.url
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_up(page, base, "mallory")
    create_repo(page, base, owner="mallory", name="innocent", type_="model")
    upload(
        page,
        base,
        "mallory/innocent",
        [
            {"name": "README.md", "mimeType": "text/markdown", "buffer": HOSTILE},
            {"name": "evil.html", "mimeType": "text/html", "buffer": PAGE_SCRIPT},
            {
                "name": "evil.svg",
                "mimeType": "image/svg+xml",
                "buffer": EVIL_SVG,
            },
        ],
        "hostile",
    )
    page.goto(f"{base}/mallory/innocent")
    readme = page.locator("#readme .markdown")
    assert readme.locator("h1").inner_text() == "Innocent model"
    page.hover("#readme .markdown")
    page.wait_for_timeout(300)
    assert readme.locator("script, iframe, svg, object, embed").count() == 0
    handlers = page.evaluate(
        """() => [...document.querySelectorAll('#readme *')].flatMap(el =>
            [...el.attributes].map(a => a.name).filter(n => n.startsWith('on') || n === 'style'))"""
    )
    assert handlers == []
    hrefs = page.evaluate(
        "() => [...document.querySelectorAll('#readme a')].map(a => a.getAttribute('href'))"
    )
    assert not [h for h in hrefs if h and "javascript" in h.lower()]
    # Clicking the former javascript: links does nothing.
    page.click("#readme a:text('click me')")
    page.goto(f"{base}/mallory/innocent")
    assert page.evaluate("() => window.__pwned === undefined")
    assert dialogs == []

    # Raw files are served so that they cannot run in our origin.
    page.goto(f"{base}/mallory/innocent/raw/main/evil.html")
    assert page.evaluate("() => document.querySelector('script') === null")  # shown as text
    page.goto(f"{base}/mallory/innocent/raw/main/evil.svg")
    page.wait_for_timeout(200)
    assert dialogs == []
    with urllib.request.urlopen(f"{base}/mallory/innocent/raw/main/evil.html") as response:
        assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert response.headers["Content-Security-Policy"].startswith("sandbox")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    with urllib.request.urlopen(f"{base}/mallory/innocent/raw/main/evil.html?download=1") as r:
        assert r.headers["Content-Disposition"].startswith("attachment")


def test_pages_carry_security_headers(live: LiveServer) -> None:
    with urllib.request.urlopen(live.url + "/login") as response:
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "'unsafe-inline'" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        cookies = response.headers.get_all("Set-Cookie") or []
        assert cookies and all("HttpOnly" in c and "SameSite=Lax" in c for c in cookies)


def test_forms_require_csrf(live: LiveServer) -> None:
    request = urllib.request.Request(
        live.url + "/signup",
        data=b"username=csrfless&email=c%40example.org&password=Str0ng-pass-phrase",
        method="POST",
    )
    try:
        urllib.request.urlopen(request)
        raise AssertionError("a POST without a CSRF token was accepted")
    except urllib.error.HTTPError as exc:
        assert exc.code == 403
