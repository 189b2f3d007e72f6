"""Editing in the browser (new file, edit, conflict, rename, new branch, delete) and revision
archives, driven through chromium in Chinese and English against the live server."""

from __future__ import annotations

import base64
import io
import json
import re
import subprocess
import tarfile
import urllib.request
import zipfile
from pathlib import Path

from playwright.sync_api import Browser, Page

from tests.support.accounts import password_of, web_login
from tests.support.client import request
from tests.support.live import LiveServer
from tests.web.conftest import Recorder, create_repo, new_context, sign_up, upload


def _api_commit(live: LiveServer, token: str, repo: str, files: dict[str, bytes]) -> None:
    """A commit on main through the Hub API (what another client does meanwhile)."""
    lines = [{"key": "header", "value": {"summary": "meanwhile, elsewhere"}}]
    for path, content in files.items():
        value = {"path": path, "content": base64.b64encode(content).decode(), "encoding": "base64"}
        lines.append({"key": "file", "value": value})
    done = request(
        f"{live.url}/api/models/{repo}/commit/main",
        "POST",
        body="\n".join(json.dumps(line) for line in lines).encode(),
        headers={"Content-Type": "application/x-ndjson"},
        token=token,
    )
    assert done.status == 200, (done.status, done.body)


def _raw(live: LiveServer, repo: str, rev_path: str) -> bytes:
    with urllib.request.urlopen(f"{live.url}/{repo}/raw/{rev_path}") as response:
        return bytes(response.read())


def _english(text: str) -> list[str]:
    """Runs of English words left on a Chinese page (paths and names are not words)."""
    return re.findall(r"\b[A-Za-z]{3,}(?: [A-Za-z]{3,})+\b", text)


def _commit(page: Page) -> None:
    page.click("#commit-button")
    page.wait_for_load_state()


def test_edit_in_chinese_with_conflict_rename_branch_and_delete(
    page: Page, live: LiveServer
) -> None:
    base = live.url
    repo = "editor/notes"
    sign_up(page, base, "editor")
    create_repo(page, base, owner="editor", name="notes", readme=True)

    # New file in folders that do not exist yet, with the default message.
    page.click("#new-file-link")
    assert _english(page.inner_text("#edit-page")) == []
    page.fill("#id_path", "docs/guide/intro.md")
    page.fill("#id_content", "# 你好\n\n第一版\n")
    _commit(page)
    page.wait_for_url(f"{base}/{repo}/blob/main/docs/guide/intro.md")
    assert "第一版" in page.inner_text("#file-body")
    assert "新建 intro.md" in page.inner_text(".last-commit")
    assert _raw(live, repo, "main/docs/guide/intro.md") == "# 你好\n\n第一版\n".encode()

    # Edit, while another client changes the branch: a conflict, nothing lost or overwritten.
    page.click("#edit-link")
    assert page.input_value("#id_content") == "# 你好\n\n第一版\n"
    page.click("#preview-button")  # rendered by the server's sanitiser, local script only
    assert page.wait_for_selector("#preview h1").inner_text() == "你好"  # type: ignore[union-attr]
    page.click("#preview-button")
    token = live.token("editor")
    _api_commit(live, token, repo, {"docs/guide/intro.md": "别人的修改\n".encode()})
    page.fill("#id_content", "# 你好\n\n第二版\n")
    page.fill("#id_summary", "写第二版")
    _commit(page)
    error = page.inner_text("#edit-error")
    assert "main" in error and "没有保存" in error, error
    assert _english(page.inner_text("#edit-page")) == []
    assert page.input_value("#id_content").replace("\r\n", "\n") == "# 你好\n\n第二版\n"
    assert _raw(live, repo, "main/docs/guide/intro.md") == "别人的修改\n".encode()
    # Saving again is a deliberate commit on top of the other change.
    _commit(page)
    page.wait_for_url(f"{base}/{repo}/blob/main/docs/guide/intro.md")
    assert _raw(live, repo, "main/docs/guide/intro.md") == "# 你好\n\n第二版\n".encode()
    assert "写第二版" in page.inner_text(".last-commit")

    # Rename/move.
    page.click("#rename-link")
    page.fill("#id_path", "docs/intro.md")
    _commit(page)
    page.wait_for_url(f"{base}/{repo}/blob/main/docs/intro.md")
    assert "重命名 intro.md" in page.inner_text(".last-commit")
    assert page.goto(f"{base}/{repo}/blob/main/docs/guide/intro.md").status == 404  # type: ignore[union-attr]

    # An edit committed to a new branch leaves main as it was.
    page.goto(f"{base}/{repo}/edit/main/docs/intro.md")
    page.fill("#id_content", "分支上的版本\n")
    page.check("input[name=target][value=new]")
    page.fill("#id_new_branch", "feature/草稿")
    _commit(page)
    page.wait_for_url(f"{base}/{repo}/blob/feature/%E8%8D%89%E7%A8%BF/docs/intro.md")
    assert _raw(live, repo, "feature/草稿/docs/intro.md".replace("草稿", "%E8%8D%89%E7%A8%BF")) == (
        "分支上的版本\n".encode()
    )
    assert _raw(live, repo, "main/docs/intro.md") == "# 你好\n\n第二版\n".encode()
    # The new branch grew from main's head: its history has main's commits.
    page.goto(f"{base}/{repo}/commits/feature/草稿")
    assert "写第二版" in page.inner_text("main")

    # Delete the file; the now-empty folder disappears with it.
    page.goto(f"{base}/{repo}/blob/main/docs/intro.md")
    page.click("#delete-link")
    _commit(page)
    page.wait_for_url(f"{base}/{repo}/tree/main")
    assert "docs" not in page.inner_text("#file-list")
    assert "删除 intro.md" in page.inner_text(".last-commit")


