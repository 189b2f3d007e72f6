"""A private upstream repository, reached with the token an organization configured, is
mirrored only into a private repository of that organization: its members read it, and
nobody else learns that it exists (Hub API, alias, resolve, search, web page).

Two live servers on loopback, shared by the tests of this file (run in order).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests
from huggingface_hub import CommitOperationAdd, HfApi

from tests.support.live import LiveServer

pytestmark = pytest.mark.e2e

WEIGHTS = "model.safetensors"


@dataclass
class Site:
    upstream: LiveServer
    mirror: LiveServer
    repo_id: str  # private on the upstream
    weights: bytes
    alice: str  # member of the organization that configured the token
    bob: str  # another user of the mirror
    org: str


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    upstream = LiveServer(tmp_path_factory.mktemp("upstream")).start()
    mirror = LiveServer(
        tmp_path_factory.mktemp("mirror"),
        env={"NBOPEN_MIRROR_ALLOW_ADDRESSES": "loopback", "NBOPEN_MIRROR_REFRESH": "0"},
    )
    try:
        mirror.start()
        owner = f"own{uuid.uuid4().hex[:6]}"
        token = upstream.create_user(owner)
        api = HfApi(endpoint=upstream.url, token=token)
        repo_id = f"{owner}/secretmodel"
        weights = os.urandom(1_500_000)
        api.create_repo(repo_id, private=True)
        api.create_commit(
            repo_id,
            operations=[
                CommitOperationAdd("config.json", b'{"hidden": true}'),
                CommitOperationAdd(WEIGHTS, weights),
            ],
            commit_message="private weights",
        )
        alice, bob = mirror.create_user("alice"), mirror.create_user("bob")
        mirror.cli("org", "create", "team", "--kind", "community", "--owner", "alice")
        # a public upstream without a token first: it does not see the repository
        mirror.cli("mirror", "upstream", "add", "pub", upstream.url)
        mirror.cli("mirror", "upstream", "add", "priv", upstream.url, "--token", token)
        mirror.cli("mirror", "upstream", "remove", "priv")
        mirror.cli(
            "mirror",
            "upstream",
            "add",
            "privteam",
            upstream.url,
            "--token",
            token,
            "--org",
            "team",
            "--deny",
            f"{owner}/msonly",
        )
        # the same kind of upstream through its ModelScope API, for one repository only
        api.create_repo(f"{owner}/msonly", private=True)
        api.upload_file(
            path_or_fileobj=weights[:1000], path_in_repo="w.bin", repo_id=f"{owner}/msonly"
        )
        mirror.cli(
            "mirror",
            "upstream",
            "add",
            "msteam",
            upstream.url,
            "--kind",
            "modelscope",
            "--token",
            token,
            "--org",
            "team",
            "--allow",
            f"{owner}/msonly",
        )
        yield Site(upstream, mirror, repo_id, weights, alice, bob, "team")
    finally:
        mirror.stop()
        upstream.stop()


def _get(site: Site, path: str, token: str | None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(f"{site.mirror.url}{path}", headers=headers, timeout=60)


def _local_id(site: Site) -> str:
    owner, name = site.repo_id.split("/")
    return f"{site.org}/{owner}__{name}"


def _like_missing(site: Site, token: str | None) -> None:
    """Every channel answers the private repository as it answers an id that never existed."""
    missing = f"{site.repo_id.split('/')[0]}/neverwas{uuid.uuid4().hex[:6]}"
    for repo_id in (site.repo_id, _local_id(site)):
        for template in (
            "/api/models/{id}",
            "/api/models/{id}/tree/main",
            "/{id}/resolve/main/" + WEIGHTS,
            "/api/v1/models/{id}/repo/files",
        ):
            got = _get(site, template.format(id=repo_id), token)
            expected = _get(site, template.format(id=missing), token)
            assert got.status_code == expected.status_code, (template, repo_id, got.text[:200])
            assert got.status_code in {401, 404}
            assert site.weights not in got.content
    listed = _get(site, "/api/models?search=secretmodel", token)
    assert listed.status_code == 200 and listed.json() == []
    page = _get(site, f"/{site.repo_id}", token)
    assert page.status_code == 404
    found = _get(site, "/search?q=secretmodel", token)  # the site search (web)
    assert found.status_code == 200 and "__secretmodel" not in found.text


def test_others_never_trigger_nor_see_a_private_mirror(site: Site) -> None:
    _like_missing(site, site.bob)
    _like_missing(site, None)
    # nothing was made on their behalf
    assert _get(site, f"/api/models/{_local_id(site)}", site.alice).status_code == 404


def test_a_member_gets_it_mirrored_into_a_private_repository_of_the_org(site: Site) -> None:
    answer = _get(site, f"/{site.repo_id}/resolve/main/{WEIGHTS}", site.alice)
    assert answer.status_code == 200 and answer.content == site.weights
    info = _get(site, f"/api/models/{_local_id(site)}", site.alice).json()
    assert info["private"] is True and info["id"] == _local_id(site)
    alias = _get(site, f"/api/models/{site.repo_id}", site.alice)
    assert alias.status_code == 200
    found = [m["id"] for m in _get(site, "/api/models?search=secretmodel", site.alice).json()]
    assert found == [_local_id(site)]


def test_once_mirrored_others_still_learn_nothing(site: Site) -> None:
    _like_missing(site, site.bob)
    _like_missing(site, None)


def test_a_private_modelscope_upstream_repository_goes_to_the_org_too(site: Site) -> None:
    """The ModelScope API has no private flag: a list only the token gets is private."""
    repo_id = f"{site.repo_id.split('/')[0]}/msonly"
    local = f"{site.org}/{repo_id.split('/')[0]}__msonly"
    for token in (site.bob, None):
        assert _get(site, f"/{repo_id}/resolve/main/w.bin", token).status_code in {401, 404}
    answer = _get(site, f"/{repo_id}/resolve/main/w.bin", site.alice)
    assert answer.status_code == 200 and answer.content == site.weights[:1000]
    assert _get(site, f"/api/models/{local}", site.alice).json()["private"] is True
    for token in (site.bob, None):
        for path in (f"/api/models/{local}", f"/api/models/{repo_id}"):
            assert _get(site, path, token).status_code in {401, 404}
