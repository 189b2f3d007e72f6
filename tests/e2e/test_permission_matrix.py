"""Channels × principals × visibility: the exact HTTP status of every cell.

The expectations are written down here as data, independently of ``nbopen.access.policy``:

* ``LEVELS``: each principal's level on the organization's public and private repositories;
* ``CHANNELS``: what each channel needs, and which family of answers it belongs to;
* ``STATUS``: per family, the status each situation gives (allowed, anonymous, signed in
  without read, signed in with read but not enough, bad token);
* ``expected_listed``: for listings (search, feeds, org and search pages), whether the
  repository appears: exactly to those who can read it;
* refusing a private repository to someone who cannot read it looks exactly like the
  answer for a repository that does not exist (status, challenge, body).

Every cell is then driven over real HTTP against ``nbopen serve``: the Hub API, Xet tokens
and the CAS, git and LFS, the dataset viewer, search, feeds, analytics and the web pages
(signed in through the real login form). ``tests/e2e/conftest.py`` prints the cell count.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.support.accounts import expire_token, web_login, web_revoke_token
from tests.support.client import Response, api_create_repo, request
from tests.support.live import LiveServer

pytestmark = pytest.mark.e2e

NONE, READ, WRITE, ADMIN = 0, 1, 2, 3
ORG = "pmorg"
README = b"# matrix\n"
CSV = b"a,b\n1,2\n3,4\n"
XET_PAYLOAD = b"matrix weights " * 400

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
    # A read member of the org whose team has "push" (write) on these repositories.
    "team_member": {"public": WRITE, "private": WRITE},
    # Tokens of the org's write member that were revoked / have expired: they grant nothing.
    # Where a bad token is ignored (web pages), the caller is anonymous.
    "revoked_token": {"public": READ, "private": NONE},
    "expired_token": {"public": READ, "private": NONE},
}
BAD_TOKENS = {"revoked_token", "expired_token"}
# Principals that are only a token (no password to sign in with): pages get their token.
TOKEN_ONLY = {"admin_read_token", *BAD_TOKENS}
USERNAMES = {
    "non_member": "pm-outsider",
    "member_read": "pm-read",
    "member_write": "pm-write",
    "member_admin": "pm-admin",
    "site_admin": "pm-site",
    "admin_read_token": "pm-admin",
    "collab_read": "pm-collab-read",
    "collab_admin": "pm-collab-admin",
    "team_member": "pm-team",
    "revoked_token": "pm-write",
    "expired_token": "pm-write",
}
COLLABORATORS = {
    "collab_read": ("pm-collab-read", "read"),
    "collab_admin": ("pm-collab-admin", "admin"),
}
TEAM = "pm-crew"

# What each channel needs on the repository (None = only "be signed in"), and its family.
CHANNELS: dict[str, tuple[str, int | None]] = {
    # Hub API (JSON errors)
    "hub_info": ("api", READ),
    "hub_tree": ("api", READ),
    "hub_paths_info": ("api", READ),
    "hub_resolve": ("api", READ),
    "hub_refs": ("api", READ),
    "hub_commits": ("api", READ),
    "hub_auth_check": ("api", READ),
    "hub_auth_check_write": ("api", WRITE),
    "hub_preupload": ("api", WRITE),
    "hub_commit": ("api", WRITE),
    "hub_branch_create": ("api", WRITE),
    "hub_branch_delete": ("api", WRITE),
    "hub_tag": ("api", WRITE),
    # Hub discussions and pull requests (issue 14): reading needs read; opening and commenting
    # a signed-in reader with a credential that may write (SIGNED_IN_READ); merging write
    "hub_discussions": ("api", READ),
    "hub_discussion": ("api", READ),
    "hub_discussion_create": ("api", READ),
    "hub_discussion_comment": ("api", READ),
    "hub_discussion_merge": ("api", WRITE),
    "api_settings": ("api", ADMIN),
    "api_delete": ("api", ADMIN),
    "api_whoami": ("api", None),
    # Xet: the token routes are Hub API; the CAS answers with its own rules
    "xet_read_token": ("api", READ),
    "xet_write_token": ("api", WRITE),
    "xet_cas_read": ("cas", READ),
    "xet_cas_file": ("cas", READ),
    "xet_cas_write": ("cas", WRITE),
    # git smart HTTP and the LFS batch API
    "git_clone": ("git", READ),
    "git_push_advertise": ("git", WRITE),
    "lfs_download": ("git", READ),
    "lfs_upload": ("git", WRITE),
    # dataset viewer and analytics (on the repository)
    "viewer_splits": ("api", READ),
    "viewer_first_rows": ("api", READ),
    "analytics_repo": ("api", READ),
    # listings: always answered; the private repository appears only to its readers
    "search": ("listing", READ),
    "search_suggest": ("listing", READ),
    "hub_list": ("listing", READ),
    "org_events": ("listing", READ),
    "feed": ("api", None),  # the caller's own dashboard: signed-in only
    # web pages (session cookie; a token header for token-only principals)
    "web_repo": ("web", READ),
    "web_blob": ("web", READ),
    "web_raw": ("web", READ),
    # Gitea's API v1 (issue 14): the same rules in Gitea's shapes. Reading needs read; opening
    # issues and commenting need a signed-in reader; labels and statuses write; protection admin.
    "gitea_repo": ("gitea", READ),
    "gitea_issues": ("gitea", READ),
    "gitea_issue_create": ("gitea", READ),
    "gitea_issue_comment": ("gitea", READ),
    "gitea_label_create": ("gitea", WRITE),
    "gitea_pulls": ("gitea", READ),
    "gitea_status_create": ("gitea", WRITE),
    "gitea_combined_status": ("gitea", READ),
    "gitea_protections": ("gitea", READ),
    "gitea_protection_create": ("gitea", ADMIN),
    # milestones, reactions and issue templates: reading needs read, a reaction a signed-in
    # reader with a credential that may write, creating a milestone write
    "gitea_milestones": ("gitea", READ),
    "gitea_milestone_create": ("gitea", WRITE),
    "gitea_reactions": ("gitea", READ),
    "gitea_issue_reaction": ("gitea", READ),
    "gitea_issue_templates": ("gitea", READ),
    "web_milestones": ("web", READ),
    "web_milestone_new": ("web", WRITE),
    "web_tree": ("web", READ),
    "web_commits": ("web", READ),
    "web_insights": ("web", READ),
    "web_settings": ("web", ADMIN),
    "web_hooks": ("web", ADMIN),
    "web_discussion": ("web", READ),
    # pages that list repositories: the private one appears only to its readers
    "web_owner_page": ("web_listing", READ),
    "web_search": ("web_listing", READ),
}
# Channels that take part rather than read: anonymous readers must sign in (401) and a
# read-only token, which may read, may not write there (403).
SIGNED_IN_READ = {
    "hub_discussion_create",
    "hub_discussion_comment",
    "gitea_issue_create",
    "gitea_issue_comment",
    "gitea_issue_reaction",
}
READ_ONLY_CREDENTIALS = {"admin_read_token"}
LOGIN = "login"  # a 302 to /login?next=…
# The status each situation gives, per family.
STATUS: dict[str, dict[str, int | str]] = {
    "api": {
        "allowed": 200,
        "anonymous_reader": 401,  # may read, needs more: sign in first
        "anonymous_stranger": 401,
        "signed_in_stranger": 404,  # existence is not revealed
        "signed_in_reader": 403,
        "bad_token": 401,
    },
    "gitea": {  # as "api", in Gitea's error shape ({"message", "url"}); 201/204 count as 200
        "allowed": 200,
        "anonymous_reader": 401,
        "anonymous_stranger": 401,
        "signed_in_stranger": 404,
        "signed_in_reader": 403,
        "bad_token": 401,
    },
    "git": {  # as "api", with a Basic challenge on every 401
        "allowed": 200,
        "anonymous_reader": 401,
        "anonymous_stranger": 401,
        "signed_in_stranger": 404,
        "signed_in_reader": 403,
        "bad_token": 401,
    },
    "cas": {  # the caller uses the best CAS token the Hub gives them (none: no header)
        "allowed": 200,
        "anonymous_reader": 403,  # an anonymous read token on a public repository
        "anonymous_stranger": 401,
        "signed_in_stranger": 401,
        "signed_in_reader": 403,  # a read-only CAS token on a write route
        "bad_token": 401,  # issued while the Hub token was live, re-checked on every request
    },
    "web": {  # a bad token header counts as anonymous (see web/views/base.py)
        "allowed": 200,
        "anonymous_reader": LOGIN,
        "anonymous_stranger": 404,
        "signed_in_stranger": 404,
        "signed_in_reader": 403,  # settings of a repository one can read but not administer
        "bad_token": "as_anonymous",
    },
    "web_listing": {
        "allowed": 200,
        "anonymous_reader": 200,
        "anonymous_stranger": 200,
        "signed_in_stranger": 200,
        "signed_in_reader": 200,
        "bad_token": "as_anonymous",
    },
    "listing": {
        "allowed": 200,
        "anonymous_reader": 200,
        "anonymous_stranger": 200,
        "signed_in_stranger": 200,
        "signed_in_reader": 200,
        "bad_token": 401,
    },
}
# The Hub's X-Error-Code (what huggingface_hub turns into RepositoryNotFoundError) on the
# repository channels of the "api" family: anonymous callers and strangers are told the
# repository is not found, whatever the reason.
ERROR_CODE: dict[str, str | None] = {
    "allowed": None,
    "anonymous_reader": "RepoNotFound",
    "anonymous_stranger": "RepoNotFound",
    "signed_in_stranger": "RepoNotFound",
    "signed_in_reader": None,
    "bad_token": None,
}
LISTINGS = {
    channel for channel, (family, _) in CHANNELS.items() if family in {"listing", "web_listing"}
} | {"feed"}

# Cells whose behaviour today is wrong: (channel, principal, visibility) → reason.
KNOWN_WRONG: dict[tuple[str, str, str], str] = {}


def situation(principal: str, channel: str, visibility: str) -> str:
    family, need = CHANNELS[channel]
    if principal in BAD_TOKENS:
        if STATUS[family]["bad_token"] != "as_anonymous":
            return "bad_token"
        principal = "anonymous"
    anonymous = principal == "anonymous"
    have = LEVELS[principal][visibility]
    if need is None:
        return "anonymous_stranger" if anonymous else "allowed"
    if channel in SIGNED_IN_READ and have >= need:
        if anonymous:
            return "anonymous_reader"
        if principal in READ_ONLY_CREDENTIALS:
            return "signed_in_reader"
    if have >= need:
        return "allowed"
    if have == NONE:
        return "anonymous_stranger" if anonymous else "signed_in_stranger"
    return "anonymous_reader" if anonymous else "signed_in_reader"


def expected_status(principal: str, channel: str, visibility: str) -> int | str:
    return STATUS[CHANNELS[channel][0]][situation(principal, channel, visibility)]


def expected_listed(principal: str, visibility: str) -> bool:
    """Whether a listing shows the repository: exactly to those who can read it (a bad token
    never gets a listing from the API; pages list what an anonymous visitor sees)."""
    return LEVELS[principal][visibility] >= READ


def test_expectation_table_is_the_documented_rules() -> None:
    """Spot-check the derived table against the sentences of the issues, cell by cell."""
    # private + cannot read → 401 anonymous / 404 signed in
    assert expected_status("anonymous", "git_clone", "private") == 401
    assert expected_status("non_member", "git_clone", "private") == 404
    assert expected_status("non_member", "api_settings", "private") == 404
    assert expected_status("non_member", "hub_resolve", "private") == 404
    # can read but not write → 401 anonymous / 403 signed in
    assert expected_status("anonymous", "git_push_advertise", "public") == 401
    assert expected_status("non_member", "git_push_advertise", "public") == 403
    assert expected_status("member_read", "lfs_upload", "private") == 403
    assert expected_status("member_read", "hub_commit", "private") == 403
    # a read token can never write, whoever owns it
    for channel, visibility in itertools.product(
        ["git_push_advertise", "lfs_upload", "api_settings", "api_delete", "hub_commit"],
        ["public", "private"],
    ):
        assert expected_status("admin_read_token", channel, visibility) == 403
    assert expected_status("member_write", "api_delete", "private") == 403
    assert expected_status("site_admin", "api_delete", "private") == 200
    # a team raises a read member to write, not to admin
    assert expected_status("team_member", "hub_commit", "private") == 200
    assert expected_status("team_member", "api_settings", "private") == 403
    # revoked and expired tokens: 401 on every token channel, even a public read
    for principal in BAD_TOKENS:
        assert expected_status(principal, "hub_info", "public") == 401
        assert expected_status(principal, "search", "public") == 401
        assert expected_status(principal, "xet_cas_read", "public") == 401
        # ... and pages treat them as anonymous
        assert expected_status(principal, "web_repo", "public") == 200
        assert expected_status(principal, "web_repo", "private") == 404
    # web: anonymous visitors of a private repository learn nothing (404, no login prompt)
    assert expected_status("anonymous", "web_repo", "private") == 404
    assert expected_status("anonymous", "web_settings", "private") == 404
    assert expected_status("anonymous", "web_settings", "public") == LOGIN
    assert expected_status("member_write", "web_settings", "private") == 403
    # listings answer everyone, but show the private repository only to its readers
    assert expected_status("non_member", "search", "private") == 200
    assert not expected_listed("non_member", "private")
    assert expected_listed("collab_read", "private")
    assert expected_status("anonymous", "feed", "public") == 401
    # discussions: anyone signed in who can read takes part; merging needs write
    assert expected_status("anonymous", "hub_discussions", "public") == 200
    assert expected_status("anonymous", "hub_discussion_create", "public") == 401
    assert expected_status("non_member", "hub_discussion_comment", "public") == 200
    assert expected_status("non_member", "hub_discussion_comment", "private") == 404
    assert expected_status("admin_read_token", "hub_discussion_create", "public") == 403
    assert expected_status("non_member", "hub_discussion_merge", "public") == 403
    assert expected_status("member_read", "hub_discussion_merge", "private") == 403
    assert expected_status("team_member", "hub_discussion_merge", "private") == 200
    # Gitea's API: the same rules
    assert expected_status("anonymous", "gitea_issue_create", "public") == 401
    assert expected_status("non_member", "gitea_issue_create", "public") == 200
    assert expected_status("non_member", "gitea_issues", "private") == 404
    assert expected_status("member_read", "gitea_status_create", "private") == 403
    assert expected_status("member_write", "gitea_protection_create", "public") == 403
    assert expected_status("collab_admin", "gitea_protection_create", "private") == 200
    assert expected_status("anonymous", "gitea_issue_reaction", "public") == 401
    assert expected_status("non_member", "gitea_issue_reaction", "public") == 200
    assert expected_status("non_member", "gitea_issue_reaction", "private") == 404
    assert expected_status("admin_read_token", "gitea_issue_reaction", "private") == 403
    assert expected_status("member_read", "gitea_milestone_create", "private") == 403
    assert expected_status("team_member", "gitea_milestone_create", "private") == 200
    assert expected_status("non_member", "gitea_milestones", "private") == 404
    assert expected_status("anonymous", "web_milestone_new", "public") == LOGIN
    assert expected_status("member_read", "web_milestone_new", "private") == 403
    assert expected_status("anonymous", "web_milestones", "private") == 404


# --- the world: users, org, team, repositories, tokens ---------------------------------


@dataclass
class World:
    live: LiveServer
    tokens: dict[str, str | None]
    owner_token: str
    suffix: str
    delete_suffix: str = field(default_factory=lambda: uuid.uuid4().hex[:6])
    cookies: dict[str, str] = field(default_factory=dict)
    # Xet CAS tokens issued to the revoked/expired principals while their Hub token was live.
    stale_cas: dict[tuple[str, str, str], str] = field(default_factory=dict)
    xet_files: dict[str, str] = field(default_factory=dict)  # visibility → file hash

    def repo(self, visibility: str) -> str:
        return f"mx-{visibility}-{self.suffix}"

    def dataset(self, visibility: str) -> str:
        return f"mxd-{visibility}-{self.suffix}"


def _ndjson(lines: list[dict[str, Any]]) -> bytes:
    return "\n".join(json.dumps(line) for line in lines).encode()


def _file_line(path: str, content: bytes) -> dict[str, Any]:
    value = {"path": path, "content": base64.b64encode(content).decode(), "encoding": "base64"}
    return {"key": "file", "value": value}


def _commit(
    live: LiveServer, token: str | None, plural: str, repo_id: str, path: str, rev: str = "main"
) -> Response:
    body = _ndjson(
        [{"key": "header", "value": {"summary": f"add {path}"}}, _file_line(path, b"cell\n")]
    )
    return request(
        f"{live.url}/api/{plural}/{repo_id}/commit/{rev}",
        "POST",
        body=body,
        headers={"Content-Type": "application/x-ndjson"},
        token=token,
    )


def _seed(live: LiveServer, token: str, plural: str, repo_id: str, files: dict[str, bytes]) -> None:
    body = _ndjson(
        [
            {"key": "header", "value": {"summary": "seed"}},
            *(_file_line(path, content) for path, content in files.items()),
        ]
    )
    seeded = request(
        f"{live.url}/api/{plural}/{repo_id}/commit/main",
        "POST",
        body=body,
        headers={"Content-Type": "application/x-ndjson"},
        token=token,
    )
    assert seeded.status == 200, (seeded.status, seeded.body)


def _grant(world: World, repo: str) -> None:
    """Collaborators and the team on ``repo`` (every repository of the matrix)."""
    for username, role in COLLABORATORS.values():
        granted = request(
            f"{world.live.url}/api/v1/repos/{ORG}/{repo}/collaborators/{username}",
            "PUT",
            json_body={"permission": role},
            token=world.owner_token,
        )
        assert granted.status == 201, granted.body
    granted = request(
        f"{world.live.url}/api/v1/orgs/{ORG}/teams/{TEAM}/repos/{repo}",
        "PUT",
        json_body={"permission": "push"},
        token=world.owner_token,
    )
    assert granted.status == 200, granted.body


def _xet_upload(live: LiveServer, token: str, repo_id: str, path: Path) -> str:
    """Upload ``path`` to the repository's Xet CAS with hf_xet; returns the file hash."""
    import hf_xet

    issued = request(f"{live.url}/api/models/{repo_id}/xet-write-token/main", token=token)
    assert issued.status == 200, issued.body
    info = issued.json()
    session = hf_xet.XetSession()
    with session.new_upload_commit(
        endpoint=info["casUrl"], token=info["accessToken"], token_expiry_unix_secs=info["exp"]
    ) as commit:
        handle = commit.start_upload_file(str(path), sha256=hf_xet.COMPUTE_SHA256)
    return str(handle.result().xet_info.hash)