def test_english_folder_delete_reader_refused_and_archives(
    page: Page, browser: Browser, live: LiveServer, requests_seen: Recorder, tmp_path: Path
) -> None:
    base = live.url
    repo = "archivist/bundle"
    context = new_context(browser, requests_seen, locale="en-US")
    try:
        en = context.new_page()
        sign_up(en, base, "archivist")
        create_repo(en, base, owner="archivist", name="bundle", readme=True)
        weights = b"\0\1\2binary weights" * 1000
        upload(
            en,
            base,
            repo,
            [{"name": "model.bin", "mimeType": "application/octet-stream", "buffer": weights}],
            "weights",
        )
        en.goto(f"{base}/{repo}/blob/main/model.bin")
        assert en.locator("#edit-link").count() == 0  # LFS binary: no edit button, a note
        assert "cannot be edited" in en.inner_text("#no-edit-note")
        en.goto(f"{base}/{repo}/new/main/extra/deep")
        assert en.input_value("#id_path") == "extra/deep/"
        en.fill("#id_path", "extra/deep/a.txt")
        en.fill("#id_content", "a\n")
        _commit(en)
        en.wait_for_url(f"{base}/{repo}/blob/main/extra/deep/a.txt")
        assert "Create a.txt" in en.inner_text(".last-commit")
        # Refusals are explained and change nothing.
        for path, reason in (("README.md", "already exists"), ("x/.git/config", "not allowed")):
            en.goto(f"{base}/{repo}/new/main")
            en.fill("#id_path", path)
            en.fill("#id_content", "no\n")
            _commit(en)
            assert reason in en.inner_text("#edit-error"), path
            assert en.input_value("#id_content").replace("\r\n", "\n") == "no\n"
        en.goto(f"{base}/{repo}/tree/main/extra")
        assert "Upload files into this folder" in en.inner_text("#upload-link")
        en.click("#delete-folder-link")
        assert "Every file in this folder" in en.inner_text("#delete-warning")
        _commit(en)
        en.wait_for_url(f"{base}/{repo}/tree/main")
        assert "extra" not in en.inner_text("#file-list")
        assert "Delete extra" in en.inner_text(".last-commit")
        # A file .gitattributes routes through LFS is stored, and stays, in LFS when edited.
        en.goto(f"{base}/{repo}/edit/main/.gitattributes")
        rules = en.input_value("#id_content").replace("\r\n", "\n")
        en.fill("#id_content", rules + "*.json filter=lfs diff=lfs merge=lfs -text\n")
        _commit(en)
        en.goto(f"{base}/{repo}/new/main")
        en.fill("#id_path", "config.json")
        en.fill("#id_content", '{"layers": 2}\n')
        _commit(en)
        en.goto(f"{base}/{repo}/blob/main/config.json")
        en.click("#edit-link")
        assert en.locator("#lfs-note").count() == 1
        en.fill("#id_content", '{"layers": 3}\n')
        _commit(en)
        en.wait_for_url(f"{base}/{repo}/blob/main/config.json")
        assert "LFS" in en.inner_text(".file-head")
        create_repo(en, base, owner="archivist", name="vault", readme=True, private=True)
        create_repo(en, base, owner="archivist", name="tables", type_="dataset", readme=True)
        en.goto(f"{base}/{repo}")
        zip_href = en.get_attribute("#archive-zip", "href")
        tar_href = en.get_attribute("#archive-targz", "href")
    finally:
        context.close()

    # A reader sees no edit buttons, and the endpoints refuse them, GET or POST.
    sign_up(page, base, "bystander", password_of("bystander"))
    page.goto(f"{base}/{repo}/blob/main/README.md")
    for button in ("#edit-link", "#rename-link", "#delete-link"):
        assert page.locator(button).count() == 0, button
    page.goto(f"{base}/{repo}")
    assert page.locator("#new-file-link").count() == 0
    assert page.goto(f"{base}/{repo}/edit/main/README.md").status == 403  # type: ignore[union-attr]
    before = _raw(live, repo, "main/README.md")
    reader = web_login(live, "bystander")
    head = request(f"{base}/api/models/{repo}/revision/main").json()["sha"]
    form = {"path": "README.md", "content": "defaced\n", "target": "current", "base": head}
    for action in ("edit/main/README.md", "delete/main/README.md", "new/main"):
        refused = reader.post(f"/{repo}/{action}", {**form, "path": "x.txt"}, f"/{repo}")
        assert refused.status == 403, (action, refused.status)
    assert _raw(live, repo, "main/README.md") == before
    # The private repository's archive is a 404 to the reader and to anonymous visitors.
    assert reader.get("/archivist/vault/archive/main.zip").status == 404
    assert reader.get("/archivist/vault/edit/main/README.md").status == 404
    vault_head = {**form, "base": "0" * 40}
    assert reader.post("/archivist/vault/delete/main/README.md", vault_head, "/").status == 404
    assert request(f"{base}/archivist/vault/archive/main.tar.gz").status == 404
    assert request(f"{base}/{repo}/archive/main.rar").status == 404
    dataset = request(f"{base}/datasets/archivist/tables/archive/main.zip")
    assert dataset.status == 200, dataset.status
    with zipfile.ZipFile(io.BytesIO(dataset.body)) as zipped:
        assert "tables-main/README.md" in zipped.namelist()

    # The archives hold what git archive of a git-lfs clone holds: LFS content, not pointers.
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", f"{base}/{repo}", str(clone)], check=True)
    tar_bytes = subprocess.run(
        ["git", "archive", "--format=tar", "--prefix=bundle-main/", "HEAD"],
        cwd=clone,
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as tar:
        expected = {
            m.name: tar.extractfile(m).read()  # type: ignore[union-attr]
            for m in tar.getmembers()
            if m.isfile()
        }
    assert expected["bundle-main/model.bin"] == weights
    assert expected["bundle-main/config.json"] == b'{"layers": 3}\n'
    tracked = subprocess.run(
        ["git", "lfs", "ls-files", "-n"], cwd=clone, check=True, capture_output=True, text=True
    ).stdout.split()
    assert sorted(tracked) == ["config.json", "model.bin"]
    with urllib.request.urlopen(base + str(zip_href)) as response:
        assert response.headers["Content-Type"] == "application/zip"
        assert "bundle-main.zip" in response.headers["Content-Disposition"]
        with zipfile.ZipFile(io.BytesIO(response.read())) as archive:
            got = {n: archive.read(n) for n in archive.namelist() if not n.endswith("/")}
    assert got == expected
    with urllib.request.urlopen(base + str(tar_href)) as response:
        tar_gz = response.read()
    with tarfile.open(fileobj=io.BytesIO(tar_gz), mode="r:gz") as tar:
        got = {
            m.name: tar.extractfile(m).read()  # type: ignore[union-attr]
            for m in tar.getmembers()
            if m.isfile()
        }
    assert got == expected
