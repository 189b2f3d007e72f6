"""huggingface_hub's own tests (vendored, see NOTICE.md) pointed at a live ``nbopen serve``.

Upstream runs these files against its staging Hub (``ENDPOINT_STAGING``) with two CI users
whose tokens are in ``testing_constants.py``. Here the "staging" endpoint is the session's live
NBopen server, and the two users are created on it. The constants are patched in the vendored
modules' globals after import (functions read them at call time), so the vendored files stay as
upstream wrote them.

Upstream's own conftest.py is not part of the release (the sdist leaves it out); the fixtures
these files use (``api``, ``repo_factory``, ``mocker``, the markers) are written here.

Tests that cannot run against any server but huggingface.co (repositories that exist only
there, Spaces hardware, inference, enterprise organisations, the Hub's exact wording) are
skipped with their reason from ``SKIPS``; docs/hub-compat.md lists them. Everything else must
pass: a failure is a difference between NBopen and the Hub.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Protocol
from unittest import mock

import pytest
from huggingface_hub import HfApi, RepoUrl, constants
from huggingface_hub.utils import SoftTemporaryDirectory
from huggingface_hub.utils._runtime import is_package_available

from tests.support.live import LiveServer

from . import testing_constants
from .skips import SKIPS, skip_reason
from .testing_utils import repo_name

HERE = os.path.dirname(__file__)
MARKERS = {
    "api": "upstream suite marker (repos, discussions, utils)",
    "transfer": "upstream suite marker (uploads and downloads)",
    "inference": "upstream suite marker (inference)",
    "xet": "needs hf_xet; Xet force-enabled",
    "no_xet": "must run without hf_xet",
    "production": "reads fixtures that exist only on huggingface.co",
    "deprecated": "expects a FutureWarning naming the given functions",
    "git_lfs": "needs git-lfs",
    "vcr": "replays recorded huggingface.co cassettes",
}
LOOPBACK_NAMES = {"127.0.0.1", "localhost", "::1", b"127.0.0.1", b"localhost"}
# The users the vendored tests know by the constants' names. Ours, on the live server.
PEER_USER = "hubpeer-user"
PEER_OTHER_USER = "hubpeer-other"


def pytest_configure(config: pytest.Config) -> None:
    for name, text in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {text}")


def _ours(item: pytest.Item) -> bool:
    return str(item.path).startswith(HERE + os.sep)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every vendored test is ``once`` (the protocol, not the database, is under test), and each
    one listed in ``SKIPS`` (or marked ``production``/``vcr``, which read huggingface.co) is
    skipped with its reason. Runs before the root conftest deselects ``once`` on PostgreSQL."""
    for item in items:
        if not _ours(item):
            continue
        item.add_marker(pytest.mark.once)
        item.add_marker(pytest.mark.e2e)
        # Upstream's class-scoped fixtures are instance methods, which pytest 9 deprecates.
        item.add_marker(pytest.mark.filterwarnings("ignore::pytest.PytestRemovedIn10Warning"))
        reason = skip_reason(item.nodeid.split("huggingface_hub/", 1)[1])
        if reason is None and item.get_closest_marker("production"):
            reason = "huggingface.co: reads repositories that exist only on the production Hub"
        if reason is None and item.get_closest_marker("vcr"):
            reason = "huggingface.co: replays recorded huggingface.co responses (vcrpy)"
        if reason is not None:
            item.add_marker(pytest.mark.skip(reason=reason))


def pytest_collection_finish(session: pytest.Session) -> None:
    """A stale entry in ``SKIPS`` (a test upstream renamed) would hide nothing and rot, and an
    entry docs/hub-compat.md does not list would be a skip nobody reads about: fail."""
    if not any(_ours(item) for item in session.items):
        return
    ids = {item.nodeid.split("huggingface_hub/", 1)[1] for item in session.items if _ours(item)}
    if os.environ.get("PYTEST_XDIST_WORKER") or len(ids) < 100:
        return  # a selection of tests: the table cannot be checked against it
    stale = [
        key
        for key in SKIPS
        if not any(i == key or i.startswith(key + "::") or i.startswith(key + "[") for i in ids)
    ]
    if stale:
        raise pytest.UsageError(f"SKIPS names tests that do not exist: {stale}")
    docs = (Path(HERE).parents[2] / "docs" / "hub-compat.md").read_text()
    undocumented = [key for key in SKIPS if key.rsplit("::", 1)[-1] not in docs]
    if undocumented:
        raise pytest.UsageError(f"skips missing from docs/hub-compat.md: {undocumented}")


_getaddrinfo = socket.getaddrinfo


def _loopback_only(host: Any, *args: Any, **kwargs: Any) -> Any:
    """Tests send traffic to loopback only: a vendored test that still reaches for
    huggingface.co fails here instead of leaving the machine."""
    answers = _getaddrinfo(host, *args, **kwargs) if host in LOOPBACK_NAMES else None
    if answers is None:
        raise OSError(f"peer tests talk to loopback only, not {host!r}")
    return answers


@pytest.fixture(autouse=True)
def _no_internet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", _loopback_only)