def _wait_for(check: Callable[[], bool], what: str, seconds: float = 90) -> None:
    import time

    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.3)


@pytest.fixture(scope="module")
def world(live: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
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
    tokens["team_member"] = live.create_user("pm-team")
    live.cli("org", "add-member", ORG, "pm-team", "--role", "read")
    for principal in sorted(BAD_TOKENS):
        tokens[principal] = live.cli(
            "token", "create", "pm-write", "--name", principal, "--expires-days", "30"
        ).stdout.strip()
    world = World(live, tokens, owner, suffix)

    teams = f"{live.url}/api/v1/orgs/{ORG}/teams"
    assert request(teams, "POST", json_body={"name": TEAM}, token=owner).status == 201
    assert request(f"{teams}/{TEAM}/members/pm-team", "PUT", token=owner).status == 200

    payload = tmp_path_factory.mktemp("xet") / "weights.bin"
    payload.write_bytes(XET_PAYLOAD)
    for visibility in ("public", "private"):
        private = visibility == "private"
        model, dataset = world.repo(visibility), world.dataset(visibility)
        api_create_repo(live, owner, model, organization=ORG, private=private, type="model")
        api_create_repo(live, owner, dataset, organization=ORG, private=private, type="dataset")
        _seed(live, owner, "models", f"{ORG}/{model}", {"README.md": README})
        _seed(live, owner, "datasets", f"{ORG}/{dataset}", {"README.md": README, "data.csv": CSV})
        _grant(world, model)
        _grant(world, dataset)
        opened = request(
            f"{live.url}/api/models/{ORG}/{model}/discussions",
            "POST",
            json_body={"title": "matrix discussion", "description": "seed"},
            token=owner,
        )
        assert opened.status == 200 and opened.json()["num"] == 1, opened.body
        world.xet_files[visibility] = _xet_upload(live, owner, f"{ORG}/{model}", payload)

    # Everyone signed in follows the org, so a dashboard feed has something to hide.
    for principal, token in tokens.items():
        if token is not None and principal not in TOKEN_ONLY:
            follow = request(f"{live.url}/api/v1/follow/{ORG}", "POST", token=token)
            assert follow.status == 200, follow.body
            world.cookies[principal] = web_login(live, USERNAMES[principal]).cookie_header()

    # CAS tokens issued while the tokens were live; then revoke one (web) and expire one.
    for principal, visibility, kind in itertools.product(
        sorted(BAD_TOKENS), ("public", "private"), ("read", "write")
    ):
        issued = request(
            f"{live.url}/api/models/{ORG}/{world.repo(visibility)}/xet-{kind}-token/main",
            token=tokens[principal],
        )
        assert issued.status == 200, issued.body
        world.stale_cas[(principal, visibility, kind)] = issued.json()["accessToken"]
    revoked, expired = tokens["revoked_token"], tokens["expired_token"]
    assert revoked is not None and expired is not None
    web_revoke_token(web_login(live, "pm-write"), revoked)
    expire_token(live, expired)

    # Background work: dataset conversion and the search index.
    for visibility in ("public", "private"):
        ds = f"{ORG}/{world.dataset(visibility)}"
        _wait_for(
            lambda ds=ds: bool(
                request(f"{live.url}/datasets-server/splits?dataset={ds}", token=owner)
                .json()
                .get("splits")
            ),
            f"the viewer of {ds}",
        )
    _wait_for(
        lambda: (
            {world.repo("public"), world.repo("private")}
            <= _search_hits(world, owner, world.suffix)
        ),
        "the search index",
    )
    yield world


# --- channels -------------------------------------------------------------------------


def _search_hits(world: World, token: str | None, q: str) -> set[str]:
    found = request(f"{world.live.url}/api/v1/search?q={quote(q)}&per_page=100", token=token)
    if found.status != 200:
        return set()
    return {r["id"].split("/")[-1] for r in found.json()["results"] if "id" in r}


def _events(world: World, path: str, token: str | None) -> tuple[Response, set[str]]:
    """Every page of an event listing: (first response, repository names seen)."""
    seen: set[str] = set()
    first: Response | None = None
    for page in range(1, 50):
        response = request(f"{world.live.url}{path}?per_page=100&page={page}", token=token)
        first = first or response
        if response.status != 200:
            break
        results = response.json()["results"]
        seen |= {str(e.get("repo") or "").split("/")[-1] for e in results}
        if len(results) < 100:
            break
    assert first is not None
    return first, seen


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


def _cas_token(world: World, principal: str, visibility: str, kind: str) -> str | None:
    """The best CAS token the Hub gives this principal for ``kind`` ("read"/"write")."""
    if principal in BAD_TOKENS:
        return world.stale_cas[(principal, visibility, kind)]
    api = f"{world.live.url}/api/models/{ORG}/{world.repo(visibility)}"
    for wanted in ("write", "read") if kind == "write" else ("read",):
        issued = request(f"{api}/xet-{wanted}-token/main", token=world.tokens[principal])
        if issued.status == 200:
            return str(issued.json()["accessToken"])
    return None


def _xorb() -> tuple[str, bytes]:
    from nbopen.xet import hashing, xorbfmt

    chunk = b"matrix xorb chunk " * 64
    body = xorbfmt.serialize([chunk])
    root = hashing.xorb_hash([(hashing.chunk_hash(chunk), len(chunk))])
    return hashing.to_hex(root), body


def _web(world: World, principal: str, path: str) -> Response:
    if principal in world.cookies:
        return request(world.live.url + path, headers={"Cookie": world.cookies[principal]})
    return request(world.live.url + path, token=world.tokens[principal])


def _cell_id(principal: str, visibility: str) -> str:
    return f"{principal.replace('_', '-')}-{visibility}-{uuid.uuid4().hex[:8]}"


def _call(
    world: World, channel: str, principal: str, visibility: str, *, ghost: bool = False
) -> Response:
    """Drive one cell; ``ghost`` aims it at repositories that do not exist instead."""
    live, token = world.live, world.tokens[principal]
    repo = world.repo(visibility) if not ghost else f"mx-ghost-{world.suffix}"
    dataset = world.dataset(visibility) if not ghost else f"mxd-ghost-{world.suffix}"
    repo_id = f"{ORG}/{repo}"
    api = f"{live.url}/api/models/{repo_id}"
    base = f"{live.url}/{repo_id}.git"
    web = f"/{repo_id}"
    cell = _cell_id(principal, visibility)
    cas = f"{live.url}/xet-cas/v1"
    calls: dict[str, Callable[[], Response]] = {
        "hub_info": lambda: request(api, token=token),
        "hub_tree": lambda: request(f"{api}/tree/main", token=token),
        "hub_paths_info": lambda: request(
            f"{api}/paths-info/main",
            "POST",
            body=b"paths=README.md&expand=true",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            token=token,
        ),
        "hub_resolve": lambda: request(f"{live.url}/{repo_id}/resolve/main/README.md", token=token),
        "hub_refs": lambda: request(f"{api}/refs", token=token),
        "hub_commits": lambda: request(f"{api}/commits/main", token=token),
        "hub_auth_check": lambda: request(f"{api}/auth-check", token=token),
        "hub_auth_check_write": lambda: request(f"{api}/auth-check/write", token=token),
        "hub_preupload": lambda: request(
            f"{api}/preupload/main",
            "POST",
            json_body={"files": [{"path": f"{cell}.txt", "sample": "Y2VsbAo=", "size": 5}]},
            token=token,
        ),
        "hub_commit": lambda: _commit(live, token, "models", repo_id, f"cells/{cell}.txt"),
        "hub_branch_create": lambda: request(
            f"{api}/branch/c-{cell}", "POST", json_body={}, token=token
        ),
        "hub_branch_delete": lambda: _branch_delete(world, api, cell, token),
        "hub_tag": lambda: request(
            f"{api}/tag/main", "POST", json_body={"tag": f"t-{cell}"}, token=token
        ),
        "hub_discussions": lambda: request(f"{api}/discussions", token=token),
        "hub_discussion": lambda: request(f"{api}/discussions/1?diff=1", token=token),
        "hub_discussion_create": lambda: request(
            f"{api}/discussions", "POST", json_body={"title": cell}, token=token
        ),
        "hub_discussion_comment": lambda: request(
            f"{api}/discussions/1/comment", "POST", json_body={"comment": cell}, token=token
        ),
        "hub_discussion_merge": lambda: _merge_cell(world, api, cell, token, ghost=ghost),
        "api_settings": lambda: request(
            f"{live.url}/api/models/{repo_id}/settings",
            "PUT",
            json_body={"private": visibility == "private"},
            token=token,
        ),
        "api_delete": lambda: _delete(world, principal, visibility),
        "api_whoami": lambda: request(f"{live.url}/api/whoami-v2", token=token),
        "xet_read_token": lambda: request(f"{api}/xet-read-token/main", token=token),
        "xet_write_token": lambda: request(f"{api}/xet-write-token/main", token=token),
        "xet_cas_read": lambda: request(
            f"{cas}/reconstructions/{world.xet_files[visibility]}",
            token=_cas_token(world, principal, visibility, "read"),
        ),
        "xet_cas_file": lambda: request(
            f"{cas}/files/{world.xet_files[visibility]}",
            token=_cas_token(world, principal, visibility, "read"),
        ),
        "xet_cas_write": lambda: _xorb_upload(
            cas, _cas_token(world, principal, visibility, "write")
        ),
        "git_clone": lambda: request(base + "/info/refs?service=git-upload-pack", basic=token),
        "git_push_advertise": lambda: request(
            base + "/info/refs?service=git-receive-pack", basic=token
        ),
        "lfs_download": lambda: _lfs_batch(world, repo, token, "download"),
        "lfs_upload": lambda: _lfs_batch(world, repo, token, "upload"),
        "viewer_splits": lambda: request(
            f"{live.url}/datasets-server/splits?dataset={ORG}/{dataset}",
            token=token,
        ),
        "viewer_first_rows": lambda: request(
            f"{live.url}/datasets-server/first-rows?dataset={ORG}/{dataset}"
            "&config=default&split=train",
            token=token,
        ),
        "analytics_repo": lambda: request(
            f"{live.url}/api/v1/analytics/repos/{repo_id}", token=token
        ),
        "search": lambda: request(
            f"{live.url}/api/v1/search?q={world.suffix}&per_page=100", token=token
        ),
        "search_suggest": lambda: request(
            f"{live.url}/api/v1/search/suggest?q={world.suffix}&limit=20", token=token
        ),
        "hub_list": lambda: request(
            f"{live.url}/api/models?author={ORG}&search={world.suffix}", token=token
        ),
        "org_events": lambda: _events(world, f"/api/v1/owners/{ORG}/events", token)[0],
        "feed": lambda: _events(world, "/api/v1/feed", token)[0],
        "web_repo": lambda: _web(world, principal, web),
        "web_blob": lambda: _web(world, principal, f"{web}/blob/main/README.md"),
        "web_raw": lambda: _web(world, principal, f"{web}/raw/main/README.md"),
        "web_insights": lambda: _web(world, principal, f"{web}/insights"),
        "web_tree": lambda: _web(world, principal, f"{web}/tree/main"),
        "web_commits": lambda: _web(world, principal, f"{web}/commits"),
        "web_owner_page": lambda: _web(world, principal, f"/{ORG}"),
        "web_search": lambda: _web(world, principal, f"/search?q={world.suffix}"),
        "web_settings": lambda: _web(world, principal, f"{web}/settings"),
        "web_hooks": lambda: _web(world, principal, f"{web}/settings/hooks"),
        "web_discussion": lambda: _web(world, principal, f"{web}/discussions/1"),
        "web_milestones": lambda: _web(world, principal, f"{web}/milestones"),
        "web_milestone_new": lambda: _web(world, principal, f"{web}/milestones/new"),
        **_gitea_calls(world, repo_id, token, cell),
    }
    return calls[channel]()


def _gitea_calls(
    world: World, repo_id: str, token: str | None, cell: str
) -> dict[str, Callable[[], Response]]:
    """The Gitea-shaped routes, with Gitea's ``token`` scheme; a 201 or 204 counts as 200."""
    g = f"{world.live.url}/api/v1/repos/{repo_id}"

    def call(path: str, method: str = "GET", data: Any = None) -> Response:
        headers = {"Authorization": f"token {token}"} if token else {}
        response = request(g + path, method, json_body=data, headers=headers)
        if response.status in (201, 204):
            return Response(200, response.headers, response.body)
        return response

    return {
        "gitea_repo": lambda: call(""),
        "gitea_issues": lambda: call("/issues?state=all"),
        "gitea_issue_create": lambda: call("/issues", "POST", {"title": cell}),
        "gitea_issue_comment": lambda: call("/issues/1/comments", "POST", {"body": cell}),
        "gitea_label_create": lambda: call("/labels", "POST", {"name": cell, "color": "#00aabb"}),
        "gitea_pulls": lambda: call("/pulls?state=all"),
        "gitea_status_create": lambda: call(
            "/statuses/main", "POST", {"state": "success", "context": cell}
        ),
        "gitea_combined_status": lambda: call("/commits/main/status"),
        "gitea_protections": lambda: call("/branch_protections"),
        "gitea_protection_create": lambda: call(
            "/branch_protections", "POST", {"rule_name": f"p-{cell}/*"}
        ),
        "gitea_milestones": lambda: call("/milestones?state=all"),
        "gitea_milestone_create": lambda: call("/milestones", "POST", {"title": cell}),
        "gitea_reactions": lambda: call("/issues/1/reactions"),
        "gitea_issue_reaction": lambda: call("/issues/1/reactions", "POST", {"content": "eyes"}),
        "gitea_issue_templates": lambda: call("/issue_templates"),
    }


def _merge_cell(world: World, api: str, cell: str, token: str | None, *, ghost: bool) -> Response:
    """The owner opens a pull request with one commit for this cell; the principal merges it
    (aimed at a repository that does not exist: number 1 there, nothing to open)."""
    number = 1
    if not ghost:
        opened = request(
            f"{api}/discussions",
            "POST",
            json_body={"title": f"pr {cell}", "pullRequest": True},
            token=world.owner_token,
        )
        assert opened.status == 200, opened.body
        number = opened.json()["num"]
        repo_id = api.split("/api/models/", 1)[1]
        pushed = _commit(
            world.live,
            world.owner_token,
            "models",
            repo_id,
            f"prs/{cell}.txt",
            rev=quote(f"refs/pr/{number}", safe=""),
        )
        assert pushed.status == 200, pushed.body
    response = request(f"{api}/discussions/{number}/merge", "POST", json_body={}, token=token)
    if not ghost:
        state = request(f"{api}/discussions/{number}", token=world.owner_token).json()["status"]
        assert (state == "merged") is (response.status == 200)
    return response


def _xorb_upload(cas: str, token: str | None) -> Response:
    xorb_hash, body = _xorb()
    return request(f"{cas}/xorbs/default/{xorb_hash}", "POST", body=body, token=token)


def _branch_delete(world: World, api: str, cell: str, token: str | None) -> Response:
    """The owner makes a branch for this cell alone; the principal tries to delete it."""
    branch = f"d-{cell}"
    made = request(f"{api}/branch/{branch}", "POST", json_body={}, token=world.owner_token)
    assert made.status == 200, made.body
    response = request(f"{api}/branch/{branch}", "DELETE", token=token)
    refs = request(f"{api}/refs", token=world.owner_token).json()
    names = {b["name"] for b in refs["branches"]}
    assert (branch in names) is (response.status != 200)
    return response


def _delete(world: World, principal: str, visibility: str) -> Response:
    """Deleting really deletes: every cell gets its own throwaway repository."""
    live = world.live
    # Not named with world.suffix: they must not crowd the matrix repos out of a search.
    repo = f"mx-del-{principal.replace('_', '-')}-{visibility}-{world.delete_suffix}"
    private = visibility == "private"
    api_create_repo(live, world.owner_token, repo, organization=ORG, private=private)
    _grant(world, repo)
    response = request(
        f"{live.url}/api/repos/delete",
        "DELETE",
        json_body={"name": repo, "organization": ORG, "type": "code"},
        token=world.tokens[principal],
    )
    still_there = request(
        f"{live.url}/{ORG}/{repo}.git/info/refs?service=git-upload-pack",
        basic=world.owner_token,
    )
    assert still_there.status == (404 if response.status == 200 else 200)
    return response


def _cells() -> list[Any]:
    cells = []
    for channel, principal, visibility in itertools.product(
        CHANNELS, LEVELS, ["public", "private"]
    ):
        reason = KNOWN_WRONG.get((channel, principal, visibility))
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        cells.append(pytest.param(channel, principal, visibility, marks=marks))
    return cells


@pytest.mark.parametrize(("channel", "principal", "visibility"), _cells())
def test_cell(world: World, channel: str, principal: str, visibility: str) -> None:
    response = _call(world, channel, principal, visibility)
    want = expected_status(principal, channel, visibility)
    family = CHANNELS[channel][0]
    if want == LOGIN:
        assert response.status == 302, (response.status, response.body[:300])
        assert response.headers["Location"].startswith("/login?next="), response.headers
        return
    assert response.status == want, (response.status, response.body[:300])
    if want == 401 and family == "git":
        assert response.headers.get("WWW-Authenticate", "").startswith("Basic")
    if family == "api" and CHANNELS[channel][1] is not None:
        code = ERROR_CODE[situation(principal, channel, visibility)]
        assert response.headers.get("X-Error-Code") == code, dict(response.headers)
    if want == 200:
        _check_success_body(world, channel, principal, visibility, response)
    if _hides_existence(principal, channel, visibility):
        _check_like_a_ghost(world, channel, principal, visibility, response)


# Channels whose refusal can be compared with the answer for a repository that does not
# exist (the others need the repository itself: a branch to delete, a CAS token, a listing).
GHOST_COMPARABLE = {
    channel
    for channel, (family, need) in CHANNELS.items()
    if family in {"api", "gitea", "git", "web"} and need is not None
} - {"hub_branch_delete", "api_delete"}


def _hides_existence(principal: str, channel: str, visibility: str) -> bool:
    """Refusing a private repository to someone who cannot read it must not reveal it."""
    return (
        visibility == "private"
        and channel in GHOST_COMPARABLE
        and situation(principal, channel, visibility)
        in {"anonymous_stranger", "signed_in_stranger", "bad_token"}
    )


def _comparable(response: Response, names: tuple[str, str]) -> tuple[Any, ...]:
    body = response.body
    for name in names:
        body = body.replace(name.encode(), b"REPO")
    body = re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"CSRF", body)
    location = response.headers.get("Location", "")
    for name in names:
        location = location.replace(name, "REPO")
    challenge = response.headers.get("WWW-Authenticate")
    return response.status, response.headers.get("Content-Type"), challenge, location, body


