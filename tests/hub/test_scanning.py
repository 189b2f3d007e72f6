"""Upload scanning on the live server, seen through the real clients.

A pickle whose ``__reduce__`` calls ``os.system`` (never unpickled: the server only reads
its opcodes) is pushed with ``huggingface_hub`` (through hf_xet) and with git + git-lfs;
``get_paths_info`` and ``list_repo_tree`` with ``expand=True`` carry ``security`` as the
client parses it; the web file page warns; a safetensors file is reported safe. An
AWS-style key is refused on every channel when the owner blocks secrets, and accepted with
a warning when not. Results of a private repository stay private.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import time
import uuid
from pathlib import Path

import pytest
from huggingface_hub import CommitOperationAdd, HfApi
from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError

from tests.hub.conftest import Hub
from tests.support.accounts import Browser, web_login
from tests.support.client import authed, db_rows, git, request

KEY = "AKIAZ3MSJV4WWNKWW5FG"  # AWS access-key shaped, not a real key
SETTINGS = f'REGION = "cn-north-1"\naws_access_key_id = "{KEY}"\n'


class Evil:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("echo pwned",))


def _security(api: HfApi, repo_id: str, path: str, *, timeout: float = 30) -> object:
    """The file's ``security`` once its background scan is stored."""
    deadline = time.monotonic() + timeout
    while True:
        [info] = api.get_paths_info(repo_id, [path], expand=True)
        security = info.security  # type: ignore[union-attr]
        if security is not None and security["status"] != "queued":
            return security
        assert time.monotonic() < deadline, f"{path} still queued"
        time.sleep(0.2)


def test_pickle_scanned_from_hub_commit_and_git_lfs(hub: Hub, tmp_path: Path) -> None:
    repo_id = hub.repo_id("scan")
    hub.api.create_repo(repo_id)
    evil = pickle.dumps(Evil())
    hub.api.create_commit(
        repo_id,
        operations=[
            CommitOperationAdd("evil.pkl", evil),
            CommitOperationAdd("model.safetensors", b"\x08\0\0\0\0\0\0\0{}      " + b"\0" * 64),
        ],
        commit_message="weights",
    )
    # hf_xet uploaded the bytes to the Xet CAS; the commit named them by sha256.
    tree = request(f"{hub.url}/api/models/{repo_id}/tree/main", token=hub.token).json()
    assert "xetHash" in next(e for e in tree if e["path"] == "evil.pkl")
    security = _security(hub.api, repo_id, "evil.pkl")
    assert security["safe"] is False and security["status"] == "unsafe"  # type: ignore[index]
    scan = security["pickle_import_scan"]  # type: ignore[index]
    assert scan["highestSafetyLevel"] == "dangerous"
    assert {"module": os.system.__module__, "name": "system", "safety": "dangerous"} in (
        scan["imports"]
    )
    assert security["av_scan"] is None  # type: ignore[index]  # no ClamAV configured
    safe = _security(hub.api, repo_id, "model.safetensors")
    assert safe["safe"] is True and safe["pickle_import_scan"] is None  # type: ignore[index]
    status = hub.api.model_info(repo_id, securityStatus=True).security_repo_status
    assert status is not None and status["scansDone"] is True
    assert [(f["path"], f["level"]) for f in status["filesWithIssues"]] == [("evil.pkl", "unsafe")]
    listed = {f.path: f for f in hub.api.list_repo_tree(repo_id, expand=True)}
    assert listed["evil.pkl"].security["status"] == "unsafe"  # type: ignore[union-attr]
    assert [f.security for f in hub.api.list_repo_tree(repo_id)] == [None, None, None]

    # The web file page warns and names the import, in both languages.
    page = request(f"{hub.url}/{repo_id}/blob/main/evil.pkl", headers={"Accept-Language": "en"})
    body = page.body.decode()
    assert 'id="scan-warning"' in body and "system" in body and "dangerous" in body
    zh = request(f"{hub.url}/{repo_id}/blob/main/evil.pkl", headers={"Accept-Language": "zh-hans"})
    assert 'id="scan-warning"' in zh.body.decode() and "危险" in zh.body.decode()
    safe_page = request(f"{hub.url}/{repo_id}/blob/main/model.safetensors")
    assert 'id="scan-safe"' in safe_page.body.decode()

    # The same bytes pushed with git-lfs (a PyTorch-style name): scanned, found dangerous.
    clone = tmp_path / "clone"
    git("clone", "-q", authed(hub.live, hub.token, f"/{repo_id}"), str(clone))
    git("lfs", "track", "*.pt", cwd=clone)
    (clone / "checkpoint.pt").write_bytes(evil + b"\0" * 16)
    git("add", "-A", cwd=clone)
    git("commit", "-qm", "checkpoint", cwd=clone)
    git("push", "-q", "origin", "main", cwd=clone)
    [pt] = hub.api.get_paths_info(repo_id, ["checkpoint.pt"], expand=True)
    assert pt.lfs is not None  # type: ignore[union-attr]
    assert _security(hub.api, repo_id, "checkpoint.pt")["status"] == "unsafe"  # type: ignore[index]


