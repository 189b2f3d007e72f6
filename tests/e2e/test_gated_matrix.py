"""Gated repositories (issue 18 item 7): who may download what, every channel × principal.

The rules, written down here as data independently of ``nbopen.access.policy``:

* a public gated dataset shows its metadata (info, tree, file listing, its page) to everyone;
* its contents (resolve, auth-check, Xet read token, viewer rows, ModelScope file, git
  upload-pack, LFS download, raw/blob/viewer pages) go to its owner, the members of its
  organization, and users whose access request was accepted — not to anonymous visitors,
  outsiders, or users whose request is pending or was rejected;
* refused: the Hub answers ``X-Error-Code: GatedRepo`` (401 anonymous, 403 signed in) so
  ``huggingface_hub`` raises ``GatedRepoError``; git and LFS 401 with the Basic challenge /
  403; pages 403 with the form to request access; ModelScope its envelope with the status.

Then the whole story through ``huggingface_hub`` itself: ``update_repo_settings(gated=…)``,
``dataset_info().gated``, ``GatedRepoError`` from ``hf_hub_download``, the request, the
owner's ``list_pending_access_requests`` / ``accept_access_request`` /
``reject_access_request`` / ``cancel_access_request`` / ``grant_access``, and ``auto`` mode.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.client import Response, api_create_repo, request
from tests.support.live import LiveServer

pytestmark = pytest.mark.e2e

ORG = "gtorg"
README = b"---\nextra_gated_fields:\n  Company: text\n  I agree: checkbox\n---\n# gated\n"
CSV = b"a,b\n1,2\n3,4\n"

# Who may read the gated dataset's contents (the rule, as data).
CONTENT_ACCESS: dict[str, bool] = {
    "anonymous": False,
    "outsider": False,
    "pending": False,
    "accepted": True,
    "rejected": False,
    "org_member": True,
    "owner": True,
}
USERS = {
    "outsider": "gt-outsider",
    "pending": "gt-pending",
    "accepted": "gt-accepted",
    "rejected": "gt-rejected",
    "org_member": "gt-member",
    "owner": "gt-owner",
}

# channel → family; "meta" channels are open to everyone on a public gated repository.
CHANNELS: dict[str, str] = {
    "hub_info": "meta",
    "hub_tree": "meta",
    "modelscope_files": "meta",
    "web_repo": "meta",
    "hub_resolve": "api",
    "hub_auth_check": "api",
    "xet_read_token": "api",
    "viewer_splits": "api",
    "viewer_first_rows": "api",
    "modelscope_file": "modelscope",
    "git_clone": "git",
    "lfs_download": "git",
    "web_raw": "web",
    "web_blob": "web",
    "web_viewer": "web",
}
# family → (allowed, anonymous refused, signed-in refused)
STATUS: dict[str, tuple[int, int, int]] = {
    "meta": (200, 200, 200),
    "api": (200, 401, 403),
    "modelscope": (302, 401, 403),
    "git": (200, 401, 403),
    "web": (200, 403, 403),
}


def expected(channel: str, principal: str) -> int:
    allowed, anonymous, signed_in = STATUS[CHANNELS[channel]]
    if CONTENT_ACCESS[principal]:
        return allowed
    return anonymous if principal == "anonymous" else signed_in


def test_expectations_are_the_rules() -> None:
    assert expected("hub_resolve", "anonymous") == 401
    assert expected("hub_resolve", "pending") == 403
    assert expected("hub_resolve", "accepted") == 200
    assert expected("git_clone", "rejected") == 403
    assert expected("hub_info", "outsider") == 200
    assert expected("web_raw", "anonymous") == 403
    assert expected("viewer_first_rows", "org_member") == 200


@dataclass
class World:
    live: LiveServer
    tokens: dict[str, str | None]
    repo_id: str


def _ndjson(files: dict[str, bytes]) -> bytes:
    lines: list[dict[str, Any]] = [{"key": "header", "value": {"summary": "seed"}}]
    for path, content in files.items():
        value = {"path": path, "content": base64.b64encode(content).decode(), "encoding": "base64"}
        lines.append({"key": "file", "value": value})
    return "\n".join(json.dumps(line) for line in lines).encode()


def _seed(live: LiveServer, token: str, repo_id: str) -> None:
    seeded = request(
        f"{live.url}/api/datasets/{repo_id}/commit/main",
        "POST",
        body=_ndjson({"README.md": README, "data.csv": CSV}),
        headers={"Content-Type": "application/x-ndjson"},
        token=token,
    )
    assert seeded.status == 200, (seeded.status, seeded.body)


def _gate(live: LiveServer, token: str, repo_id: str, gated: str | bool) -> None:
    done = request(
        f"{live.url}/api/datasets/{repo_id}/settings",
        "PUT",
        json_body={"gated": gated},
        token=token,
    )
    assert done.status == 200, done.body


def _ask(live: LiveServer, token: str | None, repo_id: str, **fields: str) -> Response:
    return request(
        f"{live.url}/api/datasets/{repo_id}/user-access-request/ask",
        "POST",
        json_body={"fields": fields},
        token=token,
    )


def _handle(live: LiveServer, owner: str, repo_id: str, user: str, status: str) -> None:
    done = request(
        f"{live.url}/api/datasets/{repo_id}/user-access-request/handle",
        "POST",
        json_body={"user": user, "status": status},
        token=owner,
    )
    assert done.status == 200, done.body


def _wait_for(check: Callable[[], bool], what: str, seconds: float = 90) -> None:
    import time

    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.3)


@pytest.fixture(scope="module")
def world(live: LiveServer) -> Iterator[World]:
    suffix = uuid.uuid4().hex[:6]
    users = {k: f"{v}-{suffix}" for k, v in USERS.items()}
    org = f"{ORG}{suffix}"
    tokens: dict[str, str | None] = {"anonymous": None}
    for principal, username in users.items():
        tokens[principal] = live.create_user(username)
    live.cli("org", "create", org, "--kind", "community", "--owner", users["owner"])
    live.cli("org", "add-member", org, users["org_member"], "--role", "read")
    owner = tokens["owner"]
    assert owner is not None
    dataset = f"gated-{suffix}"
    repo_id = f"{org}/{dataset}"
    api_create_repo(live, owner, dataset, organization=org, type="dataset")
    _seed(live, owner, repo_id)
    _gate(live, owner, repo_id, "manual")
    for principal in ("pending", "accepted", "rejected"):
        asked = _ask(live, tokens[principal], repo_id, Company="ACME", **{"I agree": "yes"})
        assert asked.status == 200, asked.body
        assert asked.json()["status"] == "pending"
    _handle(live, owner, repo_id, users["accepted"], "accepted")
    _handle(live, owner, repo_id, users["rejected"], "rejected")
    _wait_for(
        lambda: bool(
            request(f"{live.url}/datasets-server/splits?dataset={repo_id}", token=owner)
            .json()
            .get("splits")
        ),
        "the viewer",
    )
    yield World(live, tokens, repo_id)


def _call(world: World, channel: str, principal: str) -> Response:
    live, token = world.live, world.tokens[principal]
    repo_id = world.repo_id
    api = f"{live.url}/api/datasets/{repo_id}"
    web = f"{live.url}/datasets/{repo_id}"
    oid = hashlib.sha256(b"gated object").hexdigest()
    calls: dict[str, Callable[[], Response]] = {
        "hub_info": lambda: request(api, token=token),
        "hub_tree": lambda: request(f"{api}/tree/main", token=token),
        "modelscope_files": lambda: request(
            f"{live.url}/api/v1/datasets/{repo_id}/repo/files?Revision=main", token=token
        ),
        "web_repo": lambda: request(web, token=token),
        "hub_resolve": lambda: request(f"{web}/resolve/main/data.csv", token=token),
        "hub_auth_check": lambda: request(f"{api}/auth-check", token=token),
        "xet_read_token": lambda: request(f"{api}/xet-read-token/main", token=token),
        "viewer_splits": lambda: request(
            f"{live.url}/datasets-server/splits?dataset={repo_id}", token=token
        ),
        "viewer_first_rows": lambda: request(
            f"{live.url}/datasets-server/first-rows?dataset={repo_id}&config=default&split=train",
            token=token,
        ),
        "modelscope_file": lambda: request(
            f"{live.url}/api/v1/datasets/{repo_id}/repo?Revision=main&FilePath=data.csv",
            token=token,
        ),
        "git_clone": lambda: request(f"{web}.git/info/refs?service=git-upload-pack", basic=token),
        "lfs_download": lambda: request(
            f"{web}.git/info/lfs/objects/batch",
            "POST",
            json_body={"operation": "download", "objects": [{"oid": oid, "size": 12}]},
            headers={
                "Accept": "application/vnd.git-lfs+json",
                "Content-Type": "application/vnd.git-lfs+json",
            },
            basic=token,
        ),
        "web_raw": lambda: request(f"{web}/raw/main/data.csv", token=token),
        "web_blob": lambda: request(f"{web}/blob/main/data.csv", token=token),
        "web_viewer": lambda: request(f"{web}/viewer", token=token),
    }
    return calls[channel]()


@pytest.mark.parametrize("principal", list(CONTENT_ACCESS))
@pytest.mark.parametrize("channel", list(CHANNELS))
def test_gated_cell(world: World, channel: str, principal: str) -> None:
    response = _call(world, channel, principal)
    want = expected(channel, principal)
    assert response.status == want, (response.status, response.body[:300])
    family = CHANNELS[channel]
    refused = want in (401, 403)
    if family == "api":
        assert response.headers.get("X-Error-Code") == ("GatedRepo" if refused else None)
    if family == "git" and want == 401:
        assert response.headers.get("WWW-Authenticate", "").startswith("Basic")
    if family == "web" and refused:
        assert b'id="gated"' in response.body
        signed_in = principal != "anonymous"
        assert (b'id="ask-access"' in response.body) is (principal == "outsider"), principal
        assert signed_in or b'href="/login?next=' in response.body  # a sign-in link, any language
    if family == "modelscope" and refused:
        assert response.json()["Success"] is False
    if want == 200 and channel in {"hub_resolve", "web_raw"}:
        assert response.body == CSV
    if want == 200 and channel == "viewer_first_rows":
        assert [r["row"] for r in response.json()["rows"]] == [{"a": 1, "b": 2}, {"a": 3, "b": 4}]
    if channel == "hub_info":
        assert response.json()["gated"] == "manual"


def test_hub_client_story(live: LiveServer, tmp_path: Path) -> None:
    """The acceptance of issue 18 item 7, through huggingface_hub, git and the viewer."""
    from huggingface_hub import HfApi, hf_hub_download
    from huggingface_hub.errors import GatedRepoError, HfHubHTTPError

    suffix = uuid.uuid4().hex[:6]
    owner_name, outsider_name, other_name = (f"gs-{r}-{suffix}" for r in ("own", "out", "oth"))
    owner = live.create_user(owner_name)
    outsider = live.create_user(outsider_name)
    other = live.create_user(other_name)
    repo_id = f"{owner_name}/story"
    owner_api = HfApi(endpoint=live.url, token=owner)
    out_api = HfApi(endpoint=live.url, token=outsider)
    owner_api.create_repo(repo_id, repo_type="dataset")
    _seed(live, owner, repo_id)
    assert owner_api.dataset_info(repo_id).gated is False
    owner_api.update_repo_settings(repo_id, repo_type="dataset", gated="manual")
    assert out_api.dataset_info(repo_id).gated == "manual"

    def download() -> str:
        return hf_hub_download(
            repo_id,
            "data.csv",
            repo_type="dataset",
            endpoint=live.url,
            token=outsider,
            cache_dir=tmp_path / uuid.uuid4().hex,
        )

    def git_and_viewer() -> tuple[int, int]:
        git = request(
            f"{live.url}/datasets/{repo_id}.git/info/refs?service=git-upload-pack",
            basic=outsider,
        )
        viewer = request(f"{live.url}/datasets-server/splits?dataset={repo_id}", token=outsider)
        return git.status, viewer.status

    # The Hub's words, naming the repository and the page to ask on.
    with pytest.raises(
        GatedRepoError,
        match=f"Access to dataset {repo_id} is restricted .* "
        f"Visit {live.url}/datasets/{repo_id} to ask for access",
    ):
        download()
    with pytest.raises(GatedRepoError):
        hf_hub_download(
            repo_id,
            "data.csv",
            repo_type="dataset",
            endpoint=live.url,
            token=False,
            cache_dir=tmp_path / "anon",
        )
    assert git_and_viewer() == (403, 403)
    fork = request(
        f"{live.url}/api/v1/repos/{repo_id}/forks?type=dataset",
        "POST",
        json_body={},
        token=outsider,
    )
    assert fork.status == 403, fork.body  # a fork would copy the files
    # The metadata stays readable.
    assert {f.rfilename for f in out_api.dataset_info(repo_id).siblings or []} >= {"data.csv"}

    asked = _ask(live, outsider, repo_id, Company="ACME")
    assert asked.status == 200 and asked.json()["status"] == "pending"
    with pytest.raises(GatedRepoError):
        download()
    pending = owner_api.list_pending_access_requests(repo_id, repo_type="dataset")
    assert [(r.username, r.status, r.fields) for r in pending] == [
        (outsider_name, "pending", {"Company": "ACME"})
    ]
    with pytest.raises(HfHubHTTPError) as refused:  # only the repository's writers
        list(out_api.list_pending_access_requests(repo_id, repo_type="dataset"))
    assert refused.value.response.status_code == 403

    owner_api.accept_access_request(repo_id, outsider_name, repo_type="dataset")
    assert Path(download()).read_bytes() == CSV
    assert git_and_viewer() == (200, 200)
    accepted = owner_api.list_accepted_access_requests(repo_id, repo_type="dataset")
    assert [r.username for r in accepted] == [outsider_name]

    owner_api.reject_access_request(
        repo_id, outsider_name, repo_type="dataset", rejection_reason="no"
    )
    with pytest.raises(GatedRepoError):
        download()
    assert [
        r.username for r in owner_api.list_rejected_access_requests(repo_id, repo_type="dataset")
    ] == [outsider_name]
    owner_api.cancel_access_request(repo_id, outsider_name, repo_type="dataset")
    assert [
        r.username for r in owner_api.list_pending_access_requests(repo_id, repo_type="dataset")
    ] == [outsider_name]

    # Granting without a request; twice is a conflict.
    owner_api.grant_access(repo_id, other_name, repo_type="dataset")
    with pytest.raises(HfHubHTTPError) as again:
        owner_api.grant_access(repo_id, other_name, repo_type="dataset")
    assert again.value.response.status_code == 409
    got = hf_hub_download(
        repo_id,
        "data.csv",
        repo_type="dataset",
        endpoint=live.url,
        token=other,
        cache_dir=tmp_path / "other",
    )
    assert Path(got).read_bytes() == CSV

    # As on the Hub: moving a request to the status it has is refused; the user granted
    # access without asking shared no email, the one who asked did.
    with pytest.raises(HfHubHTTPError) as same:
        owner_api.accept_access_request(repo_id, other_name, repo_type="dataset")
    assert same.value.response.status_code == 409
    owner_api.accept_access_request(repo_id, outsider_name, repo_type="dataset")
    accepted = owner_api.list_accepted_access_requests(repo_id, repo_type="dataset")
    assert {r.username: r.email for r in accepted} == {
        other_name: None,
        outsider_name: f"{outsider_name}@example.org",
    }

    # auto: switching accepts who was waiting; new requests are accepted at once.
    owner_api.update_repo_settings(repo_id, repo_type="dataset", gated="auto")
    assert Path(download()).read_bytes() == CSV
    late = live.create_user(f"gs-late-{suffix}")
    assert _ask(live, late, repo_id, Company="X").json()["status"] == "accepted"

    # Not gated any more: everyone downloads, and the request routes answer 400.
    owner_api.update_repo_settings(repo_id, repo_type="dataset", gated=False)
    assert owner_api.dataset_info(repo_id).gated is False
    anon = hf_hub_download(
        repo_id,
        "data.csv",
        repo_type="dataset",
        endpoint=live.url,
        token=False,
        cache_dir=tmp_path / "anon2",
    )
    assert Path(anon).read_bytes() == CSV
    assert _ask(live, outsider, repo_id).status == 400