def _check_like_a_ghost(
    world: World, channel: str, principal: str, visibility: str, response: Response
) -> None:
    """The same status, headers that matter and body as for a repository that isn't there."""
    ghost = _call(world, channel, principal, visibility, ghost=True)
    real_names = (world.repo(visibility), world.dataset(visibility))
    ghost_names = (f"mx-ghost-{world.suffix}", f"mxd-ghost-{world.suffix}")
    assert _comparable(response, real_names) == _comparable(ghost, ghost_names)


def _check_success_body(
    world: World, channel: str, principal: str, visibility: str, response: Response
) -> None:
    """A 200 must be the real thing, not an error page with the right number."""
    repo_id = f"{ORG}/{world.repo(visibility)}"
    if channel in LISTINGS:
        _check_listing(world, channel, principal, visibility, response)
    elif channel == "gitea_repo":
        data = response.json()
        assert data["full_name"] == repo_id and data["private"] is (visibility == "private")
    elif channel == "gitea_issues":
        assert 1 in {i["number"] for i in response.json()}
    elif channel == "gitea_combined_status":
        assert len(response.json()["sha"]) == 40
    elif channel in {"gitea_milestones", "gitea_reactions", "gitea_issue_templates"}:
        assert isinstance(response.json(), list)
    elif channel == "gitea_milestone_create":
        data = response.json()
        assert data["state"] == "open" and data["title"].startswith(principal.replace("_", "-"))
    elif channel == "gitea_issue_reaction":
        data = response.json()
        assert data["content"] == "eyes" and data["user"]["login"] == USERNAMES[principal]
    elif channel == "hub_info":
        data = response.json()
        assert data["id"] == repo_id and data["private"] is (visibility == "private")
    elif channel == "hub_tree":
        assert "README.md" in {e["path"] for e in response.json()}
    elif channel == "hub_paths_info":
        assert [e["path"] for e in response.json()] == ["README.md"]
    elif channel in {"hub_resolve", "web_raw"}:
        assert response.body == README
    elif channel == "hub_refs":
        assert "main" in {b["name"] for b in response.json()["branches"]}
    elif channel == "hub_preupload":
        assert response.json()["files"][0]["uploadMode"] == "regular"
    elif channel == "hub_commit":
        assert response.json()["success"] is True
    elif channel == "hub_discussions":
        assert 1 in {d["num"] for d in response.json()["discussions"]}
    elif channel == "hub_discussion":
        data = response.json()
        assert data["num"] == 1 and data["events"][0]["data"]["latest"]["raw"] == "seed"
    elif channel == "hub_discussion_create":
        assert response.json()["num"] > 1
    elif channel == "hub_discussion_comment":
        assert response.json()["newMessage"]["author"]["name"] == USERNAMES[principal]
    elif channel == "hub_discussion_merge":
        assert response.json() == {}
    elif channel in {"xet_read_token", "xet_write_token"}:
        data = response.json()
        assert data["accessToken"] and data["casUrl"].endswith("/xet-cas")
        assert response.headers["X-Xet-Access-Token"] == data["accessToken"]
    elif channel == "xet_cas_read":
        assert response.json()["terms"]
    elif channel == "xet_cas_file":
        assert response.body == XET_PAYLOAD
    elif channel == "viewer_first_rows":
        assert [r["row"] for r in response.json()["rows"]] == [{"a": 1, "b": 2}, {"a": 3, "b": 4}]
    elif channel == "hub_commits":
        assert response.json()[0]["id"]
    elif channel in {"hub_auth_check", "hub_auth_check_write"}:
        response.json()
    elif channel == "xet_cas_write":
        assert isinstance(response.json()["was_inserted"], bool)
    elif channel == "git_clone":
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
    elif channel == "viewer_splits":
        (split,) = response.json()["splits"]
        assert split["dataset"] == f"{ORG}/{world.dataset(visibility)}"
    elif channel == "analytics_repo":
        assert response.json()["repository"] == repo_id
    elif channel in {
        "web_repo",
        "web_blob",
        "web_insights",
        "web_settings",
        "web_hooks",
        "web_tree",
        "web_discussion",
        "web_milestones",
        "web_milestone_new",
    }:
        assert response.headers["Content-Type"].startswith("text/html")
        assert re.search(rf"<title>[^<]*{re.escape(repo_id)}", response.body.decode()), channel
    elif channel == "web_commits":
        assert response.headers["Content-Type"].startswith("text/html")
        assert b"seed" in response.body  # the first commit's message
    elif channel == "api_whoami":
        data = response.json()
        assert data["name"] == USERNAMES[principal]
        role = data["auth"]["accessToken"]["role"]
        assert role == ("read" if principal == "admin_read_token" else "write")


def _check_listing(
    world: World, channel: str, principal: str, visibility: str, response: Response
) -> None:
    """The repository appears exactly to those who can read it (presence, not only status)."""
    token = world.tokens[principal]
    if channel in {"search", "search_suggest"}:
        names = {r["id"].split("/")[-1] for r in response.json()["results"]}
    elif channel == "hub_list":
        names = {r["id"].split("/")[-1] for r in response.json()}
    elif channel in {"web_owner_page", "web_search"}:
        assert response.headers["Content-Type"].startswith("text/html")
        names = set(re.findall(rf"/{ORG}/(mx-[a-z]+-{world.suffix})\b", response.body.decode()))
    elif channel == "org_events":
        names = _events(world, f"/api/v1/owners/{ORG}/events", token)[1]
    else:
        names = _events(world, "/api/v1/feed", token)[1]
    listed = world.repo(visibility) in names
    want = expected_listed(principal, visibility)
    assert listed is want, (channel, principal, visibility, sorted(names))