@pytest.fixture(scope="session")
def peer_server(live: LiveServer) -> LiveServer:
    """Create the two users and point every vendored module's constants at the live server."""
    token = live.create_user(PEER_USER)
    other_token = live.create_user(PEER_OTHER_USER)
    # hub-ci's CI user belongs to this organisation (``whoami()["orgs"]``).
    live.cli(
        "org",
        "create",
        "valid_org_hub",
        "--owner",
        PEER_USER,
        "--display-name",
        "Dummy Hub Org",
        "--kind",
        "community",
    )
    values = {
        "USER": PEER_USER,
        "FULL_NAME": PEER_USER,  # NBopen's fullname is the username until one is set
        "TOKEN": token,
        "OTHER_USER": PEER_OTHER_USER,
        "OTHER_TOKEN": other_token,
        "ENDPOINT_STAGING": live.url,
    }
    package = __name__.rsplit(".", 1)[0]
    for module in list(sys.modules.values()):
        if getattr(module, "__name__", "").startswith(package + "."):
            for name, value in values.items():
                if hasattr(module, name):
                    setattr(module, name, value)
    return live


@pytest.fixture(scope="package", autouse=True)
def _staging_endpoint(peer_server: LiveServer) -> Iterator[None]:
    """What upstream's CI gets from ``HUGGINGFACE_CO_STAGING=1``: the default endpoint is the
    server. Package-scoped, as upstream's class-scoped set-ups read it before any test runs."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(constants, "ENDPOINT", peer_server.url)
        patch.setattr(
            constants,
            "HUGGINGFACE_CO_URL_TEMPLATE",
            peer_server.url + "/{repo_id}/resolve/{revision}/{filename}",
        )
        yield


@pytest.fixture(autouse=True)
def _staging(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Upstream's ``patch_constants``: caches, token files and the Xet cache are per test."""
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_EXPERIMENTAL_WARNING", True)
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    with SoftTemporaryDirectory() as cache_dir:
        for name, sub in {
            "HF_HOME": "",
            "HF_HUB_CACHE": "hub",
            "HUGGINGFACE_HUB_CACHE": "hub",
            "HF_XET_CACHE": "xet",
            "HF_ASSETS_CACHE": "assets",
            "HF_TOKEN_PATH": "token",
            "HF_STORED_TOKENS_PATH": "stored_tokens",
        }.items():
            monkeypatch.setattr(constants, name, os.path.join(cache_dir, sub))
        yield


@pytest.fixture(autouse=True)
def xet_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Upstream's: ``xet`` forces Xet on (skipped without hf_xet), ``no_xet`` needs it absent."""
    if request.node.get_closest_marker("xet") is not None:
        if not is_package_available("hf_xet"):
            pytest.skip("Test requires `hf_xet` (marked with `pytest.mark.xet`)")
        monkeypatch.setattr(constants, "HF_HUB_DISABLE_XET", False)
        monkeypatch.delenv("HF_HUB_DISABLE_XET", raising=False)
    elif request.node.get_closest_marker("no_xet") is not None and is_package_available("hf_xet"):
        pytest.skip("Test must run without `hf_xet` installed (marked with `pytest.mark.no_xet`)")


@pytest.fixture(autouse=True)
def expect_deprecation_marker(request: pytest.FixtureRequest) -> Iterator[None]:
    """Upstream's: a test marked ``deprecated("f")`` must emit a FutureWarning naming ``f``."""
    names = [name for marker in request.node.iter_markers("deprecated") for name in marker.args]
    with ExitStack() as stack:
        for name in names:
            stack.enter_context(pytest.warns(FutureWarning, match=rf".*'{name}'.*"))
        yield


@pytest.fixture(autouse=True)
def git_lfs_marker(request: pytest.FixtureRequest) -> None:
    if (
        request.node.get_closest_marker("git_lfs") is not None
        and os.environ.get("RUN_GIT_LFS_TESTS") != "1"
    ):
        pytest.skip("git-lfs test (set RUN_GIT_LFS_TESTS=1 to run)")


@pytest.fixture(scope="session")
def api(peer_server: LiveServer) -> HfApi:
    """Upstream's staging client, authenticated as ``USER``."""
    return HfApi(endpoint=peer_server.url, token=testing_constants.TOKEN)


@pytest.fixture(scope="session")
def api_prod() -> HfApi:
    pytest.skip("huggingface.co: reads the production Hub")


class RepoFactory(Protocol):
    """Type of ``repo_factory``: create a repository on the server, deleted after the test."""

    def __call__(self, repo_type: str = "model", **kwargs: Any) -> RepoUrl: ...


@pytest.fixture
def repo_factory(api: HfApi) -> Iterator[RepoFactory]:
    created: list[tuple[str, str, str | None]] = []

    def factory(repo_type: str = "model", **kwargs: Any) -> RepoUrl:
        kwargs.setdefault("repo_id", repo_name(prefix=repo_type))
        url = api.create_repo(repo_type=repo_type, **kwargs)
        created.append((url.repo_id, repo_type, kwargs.get("token")))
        return url

    yield factory
    for repo_id, repo_type, token in created:
        with contextlib.suppress(Exception):  # the test may have deleted or moved it
            api.delete_repo(repo_id=repo_id, repo_type=repo_type, token=token)


class Mocker:
    """The part of pytest-mock's ``mocker`` the vendored tests use: ``patch`` and
    ``patch.object``, undone after the test."""

    def __init__(self) -> None:
        self._stack = ExitStack()
        outer = self

        class _Patch:
            def __call__(self, target: str, *args: Any, **kwargs: Any) -> Any:
                return outer._stack.enter_context(mock.patch(target, *args, **kwargs))

            def object(self, target: object, attribute: str, *args: Any, **kwargs: Any) -> Any:
                return outer._stack.enter_context(
                    mock.patch.object(target, attribute, *args, **kwargs)
                )

        self.patch = _Patch()
        self.Mock = mock.Mock
        self.MagicMock = mock.MagicMock

    def stopall(self) -> None:
        self._stack.close()


@pytest.fixture
def mocker() -> Iterator[Mocker]:
    m = Mocker()
    try:
        yield m
    finally:
        m.stopall()
