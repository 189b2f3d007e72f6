"""Two clients push diverging commits to one branch at the same moment: one wins."""

from __future__ import annotations

import os
import subprocess
import threading
from pathlib import Path

import pytest

from tests.support.client import api_create_repo, authed, git, git_path
from tests.support.live import LiveServer

pytestmark = pytest.mark.e2e

ROUNDS = 3


def _push(
    clone: Path, start: threading.Barrier, results: dict[Path, subprocess.CompletedProcess[str]]
) -> None:
    start.wait()
    results[clone] = git("push", "origin", "main", cwd=clone, check=False)


def test_concurrent_diverging_pushes(live: LiveServer, tmp_path: Path) -> None:
    token = live.create_user("cc-racer")
    repo = api_create_repo(live, token, "race")
    url = authed(live, token, "/cc-racer/race.git")
    base = tmp_path / "base"
    git("init", "-q", "-b", "main", str(base))
    (base / "README").write_text("base\n")
    git("add", ".", cwd=base)
    git("commit", "-qm", "base", cwd=base)
    git("push", "-q", url, "main", cwd=base)
    server_repo = git_path(live, int(repo["id"]))

    for round_ in range(ROUNDS):
        clones = []
        for side in ("a", "b"):
            clone = tmp_path / f"r{round_}{side}"
            git("clone", "-q", url, str(clone))
            # Enough content that the pushes overlap in time on the server.
            (clone / f"{side}.bin").write_bytes(os.urandom(2 * 1024 * 1024))
            git("add", ".", cwd=clone)
            git("commit", "-qm", f"round {round_} side {side}", cwd=clone)
            clones.append(clone)
        start = threading.Barrier(2)
        results: dict[Path, subprocess.CompletedProcess[str]] = {}

        threads = [threading.Thread(target=_push, args=(c, start, results)) for c in clones]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)

        winners = [c for c in clones if results[c].returncode == 0]
        losers = [c for c in clones if results[c].returncode != 0]
        assert len(winners) == 1 and len(losers) == 1, {c.name: results[c] for c in clones}
        err = results[losers[0]].stderr
        # Rejected either by the client (it saw the winner's ref first: non-fast-forward)
        # or by the server's ref lock (both advertised the same old value).
        assert "rejected" in err, err
        assert "fetch first" in err or "non-fast-forward" in err or "failed to update ref" in err
        winner_head = git("rev-parse", "HEAD", cwd=winners[0]).stdout.strip()
        loser_head = git("rev-parse", "HEAD", cwd=losers[0]).stdout.strip()
        server_main = git("rev-parse", "refs/heads/main", cwd=server_repo).stdout.strip()
        assert server_main == winner_head
        assert server_main != loser_head
        git("fsck", "--full", "--strict", "--no-dangling", cwd=server_repo)
        # The next round starts from the winner's state.
        git("fetch", "-q", url, "main", cwd=base)
        git("reset", "-q", "--hard", "FETCH_HEAD", cwd=base)
    assert git("rev-list", "--count", "main", cwd=server_repo).stdout.strip() == str(1 + ROUNDS)
