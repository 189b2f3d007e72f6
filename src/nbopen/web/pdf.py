"""HTML → PDF with the server's headless chromium, when one is installed.

Why a file and not a URL: chromium must not fetch the page back from this server (it would
need the viewer's session to see what they see). The report page is rendered for the viewer,
its stylesheets and scripts are inlined (a ``file://`` page has no ``/static/``), and chromium
prints that file offline with JavaScript given a few seconds of virtual time to draw charts.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

STATIC = Path(__file__).resolve().parent / "static"
TIMEOUT_SECONDS = 60
# A4 less the 12 mm margins of insights.css's ``@page``, in CSS pixels (96 per inch): the page
# is laid out and its charts drawn at the width they will be printed at, so nothing is cut.
A4_CONTENT_WIDTH_PX = 703
A4_CONTENT_HEIGHT_PX = 1032
# A chromium per request is heavy: one at a time, others are told to retry.
_slot = threading.BoundedSemaphore(1)


class Busy(Exception):
    """Another report is being printed."""


_ASSET = re.compile(
    r'<link rel="stylesheet" href="/static/(?P<css>[^"]+)">'
    r'|<script src="/static/(?P<js>[^"]+)"(?: defer)?></script>'
)


def chromium() -> str | None:
    found = os.environ.get("NBOPEN_CHROMIUM") or shutil.which("chromium")
    if found:
        return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def available() -> bool:
    return chromium() is not None


def _inline(html: str) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group("css") or match.group("js")
        path = (STATIC / name).resolve()
        if not path.is_relative_to(STATIC) or not path.is_file():
            return ""
        text = path.read_text(encoding="utf-8")
        if match.group("css"):
            return f"<style>{text}</style>"
        return "<script>" + text.replace("</script", "<\\/script") + "</script>"

    return _ASSET.sub(replace, html)


def render(html: str) -> bytes:
    """The PDF of ``html`` (a page of this site)."""
    binary = chromium()
    if binary is None:
        raise RuntimeError("chromium is not installed")
    if not _slot.acquire(blocking=False):
        raise Busy
    try:
        return _print(binary, html)
    finally:
        _slot.release()


def _print(binary: str, html: str) -> bytes:
    with tempfile.TemporaryDirectory(prefix="nbopen-pdf-") as tmp:
        source = Path(tmp) / "report.html"
        target = Path(tmp) / "report.pdf"
        source.write_text(_inline(html), encoding="utf-8")
        subprocess.run(
            [
                binary,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-pdf-header-footer",
                f"--window-size={A4_CONTENT_WIDTH_PX},{A4_CONTENT_HEIGHT_PX}",
                f"--user-data-dir={tmp}/profile",
                "--virtual-time-budget=5000",
                # Offline: the page has everything inlined; nothing may be fetched.
                "--proxy-server=127.0.0.1:9",
                "--proxy-bypass-list=<-loopback>",
                f"--print-to-pdf={target}",
                source.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=TIMEOUT_SECONDS,
        )
        return target.read_bytes()
