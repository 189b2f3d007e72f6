"""A large file uploaded through the browser is stored with Git LFS and clones back intact."""

from __future__ import annotations

import hashlib
import os
import subprocess
import urllib.request
from pathlib import Path

from playwright.sync_api import Page

from tests.support.live import LiveServer
from tests.web.conftest import create_repo, sign_up, upload


def test_large_upload_becomes_lfs_and_round_trips(
    page: Page, live: LiveServer, tmp_path: Path
) -> None:
    base = live.url
    big = os.urandom(11 * 1024 * 1024)
    small = b"weights: see model.bin\n"
    sign_up(page, base, "uploader")
    create_repo(page, base, owner="uploader", name="big-model", type_="model")
    upload(
        page,
        base,
        "uploader/big-model",
        [
            {"name": "model.bin", "mimeType": "application/octet-stream", "buffer": big},
            {"name": "NOTES.txt", "mimeType": "text/plain", "buffer": small},
        ],
        "weights",
    )
    page.wait_for_url(f"{base}/uploader/big-model/tree/main")
    assert ".gitattributes" in page.inner_text("#file-list")

    # The file view resolves the pointer: LFS badge, real size, a working download.
    page.goto(f"{base}/uploader/big-model/blob/main/model.bin")
    head = page.inner_text(".file-head")
    assert "LFS" in head and "11.0" in head  # 11.0 MB, not the ~130-byte pointer
    href = page.get_attribute("#download-link", "href")
    with urllib.request.urlopen(base + str(href)) as response:
        assert hashlib.sha256(response.read()).hexdigest() == hashlib.sha256(big).hexdigest()
        assert response.headers["Content-Disposition"].startswith("attachment")

    # git + git-lfs see a normal LFS-tracked file.
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "-q", f"{base}/uploader/big-model", str(clone)],
        check=True,
        capture_output=True,
    )
    assert (clone / "model.bin").read_bytes() == big
    assert (clone / "NOTES.txt").read_bytes() == small
    listed = subprocess.run(
        ["git", "lfs", "ls-files", "-n"], cwd=clone, check=True, capture_output=True, text=True
    ).stdout.split()
    assert listed == ["model.bin"]
