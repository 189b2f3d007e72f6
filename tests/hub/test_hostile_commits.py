"""Hostile or malformed commit requests get a clear 4xx and change nothing."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from tests.hub.conftest import Hub

pytestmark = pytest.mark.e2e


def post_commit(hub: Hub, repo_id: str, lines: list[object] | bytes, rev: str = "main"):
    body = lines if isinstance(lines, bytes) else "\n".join(json.dumps(x) for x in lines).encode()
    request = urllib.request.Request(
        f"{hub.url}/api/models/{repo_id}/commit/{rev}",
        data=body,
        method="POST",
        headers={"Authorization": f"Bearer {hub.token}", "Content-Type": "application/x-ndjson"},
    )
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, response.headers, json.load(response)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, json.loads(exc.read() or b"{}")


HEADER = {"key": "header", "value": {"summary": "evil"}}


def file_line(path: str, content: str = "eA==") -> dict[str, object]:
    return {"key": "file", "value": {"path": path, "content": content, "encoding": "base64"}}


def test_bad_commits_are_refused_and_leave_the_branch_alone(hub: Hub) -> None:
    repo_id = hub.repo_id("hostile")
    hub.api.create_repo(repo_id)
    hub.api.upload_file(path_or_fileobj=b"ok", path_in_repo="ok.txt", repo_id=repo_id)
    hub.api.create_tag(repo_id, tag="t1")
    head = hub.api.model_info(repo_id).sha
    cases = [
        ([HEADER, file_line("../escape.txt")], 422, None),
        ([HEADER, file_line("a/.git/config")], 422, None),
        ([HEADER, file_line("x.txt", "not base64!!")], 400, None),
        (
            [
                HEADER,
                {
                    "key": "lfsFile",
                    "value": {"path": "w.bin", "algo": "sha256", "oid": "a" * 64, "size": 5},
                },
            ],
            422,
            None,
        ),
        ([HEADER, {"key": "deletedFile", "value": {"path": "nope.txt"}}], 404, "EntryNotFound"),
        ([HEADER, {"key": "rename", "value": {"path": "x"}}], 400, None),
        ([HEADER], 400, None),
        (b"{not json\n", 400, None),
        ([HEADER, file_line("ok.txt") | {"value": {"path": "ok.txt"}}], 400, None),
    ]
    for lines, status, code in cases:
        got, headers, body = post_commit(hub, repo_id, lines)  # type: ignore[arg-type]
        assert got == status, (lines, got, body)
        assert headers.get("X-Error-Message")
        if code:
            assert headers.get("X-Error-Code") == code
    status, headers, _ = post_commit(hub, repo_id, [HEADER, file_line("y.txt")], rev="t1")
    assert status == 400
    status, headers, _ = post_commit(hub, repo_id, [HEADER, file_line("y.txt")], rev="nope")
    assert status == 404 and headers.get("X-Error-Code") == "RevisionNotFound"
    assert hub.api.model_info(repo_id).sha == head
    assert hub.api.list_repo_files(repo_id) == [".gitattributes", "ok.txt"]
