"""Channels × principals × visibility: the exact HTTP status of every cell.

The expectations are written down here as data (each principal's level on a public and on a
private repository of the organization, and what each channel needs), independently of
``nbopen.access.policy``; the cells are then driven over real HTTP against ``nbopen serve``.
"""

from __future__ import annotations

import hashlib
import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tests.support.client import Response, api_create_repo, request
from tests.support.live import LiveServer

pytestmark = pytest.mark.e2e

NONE, READ, WRITE, ADMIN = 0, 1, 2, 3
ORG = "pmorg"

# The rules of issue 2, as data: a principal's level on the org's public / private repo.
LEVELS: dict[str, dict[str, int]] = {
    "anonymous": {"public": READ, "private": NONE},
    "non_member": {"public": READ, "private": NONE},
    "member_read": {"public": READ, "private": READ},
    "member_write": {"public": WRITE, "private": WRITE},
    "member_admin": {"public": ADMIN, "private": ADMIN},
    "site_admin": {"public": ADMIN, "private": ADMIN},
    # An org admin acting through a read-scoped token: capped at read.
    "admin_read_token": {"public": READ, "private": READ},
    # Not members: given a role on these repositories alone.
    "collab_read": {"public": READ, "private": READ},
    "collab_admin": {"public": ADMIN, "private": ADMIN},
}
COLLABORATORS = {
    "collab_read": ("pm-collab-read", "read"),
    "collab_admin": ("pm-collab-admin", "admin"),
}
# What each channel needs on the repository; None = only "be signed in" (whoami).
NEEDS: dict[str, int | None] = {
    "git_clone": READ,
    "git_push_advertise": WRITE,
    "lfs_download": READ,
    "lfs_upload": WRITE,
    "api_settings": ADMIN,
    "api_delete": ADMIN,
    "api_whoami": None,
}
GIT_OR_LFS = {"git_clone", "git_push_advertise", "lfs_download", "lfs_upload"}


def expected_status(principal: str, channel: str, visibility: str) -> int:
    need = NEEDS[channel]
    if need is None:
        return 401 if principal == "anonymous" else 200
    have = LEVELS[principal][visibility]
    if have >= need:
        return 200
    if principal == "anonymous":
        return 401
    return 404 if have == NONE else 403


def test_expectation_table_is_the_documented_rules() -> None:
    """Spot-check the derived table against the sentences of the issue, cell by cell."""
    # private + cannot read → 401 anonymous / 404 signed in
    assert expected_status("anonymous", "git_clone", "private") == 401
    assert expected_status("non_member", "git_clone", "private") == 404
    assert expected_status("non_member", "api_settings", "private") == 404
    # can read but not write → 401 anonymous / 403 signed in
    assert expected_status("anonymous", "git_push_advertise", "public") == 401
    assert expected_status("non_member", "git_push_advertise", "public") == 403
    assert expected_status("member_read", "lfs_upload", "private") == 403
    # a read token can never write, whoever owns it
    for channel, visibility in itertools.product(
        ["git_push_advertise", "lfs_upload", "api_settings", "api_delete"], ["public", "private"]
    ):
        assert expected_status("admin_read_token", channel, visibility) == 403
    assert expected_status("member_write", "api_delete", "private") == 403
    assert expected_status("site_admin", "api_delete", "private") == 200


@dataclass
class World:
    live: LiveServer
    tokens: dict[str, str | None]
    owner_token: str
    suffix: str

    def repo(self, visibility: str) -> str:
        return f"mx-{visibility}-{self.suffix}"


@pytest.fixture(scope="module")
def world(live: LiveServer) -> World:
    suffix = uuid.uuid4().hex[:6]
    owner = live.create_user("pm-owner")
    live.cli("org", "create", ORG, "--kind", "community", "--owner", "pm-owner")
    tokens: dict[str, str | None] = {"anonymous": None}
    tokens["non_member"] = live.create_user("pm-outsider")
    for role in ("read", "write", "admin"):
        tokens[f"member_{role}"] = live.create_user(f"pm-{role}")
        live.cli("org", "add-member", ORG, f"pm-{role}", "--role", role)
    tokens["site_admin"] = live.create_user("pm-site", admin=True)
    tokens["admin_read_token"] = live.token("pm-admin", scope="read")
    for principal, (username, _) in COLLABORATORS.items():
        tokens[principal] = live.create_user(username)
    world = World(live, tokens, owner, suffix)
    for visibility in ("public", "private"):
        api_create_repo(
            live,
            owner,
            world.repo(visibility),
            organization=ORG,
            private=visibility == "private",
            type="model",
        )
        _grant_collaborators(world, world.repo(visibility))
    return world


