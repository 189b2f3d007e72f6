"""Code search against a live ``nbopen serve``: files pushed with git and uploaded with the
Hub client are found at file and line through the API and the search page's Code tab, in
Chinese and English; a private repository's code is invisible to an outsider and to
anonymous visitors, counts included; a push that changes a file re-indexes it."""

from __future__ import annotations

import json
import time
import urllib.parse
import uuid
from pathlib import Path
from typing import Any

import pytest
from huggingface_hub import HfApi

from tests.support.client import api_create_repo, authed, git, request
from tests.support.live import LiveServer

pytestmark = pytest.mark.once

SDK_PY = """import numpy as np


def from_block(height: int) -> dict:
    \"\"\"Read one block of the 港口 ledger.\"\"\"
    return {"height": height}
"""


def code_api(live: LiveServer, token: str | None, **params: str) -> dict[str, Any]:
    query = urllib.parse.urlencode(params)
    response = request(f"{live.url}/api/v1/search/code?{query}", token=token)
    assert response.status == 200, response.body
    data: dict[str, Any] = response.json()
    return data


def wait_for(live: LiveServer, token: str | None, want: int, **params: str) -> dict[str, Any]:
    """Indexing runs in the background after the push: poll briefly."""
    deadline = time.monotonic() + 20
    while True:
        data = code_api(live, token, **params)
        if data["total"] == want or time.monotonic() > deadline:
            return data
        time.sleep(0.2)


def page(live: LiveServer, lang: str, **params: str) -> str:
    query = urllib.parse.urlencode({"tab": "code", **params})
    response = request(f"{live.url}/search?{query}", headers={"Accept-Language": lang})
    assert response.status == 200
    return response.body.decode()


def test_code_search_end_to_end(live: LiveServer, tmp_path: Path) -> None:
    stem = uuid.uuid4().hex[:6]
    owner, outsider = f"cso{stem}", f"csx{stem}"
    token, other = live.create_user(owner), live.create_user(outsider)
    api_create_repo(live, token, "chain-sdk")
    work = tmp_path / "w"
    git("init", "-q", "-b", "main", str(work))
    (work / "sdk").mkdir()
    (work / "sdk" / "client.py").write_text(SDK_PY, encoding="utf-8")
    (work / "README.md").write_text("# 链上数据\n", encoding="utf-8")
    git("add", "-A", cwd=work)
    git("commit", "-qm", "sdk", cwd=work)
    git("push", "-q", authed(live, token, f"/{owner}/chain-sdk.git"), "main", cwd=work)

    # A private model, written with the Hub client.
    api = HfApi(endpoint=live.url, token=token)
    api.create_repo(f"{owner}/secret-model", private=True)
    api.upload_file(
        path_or_fileobj=f"def hidden_{stem}():\n    return '港口秘密'\n".encode(),
        path_in_repo="train.py",
        repo_id=f"{owner}/secret-model",
    )

    data = wait_for(live, None, 1, q="from_block")
    (hit,) = data["results"]
    assert (hit["repo"], hit["path"], hit["line"]) == (f"{owner}/chain-sdk", "sdk/client.py", 4)
    assert hit["fragment"] == "def <mark>from_block</mark>(height: int) -&gt; dict:"
    assert hit["url"].endswith("/blob/main/sdk/client.py#L-4")
    blob = request(live.url + hit["url"].split("#")[0])
    assert blob.status == 200 and 'id="L-4"' in blob.body.decode()
    # A Chinese word and its pinyin, with the language filter.
    zh = code_api(live, None, q="港口", repo=f"{owner}/chain-sdk")
    assert [(h["path"], h["line"]) for h in zh["results"]] == [("sdk/client.py", 5)]
    assert code_api(live, None, q="gangkou", repo=f"{owner}/chain-sdk")["total"] == 1
    assert code_api(live, None, q="港口", repo=f"{owner}/chain-sdk", language="go")["total"] == 0
    assert code_api(live, None, q="shuju", owner=owner)["results"][0]["path"] == "README.md"

    # Privacy: the owner finds the private file; the outsider and anonymous see nothing.
    assert wait_for(live, token, 1, q=f"hidden_{stem}")["results"][0]["path"] == "train.py"
    for who in (None, other):
        data = code_api(live, who, q=f"hidden_{stem}")
        assert (data["total"], data["results"]) == (0, [])
        wide = code_api(live, who, q="港口")
        assert f"{owner}/secret-model" not in json.dumps(wide, ensure_ascii=False)
    assert f"{owner}/secret-model" not in page(live, "zh-hans", q="港口")

    # The web tab, in Chinese and in English.
    zh_page = page(live, "zh-hans", q="from_block")
    assert "代码" in zh_page and "<mark>from_block</mark>" in zh_page
    assert f'href="/{owner}/chain-sdk/blob/main/sdk/client.py#L-4"' in zh_page
    en_page = page(live, "en", q="from_block")
    assert ">Code</a>" in en_page and "1 file" in en_page

    # A push that changes the file: the old identifier is gone, the new one found.
    (work / "sdk" / "client.py").write_text(SDK_PY.replace("from_block", "to_block"), "utf-8")
    git("commit", "-qam", "rename", cwd=work)
    git("push", "-q", authed(live, token, f"/{owner}/chain-sdk.git"), "main", cwd=work)
    assert wait_for(live, None, 1, q="to_block")["results"][0]["line"] == 4
    assert code_api(live, None, q="from_block")["total"] == 0

    # Deleting the repository removes its files from the index.
    live.delete_repo(token, f"{owner}/chain-sdk", "code")
    assert wait_for(live, token, 0, q="to_block")["total"] == 0