def test_private_scan_results_stay_private(hub: Hub) -> None:
    repo_id = hub.repo_id("scan-private")
    hub.api.create_repo(repo_id, private=True)
    hub.api.upload_file(path_or_fileobj=pickle.dumps(Evil()), path_in_repo="x.pkl", repo_id=repo_id)
    assert _security(hub.api, repo_id, "x.pkl")["status"] == "unsafe"  # type: ignore[index]
    outsider = f"out{uuid.uuid4().hex[:6]}"
    other = HfApi(endpoint=hub.url, token=hub.live.create_user(outsider))
    for api in (other, HfApi(endpoint=hub.url, token=False)):
        with pytest.raises(RepositoryNotFoundError):
            api.get_paths_info(repo_id, ["x.pkl"], expand=True)
        with pytest.raises(RepositoryNotFoundError):
            list(api.list_repo_tree(repo_id, expand=True))
    assert request(f"{hub.url}/{repo_id}/blob/main/x.pkl").status == 404

    # One result per content: the bytes of x.pkl (an LFS file here, keyed by its sha256) were
    # scanned once for every repository holding them.
    [info] = hub.api.get_paths_info(repo_id, ["x.pkl"])
    assert info.lfs is not None  # type: ignore[union-attr]
    key = info.lfs.sha256  # type: ignore[union-attr]
    rows = db_rows(hub.live, "SELECT status FROM scanning_scanresult WHERE key = %s", [key])
    assert rows == [("unsafe",)]
    # The operator's backlog command finds nothing left to scan.
    done = hub.live.cli("scan", repo_id)
    assert json.loads(done.stdout) == {"repositories": 1, "scanned": 0}


def _set_block(browser: Browser, owner: str, block: bool) -> None:
    browser.get(f"/{owner}")
    form = {"owner": owner, **({"block": "1"} if block else {})}
    saved = browser.post("/settings/secret-scanning", form, f"/{owner}")
    assert saved.status == 302, saved.status
    page = browser.get(f"/{owner}").body.decode()
    assert (re.search(r'id="block-secrets"[^>]* checked', page) is not None) is block


def test_org_blocks_secrets_on_every_channel(hub: Hub, tmp_path: Path) -> None:
    org = f"sec{uuid.uuid4().hex[:6]}"
    hub.live.cli("org", "create", org, "--kind", "enterprise", "--owner", hub.user)
    repo_id = f"{org}/keys"
    hub.api.create_repo(repo_id)
    hub.api.upload_file(path_or_fileobj=b"# keys\n", path_in_repo="notes.md", repo_id=repo_id)

    # Off (the default): accepted, and reported with a warning.
    hub.api.upload_file(path_or_fileobj=SETTINGS.encode(), path_in_repo="a.py", repo_id=repo_id)
    security = _security(hub.api, repo_id, "a.py")
    assert security["status"] == "caution"  # type: ignore[index]
    page = request(f"{hub.url}/{repo_id}/blob/main/a.py", headers={"Accept-Language": "en"})
    assert 'id="scan-warning"' in page.body.decode() and "AWS Access Key" in page.body.decode()

    browser = web_login(hub.live, hub.user)
    _set_block(browser, org, True)
    # A Hub commit: refused with the file and line, never the key.
    with pytest.raises(HfHubHTTPError) as refused:
        hub.api.upload_file(
            path_or_fileobj=SETTINGS.encode(), path_in_repo="conf/b.py", repo_id=repo_id
        )
    message = str(refused.value)
    assert "conf/b.py:2 (AWS Access Key)" in message and KEY not in message
    assert refused.value.response.status_code == 400

    # A git push: refused by the pre-receive hook, with the same message.
    clone = tmp_path / "clone"
    git("clone", "-q", authed(hub.live, hub.token, f"/{repo_id}"), str(clone))
    (clone / "deploy.env").write_text(f"# deploy\n\nAWS_KEY={KEY}\n")
    git("add", "-A", cwd=clone)
    git("commit", "-qm", "deploy", cwd=clone)
    pushed = git("push", "origin", "main", cwd=clone, check=False)
    assert pushed.returncode != 0
    assert "deploy.env:3 (AWS Access Key)" in pushed.stderr and KEY not in pushed.stderr
    # A clean push still goes through.
    git("reset", "-q", "--hard", "HEAD~1", cwd=clone)
    (clone / "notes.txt").write_text("no keys here\n")
    git("add", "-A", cwd=clone)
    git("commit", "-qm", "notes", cwd=clone)
    git("push", "-q", "origin", "main", cwd=clone)

    # A web upload: refused with a translated message naming the file.
    upload_page = f"/{repo_id}/upload/main"
    browser.get(upload_page)
    refused_page = _web_upload(browser, upload_page, "c.py", SETTINGS.encode())
    assert "c.py:2 (AWS Access Key)" in refused_page and KEY not in refused_page
    files = {f.path for f in hub.api.list_repo_tree(repo_id, recursive=True)}
    assert {"conf/b.py", "deploy.env", "c.py"}.isdisjoint(files) and "notes.txt" in files

    # Off again: the same push is accepted.
    _set_block(browser, org, False)
    hub.api.upload_file(
        path_or_fileobj=SETTINGS.encode(), path_in_repo="conf/b.py", repo_id=repo_id
    )


def _web_upload(browser: Browser, path: str, name: str, data: bytes) -> str:
    boundary = "----scan" + uuid.uuid4().hex
    token = browser.cookies["csrftoken"]
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n'
        f"{token}\r\n".encode(),
        f'--{boundary}\r\nContent-Disposition: form-data; name="message"\r\n\r\nkeys\r\n'.encode(),
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
        f"Content-Type: text/plain\r\n\r\n".encode()
        + data
        + b"\r\n",
        f"--{boundary}--\r\n".encode(),
    ]
    response = request(
        browser.live.url + path,
        "POST",
        body=b"".join(parts),
        headers={
            "Cookie": browser.cookie_header() + "; nbopen_lang=en",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Referer": browser.live.url + path,
        },
    )
    assert response.status == 200, response.status
    return response.body.decode()