def _grant_collaborators(world: World, repo: str) -> None:
    for username, role in COLLABORATORS.values():
        granted = request(
            f"{world.live.url}/api/v1/repos/{ORG}/{repo}/collaborators/{username}",
            "PUT",
            json_body={"permission": role},
            token=world.owner_token,
        )
        assert granted.status == 201, granted.body


def _lfs_batch(world: World, repo: str, token: str | None, operation: str) -> Response:
    oid = hashlib.sha256(b"matrix object").hexdigest()
    return request(
        f"{world.live.url}/{ORG}/{repo}.git/info/lfs/objects/batch",
        "POST",
        json_body={"operation": operation, "objects": [{"oid": oid, "size": 13}]},
        headers={
            "Accept": "application/vnd.git-lfs+json",
            "Content-Type": "application/vnd.git-lfs+json",
        },
        basic=token,
    )


def _call(world: World, channel: str, principal: str, visibility: str) -> Response:
    live, token = world.live, world.tokens[principal]
    repo = world.repo(visibility)
    base = f"{live.url}/{ORG}/{repo}.git"
    calls: dict[str, Callable[[], Response]] = {
        "git_clone": lambda: request(base + "/info/refs?service=git-upload-pack", basic=token),
        "git_push_advertise": lambda: request(
            base + "/info/refs?service=git-receive-pack", basic=token
        ),
        "lfs_download": lambda: _lfs_batch(world, repo, token, "download"),
        "lfs_upload": lambda: _lfs_batch(world, repo, token, "upload"),
        "api_settings": lambda: request(
            f"{live.url}/api/models/{ORG}/{repo}/settings",
            "PUT",
            json_body={"private": visibility == "private"},
            token=token,
        ),
        "api_whoami": lambda: request(f"{live.url}/api/whoami-v2", token=token),
    }
    if channel == "api_delete":
        # Deleting really deletes: every cell gets its own throwaway repository.
        repo = f"mx-del-{principal.replace('_', '-')}-{visibility}-{world.suffix}"
        api_create_repo(
            live, world.owner_token, repo, organization=ORG, private=visibility == "private"
        )
        _grant_collaborators(world, repo)
        response = request(
            f"{live.url}/api/repos/delete",
            "DELETE",
            json_body={"name": repo, "organization": ORG, "type": "code"},
            token=token,
        )
        still_there = request(
            f"{live.url}/{ORG}/{repo}.git/info/refs?service=git-upload-pack",
            basic=world.owner_token,
        )
        assert still_there.status == (404 if response.status == 200 else 200)
        return response
    return calls[channel]()


CELLS = list(itertools.product(NEEDS, LEVELS, ["public", "private"]))


@pytest.mark.parametrize(("channel", "principal", "visibility"), CELLS)
def test_cell(world: World, channel: str, principal: str, visibility: str) -> None:
    response = _call(world, channel, principal, visibility)
    want = expected_status(principal, channel, visibility)
    assert response.status == want, (response.status, response.body[:300])
    if want == 401 and channel in GIT_OR_LFS:
        assert response.headers.get("WWW-Authenticate", "").startswith("Basic")
    if want == 200:
        _check_success_body(channel, principal, visibility, response)


def _check_success_body(channel: str, principal: str, visibility: str, response: Response) -> None:
    """A 200 must be the real thing, not an error page with the right number."""
    if channel == "git_clone":
        assert response.headers["Content-Type"] == "application/x-git-upload-pack-advertisement"
        assert b"# service=git-upload-pack" in response.body
    elif channel == "git_push_advertise":
        assert response.headers["Content-Type"] == "application/x-git-receive-pack-advertisement"
        assert b"report-status" in response.body
    elif channel == "lfs_download":
        (obj,) = response.json()["objects"]
        assert obj["error"]["code"] == 404  # never uploaded: not there, but the repo is
    elif channel == "lfs_upload":
        (obj,) = response.json()["objects"]
        assert "upload" in obj["actions"]
    elif channel == "api_settings":
        assert response.json()["private"] is (visibility == "private")
    elif channel == "api_whoami":
        data = response.json()
        assert (
            data["name"]
            == {
                "non_member": "pm-outsider",
                "member_read": "pm-read",
                "member_write": "pm-write",
                "member_admin": "pm-admin",
                "site_admin": "pm-site",
                "admin_read_token": "pm-admin",
                "collab_read": "pm-collab-read",
                "collab_admin": "pm-collab-admin",
            }[principal]
        )
        role = data["auth"]["accessToken"]["role"]
        assert role == ("read" if principal == "admin_read_token" else "write")
