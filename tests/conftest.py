"""Shared fixtures. ``live`` is a real ``nbopen serve`` for the whole session."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.live import LiveServer


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path_factory.mktemp("live")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session", autouse=True)
def _git_identity(tmp_path_factory: pytest.TempPathFactory) -> None:
    """git in tests must not read the developer's config, prompt, or need an identity."""
    home = tmp_path_factory.mktemp("home")
    os.environ["HOME"] = str(home)
    os.environ["GIT_CONFIG_NOSYSTEM"] = "1"
    os.environ["GIT_TERMINAL_PROMPT"] = "0"
    for key, value in {
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.org",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.org",
    }.items():
        os.environ[key] = value
    (Path(home) / ".gitconfig").write_text(
        "[init]\n\tdefaultBranch = main\n[protocol]\n\tversion = 2\n"
    )
    if shutil.which("git-lfs"):
        import subprocess

        subprocess.run(["git", "lfs", "install", "--skip-repo"], check=True, capture_output=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``once`` run on the embedded default only: CI runs the suite twice (SQLite,
    then PostgreSQL), and a second run of a test whose outcome cannot depend on the database
    costs CI time and proves nothing. The browser tests (``tests/web/test_browser_*``) count as
    ``once``: they check what a page shows and how it behaves in chromium; the queries behind
    those pages run on PostgreSQL in the service, HTTP and permission-matrix tests."""
    if not os.environ.get("NBOPEN_DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        return
    once = [
        item
        for item in items
        if item.get_closest_marker("once") or item.path.name.startswith("test_browser_")
    ]
    if once:
        skipped = set(once)
        items[:] = [item for item in items if item not in skipped]
        config.hook.pytest_deselected(items=once)
