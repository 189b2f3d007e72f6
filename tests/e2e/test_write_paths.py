"""Every channel writes a repository the same way (the write service, ``repos/writes``).

The same README sent through the Hub API, a browser upload and a ``git push`` gives the same
card and tags; a repository created on the web and one created by a Hub client start alike.
"""

from __future__ import annotations

import http.cookiejar
import re
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest
from huggingface_hub import HfApi

from tests.support.client import api_create_repo, as_json, authed, db_rows, git, request
from tests.support.live import LiveServer

README = """---
license: apache-2.0
language:
- zh
- en
tags:
- port-logistics
- detection
hardware: ascend
datasets:
- ningbo/containers
pipeline_tag: object-detection
library_name: transformers
---
# 集装箱识别

Same card, three channels.
"""


class Browser:
    """A signed-in browser session over plain HTTP (cookies + Django's CSRF token)."""

    def __init__(self, live: LiveServer, user: str) -> None:
        self.base = live.url
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.get("/login")
        self.post("/login", {"username": user, "password": f"pw-{user}-Secret9"})

    def csrf(self) -> str:
        return next(c.value for c in self.jar if c.name == "csrftoken")

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path) as response:
            return str(response.read().decode())

    def post(
        self, path: str, fields: dict[str, str], files: dict[str, tuple[str, bytes]] | None = None
    ) -> str:
        fields = {**fields, "csrfmiddlewaretoken": self.csrf()}
        if files is None:
            body = urllib.parse.urlencode(fields).encode()
            ctype = "application/x-www-form-urlencoded"
        else:
            boundary = uuid.uuid4().hex
            head = f"--{boundary}\r\nContent-Disposition: form-data; "
            parts = [f'{head}name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in fields.items()]
            for name, (filename, data) in files.items():
                parts.append(
                    f'{head}name="{name}"; filename="{filename}"\r\n'
                    "Content-Type: application/octet-stream\r\n\r\n".encode()
                    + data
                    + b"\r\n"
                )
            body = b"".join(parts) + f"--{boundary}--\r\n".encode()
            ctype = f"multipart/form-data; boundary={boundary}"
        req = urllib.request.Request(
            self.base + path,
            data=body,
            method="POST",
            headers={"Content-Type": ctype, "Referer": self.base + path},
        )
        with self.opener.open(req) as response:
            return str(response.read().decode())


@pytest.fixture(scope="module")
def writer(live: LiveServer) -> dict[str, Any]:
    user = f"wp{uuid.uuid4().hex[:8]}"
    token = live.create_user(user)
    return {"user": user, "token": token, "browser": Browser(live, user)}


def web_create(browser: Browser, owner: str, name: str, *, readme: bool = False) -> None:
    fields = {"owner": owner, "name": name, "type": "model", "description": "", "license": ""}
    if readme:
        fields["readme"] = "on"
    page = browser.post("/new", fields)
    assert "errorlist" not in page and 'class="error' not in page, page[:2000]


def info(live: LiveServer, token: str, repo_id: str) -> dict[str, Any]:
    response = request(f"{live.url}/api/models/{repo_id}", token=token)
    assert response.status == 200, response.body
    data: dict[str, Any] = response.json()
    return data


def test_the_same_readme_gives_the_same_card_through_every_channel(
    live: LiveServer, writer: dict[str, Any], tmp_path: Path
) -> None:
    user, token = writer["user"], writer["token"]
    # Hub API.
    hub_id = f"{user}/card-hub"
    api = HfApi(endpoint=live.url, token=token)
    api.create_repo(hub_id)
    api.upload_file(path_or_fileobj=README.encode(), path_in_repo="README.md", repo_id=hub_id)
    # Browser upload (the web upload form).
    web_create(writer["browser"], user, "card-web")
    writer["browser"].post(
        f"/{user}/card-web/upload",
        {"directory": "", "message": "card"},
        files={"files": ("README.md", README.encode())},
    )
    # git push.
    api_create_repo(live, token, "card-git", type="model")
    work = tmp_path / "work"
    git("init", "-q", "-b", "main", str(work))
    (work / "README.md").write_text(README)
    git("add", "README.md", cwd=work)
    git("commit", "-q", "-m", "card", cwd=work)
    git("push", "-q", authed(live, token, f"/{user}/card-git.git"), "main", cwd=work)

    answers = [info(live, token, f"{user}/card-{c}") for c in ("hub", "web", "git")]
    for answer in answers:
        assert answer["cardData"] == answers[0]["cardData"]
        assert answer["tags"] == answers[0]["tags"]
    assert answers[0]["cardData"]["pipeline_tag"] == "object-detection"
    assert {"port-logistics", "hardware:ascend", "license:apache-2.0", "zh"} <= set(
        answers[0]["tags"]
    )
    assert "dataset:ningbo/containers" in answers[0]["tags"]
    # The database copy (what listings and the data libraries read) agrees too.
    rows = db_rows(
        live,
        "SELECT r.name, r.card_data, r.tags, r.license FROM repos_repository r "
        "JOIN accounts_namespace n ON n.id = r.owner_id WHERE n.name = %s AND r.name LIKE %s",
        (user, "card-%"),
    )
    assert len(rows) == 3
    stored = {(str(as_json(r[1])), str(as_json(r[2])), r[3]) for r in rows}
    assert len(stored) == 1, stored


def test_a_repository_starts_alike_on_the_web_and_from_a_hub_client(
    live: LiveServer, writer: dict[str, Any]
) -> None:
    user, token = writer["user"], writer["token"]
    HfApi(endpoint=live.url, token=token).create_repo(f"{user}/start-hub")
    web_create(writer["browser"], user, "start-web")

    def state(name: str) -> dict[str, Any]:
        refs = request(f"{live.url}/api/models/{user}/{name}/refs", token=token).json()
        tree = request(
            f"{live.url}/api/models/{user}/{name}/tree/main?recursive=true", token=token
        ).json()
        commits = request(f"{live.url}/api/models/{user}/{name}/commits/main", token=token).json()
        [row] = db_rows(
            live,
            "SELECT r.type, r.private, r.default_branch, r.license, r.tags, r.card_data, "
            "r.description FROM repos_repository r JOIN accounts_namespace n "
            "ON n.id = r.owner_id WHERE n.name = %s AND r.name = %s",
            (user, name),
        )
        events = db_rows(
            live,
            "SELECT kind FROM core_event WHERE repository_name = %s ORDER BY id",
            (f"{user}/{name}",),
        )
        return {
            "branches": [b["name"] for b in refs["branches"]],
            "tags": refs["tags"],
            "tree": sorted((e["path"], e["oid"]) for e in tree),
            "commits": [(c["title"], c["authors"]) for c in commits],
            "row": [as_json(v) if str(v).startswith(("[", "{")) else v for v in row],
            "events": [e[0] for e in events],
        }

    hub, web = state("start-hub"), state("start-web")
    assert hub == web
    assert hub["branches"] == ["main"]
    assert [path for path, _oid in hub["tree"]] == [".gitattributes"]
    assert hub["commits"] == [("initial commit", [{"user": user}])]
    assert hub["events"] == ["repo.create"]


def test_hub_branch_and_tag_changes_are_recorded_by_the_write_service(
    live: LiveServer, writer: dict[str, Any]
) -> None:
    user, token = writer["user"], writer["token"]
    repo_id = f"{user}/refs-{uuid.uuid4().hex[:6]}"
    api = HfApi(endpoint=live.url, token=token)
    api.create_repo(repo_id)
    api.create_branch(repo_id, branch="feature/x")
    api.create_tag(repo_id, tag="v1", tag_message="first")
    api.delete_tag(repo_id, tag="v1")
    api.delete_branch(repo_id, branch="feature/x")
    sql = "SELECT kind, payload FROM core_event WHERE repository_name = %s ORDER BY id"
    rows = db_rows(live, sql, (repo_id,))
    kinds = [r[0] for r in rows]
    assert kinds == [
        "repo.create",
        "repo.branch.create",
        "repo.tag.create",
        "repo.tag.delete",
        "repo.branch.delete",
    ]
    assert as_json(rows[1][1])["branch"] == "feature/x"
    assert re.fullmatch(r"[0-9a-f]{40}", as_json(rows[2][1])["target"])
